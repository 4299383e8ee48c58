"""Group metrics computed from counts and sums, vectorised over any leading axes (resamples, groups).

Every function here takes arrays whose last axis (or last two for multiclass) are cells and returns NaN where a
denominator is zero. NaN becomes ``None`` with a reason in the section result: undefined is never 0.0.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from audits.stats import safe_div

BINARY_METRICS = (
    "selection_rate",
    "tpr",
    "fpr",
    "fnr",
    "tnr",
    "precision",
    "fdr",
    "for_",
    "accuracy",
    "balanced_accuracy",
)
# Metrics that need rows (scores), not only counts.
SCORE_METRICS = ("roc_auc",)
# Metrics that do not depend on the labels; every other classification metric is an "error rate" for the
# small-group safeguard (needs enough positives and negatives).
LABEL_FREE_METRICS = frozenset({"selection_rate"})
REGRESSION_METRICS = ("mean_prediction", "mean_target", "mae", "rmse", "r2", "ks")

UNDEFINED_REASON = {
    "selection_rate": "the group has no rows",
    "tpr": "no positive label in this group",
    "fnr": "no positive label in this group",
    "fpr": "no negative label in this group",
    "tnr": "no negative label in this group",
    "precision": "no positive prediction in this group",
    "fdr": "no positive prediction in this group",
    "for_": "no negative prediction in this group",
    "accuracy": "the group has no rows",
    "balanced_accuracy": "the group holds a single label class",
    "roc_auc": "the group holds a single label class",
    "mean_prediction": "the group has no weight",
    "mean_target": "the group has no weight",
    "mae": "the group has no weight",
    "rmse": "the group has no weight",
    "r2": "the target is constant in this group",
    "ks": "the group has no rows",
    "prevalence": "the group has no rows",
    "npv": "no negative prediction in this group",
    "favourable_rate": "the group has no rows",
}

METRIC_TITLES = {
    "selection_rate": "selection rate",
    "tpr": "true positive rate",
    "fpr": "false positive rate",
    "fnr": "false negative rate",
    "tnr": "true negative rate",
    "precision": "precision",
    "fdr": "false discovery rate",
    "for_": "false omission rate",
    "accuracy": "accuracy",
    "balanced_accuracy": "balanced accuracy",
    "roc_auc": "ROC AUC",
    "mean_prediction": "mean prediction",
    "mean_target": "mean target",
    "mae": "mean absolute error",
    "rmse": "root mean squared error",
    "r2": "R²",
    "ks": "KS distance to everyone's predictions",
    "prevalence": "prevalence (share with the positive label)",
    "npv": "negative predictive value",
    "favourable_rate": "rate of the favourable outcome",
}


def reason_for(metric: str) -> str:
    """Why ``metric`` is undefined (plain language)."""
    base = metric.split("[", 1)[0]
    return UNDEFINED_REASON.get(base, "a denominator is zero")


def binary_from_counts(counts: np.ndarray) -> dict[str, np.ndarray]:
    """Binary metrics from confusion counts with last axis ``(tp, fp, tn, fn)``."""
    c = np.asarray(counts, dtype=float)
    tp, fp, tn, fn = c[..., 0], c[..., 1], c[..., 2], c[..., 3]
    n = tp + fp + tn + fn
    pos = tp + fn
    neg = fp + tn
    pp = tp + fp
    pn = fn + tn
    tpr = safe_div(tp, pos)
    tnr = safe_div(tn, neg)
    return {
        "selection_rate": safe_div(pp, n),
        "tpr": tpr,
        "fpr": safe_div(fp, neg),
        "fnr": safe_div(fn, pos),
        "tnr": tnr,
        "precision": safe_div(tp, pp),
        "fdr": safe_div(fp, pp),
        "for_": safe_div(fn, pn),
        "accuracy": safe_div(tp + tn, n),
        "balanced_accuracy": (tpr + tnr) / 2,
    }


# Rates from counts that the reference-group table compares (binary): numerator and denominator cells in
# (tp, fp, tn, fn) order. ``favourable_rate`` is added by the section (the selection rate of the favourable
# outcome, which is 1 − selection rate when the favourable label is the negative class).
RATE_CELLS = {
    "selection_rate": ((0, 1), (0, 1, 2, 3)),
    "prevalence": ((0, 3), (0, 1, 2, 3)),
    "tpr": ((0,), (0, 3)),
    "fpr": ((1,), (1, 2)),
    "fnr": ((3,), (0, 3)),
    "tnr": ((2,), (1, 2)),
    "precision": ((0,), (0, 1)),
    "npv": ((2,), (2, 3)),
    "fdr": ((1,), (0, 1)),
    "for_": ((3,), (2, 3)),
    "accuracy": ((0, 2), (0, 1, 2, 3)),
}


def rates_from_cells(
    counts: np.ndarray,
    cells: dict[str, tuple[tuple[int, ...], tuple[int, ...]]],
    w2: np.ndarray | None = None,
) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """``{metric: (rate, effective n)}`` from cell sums (last axis); NaN rate where the denominator is 0.

    ``w2`` holds the cells' sums of squared weights: the effective n is then Kish's ``(Σw)² / Σw²`` over the
    denominator's rows; without it (unweighted counts) it is the denominator itself.
    """
    c = np.asarray(counts, dtype=float)
    out = {}
    for m, (num, den) in cells.items():
        d = c[..., list(den)].sum(axis=-1)
        rate = safe_div(c[..., list(num)].sum(axis=-1), d)
        if w2 is None:
            n = d
        else:
            d2 = np.asarray(w2, dtype=float)[..., list(den)].sum(axis=-1)
            n = np.divide(d * d, d2, out=np.zeros_like(d), where=d2 > 0)
        out[m] = (rate, n)
    return out


def multiclass_rate_cells(
    k: int, classes: tuple[Any, ...]
) -> dict[str, tuple[tuple[int, ...], tuple[int, ...]]]:
    """Cells (flattened ``true * k + predicted``) of accuracy and each class's one-vs-rest rates."""
    every = tuple(range(k * k))
    out = {"accuracy": (tuple(i * k + i for i in range(k)), every)}
    for j, c in enumerate(classes):
        predicted = tuple(i * k + j for i in range(k))
        actual = tuple(j * k + i for i in range(k))
        not_actual = tuple(x for x in every if x not in actual)
        out[f"selection_rate[{c}]"] = (predicted, every)
        out[f"tpr[{c}]"] = ((j * k + j,), actual)
        out[f"fpr[{c}]"] = (tuple(x for x in predicted if x != j * k + j), not_actual)
    return out


