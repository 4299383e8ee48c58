"""Fairness verdicts at another decision threshold, from the section's stored threshold curves.

The dashboard's threshold slider asks "what would the verdicts be at t?": the rates come from the curves the
fairness section stored, the group sizes from its group table, and the verdict from the audit's own rule
(:func:`audits.fairness.reference.compare_to_reference`), so a page never re-implements eligibility or tests.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from audits.fairness import reference as R
from audits.fairness import verdicts as V

THRESHOLD_METRICS = {"selection_rate": "count", "tpr": "positives", "fpr": "negatives"}


def verdicts_at_threshold(
    curves: Mapping[str, Any],
    groups: Mapping[str, Sequence[Any]],
    threshold: float,
    *,
    attribute: str,
    reference: str,
    method: Mapping[str, Any],
) -> tuple[float, list[dict[str, Any]], list[dict[str, Any]]]:
    """Verdicts of selection rate, TPR and FPR at the stored threshold nearest ``threshold``.

    The rates come from the section's threshold curves, their sizes from its group table (rows, positives,
    negatives), and the verdicts from the audit's own rule (:func:`audits.fairness.reference.compare_to_reference`:
    each group against the reference group, Holm-adjusted FAIL, PASS when every interval lies within the
    tolerance); groups below the minimum size or events take no part, as in the audit.

    Returns ``(threshold used, one verdict row per metric, one row per group and metric)``.
    """
    ths = [float(t) for t in curves.get("thresholds") or []]
    if not ths:
        return float(threshold), [], []
    i = min(range(len(ths)), key=lambda k: abs(ths[k] - float(threshold)))
    names = [str(g) for g in dict(curves.get("groups") or {})]
    index = {str(g): k for k, g in enumerate(groups.get("group", []))}
    if reference not in names:
        return ths[i], [], []

    def col(name: str) -> list[float]:
        values = groups.get(name) or [None] * len(index)
        return [float(values[index[g]] or 0) if g in index else 0.0 for g in names]

    size, pos, neg = np.array(col("count")), np.array(col("positives")), np.array(col("negatives"))
    min_size = float(method.get("min_group_size") or 0)
    min_events = float(method.get("min_group_events") or 0)
    big = size >= min_size
    events = big & (pos >= min_events) & (neg >= min_events)
    level = float(method.get("confidence_level") or 0.95)
    verdicts, per_group = [], []
    for metric, n_key in THRESHOLD_METRICS.items():
        p = np.array(
            [np.nan if (v := _at(curves["groups"][g].get(metric), i)) is None else v for g in names],
            dtype=float,
        )
        n = {"count": size, "positives": pos, "negatives": neg}[n_key]
        eligible = big if metric == "selection_rate" else events

        def label(kind: str, tol: float, m: str = metric) -> str:
            return V.ratio_label(m, tol) if kind == "ratio" else V.difference_label(tol)

        fam = R.compare_to_reference(
            attribute,
            metric,
            tuple(names),
            p,
            n,
            eligible,
            names.index(reference),
            level=level,
            diff_tol=_float_or_none(method.get("difference_tolerance")),
            ratio_tol=_float_or_none(method.get("ratio_tolerance")),
            label=label,
        )
        verdicts.append({**fam.verdict_row, "threshold": ths[i]})
        per_group += fam.rows
    return ths[i], verdicts, per_group


def _at(values: Any, i: int) -> float | None:
    if not isinstance(values, Sequence) or i >= len(values):
        return None
    v = values[i]
    return float(v) if isinstance(v, int | float) and not isinstance(v, bool) and np.isfinite(v) else None


def _float_or_none(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None
