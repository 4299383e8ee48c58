"""Which SHAP explainer to use for a model, automatically or as configured, and why.

Tree ensembles get Tree SHAP (interventional, with a background sample), linear models Linear SHAP, and anything
else (ONNX graphs, SVMs, neural nets, models whose preprocessing cannot be mapped) a capped model-agnostic
explainer on the raw columns. The choice and its reason are stated in the result.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from audits.explain.mapping import FeatureMapping, MappingUnavailable, map_preprocessor

EXPLAINERS = ("auto", "tree", "linear", "permutation", "kernel")

# Fully-qualified class names shap's TreeExplainer reads (checked by name: xgboost/lightgbm may be absent).
TREE_MODELS = (
    "sklearn.ensemble._forest.RandomForestClassifier",
    "sklearn.ensemble._forest.RandomForestRegressor",
    "sklearn.ensemble._forest.ExtraTreesClassifier",
    "sklearn.ensemble._forest.ExtraTreesRegressor",
    "sklearn.ensemble._gb.GradientBoostingClassifier",
    "sklearn.ensemble._gb.GradientBoostingRegressor",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingClassifier",
    "sklearn.ensemble._hist_gradient_boosting.gradient_boosting.HistGradientBoostingRegressor",
    "sklearn.tree._classes.DecisionTreeClassifier",
    "sklearn.tree._classes.DecisionTreeRegressor",
    "sklearn.tree._classes.ExtraTreeClassifier",
    "sklearn.tree._classes.ExtraTreeRegressor",
    "xgboost.sklearn.XGBClassifier",
    "xgboost.sklearn.XGBRegressor",
    "xgboost.core.Booster",
    "lightgbm.sklearn.LGBMClassifier",
    "lightgbm.sklearn.LGBMRegressor",
    "lightgbm.basic.Booster",
)

# Linear models whose output (decision function or prediction) is coef_ @ x + intercept_.
LINEAR_MODELS = (
    "sklearn.linear_model._logistic.LogisticRegression",
    "sklearn.linear_model._logistic.LogisticRegressionCV",
    "sklearn.linear_model._base.LinearRegression",
    "sklearn.linear_model._ridge.Ridge",
    "sklearn.linear_model._ridge.RidgeCV",
    "sklearn.linear_model._ridge.RidgeClassifier",
    "sklearn.linear_model._coordinate_descent.Lasso",
    "sklearn.linear_model._coordinate_descent.LassoCV",
    "sklearn.linear_model._coordinate_descent.ElasticNet",
    "sklearn.linear_model._coordinate_descent.ElasticNetCV",
    "sklearn.linear_model._stochastic_gradient.SGDClassifier",
    "sklearn.linear_model._stochastic_gradient.SGDRegressor",
    "sklearn.linear_model._bayes.BayesianRidge",
    "sklearn.linear_model._huber.HuberRegressor",
    "sklearn.svm._classes.LinearSVC",
    "sklearn.svm._classes.LinearSVR",
)

UNKNOWN_EXPLAINER = "config: 'explainer' must be one of {known}; got {got!r}."


def _lineage(est: Any) -> set[str]:
    """Qualified names of the estimator's class and its bases (a subclass of a supported model is supported)."""
    return {f"{c.__module__}.{c.__qualname__}" for c in type(est).__mro__}


def is_tree_model(est: Any) -> bool:
    return bool(_lineage(est) & set(TREE_MODELS))


def is_linear_model(est: Any) -> bool:
    return bool(_lineage(est) & set(LINEAR_MODELS)) and hasattr(est, "coef_")


def has_native_categories(est: Any) -> bool:
    """HistGradientBoosting with native categorical splits: shap's Tree SHAP does not add up for them."""
    cats = getattr(est, "is_categorical_", None)
    return cats is not None and bool(getattr(cats, "any", lambda: False)())


@dataclass(frozen=True)
class ExplainerChoice:
    """The explainer to use and how the model splits into preprocessing and final estimator.

    Attributes
    ----------
    kind : ``tree``, ``linear``, ``permutation`` or ``kernel``.
    estimator : the final estimator explained by tree/linear explainers (None for model-agnostic ones).
    preprocessor : the pipeline steps before it (None when the model has none).
    mapping : transformed -> raw columns (identity when there is no preprocessing).
    reason : why this explainer (plain language).
    fallback_reason : why the preferred fast explainer could not be used, if that happened.
    """

    kind: str
    estimator: Any
    preprocessor: Any
    mapping: FeatureMapping
    reason: str
    fallback_reason: str | None = None

    @property
    def model_agnostic(self) -> bool:
        return self.kind in ("permutation", "kernel")


def _split_pipeline(est: Any) -> tuple[Any, Any]:
    steps = getattr(est, "steps", None)
    if not steps:
        return None, est
    final = steps[-1][1]
    if len(steps) == 1:
        return None, final
    return est[:-1], final


def choose_explainer(model: Any, features: tuple[str, ...], *, override: str = "auto") -> ExplainerChoice:
    """Pick the explainer for a :class:`~audits.inputs.ModelAdapter`.

    Parameters
    ----------
    model : the model adapter (``kind`` "sklearn" or "onnx").
    features : the raw columns the model reads, in order.
    override : ``auto``, or force ``tree``, ``linear``, ``permutation`` or ``kernel``. A forced fast explainer
        that does not fit the model falls back to the permutation explainer, with the reason stated.
    """
    if override not in EXPLAINERS:
        raise ValueError(UNKNOWN_EXPLAINER.format(known=", ".join(EXPLAINERS), got=override))
    identity = FeatureMapping.identity(features)
    if override in ("permutation", "kernel"):
        return ExplainerChoice(override, None, None, identity, f"{override} explainer, as configured")
    if model.kind != "sklearn" or model.estimator is None:
        return ExplainerChoice(
            "permutation",
            None,
            None,
            identity,
            f"model-agnostic: a {model.kind.upper()} model exposes only its predictions",
            fallback_reason=f"{model.kind.upper()} models cannot be read by Tree or Linear SHAP",
        )
    preprocessor, final = _split_pipeline(model.estimator)
    wanted = override
    if wanted == "auto":
        wanted = "tree" if is_tree_model(final) else "linear" if is_linear_model(final) else None
    fallback: str | None = None
    if wanted is None:
        fallback = f"{type(final).__name__} is neither a tree ensemble nor a linear model"
    elif wanted == "tree" and not is_tree_model(final):
        fallback = f"explainer 'tree' was configured but {type(final).__name__} is not a supported tree model"
    elif wanted == "linear" and not is_linear_model(final):
        fallback = f"explainer 'linear' was configured but {type(final).__name__} is not a linear model"
    elif wanted == "tree" and has_native_categories(final):
        fallback = (
            "HistGradientBoosting with native categorical features: shap's Tree SHAP values do not add up "
            "for categorical splits"
        )
    mapping = identity
    if fallback is None and preprocessor is not None:
        try:
            mapping = map_preprocessor(preprocessor, features)
        except MappingUnavailable as exc:
            fallback = f"the preprocessing cannot be mapped to raw columns: {exc}"
    if fallback is not None:
        return ExplainerChoice(
            "permutation",
            None,
            None,
            identity,
            "model-agnostic permutation explainer on the raw columns (capped)",
            fallback_reason=fallback,
        )
    reason = (
        f"Tree SHAP for the tree ensemble {type(final).__name__}"
        if wanted == "tree"
        else f"Linear SHAP for the linear model {type(final).__name__}"
    )
    if override != "auto":
        reason += ", as configured"
    return ExplainerChoice(wanted, final, preprocessor, mapping, reason)
