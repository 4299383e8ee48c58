"""The pandas engine: the engine protocol on an in-memory :class:`~audits.context.AuditContext`.

The audit's own sections run on the context's rows (today's code path); this engine exposes the same
aggregates the Spark engine computes, with the same group codes (:func:`audits.fairness.counts.group_codes`),
so that the two can be compared number for number and the aggregate path can be checked against the row path.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import pandas as pd

from audits.context import AuditContext
from audits.engines.base import (
    OVERALL,
    QUANTILE_PROBABILITIES,
    SCORE_BINS,
    CellCounts,
    ColumnProfile,
    ScoreHistogram,
    score_bin_index,
)
from audits.fairness.counts import binary_cell_index, cell_counts, group_codes


class PandasEngine:
    """Aggregates of a binary audit context (exact: quantiles and distinct counts too)."""

    name = "pandas"

    def __init__(self, ctx: AuditContext) -> None:
        if ctx.task != "binary":
            raise ValueError("the engine aggregates cover binary audits")
        self.ctx = ctx
        self._cell = binary_cell_index(ctx.y_true, ctx.y_pred)

    @property
    def n_rows(self) -> int:
        return self.ctx.n_rows

    def confusion_counts(self, columns: Sequence[str]) -> dict[str, CellCounts]:
        w = self.ctx.sample_weight
        out = {}
        for col in columns:
            g = group_codes(col, self.ctx.sensitive[col])
            rows = cell_counts(g, self._cell, 4)
            sums = None if w is None else cell_counts(g, self._cell, 4, weights=np.asarray(w, dtype=float))
            sq = None if w is None else cell_counts(g, self._cell, 4, weights=np.asarray(w, dtype=float) ** 2)
            out[col] = CellCounts(col, g.names, rows, sums, sq)
        return out

    def score_histograms(self, eligible: Mapping[str, Sequence[str]]) -> dict[str, ScoreHistogram]:
        ctx = self.ctx
        if ctx.y_score is None:
            return {}
        k = SCORE_BINS + 1
        s = np.asarray(ctx.y_score, dtype=float)
        y = np.asarray(ctx.y_true, dtype=np.int64)
        w = np.ones(len(s)) if ctx.sample_weight is None else np.asarray(ctx.sample_weight, dtype=float)
        cell = score_bin_index(s) * 2 + y

        def hist(codes: np.ndarray, n_groups: int) -> tuple[np.ndarray, ...]:
            flat = codes * 2 * k + cell
            size = n_groups * 2 * k
            return tuple(
                np.bincount(flat, weights=v, minlength=size).reshape(n_groups, k, 2)
                for v in (None, w, w * w, w * s)
            )

        out = {}
        zeros = np.zeros(len(s), dtype=np.int64)
        out[OVERALL] = ScoreHistogram(OVERALL, ("all",), *hist(zeros, 1))
        for col, keep in eligible.items():
            g = group_codes(col, ctx.sensitive[col])
            pick = [i for i, n in enumerate(g.names) if n in set(keep)]
            r, wt, sq, ss = hist(g.codes, g.n_groups)
            out[col] = ScoreHistogram(
                col, tuple(g.names[i] for i in pick), r[pick], wt[pick], sq[pick], ss[pick]
            )
        return out

    def column_profiles(
        self, columns: Sequence[str], *, group_columns: Sequence[str]
    ) -> dict[str, ColumnProfile]:
        df = self.ctx.data
        out = {}
        for col in columns:
            s = df[col]
            miss = s.isna()
            by = {
                gc: {
                    str(k): int(v)
                    for k, v in miss.groupby(self.ctx.sensitive[gc], observed=True).sum().items()
                }
                for gc in group_columns
            }
            q = None
            if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) and s.notna().any():
                vals = np.nanquantile(s.to_numpy(dtype=float), QUANTILE_PROBABILITIES, method="inverted_cdf")
                q = dict(zip(QUANTILE_PROBABILITIES, (float(v) for v in vals), strict=True))
            out[col] = ColumnProfile(
                col, len(s), int(miss.sum()), by, int(s.nunique(dropna=True)), 0.0, q, 0.0
            )
        return out

    def sample(self, n: int, *, seed: int) -> pd.DataFrame:
        df = self.ctx.data
        return df if len(df) <= n else df.sample(n=n, random_state=seed)
