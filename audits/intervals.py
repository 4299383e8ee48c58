"""Confidence intervals with known coverage for rates, differences of rates and ratios of rates.

Which interval is used for which quantity (each result names its method):

* a rate from counts (``k`` of ``n``): the Wilson score interval; with sample weights the weighted rate and
  Kish's effective sample size ``(Σw)² / Σw²`` take the place of ``k / n`` and ``n``;
* a difference of two independent rates: Newcombe's hybrid score interval (method 10 of Newcombe 1998, the
  MOVER-D construction of Zou & Donner 2008 on the two Wilson intervals);
* a ratio of two independent rates: MOVER-R (Donner & Zou 2012) on the two Wilson intervals, which stays
  defined when the numerator count is 0 (0 of 173 against 39 of 5,700 gives about [0, 3.3]) where a
  log-scale interval is not;
* a sum (or mean) of independent rates, e.g. balanced accuracy: MOVER on the Wilson intervals.

Every interval contains its point estimate and has positive width at any finite sample size. All functions
are vectorised: arrays broadcast, and ``level`` may itself be an array (Holm-adjusted levels).

scipy provides the Wilson interval only one scalar count at a time
(``scipy.stats.binomtest(k, n).proportion_ci(method="wilson")``, used in the tests as the reference) and has
no Newcombe or MOVER interval, so the closed forms are written out here, vectorised over groups, levels and
simulated replicates.
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy.stats import norm

WILSON = "Wilson score interval (weighted: Kish effective sample size)"
NEWCOMBE = "Newcombe hybrid score interval (MOVER-D on Wilson intervals)"
MOVER_R = "MOVER-R ratio interval (Donner & Zou 2012, on Wilson intervals)"
MOVER_SUM = "MOVER interval of a mean of independent rates (on Wilson intervals)"


def z_value(level: Any) -> np.ndarray:
    """Two-sided normal quantile of a confidence ``level`` (0.95 -> 1.96)."""
    return norm.ppf(0.5 + np.asarray(level, dtype=float) / 2)


def kish_n(sum_w: Any, sum_w2: Any) -> np.ndarray:
    """Kish effective sample size ``(Σw)² / Σw²``; equals the row count when every weight is equal."""
    s = np.asarray(sum_w, dtype=float)
    s2 = np.asarray(sum_w2, dtype=float)
    out = np.zeros(np.broadcast(s, s2).shape)
    np.divide(s * s, s2, out=out, where=s2 > 0)
    return out


def wilson(p: Any, n: Any, level: Any = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a rate ``p`` observed on ``n`` (effective) rows; NaN where ``n <= 0``."""
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_value(level)
    z2 = z * z
    with np.errstate(all="ignore"):
        denom = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denom
        half = z * np.sqrt(np.clip(p * (1 - p), 0, None) / n + z2 / (4 * n * n)) / denom
        lo = np.clip(centre - half, 0.0, 1.0)
        hi = np.clip(centre + half, 0.0, 1.0)
    ok = (n > 0) & np.isfinite(p)
    # Rounding must never push a bound past the estimate (k = 0 or k = n give exactly 0 or 1).
    lo = np.where(ok, np.minimum(lo, p), np.nan)
    hi = np.where(ok, np.maximum(hi, p), np.nan)
    return lo, hi


