"""Small statistical helpers shared by sections: safe rates, count bootstraps, percentile intervals.

Rates with a zero denominator are NaN here and become ``None`` (with a reason) in results: undefined is not 0.
"""

from __future__ import annotations

from typing import Any

import numpy as np


def safe_div(num: Any, den: Any) -> np.ndarray:
    """``num / den`` elementwise with NaN where ``den == 0`` (never 0.0)."""
    num = np.asarray(num, dtype=float)
    den = np.asarray(den, dtype=float)
    out = np.full(np.broadcast(num, den).shape, np.nan)
    np.divide(num, den, out=out, where=den != 0)
    return out


def multinomial_counts(counts: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """Bootstrap resamples of cell counts: one multinomial draw of the same total per resample.

    For metrics that depend on the data only through these counts, this is exactly a row bootstrap (each
    row falls in one cell with probability count/total), at a cost that does not grow with the row count.
    ``counts`` has shape (k,) or (g, k) for g independent strata (groups); the result adds a leading
    resample axis: (n_boot, k) or (n_boot, g, k).
    """
    counts = np.asarray(counts, dtype=np.int64)
    if counts.ndim == 1:
        n = int(counts.sum())
        if n == 0:
            return np.zeros((n_boot, counts.shape[0]), dtype=np.int64)
        return rng.multinomial(n, counts / n, size=n_boot)
    totals = counts.sum(axis=1)
    p = np.where(totals[:, None] > 0, counts / np.maximum(totals, 1)[:, None], 0.0)
    # Generator.multinomial broadcasts over the leading axes of n and pvals.
    return rng.multinomial(
        np.broadcast_to(totals, (n_boot, len(totals))), np.broadcast_to(p, (n_boot, *p.shape))
    )


def count_bootstrap(
    counts: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
    *,
    weight_moments: np.ndarray | None = None,
) -> np.ndarray:
    """(n_boot, g, k) resampled cell counts (or weight sums) of (g, k) per-group ``counts``.

    Parameters
    ----------
    counts : (g, k) integer row counts per group and cell.
    n_boot : number of resamples.
    rng : the random generator (seeded by the caller).
    weight_moments : (g, k, 2) mean and std of the weights per cell, when rows are weighted.
    """
    counts = np.asarray(counts, dtype=np.int64)
    g, k = counts.shape
    if n_boot <= 0:
        return np.zeros((0, g, k))
    draws = multinomial_counts(counts, n_boot, rng)
    if weight_moments is None:
        return draws.astype(float)
    mean = weight_moments[..., 0]
    std = weight_moments[..., 1]
    noise = rng.standard_normal(draws.shape)
    return np.clip(draws * mean + np.sqrt(draws) * std * noise, 0, None)


def percentile_interval(
    samples: np.ndarray, level: float = 0.95, axis: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval of bootstrap ``samples`` along ``axis``, ignoring undefined (NaN) resamples."""
    alpha = (1 - level) / 2
    samples = np.asarray(samples, dtype=float)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            lo = np.nanquantile(samples, alpha, axis=axis)
            hi = np.nanquantile(samples, 1 - alpha, axis=axis)
    return lo, hi


def rank_auc(y_true: np.ndarray, score: np.ndarray) -> float:
    """ROC AUC by the rank-sum (Mann–Whitney) formula, ties averaged; NaN when one class is absent."""
    from scipy.stats import rankdata

    y_true = np.asarray(y_true).astype(bool)
    n1 = int(y_true.sum())
    n0 = len(y_true) - n1
    if n1 == 0 or n0 == 0:
        return float("nan")
    ranks = rankdata(score)
    return float((ranks[y_true].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def value_or_none(x: Any) -> float | None:
    try:
        f = float(x)
    except (TypeError, ValueError):
        return None
    return f if np.isfinite(f) else None
