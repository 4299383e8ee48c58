"""Local explanations: one row's SHAP values, for rows a user asks about and a few chosen automatically.

Automatic rows: the highest and the lowest score, and for each protected group the misclassified row the model
was most confident about (for regression, the row with the largest error).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from audits.context import AuditContext
from audits.explain.shap_values import Attributions, ShapEngine
from audits.group_labels import as_str_array
from audits.jsonsafe import json_safe

MAX_GROUPS_PER_COLUMN = 4
NO_MODEL = "no model was given; SHAP needs the model"
ROW_OUT_OF_RANGE = "Row {row} is outside the data (0 to {last}). Give positions in the audited dataset."


def _row_score(ctx: AuditContext) -> np.ndarray | None:
    if ctx.task == "binary":
        return None if ctx.y_score is None else np.asarray(ctx.y_score, dtype=float)
    if ctx.task == "regression":
        return np.asarray(ctx.y_pred, dtype=float)
    if ctx.y_score is None:
        return None
    return np.asarray(ctx.y_score)[np.arange(ctx.n_rows), np.asarray(ctx.y_pred)]


def choose_rows(ctx: AuditContext) -> list[tuple[int, str]]:
    """(row, reason) pairs explained automatically; each row once, with its first reason."""
    picks: list[tuple[int, str]] = []
    score = _row_score(ctx)
    if score is not None and len(score):
        picks += [(int(np.argmax(score)), "highest score"), (int(np.argmin(score)), "lowest score")]
    if ctx.task == "regression":
        err = np.abs(np.asarray(ctx.y_pred, float) - np.asarray(ctx.y_true, float))
        wrong = np.ones(len(err), dtype=bool)
        reason = "largest error ({col} = {g})"
    else:
        wrong = np.asarray(ctx.y_pred) != np.asarray(ctx.y_true)
        if ctx.task == "binary" and ctx.y_score is not None:
            err = np.abs(np.asarray(ctx.y_score, float) - np.asarray(ctx.y_true, float))
        elif score is not None:
            err = score
        else:
            err = np.zeros(len(wrong))
        reason = "misclassified ({col} = {g})"
    for col in ctx.protected_columns:
        groups = as_str_array(ctx.sensitive[col])
        for g in pd.Series(groups).value_counts().index[:MAX_GROUPS_PER_COLUMN]:
            cand = np.flatnonzero((groups == g) & wrong)
            if len(cand):
                picks.append((int(cand[np.argmax(err[cand])]), reason.format(col=col, g=g)))
    seen: set[int] = set()
    out = []
    for row, why in picks:
        if row not in seen:
            seen.add(row)
            out.append((row, why))
    return out


def local_entries(ctx: AuditContext, att: Attributions, reasons: Sequence[str]) -> list[dict[str, Any]]:
    """The ``metrics["local"]`` dicts for explained rows."""
    out = []
    feats = list(ctx.features)
    for i, (row, reason) in enumerate(zip(att.rows, reasons, strict=True)):
        row = int(row)
        entry: dict[str, Any] = {
            "row": row,
            "reason": reason,
            "base_value": float(att.base[i]),
            "output": float(att.output[i]),
            "prediction": json_safe(ctx.y_pred_labels[row]),
            "label": json_safe(ctx.y.iloc[row]),
            "contributions": {f: float(v) for f, v in zip(feats, att.values[i], strict=True)},
            "values": {f: json_safe(v) for f, v in zip(feats, ctx.X.iloc[row].tolist(), strict=True)},
            "additivity_error": float(att.additivity_error[i]),
        }
        if att.explained_class is not None:
            entry["explained_class"] = att.explained_class[i]
        out.append(entry)
    return out


def explain_rows(
    ctx: AuditContext,
    rows: Sequence[int],
    *,
    engine: ShapEngine | None = None,
    reason: str = "requested",
) -> list[dict[str, Any]]:
    """Explain chosen rows of the audited data.

    Parameters
    ----------
    ctx : the audit context (with a model).
    rows : positions in ``ctx.data`` (0-based).
    engine : a built :class:`ShapEngine` to reuse; by default one is built with the configured explainer.
    reason : the ``reason`` recorded in each entry.

    Returns
    -------
    list of dict
        Shaped like ``metrics["local"]`` entries of the explanation section.

    Raises
    ------
    ValueError : when the context has no model or a row is outside the data.
    """
    if ctx.model is None:
        raise ValueError(NO_MODEL)
    positions = [int(r) for r in rows]
    for r in positions:
        if not 0 <= r < ctx.n_rows:
            raise ValueError(ROW_OUT_OF_RANGE.format(row=r, last=ctx.n_rows - 1))
    if not positions:
        return []
    if engine is None:
        from audits.explain.choose import choose_explainer

        engine = ShapEngine.build(
            ctx, choose_explainer(ctx.model, ctx.features, override=ctx.config.explainer)
        )
    att = engine.explain(np.asarray(positions))
    return local_entries(ctx, att, [reason] * len(positions))
