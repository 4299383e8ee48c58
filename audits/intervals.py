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
