"""Which rows SHAP explains (a sample stratified by protected group) and which rows form the background.

The explained sample is drawn per stratum (the combination of the protected attributes) in proportion to its
size, with a floor so that small groups still get rows; design weights (stratum rows / sampled rows) make the
sample's means estimate the full data's. The row order is shuffled so that a sample cut short by the time
budget stays close to stratified.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from audits.group_labels import as_str_array

MIN_ROWS_PER_STRATUM = 30
BACKGROUND_SIZE = 100  # shap's own default for interventional Tree SHAP; cost grows linearly with it
LINEAR_BACKGROUND_SIZE = 1000  # Linear SHAP needs only the background mean: a larger sample costs nothing


@dataclass(frozen=True)
class Sample:
    """Rows to explain (positions in the data) with their stratum and design weight."""

    rows: np.ndarray
    strata: np.ndarray
    population: dict[str, int]
    description: str

    def weights(self, explained: int | None = None) -> np.ndarray:
        """Design weights of the first ``explained`` rows: stratum size / rows explained in that stratum."""
        n = len(self.rows) if explained is None else explained
        strata = self.strata[:n]
        counts = pd.Series(strata).value_counts()
        return np.array([self.population[s] / counts[s] for s in strata], dtype=float)


def strata_labels(sensitive: pd.DataFrame, columns: tuple[str, ...]) -> np.ndarray:
    """One label per row: the joint protected groups (e.g. ``sex=Female | race=White``)."""
    if not columns:
        return np.full(len(sensitive), "all", dtype=object)
    # Label each distinct combination once and take the labels by combination (not a string join per row).
    key = np.zeros(len(sensitive), dtype=np.int64)
    uniques = []
    for c in columns:
        codes, values = pd.factorize(as_str_array(sensitive[c]))
        key = key * max(len(values), 1) + codes
        uniques.append(values)
    combos, inverse = np.unique(key, return_inverse=True)
    labels = []
    for combo in combos:
        digits = []
        for values in reversed(uniques):
            combo, d = divmod(int(combo), max(len(values), 1))
            digits.append(values[d])
        labels.append(" | ".join(f"{c}={v}" for c, v in zip(columns, reversed(digits), strict=True)))
    return np.asarray(labels, dtype=object)[inverse.ravel()]


def _allocate(sizes: pd.Series, n: int) -> pd.Series:
    """Rows per stratum: proportional (largest remainder) with a floor, summing to n."""
    floor = sizes.clip(upper=MIN_ROWS_PER_STRATUM)
    if floor.sum() >= n:
        # Even the floors do not fit: spread n over strata as evenly as their sizes allow.
        alloc = pd.Series(0, index=sizes.index)
        remaining = n
        order = sizes.sort_values(ascending=False).index
        while remaining > 0:
            for s in order:
                if remaining == 0:
                    break
                if alloc[s] < sizes[s]:
                    alloc[s] += 1
                    remaining -= 1
        return alloc
    # Strata whose proportional share falls below the floor get the floor; the rest share what remains
    # proportionally (repeated until no share falls below the floor).
    fixed = pd.Series(False, index=sizes.index)
    while True:
        left = n - floor[fixed].sum()
        share = sizes[~fixed] / sizes[~fixed].sum() * left
        low = share < floor[~fixed]
        if not low.any():
            break
        fixed[low[low].index] = True
    alloc = floor.where(fixed, 0).astype(int)
    base = np.floor(share).astype(int)
    alloc[~fixed] = base
    short = int(n - alloc.sum())
    if short > 0:
        rem = (share - base).sort_values(ascending=False)
        for s in rem.index[:short]:
            alloc[s] += 1
    return alloc.clip(upper=sizes).astype(int)


def stratified_sample(sensitive: pd.DataFrame, columns: tuple[str, ...], *, size: int, seed: int) -> Sample:
    """Draw up to ``size`` rows stratified by the joint protected groups; all rows when there are fewer."""
    strata = strata_labels(sensitive, columns)
    n_total = len(strata)
    sizes = pd.Series(strata).value_counts()
    population = {str(k): int(v) for k, v in sizes.items()}
    rng = np.random.default_rng(seed)
    if size >= n_total:
        rows = rng.permutation(n_total)
        how = f"all {n_total:,} rows (no sampling needed)"
    else:
        alloc = _allocate(sizes, size)
        picked = []
        for s, k in alloc.items():
            if k > 0:
                idx = np.flatnonzero(strata == s)
                picked.append(rng.choice(idx, size=int(k), replace=False))
        rows = rng.permutation(np.concatenate(picked))
        how = (
            f"{len(rows):,} of {n_total:,} rows, stratified by {' × '.join(columns) or 'nothing'} "
            f"({len(sizes)} strata; proportional with at least {MIN_ROWS_PER_STRATUM} rows per stratum where "
            f"available; means use design weights), seed {seed}"
        )
    return Sample(rows=rows, strata=strata[rows].astype(str), population=population, description=how)


def background_rows(n_rows: int, *, size: int, seed: int) -> np.ndarray:
    """Positions of a uniform random background sample (sorted), the same for a given seed."""
    rng = np.random.default_rng([seed, 1])
    if n_rows <= size:
        return np.arange(n_rows)
    return np.sort(rng.choice(n_rows, size=size, replace=False))
