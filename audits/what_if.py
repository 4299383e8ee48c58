"""What-if: change some values of one audited row and see the model's new prediction and its SHAP values.

The explainer is the one the explanation section uses (a built :class:`~audits.explain.ShapEngine`, kept by the
caller between edits), so an edit costs one prediction and one explained row: milliseconds for tree and linear
models. A model-agnostic explainer (permutation, kernel) evaluates the model hundreds of times per row; its cost is
stated beforehand by :func:`explain_estimate_s` and the caller may choose to compute the prediction alone.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audits.errors import AuditInputError
from audits.jsonsafe import json_safe

if TYPE_CHECKING:
    from audits.context import AuditContext
    from audits.explain.shap_values import ShapEngine

MAX_CHOICES = 200  # categories offered for a categorical feature (most frequent first)
FAST_KINDS = ("tree", "linear")


def _is_numeric(s: pd.Series) -> bool:
    return pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)


def editable_features(ctx: AuditContext) -> list[dict[str, Any]]:
    """How each feature may be edited: ``numeric`` (min, max, integer) or ``categorical`` (the values seen in the
    audited data, most frequent first, at most 200)."""
    out = []
    for name in ctx.features:
        s = ctx.X[name]
        if _is_numeric(s):
            v = s.to_numpy(dtype=float, na_value=np.nan)
            finite = v[np.isfinite(v)]
            out.append(
                {
                    "feature": name,
                    "kind": "numeric",
                    "min": float(finite.min()) if len(finite) else None,
                    "max": float(finite.max()) if len(finite) else None,
                    "integer": bool(pd.api.types.is_integer_dtype(s))
                    or bool(len(finite) and np.all(np.mod(finite, 1) == 0)),
                }
            )
        else:
            counts = s.astype(object).value_counts(dropna=True)
            out.append(
                {
                    "feature": name,
                    "kind": "categorical",
                    "choices": [json_safe(c) for c in counts.index[:MAX_CHOICES]],
                    "n_values": int(len(counts)),
                }
            )
    return out


def _check_row(ctx: AuditContext, row: int) -> int:
    if not 0 <= int(row) < ctx.n_rows:
        raise AuditInputError(
            f"what-if row {row} is outside the audited data (rows 0 to {ctx.n_rows - 1}). Choose a row position "
            "in that range."
        )
    return int(row)


def edited_row(ctx: AuditContext, row: int, changes: Mapping[str, Any]) -> pd.DataFrame:
    """Row ``row`` of the audited features as a one-row frame with ``changes`` applied (dtypes kept).

    Raises
    ------
    AuditInputError : a changed key is not a model feature, a numeric feature gets a non-number, an integer
        feature gets a fraction, or a categorical feature gets a value never seen in the audited data.
    """
    X = ctx.X.iloc[[_check_row(ctx, row)]].copy()
    kinds = {f["feature"]: f for f in editable_features(ctx)} if changes else {}
    for key, value in changes.items():
        if key not in kinds:
            raise AuditInputError(
                f"what-if: '{key}' is not a feature of the model. Change one of: {', '.join(ctx.features)}."
            )
        spec = kinds[key]
        if spec["kind"] == "numeric":
            if value is None or (isinstance(value, float) and math.isnan(value)):
                X[key] = X[key].astype(float)
                X.iloc[0, X.columns.get_loc(key)] = np.nan
                continue
            try:
                number = float(value)
            except (TypeError, ValueError):
                raise AuditInputError(
                    f"what-if: feature '{key}' is numeric; {value!r} is not a number. Enter a number."
                ) from None
            if pd.api.types.is_integer_dtype(X[key]):
                if not number.is_integer():
                    raise AuditInputError(
                        f"what-if: feature '{key}' holds whole numbers; {value!r} is not one. Enter a whole number."
                    )
                X[key] = np.asarray([int(number)], dtype=X[key].dtype)
            else:
                X[key] = np.asarray([number], dtype=X[key].dtype)
        else:
            seen = ctx.X[key].astype(object)
            match = next((v for v in spec["choices"] if str(v) == str(value)), None)
            if match is None and not (seen.astype(str) == str(value)).any():
                raise AuditInputError(
                    f"what-if: feature '{key}' never takes the value {value!r} in the audited data. Choose one of "
                    f"its values (e.g. {', '.join(map(str, spec['choices'][:5]))})."
                )
            original = seen[seen.astype(str) == str(value)].iloc[0] if match is None else match
            X[key] = pd.Series([original], index=X.index).astype(X[key].dtype)
    return X


def _predict(ctx: AuditContext, X: pd.DataFrame) -> tuple[Any, float | None]:
    """The model's own label for the row and, for a binary classifier with probabilities, the positive class's."""
    from threadpoolctl import threadpool_limits

    model = ctx.model
    # One row: OpenMP threads (HistGradientBoosting) cost more to wake than the prediction itself.
    with threadpool_limits(limits=1, user_api="openmp"):
        labels, proba = model.predict_both(X)
    label = np.asarray(labels).ravel()[0]
    score = None
    if ctx.task == "binary" and proba is not None:
        classes = [str(c) for c in (model.classes if model.classes is not None else ctx.classes)]
        j = classes.index(ctx.positive_label_str) if ctx.positive_label_str in classes else proba.shape[1] - 1
        score = float(proba[0, j])
    return label, score


def explain_estimate_s(engine: ShapEngine) -> float:
    """Seconds one explained row takes with this engine: measured once for a model-agnostic explainer (its first
    call compiles shap's masker, which is paid here, not counted), a few milliseconds otherwise."""
    if engine.choice.kind in FAST_KINDS:
        return 0.01
    if engine.seconds_per_row is None:
        engine.calibrate()
    return float(engine.seconds_per_row or 0.0)


def _shap_one(engine: ShapEngine, X: pd.DataFrame, label: Any) -> tuple[np.ndarray, float, float]:
    """SHAP values (raw columns), base value and explained output of one edited row."""
    from threadpoolctl import threadpool_limits

    ctx = engine.ctx
    t0 = time.perf_counter()
    quiet = lambda fraction, message: None  # noqa: E731 (one row: no progress to report)
    with threadpool_limits(limits=1, user_api="openmp"), warnings.catch_warnings():
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        if engine.choice.model_agnostic:
            values, base, output = engine._explain_agnostic(X, progress=quiet, budget_s=None, t0=t0)
        else:
            values, base, output = engine._explain_fast(X, progress=quiet, budget_s=None, t0=t0)
    if values.ndim == 3 and ctx.task == "multiclass":
        # the explained class is the edited row's own prediction, not the audited row's
        classes = [str(c) for c in (ctx.model.classes if ctx.model.classes is not None else ctx.classes)]
        k = classes.index(str(label)) if str(label) in classes else 0
        base = np.asarray(base, dtype=float)
        b = base.reshape(-1)[k] if base.ndim <= 1 else base[0, k]
        out = np.asarray(output, dtype=float)
        o = out[0, k] if out.ndim == 2 else out.reshape(-1)[0]
        v = values[0, :, k]
    else:
        v2, b2, o2, _ = engine._select(values, base, output, np.zeros(len(values), dtype=int))
        v, b, o = v2[0], b2[0], o2[0]
    grouped = engine.choice.mapping.group(np.asarray(v, dtype=float)[None, :])[0]
    return grouped, float(b), float(o)


def probability_of(output: float, space: str) -> float | None:
    """The probability a log-odds output stands for (logistic function); None in any other space."""
    if "log-odds" not in space:
        return None
    return float(1.0 / (1.0 + math.exp(-output))) if output > -700 else 0.0


def what_if(
    ctx: AuditContext,
    row: int,
    changes: Mapping[str, Any],
    *,
    engine: ShapEngine | None = None,
    explain: bool = True,
) -> dict[str, Any]:
    """The model's prediction for row ``row`` with ``changes`` applied, and (``explain``) its SHAP values.

    Parameters
    ----------
    ctx : the audit context (with a model).
    row : position of the row in the audited data.
    changes : ``{feature: new value}``; other features keep the row's values.
    engine : the explanation section's built :class:`ShapEngine` (reused; built here when missing).
    explain : False gives the prediction alone (for a model-agnostic explainer the caller has not asked to run).

    Returns
    -------
    dict
        ``row``, ``changed`` (features whose value differs from the row's), ``values`` (the edited row),
        ``prediction`` (``model.predict``), ``score`` (probability of the positive class, binary), ``seconds``;
        with ``explain``: ``contributions`` (SHAP per feature), ``base_value``, ``output`` (their sum with the
        base value), ``output_space``, ``probability`` (beside log-odds), ``explainer`` and ``additivity_error``.

    Raises
    ------
    AuditInputError : no model, a row outside the data, or an invalid change (see :func:`edited_row`).
    """
    if ctx.model is None:
        raise AuditInputError("what-if needs the model: this audit has predictions only. Upload the model.")
    t0 = time.perf_counter()
    X = edited_row(ctx, row, changes)
    original = ctx.X.iloc[int(row)]
    changed = [f for f in ctx.features if str(X.iloc[0][f]) != str(original[f])]
    label, score = _predict(ctx, X)
    out: dict[str, Any] = {
        "row": int(row),
        "changed": changed,
        "values": {f: json_safe(v) for f, v in zip(ctx.features, X.iloc[0].tolist(), strict=True)},
        "prediction": json_safe(label),
        "score": score,
    }
    if ctx.threshold is not None and score is not None:
        out["decision_at_threshold"] = bool(score >= ctx.threshold)
        out["threshold"] = float(ctx.threshold)
    if explain:
        if engine is None:
            from audits.explain import ShapEngine, choose_explainer

            engine = ShapEngine.build(
                ctx, choose_explainer(ctx.model, ctx.features, override=ctx.config.explainer)
            )
        values, base, output = _shap_one(engine, X, label)
        out.update(
            contributions={f: float(v) for f, v in zip(ctx.features, values, strict=True)},
            base_value=base,
            output=output,
            output_space=engine.output_space,
            probability=probability_of(output, engine.output_space),
            explainer=engine.method_name,
            additivity_error=float(abs(values.sum() + base - output)),
        )
    out["seconds"] = time.perf_counter() - t0
    return out
