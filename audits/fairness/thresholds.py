"""Threshold analysis: per-group selection rate, TPR and FPR as functions of the decision threshold.

Curves come from each group's sorted scores (one sort per group, then a binary search per threshold), so a
101-point grid costs about as much as sorting the scores once. Decision rule: positive when score >= t.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audits.stats import safe_div

N_THRESHOLDS = 101
CALIBRATION_BINS = 10


def decimal_grid(n_points: int) -> np.ndarray:
    """``n_points`` evenly spaced values from 0 to 1 with exact decimal values (0.3, not 0.30000000000000004).

    ``linspace`` gives 0.30000000000000004 for 3/10, which would put a score of 0.3 below the edge.
    """
    return np.round(np.linspace(0.0, 1.0, n_points), 12)


def _rate_at_least(sorted_scores: np.ndarray, weights: np.ndarray, grid: np.ndarray) -> np.ndarray:
    """Weighted share of the (ascending) scores >= each threshold of ``grid``; NaN when there is no weight."""
    before = np.concatenate([[0.0], np.cumsum(weights)])
    total = before[-1]
    below = before[np.searchsorted(sorted_scores, grid, side="left")]
    return safe_div(total - below, np.full_like(grid, total))


def threshold_curves(
    names: tuple[str, ...],
    sorted_scores: np.ndarray,
    sorted_y: np.ndarray,
    sorted_w: np.ndarray | None,
    bounds: np.ndarray,
    *,
    n_thresholds: int = N_THRESHOLDS,
) -> dict[str, Any]:
    """``{"thresholds": [...], "groups": {group: {"selection_rate", "tpr", "fpr", "count"}}}``.

    Rows come grouped (group ``j`` is ``bounds[j]:bounds[j+1]``) and sorted by score within each group.
    """
    grid = decimal_grid(n_thresholds)
    w = np.ones(len(sorted_scores)) if sorted_w is None else np.asarray(sorted_w, dtype=float)
    yt = np.asarray(sorted_y).astype(bool)
    out: dict[str, Any] = {"thresholds": grid.tolist(), "rule": "positive when score >= threshold"}
    per_group: dict[str, Any] = {}
    for j, name in enumerate(names):
        lo, hi = int(bounds[j]), int(bounds[j + 1])
        s, wj, yj = sorted_scores[lo:hi], w[lo:hi], yt[lo:hi]
        per_group[name] = {
            "selection_rate": _rate_at_least(s, wj, grid).tolist(),
            "tpr": _rate_at_least(s[yj], wj[yj], grid).tolist(),
            "fpr": _rate_at_least(s[~yj], wj[~yj], grid).tolist(),
            "count": hi - lo,
        }
    out["groups"] = per_group
    return out


def threshold_agreement(y_pred: np.ndarray, score: np.ndarray, threshold: float | None) -> dict[str, Any]:
    """How well ``score >= threshold`` (and ``score > threshold``) reproduce the model's own predictions."""
    if threshold is None:
        return {"threshold": None}
    yp = np.asarray(y_pred).astype(bool)
    ge = float(np.mean((score >= threshold) == yp)) if len(yp) else None
    gt = float(np.mean((score > threshold) == yp)) if len(yp) else None
    return {"threshold": float(threshold), "agreement_ge": ge, "agreement_gt": gt}


def calibration_by_group(
    names: tuple[str, ...],
    sorted_scores: np.ndarray,
    sorted_y: np.ndarray,
    sorted_w: np.ndarray | None,
    bounds: np.ndarray,
    *,
    n_bins: int = CALIBRATION_BINS,
) -> dict[str, Any]:
    """Mean score against observed positive rate per equal-width score bin, for each group.

    Bins are closed on the left with exact decimal edges: a score of 0.3 lands in 0.3–0.4 (1.0 in the last bin).

    ``{"edges": [...], "groups": {group: {"count", "mean_score", "observed_rate"}}}``; empty bins are None.
    """
    edges = decimal_grid(n_bins + 1)
    w = np.ones(len(sorted_scores)) if sorted_w is None else np.asarray(sorted_w, dtype=float)
    y = np.asarray(sorted_y, dtype=float)
    per_group: dict[str, Any] = {}
    for j, name in enumerate(names):
        lo, hi = int(bounds[j]), int(bounds[j + 1])
        s, wj, yj = sorted_scores[lo:hi], w[lo:hi], y[lo:hi]
        idx = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, n_bins - 1)
        wsum = np.bincount(idx, weights=wj, minlength=n_bins)
        per_group[name] = {
            "count": np.bincount(idx, minlength=n_bins).tolist(),
            "mean_score": safe_div(np.bincount(idx, weights=wj * s, minlength=n_bins), wsum).tolist(),
            "observed_rate": safe_div(np.bincount(idx, weights=wj * yj, minlength=n_bins), wsum).tolist(),
        }
    return {
        "edges": edges.tolist(),
        "groups": per_group,
        "rule": "bin i holds edges[i] <= score < edges[i + 1]",
    }