def mover_difference(
    p1: Any, l1: Any, u1: Any, p2: Any, l2: Any, u2: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(p1 − p2, low, high)`` from the two estimates and their intervals (MOVER-D, Zou & Donner 2008)."""
    p1, l1, u1, p2, l2, u2 = (np.asarray(x, dtype=float) for x in (p1, l1, u1, p2, l2, u2))
    d = p1 - p2
    return d, d - np.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2), d + np.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)


def newcombe_difference(
    p1: Any, n1: Any, p2: Any, n2: Any, level: Any = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(p1 − p2, low, high)``: Newcombe's hybrid score interval of a difference of independent rates."""
    l1, u1 = wilson(p1, n1, level)
    l2, u2 = wilson(p2, n2, level)
    d, lo, hi = mover_difference(p1, l1, u1, p2, l2, u2)
    return d, np.clip(lo, -1.0, 1.0), np.clip(hi, -1.0, 1.0)


def mover_ratio_from_bounds(
    p1: Any, l1: Any, u1: Any, p2: Any, l2: Any, u2: Any
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(p1 / p2, low, high)`` of non-negative estimates with intervals inside ``[0, inf)`` (MOVER-R).

    Undefined (NaN) when ``p2 = 0`` or when the interval of ``p2`` reaches 0 (the ratio is then unbounded).
    The bounds are the roots of the MOVER-D limits of ``p1 − θ·p2``, written in the rationalised form
    ``c / (b + sqrt(b² − a·c))`` so that they stay finite when ``a`` is 0 or negative (small ``p2``), and
    ``low = 0`` when ``p1 = 0``.
    """
    p1, l1, u1, p2, l2, u2 = (np.asarray(x, dtype=float) for x in (p1, l1, u1, p2, l2, u2))
    b = p1 * p2
    with np.errstate(all="ignore"):
        ratio = p1 / p2
        # Lower bound: root of p1 − θ·p2 = sqrt((p1 − l1)² + θ²(u2 − p2)²).
        a_lo = u2 * (2 * p2 - u2)
        c_lo = l1 * (2 * p1 - l1)
        root_lo = np.sqrt(np.clip(b * b - a_lo * c_lo, 0, None))
        lo = np.where(c_lo <= 0, 0.0, c_lo / (b + root_lo))
        # Upper bound: root of θ·p2 − p1 = sqrt((u1 − p1)² + θ²(p2 − l2)²).
        a_hi = l2 * (2 * p2 - l2)
        c_hi = u1 * (2 * p1 - u1)
        root_hi = np.sqrt(np.clip(b * b - a_hi * c_hi, 0, None))
        hi = (b + root_hi) / a_hi
    defined = (p2 > 0) & np.isfinite(ratio) & np.isfinite(hi) & (a_hi > 0)
    lo = np.where(defined, np.minimum(lo, ratio), np.nan)
    hi = np.where(defined, np.maximum(hi, ratio), np.nan)
    return np.where(p2 > 0, ratio, np.nan), lo, hi


def mover_ratio(
    p1: Any, n1: Any, p2: Any, n2: Any, level: Any = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(p1 / p2, low, high)``: MOVER-R interval of a ratio of independent rates (Wilson components).

    Stays defined when ``p1 = 0`` (low = 0); undefined (NaN) when ``p2 = 0``.
    """
    l1, u1 = wilson(p1, n1, level)
    l2, u2 = wilson(p2, n2, level)
    return mover_ratio_from_bounds(p1, l1, u1, p2, l2, u2)


def mover_mean(parts: list[tuple[Any, Any]], level: Any = 0.95) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(mean, low, high)`` of the mean of independent rates, each given as ``(p, n)`` (MOVER on Wilson)."""
    ps = [np.asarray(p, dtype=float) for p, _ in parts]
    bounds = [wilson(p, n, level) for p, n in parts]
    k = len(parts)
    mean = sum(ps) / k
    lo = mean - np.sqrt(sum((p - lb) ** 2 for p, (lb, _) in zip(ps, bounds, strict=True))) / k
    hi = mean + np.sqrt(sum((ub - p) ** 2 for p, (_, ub) in zip(ps, bounds, strict=True))) / k
    return mean, lo, hi


F1_JACCARD = (
    "Wilson score interval of the Jaccard index TP / (TP + FP + FN), mapped to F1 = 2J / (1 + J) (a monotone map, "
    "so coverage carries over; weighted: Kish effective size)"
)
DELONG = (
    "DeLong standard error on the logit scale (Birnbaum–Klose variance bound, as a Wilson interval on "
    "min(positives, negatives), where the AUC is 0 or 1; weighted: Kish effective sizes)"
)
BCA = "bias-corrected and accelerated (BCa) bootstrap, acceleration from the closed-form jackknife"


def f1_interval(
    tp: Any, fp_fn: Any, n_eff: Any, level: Any = 0.95
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(f1, low, high)`` from the (weighted) true positives and false positives + false negatives.

    F1 = 2J / (1 + J) with J = TP / (TP + FP + FN), the share of "both" among the rows that are positive in the
    label or the prediction: a rate from counts, so its Wilson interval (on ``n_eff`` such rows) mapped through
    the monotone map keeps its coverage. NaN where TP + FP + FN = 0.
    """
    tp = np.asarray(tp, dtype=float)
    den = tp + np.asarray(fp_fn, dtype=float)
    with np.errstate(all="ignore"):
        j = np.where(den > 0, tp / den, np.nan)
    lo, hi = wilson(j, n_eff, level)

    def to_f1(x: np.ndarray) -> np.ndarray:
        return 2 * x / (1 + x)

    return to_f1(j), to_f1(lo), to_f1(hi)


def delong_auc(
    pos: Any, neg: Any, pos_sq: Any | None = None, neg_sq: Any | None = None, level: Any = 0.95
) -> tuple[float, float, float, float]:
    """``(auc, low, high, se)`` of ROC AUC from positive and negative weight per score level (ascending).

    Ties within a level count 1/2. The DeLong variance is ``S10 / P + S01 / N`` with the placement values'
    variances over positives and negatives; the interval is built on the logit scale, where it stays inside
    (0, 1) and covers better near 1 (Qin & Hotilovac 2008). When the AUC is 0 or 1 the placement values have no
    spread, so the Birnbaum–Klose bound ``AUC (1 − AUC) / min(P, N)`` on the variance is used as a Wilson
    interval on ``min(P, N)`` rows: never of zero width at a finite size. ``pos_sq``/``neg_sq`` (sums of squared
    weights per class, scalars) give the Kish effective sizes of weighted data. NaN when a class is absent.
    """
    p = np.asarray(pos, dtype=float)
    q = np.asarray(neg, dtype=float)
    big_p, big_n = float(p.sum()), float(q.sum())
    if big_p <= 0 or big_n <= 0:
        nan = float("nan")
        return nan, nan, nan, nan
    n_p = big_p if pos_sq is None else float(kish_n(big_p, pos_sq))
    n_n = big_n if neg_sq is None else float(kish_n(big_n, neg_sq))
    below = np.cumsum(q) - q
    above = big_p - np.cumsum(p)
    v10 = (below + 0.5 * q) / big_n  # placement of a positive at each level
    v01 = (above + 0.5 * p) / big_p  # placement of a negative at each level
    auc = float(np.sum(p * v10) / big_p)
    s10 = float(np.sum(p * (v10 - auc) ** 2) / big_p) * n_p / max(n_p - 1, 1)
    s01 = float(np.sum(q * (v01 - auc) ** 2) / big_n) * n_n / max(n_n - 1, 1)
    se = float(np.sqrt(s10 / n_p + s01 / n_n))
    z = float(z_value(level))
    if 0 < auc < 1 and se > 0:
        logit = np.log(auc / (1 - auc))
        half = z * se / (auc * (1 - auc))
        lo, hi = 1 / (1 + np.exp(-(logit - half))), 1 / (1 + np.exp(-(logit + half)))
    else:
        lo_a, hi_a = wilson(auc, min(n_p, n_n), level)
        lo, hi = float(lo_a), float(hi_a)
    return auc, float(min(lo, auc)), float(max(hi, auc)), se


def delong_auc_sorted(
    score: Any, y: Any, weights: Any | None = None, level: Any = 0.95
) -> tuple[float, float, float, float]:
    """:func:`delong_auc` of rows sorted by ``score``: tied scores form one level (ties count 1/2)."""
    s = np.asarray(score, dtype=float)
    yy = np.asarray(y, dtype=float)
    w = np.ones(len(s)) if weights is None else np.asarray(weights, dtype=float)
    starts = np.flatnonzero(np.r_[True, s[1:] != s[:-1]]) if len(s) else np.zeros(0, dtype=np.int64)
    level_of = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(s))))
    pos = np.bincount(level_of, weights=w * yy, minlength=len(starts))
    neg = np.bincount(level_of, weights=w * (1 - yy), minlength=len(starts))
    sq = (None, None) if weights is None else (float(np.sum(w * w * yy)), float(np.sum(w * w * (1 - yy))))
    return delong_auc(pos, neg, *sq, level=level)


