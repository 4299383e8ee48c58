"""Stratified row resampling within groups, for the regression metrics (their intervals are BCa, see
:mod:`audits.intervals`; rates and ROC AUC have closed-form intervals and are not resampled).

Regression errors: rows are resampled within each group. A group larger than the row cap is resampled with
``m = cap`` rows and the deviations are rescaled by ``sqrt(m / n)`` (the m-out-of-n bootstrap), so the
interval keeps the width of an n-row bootstrap.
"""

from __future__ import annotations

import numpy as np

# Largest (resamples × rows) block materialised at once by the row bootstraps.
_BLOCK = 4_000_000


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
