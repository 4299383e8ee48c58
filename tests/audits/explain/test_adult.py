"""The bundled Adult pipelines: exact Linear SHAP in raw columns, and Tree SHAP that adds up on real data."""

from __future__ import annotations

import numpy as np
import pytest

from audits import AuditConfig, build_context, load_dataset, load_model
from audits.explain import run_explanation
from audits.explain.choose import choose_explainer
from audits.explain.sampling import LINEAR_BACKGROUND_SIZE, background_rows
from audits.explain.shap_values import ShapEngine
from audits.results import Status

from .conftest import SAMPLES

ADULT = SAMPLES / "adult"


@pytest.fixture(scope="module")
def adult_data():
    return load_dataset(ADULT / "adult_test.csv")


def _ctx(data, model: str, **changes):
    cfg = AuditConfig.from_yaml(ADULT / "audit.yaml").replace(**changes)
    return build_context(data, config=cfg, model=load_model(ADULT / model))


def test_logistic_pipeline_equals_exact_raw_column_shap(adult_data):
    """Exact SHAP of the linear model in raw terms, computed independently: for each raw column, the sum over
    its one-hot (or scaled numeric) columns of coef * (x - background mean), grouped by name prefix."""
    ctx = _ctx(adult_data, "adult_logreg.skops")
    rows = np.arange(0, ctx.n_rows, 97)
    att = ShapEngine.build(ctx, choose_explainer(ctx.model, ctx.features)).explain(rows)
    pipe = ctx.model.estimator
    prep, model = pipe[:-1], pipe[-1]
    bg = ctx.X.iloc[background_rows(ctx.n_rows, size=LINEAR_BACKGROUND_SIZE, seed=ctx.seed)]
    phi = model.coef_[0] * (prep.transform(ctx.X.iloc[rows]) - prep.transform(bg).mean(axis=0))
    names = list(prep.get_feature_names_out())
    for j, col in enumerate(ctx.features):
        cols = [k for k, n in enumerate(names) if n == f"num__{col}" or n.startswith(f"cat__{col}_")]
        assert cols, col
        np.testing.assert_allclose(att.values[:, j], phi[:, cols].sum(axis=1), atol=1e-8, rtol=0)
    assert att.additivity_error.max() < 1e-8


def test_gradient_boosting_pipeline_section(adult_data):
    ctx = _ctx(adult_data, "adult_gbm.skops", explain_sample_size=300)
    res = run_explanation(ctx, prior={}, progress=lambda f, m: None)
    assert (
        res.status == Status.PASS
    )  # trees on one-hot columns: approximate mapping, stated as an info finding
    assert res.method["explainer"] == "TreeExplainer (interventional)"
    assert res.method["output_space"] == "log-odds of class '>50K'"
    assert res.method["background_size"] == 100 and res.method["sample_size"] == 300
    assert res.method["additivity_max_error"] < 1e-6
    assert res.metrics["beeswarm"]["kind"].get("marital_status", "categorical") == "categorical"
    gap = res.metrics["group_gap"]["sex"]
    assert sorted(gap["groups"]) == ["Female", "Male"]
    assert sum(gap["contributions"].values()) == pytest.approx(gap["gap"], abs=1e-6)
    # The log-odds outputs are the context's probabilities, not a re-prediction of something else.
    local = res.metrics["local"][0]
    assert 1 / (1 + np.exp(-local["output"])) == pytest.approx(ctx.y_score[local["row"]], abs=1e-9)
