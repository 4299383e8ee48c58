"""The protected-attribute-as-feature finding names every protected attribute the model reads, whatever its rank."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from audits.explain import run_explanation

from .conftest import context


@pytest.fixture(scope="module")
def result():
    rng = np.random.default_rng(3)
    n = 600
    frame = pd.DataFrame({f"x{i}": rng.normal(size=n) for i in range(8)})
    frame["sex"] = rng.integers(0, 2, size=n)  # a weak input: ranks last among nine
    frame["region"] = rng.choice(["n", "s"], size=n)  # protected but not an input of the model
    logit = frame[[f"x{i}" for i in range(8)]].to_numpy() @ np.linspace(2.0, 0.8, 8) + 0.05 * frame["sex"]
    frame["label"] = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    features = [f"x{i}" for i in range(8)] + ["sex"]
    model = LogisticRegression().fit(frame[features], frame["label"])
    ctx = context(
        frame, model, protected=("sex", "region"), explain_sample_size=200, features=tuple(features)
    )
    return run_explanation(ctx, prior={}, progress=lambda f, m: None)


def test_a_low_ranked_protected_input_is_reported(result):
    found = {f.subject: f for f in result.findings if f.code == "EXPLAIN_PROTECTED_FEATURE"}
    assert set(found) == {"sex"}
    f = found["sex"]
    assert f.evidence["rank"] > 5 and f.evidence["n_features"] == 9
    assert f"ranks #{f.evidence['rank']} of 9" in f.message
    assert 0 < f.evidence["share_of_total"] < 0.1
