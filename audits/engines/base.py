"""The engine protocol: what the audit sections ask of the data, whatever holds it.

The fairness and performance numbers of a binary audit depend on the rows only through aggregates:

* confusion counts per group (rows, weight sums and sums of squared weights of the cells tp, fp, tn, fn) of
  every protected attribute and intersection: every rate, its Wilson / Newcombe / MOVER interval and every
  verdict follow exactly;
* score histograms per group (:data:`SCORE_BINS` + 1 bins on the exact decimal grid ``i / 1000``): the
  threshold curves and calibration tables follow exactly, ROC AUC within a bound computed from the histogram
  itself (:func:`auc_from_histogram`);
* per-column aggregates for data quality (missing values by group, distinct counts, quantiles).

:class:`~audits.engines.pandas_engine.PandasEngine` computes them from an in-memory context (today's code
path), :class:`~audits.engines.spark_engine.SparkEngine` with PySpark aggregations, where the data lives.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Protocol

import numpy as np
import pandas as pd

# Fine score bins: bin i < SCORE_BINS holds grid[i] <= score < grid[i + 1] with grid[i] = i / SCORE_BINS (the
# correctly rounded double, as audits.fairness.thresholds.decimal_grid); bin SCORE_BINS holds score == 1.0.
# Multiples of 100 keep the 101-point threshold grid and the 10 calibration bins on bin edges (exact curves).
SCORE_BINS = 1000
OVERALL = ""  # key of the all-rows histogram in ScoreHistogram results
QUANTILE_PROBABILITIES = (0.01, 0.25, 0.5, 0.75, 0.99)


@dataclass(frozen=True)
class CellCounts:
    """Confusion counts of one group column, groups sorted by label.

    ``rows`` (g, 4) are row counts of the cells tp, fp, tn, fn (the small-group rules use them); ``sums`` and
    ``squares`` the cells' weight sums and sums of squared weights, None without sample weights.
    """

    column: str
    names: tuple[str, ...]
    rows: np.ndarray
    sums: np.ndarray | None = None
    squares: np.ndarray | None = None

    @property
    def sizes(self) -> np.ndarray:
        return self.rows.sum(axis=1)

    @property
    def weighted(self) -> np.ndarray:
        """(g, 4) the cells as the metrics use them: weight sums, else row counts."""
        return self.rows.astype(float) if self.sums is None else self.sums


@dataclass(frozen=True)
class ScoreHistogram:
    """Per-group score histograms of one group column: (g, SCORE_BINS + 1, 2) arrays, last axis (negative,
    positive label). Only the groups listed in ``names`` (those the small-group rules keep) are present."""

    column: str
    names: tuple[str, ...]
    rows: np.ndarray
    weights: np.ndarray
    squares: np.ndarray
    score_sums: np.ndarray  # sums of weight × score


@dataclass(frozen=True)
class ColumnProfile:
    """Aggregates of one column for data quality.

    ``distinct_rsd`` is the relative standard deviation of the distinct count (0: exact);
    ``quantile_rank_error`` the relative rank error of the quantiles (0: exact), as Spark states them.
    """

    column: str
    rows: int
    missing: int
    missing_by_group: Mapping[str, Mapping[str, int]]  # group column -> group -> missing values
    distinct: int
    distinct_rsd: float
    quantiles: Mapping[float, float] | None
    quantile_rank_error: float


class Engine(Protocol):
    """The aggregations an audit asks of an engine; every array is small (groups × cells or bins)."""

    name: str

    @property
    def n_rows(self) -> int: ...

    def confusion_counts(self, columns: Sequence[str]) -> dict[str, CellCounts]:
        """Counts of the binary cells per group of each group column."""
        ...

    def score_histograms(self, eligible: Mapping[str, Sequence[str]]) -> dict[str, ScoreHistogram]:
        """Histograms of the groups listed per group column (the small-group rules already applied), and of
        all rows under :data:`OVERALL`."""
        ...

    def column_profiles(
        self, columns: Sequence[str], *, group_columns: Sequence[str]
    ) -> dict[str, ColumnProfile]:
        """Missing values (overall and per group), distinct counts and quantiles of numeric columns."""
        ...

    def sample(self, n: int, *, seed: int) -> pd.DataFrame:
        """A seeded sample of at most ``n`` rows, collected where the audit runs."""
        ...


# --- what the sections derive from a histogram ------------------------------------------------------------------
def auc_from_histogram(neg: np.ndarray, pos: np.ndarray) -> tuple[float, float]:
    """ROC AUC of binned scores (pairs in one bin count 1/2) and the bound on its distance to the exact AUC.

    Within a bin the order of a positive and a negative is unknown; each such pair adds 0 or 1 to the exact
    count and 1/2 to the binned one, so ``|exact − binned| <= Σ_b pos_b · neg_b / (2 · P · N)``: the bound is
    computed from the data, not assumed. NaN when a class is absent.
    """
    neg = np.asarray(neg, dtype=float)
    pos = np.asarray(pos, dtype=float)
    total = pos.sum() * neg.sum()
    if total <= 0:
        return float("nan"), float("nan")
    below = np.cumsum(neg) - neg
    auc = float(np.sum(pos * (below + 0.5 * neg)) / total)
    return auc, float(np.sum(pos * neg) / (2 * total))


def _tail_share(w: np.ndarray, starts: np.ndarray) -> list[float | None]:
    """Share of the weight in bins >= each start (None without weight)."""
    total = float(w.sum())
    tail = np.concatenate([np.cumsum(w[::-1])[::-1], [0.0]])
    return [None if total <= 0 else float(tail[s] / total) for s in starts]


def curves_from_histograms(h: ScoreHistogram, n_thresholds: int = 101) -> dict[str, object]:
    """The fairness section's threshold curves (positive when score >= t, t on the decimal grid) from bins."""
    from audits.fairness.thresholds import decimal_grid

    grid = decimal_grid(n_thresholds)
    step = SCORE_BINS // (n_thresholds - 1)
    starts = np.arange(n_thresholds) * step
    groups = {}
    for j, name in enumerate(h.names):
        w = h.weights[j]
        groups[name] = {
            "selection_rate": _tail_share(w.sum(axis=1), starts),
            "tpr": _tail_share(w[:, 1], starts),
            "fpr": _tail_share(w[:, 0], starts),
            "count": int(h.rows[j].sum()),
        }
    return {"thresholds": grid.tolist(), "rule": "positive when score >= threshold", "groups": groups}


