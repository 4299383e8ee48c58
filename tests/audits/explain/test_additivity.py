"""Every explainer's SHAP values add up to the model output; Linear SHAP in raw columns is exact."""

from __future__ import annotations

import numpy as np
import pytest

from audits.explain.choose import choose_explainer
from audits.explain.sampling import background_rows
from audits.explain.shap_values import ShapEngine

ROWS = np.arange(0, 400, 7)


def _engine(ctx, override="auto", **kw):
    return ShapEngine.build(ctx, choose_explainer(ctx.model, ctx.features, override=override), **kw)


@pytest.mark.parametrize("name", ["logreg_ctx", "hgb_ctx", "forest_ctx"])
def test_fast_explainers_add_up(request, name):
    ctx = request.getfixturevalue(name)
    att = _engine(ctx).explain(ROWS)
    assert att.values.shape == (len(ROWS), len(ctx.features))
    assert att.additivity_error.max() < 1e-6


@pytest.mark.parametrize("kind", ["permutation", "kernel"])
def test_model_agnostic_explainers_add_up(hgb_ctx, kind):
    att = _engine(hgb_ctx, kind, background_size=20, max_evals=90).explain(ROWS[:3])
    assert att.additivity_error.max() < 1e-6


def test_probability_output_matches_the_context_scores(hgb_ctx):
    att = _engine(hgb_ctx, "permutation", background_size=10, max_evals=9).explain(ROWS[:4])
    np.testing.assert_allclose(att.output, hgb_ctx.y_score[ROWS[:4]], atol=1e-12)


def test_tree_log_odds_match_the_context_scores(hgb_ctx):
    att = _engine(hgb_ctx).explain(ROWS)
    np.testing.assert_allclose(1 / (1 + np.exp(-att.output)), hgb_ctx.y_score[ROWS], atol=1e-9)


def test_linear_raw_column_values_equal_the_exact_formula(logreg_ctx):
    """Exact SHAP of a linear model in raw terms: sum over a column's one-hot columns of coef*(x - mean)."""
    engine = _engine(logreg_ctx)
    att = engine.explain(ROWS)
    pipe = logreg_ctx.model.estimator
    prep, model = pipe[:-1], pipe[-1]
    bg = logreg_ctx.X.iloc[background_rows(logreg_ctx.n_rows, size=1000, seed=logreg_ctx.seed)]
    xt = prep.transform(logreg_ctx.X.iloc[ROWS])
    phi = model.coef_[0] * (xt - prep.transform(bg).mean(axis=0))
    names = prep.get_feature_names_out()
    for j, col in enumerate(logreg_ctx.features):
        # Independent grouping by name ("num__x1", "cat__color_red"): not the code under test.
        cols = [k for k, n in enumerate(names) if n.split("__", 1)[1] == col or n.startswith(f"cat__{col}_")]
        np.testing.assert_allclose(att.values[:, j], phi[:, cols].sum(axis=1), atol=1e-8, rtol=0)
    np.testing.assert_allclose(att.base, model.intercept_[0] + model.coef_[0] @ prep.transform(bg).mean(0))


def test_tree_grouping_preserves_row_sums(hgb_ctx):
    engine = _engine(hgb_ctx)
    att = engine.explain(ROWS)
    xt = engine.choice.preprocessor.transform(hgb_ctx.X.iloc[ROWS])
    xt = engine.explainer._rai_codes.encode(xt)  # the exact threshold codes the engine explains with
    ungrouped = np.asarray(engine.explainer.shap_values(xt, check_additivity=False))
    np.testing.assert_allclose(att.values.sum(axis=1), ungrouped.sum(axis=1), atol=1e-9)
    color = [i for i, s in enumerate(engine.choice.mapping.sources) if s == hgb_ctx.features.index("color")]
    np.testing.assert_allclose(
        att.values[:, hgb_ctx.features.index("color")], ungrouped[:, color].sum(axis=1)
    )


def test_unfavourable_class_first_flips_the_sign(frame):
    """With positive_label = classes_[0], the explained output is that class's log-odds."""
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline

    from .conftest import context, fit, onehot_prep

    model = fit(Pipeline([("p", onehot_prep()), ("m", HistGradientBoostingClassifier(max_iter=10))]), frame)
    ctx = context(frame, model, positive_label="no")
    att = _engine(ctx).explain(ROWS)
    assert att.additivity_error.max() < 1e-6
    np.testing.assert_allclose(1 / (1 + np.exp(-att.output)), ctx.y_score[ROWS], atol=1e-9)


def test_forked_workers_give_the_same_values(hgb_ctx, monkeypatch):
    from audits.explain.shap_values import PROCESSES_ENV

    rows = np.arange(hgb_ctx.n_rows)
    monkeypatch.setenv(PROCESSES_ENV, "1")
    serial = _engine(hgb_ctx).explain(rows)
    monkeypatch.setenv(PROCESSES_ENV, "2")
    engine = _engine(hgb_ctx)
    parallel = engine.explain(rows)
    assert engine.processes == 2
    np.testing.assert_array_equal(parallel.values, serial.values)


def test_threshold_codes_keep_every_split_decision(hgb_ctx):
    """The generated data has values equal to HistGradientBoosting thresholds (ties): codes must keep x <= t."""
    engine = _engine(hgb_ctx)
    codes = engine.explainer._rai_codes
    xt = engine.choice.preprocessor.transform(hgb_ctx.X)
    enc = codes.encode(xt)
    for j, t in codes.thresholds.items():
        for k, thr in enumerate(t):
            np.testing.assert_array_equal(xt[:, j] <= thr, enc[:, j] <= k + 0.5)


def test_model_agnostic_values_are_reproducible_and_leave_numpy_alone(hgb_ctx):
    before = np.random.get_state()[1].copy()
    runs = [
        _engine(hgb_ctx, "permutation", background_size=10, max_evals=27).explain(ROWS[:2]).values
        for _ in range(2)
    ]
    np.testing.assert_array_equal(runs[0], runs[1])
    np.testing.assert_array_equal(np.random.get_state()[1], before)
