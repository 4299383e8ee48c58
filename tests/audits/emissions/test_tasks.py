"""Agreement between the re-fit and the upload for multiclass and regression tasks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from audits import AuditConfig, build_context
from audits.emissions import run_emissions
from audits.inputs import adapt_estimator, frame_as_data
from audits.results import Status

from .conftest import FAST, FEATURES, make_frame, no_progress


@pytest.fixture(scope="module")
def data() -> pd.DataFrame:
    frame = make_frame(n=800, seed=3)
    rng = np.random.default_rng(3)
    frame["grade"] = pd.cut(
        frame["x1"] + frame["x2"], [-np.inf, -0.5, 0.5, np.inf], labels=["lo", "mid", "hi"]
    )
    frame["grade"] = frame["grade"].astype(str)
    frame["amount"] = 3 * frame["x1"] - frame["x3"] + rng.normal(scale=0.1, size=len(frame))
    return frame


def test_multiclass_agreement_is_label_share(data: pd.DataFrame) -> None:
    est = LogisticRegression(max_iter=300).fit(data[FEATURES], data["grade"])
    cfg = AuditConfig(
        target="grade", protected=("group",), emissions=FAST, exclude_columns=("label", "amount")
    )
    ctx = build_context(frame_as_data(data), config=cfg, model=adapt_estimator(est))
    assert ctx.task == "multiclass"
    res = run_emissions(ctx, prior={}, progress=no_progress)
    assert res.status == Status.PASS
    assert res.metrics["training"]["agreement"] == 1.0
    assert "same label" in res.metrics["training"]["agreement_note"]


def test_regression_agreement_uses_a_tolerance(data: pd.DataFrame) -> None:
    est = LinearRegression().fit(data[FEATURES], data["amount"])
    cfg = AuditConfig(
        target="amount", protected=("group",), emissions=FAST, exclude_columns=("label", "grade")
    )
    ctx = build_context(frame_as_data(data), config=cfg, model=adapt_estimator(est))
    assert ctx.task == "regression"
    res = run_emissions(ctx, prior={}, progress=no_progress)
    t = res.metrics["training"]
    assert t["agreement"] == pytest.approx(1.0)  # R² of the re-fit against the upload
    assert t["agreement_within_tolerance"] == 1.0
    assert "R²" in t["agreement_note"] and "within 5% relative error" in t["agreement_note"]
    assert res.metrics["inference"]["call"] == "predict"