def jackknife_acceleration(
    loo: Any, codes: Any | None = None, n_groups: int = 1, multiplicity: Any | None = None
) -> np.ndarray:
    """BCa acceleration ``Σ d³ / (6 (Σ d²)^1.5)``, ``d = mean(loo) − loo``, per group of ``codes`` (0 where the
    leave-one-out values have no spread). ``multiplicity`` counts how many rows share each value (a leave-one-out
    value per confusion cell stands for every row of the cell)."""
    loo = np.asarray(loo, dtype=float)
    codes = np.zeros(len(loo), dtype=np.int64) if codes is None else np.asarray(codes, dtype=np.int64)
    m = np.ones(len(loo)) if multiplicity is None else np.asarray(multiplicity, dtype=float)
    ok = np.isfinite(loo) & (m > 0)
    c, v, m = codes[ok], loo[ok], m[ok]
    n = np.bincount(c, weights=m, minlength=n_groups)
    mean = np.bincount(c, weights=m * v, minlength=n_groups) / np.maximum(n, 1)
    d = mean[c] - v
    s2 = np.bincount(c, weights=m * d * d, minlength=n_groups)
    s3 = np.bincount(c, weights=m * d * d * d, minlength=n_groups)
    out = np.zeros(n_groups)
    np.divide(s3, 6 * s2**1.5, out=out, where=s2 > 0)
    return out