def calibration_from_histograms(h: ScoreHistogram, n_bins: int = 10) -> dict[str, object]:
    """The fairness section's calibration by group (bins closed on the left, 1.0 in the last) from bins."""
    from audits.fairness.thresholds import decimal_grid

    per = SCORE_BINS // n_bins
    coarse = np.minimum(np.arange(SCORE_BINS + 1) // per, n_bins - 1)
    groups = {}
    for j, name in enumerate(h.names):
        cnt = np.bincount(coarse, weights=h.rows[j].sum(axis=1), minlength=n_bins)
        w = np.bincount(coarse, weights=h.weights[j].sum(axis=1), minlength=n_bins)
        ws = np.bincount(coarse, weights=h.score_sums[j].sum(axis=1), minlength=n_bins)
        wy = np.bincount(coarse, weights=h.weights[j][:, 1], minlength=n_bins)
        groups[name] = {
            "count": [int(c) for c in cnt],
            "mean_score": [None if d <= 0 else float(x / d) for x, d in zip(ws, w, strict=True)],
            "observed_rate": [None if d <= 0 else float(x / d) for x, d in zip(wy, w, strict=True)],
        }
    return {
        "edges": decimal_grid(n_bins + 1).tolist(),
        "groups": groups,
        "rule": "bin i holds edges[i] <= score < edges[i + 1]",
    }


def score_bin_index(score: np.ndarray) -> np.ndarray:
    """Fine bin of each score (see :data:`SCORE_BINS`), exact at the decimal edges."""
    s = np.asarray(score, dtype=float)
    idx = np.floor(s * SCORE_BINS).astype(np.int64)
    # floor(s·K) can be one off next to an edge; compare with the edge values themselves.
    idx = np.where(s < idx / SCORE_BINS, idx - 1, idx)
    idx = np.where(s >= (idx + 1) / SCORE_BINS, idx + 1, idx)
    return np.clip(idx, 0, SCORE_BINS)
