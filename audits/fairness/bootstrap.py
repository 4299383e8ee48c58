"""Stratified bootstraps: per-group count resampling, and capped row resampling within groups.

Count metrics: a multinomial draw of each group's confusion cells, with the group's own size, is exactly a
stratified row bootstrap for any metric that depends on the rows only through those counts — and costs
O(resamples × groups × cells) whatever the row count. With sample weights, the weight sum of ``k`` rows
drawn from a cell is approximated by a normal with mean ``k·mean(w)`` and variance ``k·var(w)`` (the first two
moments of the exact row bootstrap).

ROC AUC: scores are reduced to at most ``AUC_LEVELS`` rank levels per group (exact when there are fewer
distinct scores); small groups are resampled by drawing rows, larger ones by a Poisson bootstrap of the
level counts (each row drawn Poisson(1) times), so the cost does not grow with the row count.

Regression errors: rows are resampled within each group. A group larger than the row cap is resampled with
``m = cap`` rows and the deviations are rescaled by ``sqrt(m / n)`` (the m-out-of-n bootstrap), so the
interval keeps the width of an n-row bootstrap.
"""

from __future__ import annotations

import numpy as np

from audits.fairness.metrics import quiet_nan, tie_starts

# Largest (resamples × rows) block materialised at once by the row bootstraps.
_BLOCK = 4_000_000
# ROC AUC bootstrap: scores reduced to at most this many rank levels per group, and groups up to this many
# rows resampled by drawing rows (larger ones by a Poisson bootstrap of the level counts).
AUC_LEVELS = 256
ROW_DRAW_LIMIT = 4096


def auc_levels(sorted_scores: np.ndarray, max_levels: int) -> np.ndarray:
    """Score level of each sorted row: its tie block, or — above ``max_levels`` blocks — a rank bin.

    Rank bins only merge neighbouring scores (pairs inside a bin count as ties), so the binned AUC differs
    from the exact one by at most half the share of pairs within a bin (about 1 / (2·max_levels)); the
    bootstrap uses the deviations of the binned statistic, added to the exact point estimate.
    """
    s = np.asarray(sorted_scores)
    n = len(s)
    starts = tie_starts(s)
    block = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, n)))
    if len(starts) <= max_levels:
        return block
    return (starts[block] * max_levels) // n


def auc_from_levels(pos: np.ndarray, neg: np.ndarray) -> np.ndarray:
    """ROC AUC from positive and negative weight per score level (last axis, ascending); ties count 1/2."""
    below = np.cumsum(neg, axis=-1) - neg
    num = np.sum(pos * (below + 0.5 * neg), axis=-1)
    return quiet_nan(np.divide, num, pos.sum(axis=-1) * neg.sum(axis=-1))


