"""Awkward models and data: no predict_proba, multiclass, regression, unmappable pipelines, empty columns,
a single row, ONNX graphs."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.linear_model import Ridge
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from sklearn.svm import SVC, LinearSVC

from audits.explain import explain_rows, run_explanation
from audits.explain.choose import choose_explainer
from audits.explain.shap_values import ShapEngine
from audits.results import Status

from .conftest import CATEGORICAL, FEATURES, NUMERIC, SAMPLES, context, fit, make_frame, onehot_prep


class Densify(TransformerMixin, BaseEstimator):
    """Imputes numbers with 0 and has no get_feature_names_out."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.nan_to_num(np.asarray(X, dtype=float))


def _run(ctx):
    return run_explanation(ctx, prior={}, progress=lambda f, m: None)


def _codes(res):
    return {f.code for f in res.findings}


def test_linear_model_without_predict_proba_explains_its_margin(frame):
    model = fit(Pipeline([("prep", onehot_prep(scale=True)), ("svm", LinearSVC())]), frame)
    res = _run(context(frame, model, explain_sample_size=100))
    assert res.method["explainer_kind"] == "linear"
    assert res.method["output_space"] == "margin of class 'yes'"
    assert res.method["additivity_max_error"] < 1e-9


def test_nonlinear_model_without_predict_proba_falls_back_on_its_decision_function(frame):
    model = fit(Pipeline([("prep", onehot_prep(scale=True)), ("svm", SVC())]), frame)
    ctx = context(frame, model)
    engine = ShapEngine.build(
        ctx, choose_explainer(ctx.model, ctx.features), background_size=10, max_evals=20
    )
    assert engine.output_space.startswith("decision function of class 'yes'")
    (entry,) = explain_rows(ctx, [3], engine=engine)
    assert entry["output"] == pytest.approx(float(model.decision_function(frame[FEATURES].iloc[[3]])[0]))
    assert entry["base_value"] + sum(entry["contributions"].values()) == pytest.approx(entry["output"])


def test_multiclass_explains_each_rows_predicted_class():
    frame = make_frame(classes=3)
    model = fit(
        Pipeline([("prep", onehot_prep()), ("m", HistGradientBoostingClassifier(max_iter=15))]), frame
    )
    ctx = context(frame, model, explain_sample_size=100)
    res = _run(ctx)
    assert ctx.task == "multiclass"
    assert "predicted class" in res.method["output_space"]
    assert res.method["additivity_max_error"] < 1e-6
    assert res.metrics["group_gap"] == {}  # a gap between groups needs one shared output
    entry = res.metrics["local"][0]
    assert entry["explained_class"] == entry["prediction"]
    assert res.table("by_group:sex") is not None


def test_regression_explains_the_prediction():
    frame = make_frame().assign(label=lambda d: d["x1"] * 2 + (d["sex"] == "M"))
    model = fit(Pipeline([("prep", onehot_prep()), ("m", HistGradientBoostingRegressor(max_iter=20))]), frame)
    res = _run(context(frame, model, explain_sample_size=100))
    assert res.method["output_space"] == "predicted value"
    assert res.method["additivity_max_error"] < 1e-6
    assert any(e["reason"].startswith("largest error (sex = ") for e in res.metrics["local"])
    assert "sex" in res.metrics["group_gap"]


def test_pipeline_without_feature_names_falls_back_with_the_reason_stated(frame):
    prep = ColumnTransformer([("num", Densify(), NUMERIC), ("cat", OneHotEncoder(), CATEGORICAL)])
    model = fit(Pipeline([("prep", prep), ("m", Ridge())]), frame.assign(label=frame["x1"]))
    ctx = context(frame.assign(label=frame["x1"]), model, explainer="kernel")
    choice = choose_explainer(ctx.model, ctx.features)
    assert choice.kind == "permutation"
    assert "get_feature_names_out" in choice.fallback_reason
    # The section with the (faster here) kernel fallback: stated, warned, additive.
    res = _run(context(frame.assign(label=frame["x1"]), model, explainer="kernel", explain_sample_size=4))
    assert res.method["explainer_kind"] == "kernel"
    assert res.status == Status.PASS or res.status == Status.WARN
    assert res.method["additivity_max_error"] < 1e-6


def test_column_missing_in_every_row(hgb_ctx, frame):
    data = frame.assign(x2=np.nan)
    res = _run(context(data, hgb_ctx.model.estimator, explain_sample_size=100))
    assert "EXPLAIN_COLUMN_ALL_MISSING" in _codes(res)
    j = res.table("global_importance").data["feature"].index("x2")
    assert res.table("global_importance").data["mean_abs_shap"][j] >= 0
    if "x2" in res.metrics["beeswarm"]["features"]:
        assert set(res.metrics["beeswarm"]["value"]["x2"]) == {None}
    assert res.method["additivity_max_error"] < 1e-6


def test_single_row_dataset():
    frame = make_frame().assign(label=lambda d: d["x1"] * 2.0)
    model = fit(Pipeline([("prep", onehot_prep()), ("m", Ridge())]), frame)
    ctx = context(frame.iloc[:1], model, task="regression")
    res = _run(ctx)
    assert res.method["sample_size"] == 1
    assert res.table("global_importance").data["ci_low"] == [None] * len(FEATURES)
    # The only background row is the explained row itself: every attribution is zero, and additive.
    assert res.table("global_importance").data["mean_abs_shap"] == [0.0] * len(FEATURES)
    assert res.metrics["group_gap"] == {}
    assert res.method["additivity_max_error"] < 1e-9


@pytest.fixture(scope="module")
def onnx_ctx():
    from audits import AuditConfig, build_context, load_dataset, load_model

    d = SAMPLES / "adult"
    cfg = AuditConfig.from_yaml(d / "audit.yaml")
    return build_context(
        load_dataset(d / "adult_test.csv"), config=cfg, model=load_model(d / "adult_logreg.onnx")
    )


def test_onnx_model_is_explained_on_string_columns(onnx_ctx):
    ctx = onnx_ctx
    engine = ShapEngine.build(ctx, choose_explainer(ctx.model, ctx.features), background_size=5, max_evals=25)
    entries = explain_rows(ctx, [0, 1], engine=engine)
    for e in entries:
        assert e["output"] == pytest.approx(ctx.y_score[e["row"]], abs=1e-6)
        assert e["base_value"] + sum(e["contributions"].values()) == pytest.approx(e["output"], abs=1e-9)
        assert isinstance(e["values"]["workclass"], str)


def test_fallback_section_states_its_estimate_before_it_starts(onnx_ctx):
    from audits.context import build_context

    ctx = build_context(
        onnx_ctx.data_info, config=onnx_ctx.config.replace(explain_time_budget_s=2.0), model=onnx_ctx.model
    )
    messages = []
    res = run_explanation(ctx, prior={}, progress=lambda f, m: messages.append(m))
    estimate = next(i for i, m in enumerate(messages) if "(estimated)" in m)
    first_rows = next(i for i, m in enumerate(messages) if "rows" in m and "(estimated)" not in m)
    assert estimate < first_rows
    assert res.status == Status.WARN
    assert "EXPLAIN_FALLBACK" in _codes(res)
    assert res.method["estimated_seconds"] is not None
    assert 1 <= res.method["sample_size"] <= 300
    assert res.method["additivity_max_error"] < 1e-9
    assert res.method["output_space"] == "probability of class '>50K'"
