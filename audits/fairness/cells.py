"""Group and overall metric values with their intervals: score intervals for rates (Wilson; balanced accuracy:
MOVER on its two rates), DeLong for ROC AUC, BCa bootstrap intervals for the regression metrics; none for the KS
distance (a sup statistic, described only)."""

from __future__ import annotations

from typing import Any

import numpy as np

from audits.fairness.compute import ColumnStats
from audits.fairness.metrics import reason_for
from audits.intervals import mover_mean, wilson
from audits.stats import value_or_none


def rate_interval(cs: ColumnStats, m: str, level: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Score interval of a rate metric per group (balanced accuracy: MOVER on its two rates); None otherwise."""
    if m in cs.rates:
        return wilson(*cs.rates[m], level)
    if m == "balanced_accuracy" and "tpr" in cs.rates:
        _, lo, hi = mover_mean([cs.rates["tpr"], cs.rates["tnr"]], level)
        return lo, hi
    return None


def metric_cells(cs: ColumnStats, level: float) -> dict[str, dict[str, list]]:
    """Per metric: value, ci_low, ci_high lists over groups (None where undefined)."""
    out = {}
    for m in cs.metric_names:
        mv = cs.values[m]
        bounds = rate_interval(cs, m, level)
        lo, hi = bounds if bounds is not None else mv.group_interval(level)
        vals = [value_or_none(v) for v in mv.point]
        out[m] = {
            "value": vals,
            "ci_low": [None if v is None else value_or_none(x) for v, x in zip(vals, lo, strict=True)],
            "ci_high": [None if v is None else value_or_none(x) for v, x in zip(vals, hi, strict=True)],
        }
    return out


def overall_cells(cs: ColumnStats, level: float) -> dict[str, Any]:
    """Overall value of every metric with its interval (the same methods as the groups')."""
    out: dict[str, Any] = {}
    for m in cs.metric_names:
        mv = cs.values[m]
        v = value_or_none(mv.overall)
        if m in cs.overall_rates:
            lo, hi = wilson(*cs.overall_rates[m], level)
        elif m == "balanced_accuracy" and "tpr" in cs.overall_rates:
            _, lo, hi = mover_mean([cs.overall_rates["tpr"], cs.overall_rates["tnr"]], level)
        else:
            lo, hi = mv.overall_interval(level)
        out[m] = {
            "value": v,
            "ci_low": None if v is None else value_or_none(lo),
            "ci_high": None if v is None else value_or_none(hi),
        }
        if v is None:
            out[m]["reason"] = reason_for(m).replace("this group", "the data")
    return out