def multiclass_metric_names(classes: tuple[Any, ...]) -> tuple[str, ...]:
    """``accuracy`` then one-vs-rest ``selection_rate[c]``, ``tpr[c]``, ``fpr[c]`` for each class."""
    names = ["accuracy"]
    for c in classes:
        names += [f"selection_rate[{c}]", f"tpr[{c}]", f"fpr[{c}]"]
    return tuple(names)


def multiclass_from_counts(counts: np.ndarray, classes: tuple[Any, ...]) -> dict[str, np.ndarray]:
    """Multiclass metrics from confusion matrices ``(..., k, k)`` (rows: true class, columns: predicted)."""
    c = np.asarray(counts, dtype=float)
    diag = np.diagonal(c, axis1=-2, axis2=-1)
    actual = c.sum(axis=-1)
    predicted = c.sum(axis=-2)
    n = c.sum(axis=(-2, -1))
    out = {"accuracy": safe_div(diag.sum(axis=-1), n)}
    for j, cls in enumerate(classes):
        tp = diag[..., j]
        fp = predicted[..., j] - tp
        neg = n - actual[..., j]
        out[f"selection_rate[{cls}]"] = safe_div(predicted[..., j], n)
        out[f"tpr[{cls}]"] = safe_div(tp, actual[..., j])
        out[f"fpr[{cls}]"] = safe_div(fp, neg)
    return out