def _level_draws(cell: np.ndarray, k: int, w: np.ndarray | None, n_boot: int, rng: np.random.Generator):
    """(n_boot, k, 2) level counts of full-size row resamples (exact multinomial bootstrap)."""
    n = len(cell)
    out = np.empty((n_boot, k, 2))
    chunk = max(1, _BLOCK // max(n, 2 * k))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        idx = rng.integers(0, n, size=(b, n), dtype=np.int32 if n < 2**31 else np.int64)
        flat = (cell[idx] + (np.arange(b) * 2 * k)[:, None]).ravel()
        cnt = np.bincount(flat, weights=None if w is None else w[idx].ravel(), minlength=b * 2 * k)
        out[start : start + b] = cnt.reshape(b, k, 2)
    return out


def _level_poisson(counts: np.ndarray, moments: np.ndarray | None, n_boot: int, rng: np.random.Generator):
    """(n_boot, k, 2) level counts of a Poisson row bootstrap: each row drawn Poisson(1) times.

    The number of draws of a cell's rows is then exactly Poisson(cell count), so the cost does not depend
    on the row count. Weighted cells: normal approximation of the drawn weight sum, as in the count bootstrap.
    """
    draws = rng.poisson(counts, size=(n_boot, *counts.shape)).astype(float)
    if moments is None:
        return draws
    noise = rng.standard_normal(draws.shape)
    return np.clip(draws * moments[..., 0] + np.sqrt(draws) * moments[..., 1] * noise, 0, None)


def auc_row_bootstrap(
    sorted_scores: np.ndarray,
    sorted_y: np.ndarray,
    sorted_w: np.ndarray | None,
    bounds: np.ndarray,
    *,
    point: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
    max_levels: int = AUC_LEVELS,
    draw_limit: int = ROW_DRAW_LIMIT,
) -> tuple[np.ndarray, list[str]]:
    """(n_boot, g) bootstrap ROC AUC per group, and how each group was resampled.

    Rows come grouped (group ``j`` is ``bounds[j]:bounds[j+1]``) and sorted by score within each group.
    Scores are reduced to at most ``max_levels`` rank levels per group (exact when there are fewer distinct
    scores). Groups of at most ``draw_limit`` rows are resampled by drawing rows (multinomial bootstrap);
    larger groups by a Poisson bootstrap of the level counts. NaN for groups whose AUC is undefined.
    """
    g = len(bounds) - 1
    out = np.full((max(n_boot, 0), g), np.nan)
    how = [""] * g
    for j in range(g):
        lo, hi = int(bounds[j]), int(bounds[j + 1])
        n = hi - lo
        if n == 0 or not np.isfinite(point[j]) or n_boot <= 0:
            continue
        level = auc_levels(sorted_scores[lo:hi], max_levels)
        k = int(level[-1]) + 1
        yj = sorted_y[lo:hi].astype(np.int64)
        wj = None if sorted_w is None else sorted_w[lo:hi]
        cell = level * 2 + yj
        rows = np.bincount(cell, minlength=2 * k).reshape(k, 2)
        full = (
            rows.astype(float) if wj is None else np.bincount(cell, weights=wj, minlength=2 * k).reshape(k, 2)
        )
        binned_point = float(auc_from_levels(full[:, 1], full[:, 0]))
        if n <= draw_limit:
            cnt = _level_draws(cell, k, wj, n_boot, rng)
            how[j] = "rows drawn"
        else:
            moments = None
            if wj is not None:
                mean = full / np.maximum(rows, 1)
                sq = np.bincount(cell, weights=wj * wj, minlength=2 * k).reshape(k, 2) / np.maximum(rows, 1)
                moments = np.stack([mean, np.sqrt(np.clip(sq - mean**2, 0, None))], axis=-1)
            cnt = _level_poisson(rows, moments, n_boot, rng)
            how[j] = "Poisson level counts"
        raw = auc_from_levels(cnt[..., 1], cnt[..., 0])
        out[:, j] = np.clip(point[j] + (raw - binned_point), 0.0, 1.0)
        if k < len(tie_starts(sorted_scores[lo:hi])):
            how[j] += f", {k} rank levels"
    return out, how


def ks_bootstrap(
    pred: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    *,
    point: np.ndarray,
    n_boot: int,
    rng: np.random.Generator,
    max_levels: int = 4 * AUC_LEVELS,
    draw_limit: int = ROW_DRAW_LIMIT,
) -> np.ndarray:
    """(n_boot, g) bootstrap KS distance between each group's predictions and everyone's (held fixed).

    Predictions are reduced to at most ``max_levels`` rank levels of everyone's predictions; each group's level
    counts are resampled (rows drawn for small groups, Poisson counts for large ones) and the deviations of the
    levelled statistic are added to the exact KS distance.
    """
    out = np.full((max(n_boot, 0), n_groups), np.nan)
    if n_boot <= 0 or len(pred) == 0:
        return out
    order = np.argsort(pred, kind="stable")
    lev_sorted = auc_levels(pred[order], max_levels)
    level = np.empty(len(pred), dtype=np.int64)
    level[order] = lev_sorted
    k = int(lev_sorted[-1]) + 1
    cdf_all = np.cumsum(np.bincount(level, minlength=k)) / len(pred)
    for j in range(n_groups):
        lj = level[codes == j]
        n = len(lj)
        if n == 0 or not np.isfinite(point[j]):
            continue
        rows = np.zeros((k, 2), dtype=np.int64)
        rows[:, 0] = np.bincount(lj, minlength=k)
        cdf = np.cumsum(rows[:, 0]) / n
        binned_point = float(np.max(np.abs(cdf - cdf_all)))
        if n <= draw_limit:
            cnt = _level_draws(lj * 2, k, None, n_boot, rng)[..., 0]
        else:
            cnt = rng.poisson(rows[:, 0], size=(n_boot, k)).astype(float)
        cdf_b = quiet_nan(np.divide, np.cumsum(cnt, axis=1), cnt.sum(axis=1, keepdims=True))
        raw = np.max(np.abs(cdf_b - cdf_all), axis=1)
        out[:, j] = np.clip(point[j] + (raw - binned_point), 0.0, 1.0)
    return out


def row_sum_bootstrap(
    features: np.ndarray,
    codes: np.ndarray,
    n_groups: int,
    *,
    n_boot: int,
    cap: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Resampled per-group column sums of ``features`` (n, f), rows drawn within groups.

    Returns ``(sums, rows, scale)``: sums (n_boot, g, f) scaled to the group's full size (``n / m`` when a
    group is capped at ``m = cap`` rows), rows drawn per resample (g,), and the m-out-of-n rescaling factor
    ``sqrt(m / n)`` (g,) the caller applies to metric deviations.
    """
    f = features.shape[1]
    out = np.zeros((max(n_boot, 0), n_groups, f))
    rows = np.zeros(n_groups, dtype=np.int64)
    scale = np.ones(n_groups)
    order = np.argsort(codes, kind="stable")
    bounds = np.searchsorted(codes[order], np.arange(n_groups + 1))
    for j in range(n_groups):
        sel = order[bounds[j] : bounds[j + 1]]
        n = len(sel)
        if n == 0 or n_boot <= 0:
            continue
        m = min(n, cap)
        rows[j] = m
        scale[j] = np.sqrt(m / n)
        fj = features[sel]
        if m == n:
            # Full-size resamples: row multiplicities (one bincount) times the features (one matmul).
            chunk = max(1, _BLOCK // n)
            for start in range(0, n_boot, chunk):
                b = min(chunk, n_boot - start)
                idx = rng.integers(0, n, size=(b, n), dtype=np.int32 if n < 2**31 else np.int64)
                mult = np.bincount((idx + (np.arange(b) * n)[:, None]).ravel(), minlength=b * n)
                out[start : start + b, j] = mult.reshape(b, n).astype(float) @ fj
            continue
        chunk = max(1, _BLOCK // (m * f))
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            idx = rng.integers(0, n, size=(b, m))
            out[start : start + b, j] = fj[idx].sum(axis=1) * (n / m)
    return out, rows, scale


def interval(samples: np.ndarray, level: float) -> tuple[np.ndarray, np.ndarray]:
    """Percentile interval along axis 0, ignoring undefined (NaN) resamples."""
    from audits.stats import percentile_interval

    if samples.shape[0] == 0:
        nan = np.full(samples.shape[1:], np.nan)
        return nan, nan
    return percentile_interval(samples, level, axis=0)
