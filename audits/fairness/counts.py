"""Per-group counts: the sufficient statistics of every count-based fairness metric.

A group column of ``ctx.sensitive`` is turned into integer codes once; confusion counts per group are then a
single ``bincount``. Row counts (unweighted) decide the small-group safeguards; weighted cell sums give the
metrics when sample weights are present.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

# Order of the binary confusion cells everywhere in this package.
CELLS = ("tp", "fp", "tn", "fn")


@dataclass(frozen=True)
class Groups:
    """Integer group codes of one group column.

    Attributes
    ----------
    column : the group column name.
    names : group labels, in code order (only groups that have rows).
    codes : (n,) int64 code of each row into ``names``.
    sizes : (g,) rows per group.
    """

    column: str
    names: tuple[str, ...]
    codes: np.ndarray
    sizes: np.ndarray

    @property
    def n_groups(self) -> int:
        return len(self.names)


def group_codes(column: str, values: pd.Series) -> Groups:
    """Codes of the observed groups of ``values`` (categorical or string), sorted by label."""
    if isinstance(values.dtype, pd.CategoricalDtype) and not values.isna().any():
        # The context's group columns are categoricals of strings: reuse their codes (no string work).
        cat = values.cat.remove_unused_categories()
        labels = [str(c) for c in cat.cat.categories]
        order = np.argsort(np.asarray(labels, dtype=object), kind="stable")
        remap = np.empty(len(labels), dtype=np.int64)
        remap[order] = np.arange(len(labels))
        codes = remap[cat.cat.codes.to_numpy(dtype=np.int64)]
        names = tuple(labels[i] for i in order)
    else:
        codes, uniques = pd.factorize(values.astype(str), sort=True)
        codes = codes.astype(np.int64)
        names = tuple(str(u) for u in uniques)
    sizes = np.bincount(codes, minlength=len(names)).astype(np.int64)
    return Groups(column=column, names=names, codes=codes, sizes=sizes)


def binary_cell_index(y_true: np.ndarray, y_pred: np.ndarray) -> np.ndarray:
    """Cell of each row in ``CELLS`` order: 0 tp, 1 fp, 2 tn, 3 fn."""
    yt = np.asarray(y_true).astype(bool)
    yp = np.asarray(y_pred).astype(bool)
    # tp: yt&yp -> 0; fp: ~yt&yp -> 1; tn: ~yt&~yp -> 2; fn: yt&~yp -> 3
    return np.where(yp, np.where(yt, 0, 1), np.where(yt, 3, 2)).astype(np.int64)


def cell_counts(
    groups: Groups, cell: np.ndarray, n_cells: int, *, weights: np.ndarray | None = None
) -> np.ndarray:
    """(g, n_cells) counts (or weight sums) of each cell in each group."""
    flat = groups.codes * n_cells + cell
    size = groups.n_groups * n_cells
    out = np.bincount(flat, weights=weights, minlength=size)
    out = out.reshape(groups.n_groups, n_cells)
    return out if weights is not None else out.astype(np.int64)


def cell_weight_moments(groups: Groups, cell: np.ndarray, n_cells: int, weights: np.ndarray) -> np.ndarray:
    """(g, n_cells, 2) mean and standard deviation of the weights in each cell (0 where empty).

    Used by the weighted bootstrap: the sum of k weights drawn from a cell has mean ``k * mean`` and
    variance ``k * var``.
    """
    n = cell_counts(groups, cell, n_cells).astype(float)
    s1 = cell_counts(groups, cell, n_cells, weights=weights)
    s2 = cell_counts(groups, cell, n_cells, weights=weights * weights)
    mean = np.divide(s1, n, out=np.zeros_like(s1), where=n > 0)
    var = np.divide(s2, n, out=np.zeros_like(s2), where=n > 0) - mean**2
    return np.stack([mean, np.sqrt(np.clip(var, 0, None))], axis=-1)


def grouped_order(groups: Groups, base_order: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Row indices grouped by group code (keeping ``base_order`` within a group) and the group bounds.

    Group ``j`` is ``order[bounds[j]:bounds[j + 1]]``. With ``base_order`` the rows sorted by score, each
    group's rows come out sorted by score, from a single global sort.
    """
    base = np.arange(len(groups.codes)) if base_order is None else base_order
    small = groups.codes[base].astype(np.int16 if groups.n_groups < 2**15 else np.int64)
    order = base[np.argsort(small, kind="stable")]
    bounds = np.concatenate([[0], np.cumsum(groups.sizes)])
    return order, bounds