def regression_from_sums(sums: np.ndarray) -> dict[str, np.ndarray]:
    """Regression metrics from weighted sums with last axis ``(W, Σw·ŷ, Σw·y, Σw·|e|, Σw·e², Σw·y²)``.

    Used for bootstrap resamples; point estimates use :func:`regression_point` (two-pass, more exact).
    """
    s = np.asarray(sums, dtype=float)
    w, sp, st, sae, sse, stt = (s[..., i] for i in range(6))
    mean_t = safe_div(st, w)
    sst = stt - safe_div(st * st, w)
    with np.errstate(invalid="ignore"):
        r2 = np.where(sst > 1e-12 * np.maximum(stt, 1e-300), 1 - safe_div(sse, sst), np.nan)
    return {
        "mean_prediction": safe_div(sp, w),
        "mean_target": mean_t,
        "mae": safe_div(sae, w),
        "rmse": np.sqrt(safe_div(sse, w)),
        "r2": r2,
    }


def regression_point(y_true: np.ndarray, y_pred: np.ndarray, weights: np.ndarray | None) -> dict[str, float]:
    """Weighted regression metrics of one group, computed as scikit-learn does (two-pass)."""
    yt = np.asarray(y_true, dtype=float)
    yp = np.asarray(y_pred, dtype=float)
    w = np.ones_like(yt) if weights is None else np.asarray(weights, dtype=float)
    wsum = float(w.sum())
    if len(yt) == 0 or wsum <= 0:
        return dict.fromkeys(("mean_prediction", "mean_target", "mae", "rmse", "r2"), float("nan"))
    e = yt - yp
    mean_t = float(np.average(yt, weights=w))
    sse = float(np.sum(w * e * e))
    sst = float(np.sum(w * (yt - mean_t) ** 2))
    return {
        "mean_prediction": float(np.average(yp, weights=w)),
        "mean_target": mean_t,
        "mae": float(np.average(np.abs(e), weights=w)),
        "rmse": float(np.sqrt(np.average(e * e, weights=w))),
        "r2": 1 - sse / sst if sst > 0 else float("nan"),
    }


def ks_distance(sample: np.ndarray, everyone: np.ndarray) -> float:
    """Two-sample Kolmogorov–Smirnov statistic (sup distance between empirical CDFs); NaN if empty."""
    a = np.sort(np.asarray(sample, dtype=float))
    b = np.sort(np.asarray(everyone, dtype=float))
    if len(a) == 0 or len(b) == 0:
        return float("nan")
    grid = np.concatenate([a, b])
    cdf_a = np.searchsorted(a, grid, side="right") / len(a)
    cdf_b = np.searchsorted(b, grid, side="right") / len(b)
    return float(np.max(np.abs(cdf_a - cdf_b)))


def auc_from_sorted(ties: np.ndarray, pos_w: np.ndarray, neg_w: np.ndarray) -> np.ndarray:
    """ROC AUC from rows sorted by score, with per-row positive and negative weight along the last axis.

    ``ties`` holds the start index of each block of equal scores (ties count one half, as Mann–Whitney and
    scikit-learn do). ``pos_w``/``neg_w`` may have leading axes (resamples). NaN when a class has no weight.
    """
    p = np.add.reduceat(pos_w, ties, axis=-1)
    q = np.add.reduceat(neg_w, ties, axis=-1)
    below = np.cumsum(q, axis=-1) - q
    num = np.sum(p * (below + 0.5 * q), axis=-1)
    return safe_div(num, p.sum(axis=-1) * q.sum(axis=-1))


def tie_starts(sorted_scores: np.ndarray) -> np.ndarray:
    """Start index of each block of equal values in a sorted array."""
    s = np.asarray(sorted_scores)
    if len(s) == 0:
        return np.zeros(0, dtype=np.int64)
    return np.flatnonzero(np.concatenate([[True], s[1:] != s[:-1]]))


def quiet_nan(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Call ``fn`` with NaN-related RuntimeWarnings silenced (NaN is the intended undefined marker)."""
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore", RuntimeWarning)
        return fn(*args, **kwargs)
