"""Explainer choice: automatic, overridden, and the fallbacks with their stated reasons."""

from __future__ import annotations

import pytest
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OrdinalEncoder

from audits.explain.choose import UNKNOWN_EXPLAINER, choose_explainer
from audits.inputs import adapt_estimator, load_model

from .conftest import FEATURES, SAMPLES, fit, onehot_prep


def test_tree_pipeline_gets_tree_shap(hgb_ctx):
    choice = choose_explainer(hgb_ctx.model, hgb_ctx.features)
    assert choice.kind == "tree"
    assert choice.fallback_reason is None
    assert type(choice.estimator).__name__ == "HistGradientBoostingClassifier"
    assert choice.mapping.expanded() == {"color": 3, "sex": 2}


def test_linear_pipeline_gets_linear_shap(logreg_ctx):
    choice = choose_explainer(logreg_ctx.model, logreg_ctx.features)
    assert choice.kind == "linear"
    assert "LogisticRegression" in choice.reason


def test_other_models_fall_back_to_permutation(frame):
    model = fit(Pipeline([("prep", onehot_prep()), ("knn", KNeighborsClassifier())]), frame)
    choice = choose_explainer(adapt_estimator(model), tuple(FEATURES))
    assert choice.kind == "permutation"
    assert "KNeighborsClassifier" in choice.fallback_reason


def test_onnx_model_falls_back_to_permutation():
    adapter = load_model(SAMPLES / "adult" / "adult_logreg.onnx")
    choice = choose_explainer(adapter, tuple(adapter.feature_names))
    assert choice.model_agnostic
    assert "ONNX" in choice.fallback_reason


def test_native_categorical_hgb_is_detected(frame):
    # shap's Tree SHAP does not add up for HistGradientBoosting's categorical splits.
    hgb = HistGradientBoostingClassifier(categorical_features=[2, 3], max_iter=10, random_state=0)
    model = fit(Pipeline([("enc", OrdinalEncoder(encoded_missing_value=-1)), ("model", hgb)]), frame)
    choice = choose_explainer(adapt_estimator(model), tuple(FEATURES))
    assert choice.kind == "permutation"
    assert "native categorical" in choice.fallback_reason


def test_override_forces_model_agnostic(logreg_ctx):
    choice = choose_explainer(logreg_ctx.model, logreg_ctx.features, override="kernel")
    assert choice.kind == "kernel"
    assert choice.fallback_reason is None
    assert "as configured" in choice.reason


def test_override_that_does_not_fit_falls_back_with_reason(logreg_ctx):
    choice = choose_explainer(logreg_ctx.model, logreg_ctx.features, override="tree")
    assert choice.kind == "permutation"
    assert "not a supported tree model" in choice.fallback_reason


def test_unknown_override_is_refused(logreg_ctx):
    with pytest.raises(ValueError, match="must be one of") as info:
        choose_explainer(logreg_ctx.model, logreg_ctx.features, override="deep")
    assert str(info.value) == UNKNOWN_EXPLAINER.format(
        known="auto, tree, linear, permutation, kernel", got="deep"
    )


def test_model_shap_cannot_read_falls_back_when_the_explainer_is_built(logreg_ctx, monkeypatch):
    import shap

    from audits.explain.shap_values import ShapEngine

    def refuse(*args, **kwargs):
        raise RuntimeError("unsupported model layout")

    monkeypatch.setattr(
        shap, "LinearExplainer", refuse
    )  # a failure path only; the main path is tested for real
    engine = ShapEngine.build(logreg_ctx, choose_explainer(logreg_ctx.model, logreg_ctx.features))
    assert engine.choice.kind == "permutation"
    assert "unsupported model layout" in engine.choice.fallback_reason