def bca_interval(
    boot: Any, point: Any, acceleration: Any, level: Any = 0.95
) -> tuple[np.ndarray, np.ndarray]:
    """BCa bootstrap interval (Efron 1987) per column of ``boot`` (B, g), ignoring undefined resamples.

    The bias correction ``z0`` counts ties at the estimate as half below (discrete statistics), and is kept
    finite when every resample lies on one side; the interval always contains the estimate. NaN where the
    estimate is undefined or no resample is.
    """
    boot = np.asarray(boot, dtype=float)
    squeeze = boot.ndim == 1
    if squeeze:
        boot = boot[:, None]
    point = np.broadcast_to(np.asarray(point, dtype=float), boot.shape[1:])
    a = np.broadcast_to(np.asarray(acceleration, dtype=float), boot.shape[1:])
    lo = np.full(boot.shape[1:], np.nan)
    hi = np.full(boot.shape[1:], np.nan)
    z = float(z_value(level))
    for j in range(boot.shape[1]):
        b = boot[:, j][np.isfinite(boot[:, j])]
        if len(b) == 0 or not np.isfinite(point[j]):
            continue
        share = (np.sum(b < point[j]) + 0.5 * np.sum(b == point[j])) / len(b)
        share = min(max(share, 0.5 / len(b)), 1 - 0.5 / len(b))
        z0 = norm.ppf(share)
        qs = []
        for zq in (-z, z):
            t = z0 + zq
            qs.append(norm.cdf(z0 + t / (1 - a[j] * t)))
        lo[j], hi[j] = np.quantile(b, qs)
        lo[j], hi[j] = min(lo[j], point[j]), max(hi[j], point[j])
    return (lo[0], hi[0]) if squeeze else (lo, hi)
