"""The Spark engine: the engine protocol as PySpark DataFrame aggregations, computed where the data lives.

The engine works on a *prepared* DataFrame (built by :mod:`audits.spark_audit`): ``__y`` and ``__p`` the 0/1
label and prediction, ``__s`` the score (optional), ``__w`` the sample weight (optional) and one string column
of group labels per group column. Each aggregation is one pass: ``GROUPING SETS`` give every group column's
counts at once, so only (groups × cells) or (groups × bins) rows ever reach the driver.

Exact: counts, weight sums, histograms, missing counts. Approximated, with the error Spark states:
distinct counts (``approx_count_distinct``, relative standard deviation :data:`DISTINCT_RSD`) and quantiles
(``approxQuantile``, relative rank error :data:`QUANTILE_ERROR`).

Rows reach the driver only as one seeded sample (:func:`seeded_sample`, bounded on the executors before it is
collected) for the sections that need rows (:mod:`audits.engines.driver_sample`).
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from audits.engines.base import (
    OVERALL,
    QUANTILE_PROBABILITIES,
    SCORE_BINS,
    CellCounts,
    ColumnProfile,
    ScoreHistogram,
)

# approx_count_distinct: relative standard deviation of the HyperLogLog++ estimate (Spark's default; 0.01 makes
# the sketch 25 times larger and the pass about 20 times slower)
DISTINCT_RSD = 0.05
# approxQuantile: the returned value's rank is within QUANTILE_ERROR × rows of p × rows
QUANTILE_ERROR = 0.001
JOINT_COUNT_CAP = 50_000  # joint groups of every attribute counted in one groupBy (× 4 cells collected)
JOINT_HISTOGRAM_CAP = 1_000  # joint groups histogrammed in one groupBy (× 2,002 bins collected at most)


def score_bin_column(score: Any) -> Any:
    """Spark expression of the fine score bin (as :func:`audits.engines.base.score_bin_index`)."""
    from pyspark.sql import functions as F

    k = float(SCORE_BINS)
    idx = F.floor(score * F.lit(k)).cast("long")
    idx = F.when(score < idx / F.lit(k), idx - 1).otherwise(idx)
    idx = F.when(score >= (idx + 1) / F.lit(k), idx + 1).otherwise(idx)
    return F.greatest(F.lit(0), F.least(idx, F.lit(SCORE_BINS))).cast("int")


class SparkEngine:
    """Aggregates of a prepared Spark DataFrame (see the module docstring)."""

    name = "spark"

    def __init__(
        self,
        df: Any,
        group_columns: Mapping[str, str],
        *,
        weighted: bool,
        with_score: bool,
        n_rows: int,
        parts: Mapping[str, tuple[str, ...]] | None = None,
        combinations: int | None = None,
    ) -> None:
        self.df = df
        self.group_columns = dict(group_columns)  # audit name -> column of the prepared frame
        self.weighted = weighted
        self.with_score = with_score
        self._n_rows = n_rows
        # parts: each group column's protected attributes (an intersection has two); combinations: an upper
        # estimate of the attributes' joint groups. When it is small, one groupBy over every attribute gives all
        # columns (intersections summed on the driver) without GROUPING SETS' row expansion.
        self.parts = dict(parts or {})
        self.combinations = combinations

    def _joint(self, cap: int) -> list[str] | None:
        """The attribute columns to group by jointly, when the joint groups stay under ``cap``; else None."""
        if not self.parts or self.combinations is None or self.combinations > cap:
            return None
        attributes = dict.fromkeys(a for p in self.parts.values() for a in p)
        return [self.group_columns[a] for a in attributes]

    def _key(self, res: pd.DataFrame, name: str) -> pd.Series:
        """The group label of column ``name`` of each row of a joint table (intersections joined as labelled)."""
        from audits.group_labels import INTERSECTION_SEP

        cols = [self.group_columns[a] for a in self.parts[name]]
        key = res[cols[0]].astype(str)
        for c in cols[1:]:
            key = key + INTERSECTION_SEP + res[c].astype(str)
        return key

    def _joint_parts(
        self, res: pd.DataFrame, columns: Sequence[str], by: list[str]
    ) -> dict[str, pd.DataFrame]:
        values = [c for c in res.columns if c not in by and c not in self.group_columns.values()]
        return {
            name: res.assign(__key=self._key(res, name)).groupby(["__key", *by], as_index=False)[values].sum()
            for name in columns
        }

    def _aggs(self, *extra: Any) -> list[Any]:
        from pyspark.sql import functions as F

        out = [F.count(F.lit(1)).alias("n")]
        if self.weighted:
            w = F.col("__w")
            out += [F.sum(w).alias("w"), F.sum(w * w).alias("w2")]
        return out + list(extra)

    @property
    def n_rows(self) -> int:
        return self._n_rows

    def _sql(self, frame: Any, select: str, sets: list[str]) -> pd.DataFrame:
        view = f"rai_audit_{uuid.uuid4().hex}"
        frame.createOrReplaceTempView(view)
        try:
            q = f"SELECT {select} FROM `{view}` GROUP BY GROUPING SETS ({', '.join(sets)})"
            return frame.sparkSession.sql(q).toPandas()
        finally:
            frame.sparkSession.catalog.dropTempView(view)

    def _sums(self) -> str:
        if not self.weighted:
            return "count(1) AS n"
        return "count(1) AS n, sum(`__w`) AS w, sum(`__w` * `__w`) AS w2"

    def _count_parts(self, columns: Sequence[str]) -> dict[str, pd.DataFrame]:
        """Per group column: rows (``__key``, ``__y``, ``__p``, n[, w, w2]) from one pass."""
        joint = self._joint(JOINT_COUNT_CAP)
        if joint is not None:
            res = self.df.groupBy(*joint, "__y", "__p").agg(*self._aggs()).toPandas()
            return self._joint_parts(res, columns, ["__y", "__p"])
        cols = [self.group_columns[c] for c in columns]
        flags = ", ".join(f"grouping(`{c}`) AS `__in{i}`" for i, c in enumerate(cols))
        select = ", ".join(f"`{c}`" for c in cols) + f", `__y`, `__p`, {flags}, {self._sums()}"
        sets = [f"(`{c}`, `__y`, `__p`)" for c in cols]
        res = self._sql(self.df, select, sets)
        return {
            name: res[res[f"__in{i}"] == 0].rename(columns={c: "__key"})
            for i, (name, c) in enumerate(zip(columns, cols, strict=True))
        }

    def confusion_counts(self, columns: Sequence[str]) -> dict[str, CellCounts]:
        out = {}
        for name, part in self._count_parts(columns).items():
            c = "__key"
            names = tuple(sorted(str(v) for v in part[c].unique()))
            index = {g: j for j, g in enumerate(names)}
            # cells tp, fp, tn, fn: (y, p) = (1, 1), (0, 1), (0, 0), (1, 0)
            cell = np.select(
                [(part["__y"] == 1) & (part["__p"] == 1), part["__p"] == 1, part["__y"] == 0], [0, 1, 2], 3
            )
            rows = np.zeros((len(names), 4), dtype=np.int64)
            gi = part[c].astype(str).map(index).to_numpy()
            np.add.at(rows, (gi, cell), part["n"].to_numpy(dtype=np.int64))
            sums = squares = None
            if self.weighted:
                sums = np.zeros((len(names), 4))
                squares = np.zeros((len(names), 4))
                np.add.at(sums, (gi, cell), part["w"].to_numpy(dtype=float))
                np.add.at(squares, (gi, cell), part["w2"].to_numpy(dtype=float))
            out[name] = CellCounts(name, names, rows, sums, squares)
        return out

    def score_histograms(self, eligible: Mapping[str, Sequence[str]]) -> dict[str, ScoreHistogram]:
        from pyspark.sql import functions as F

        if not self.with_score:
            return {}
        names = list(eligible)
        k = SCORE_BINS + 1
        frame = self.df.withColumn("__b", score_bin_column(F.col("__s")))
        joint = self._joint(JOINT_HISTOGRAM_CAP)
        if joint is not None:
            # Bounded whatever the group sizes (at most JOINT_HISTOGRAM_CAP × bins × 2 rows); the small-group rule
            # is applied on the joint table, before any per-group histogram is built.
            w = F.col("__w") if self.weighted else F.lit(1.0)
            res = (
                frame.groupBy(*joint, "__b", "__y")
                .agg(
                    F.count(F.lit(1)).alias("n"),
                    F.sum(w).alias("w"),
                    F.sum(w * w).alias("w2"),
                    F.sum(w * F.col("__s")).alias("ws"),
                )
                .toPandas()
            )
            out = {}
            for name, part in self._joint_parts(res, names, ["__b", "__y"]).items():
                keep = tuple(sorted(eligible[name]))
                out[name] = self._hist(name, part[part["__key"].isin(keep)], "__key", keep, k)
            overall = (
                res.groupby(["__b", "__y"], as_index=False)[["n", "w", "w2", "ws"]].sum().assign(__all="all")
            )
            out[OVERALL] = self._hist(OVERALL, overall, "__all", ("all",), k)
            return out
        # The small-group rules apply here, before anything is collected: rows of groups left out of the
        # histograms get a null key and are dropped below.
        for i, name in enumerate(names):
            keep = list(eligible[name])
            frame = frame.withColumn(
                f"__h{i}", F.when(F.col(self.group_columns[name]).isin(keep), F.col(self.group_columns[name]))
            )
        hcols = [f"__h{i}" for i in range(len(names))]
        flags = ", ".join(f"grouping(`{c}`) AS `__in{i}`" for i, c in enumerate(hcols))
        w = "`__w`" if self.weighted else "1.0"
        select = (
            ", ".join(f"`{c}`" for c in hcols)
            + (", " if hcols else "")
            + f"`__b`, `__y`, {flags + ', ' if flags else ''}count(1) AS n, sum({w}) AS w, "
            f"sum({w} * {w}) AS w2, sum({w} * `__s`) AS ws"
        )
        sets = [f"(`{c}`, `__b`, `__y`)" for c in hcols] + ["(`__b`, `__y`)"]
        res = self._sql(frame, select, sets)
        out = {}
        in_any = np.zeros(len(res), dtype=bool)
        for i, name in enumerate(names):
            part = res[(res[f"__in{i}"] == 0) & res[hcols[i]].notna()]
            in_any |= (res[f"__in{i}"] == 0).to_numpy()
            out[name] = self._hist(name, part, hcols[i], tuple(sorted(eligible[name])), k)
        overall = res[~in_any].assign(__all="all")
        out[OVERALL] = self._hist(OVERALL, overall, "__all", ("all",), k)
        return out

    @staticmethod
    def _hist(name: str, part: pd.DataFrame, key: str, names: tuple[str, ...], k: int) -> ScoreHistogram:
        present = tuple(g for g in names if g in set(part[key].astype(str)))
        index = {g: j for j, g in enumerate(present)}
        arrays = [np.zeros((len(present), k, 2)) for _ in range(4)]
        gi = part[key].astype(str).map(index).to_numpy()
        b = part["__b"].to_numpy(dtype=np.int64)
        y = part["__y"].to_numpy(dtype=np.int64)
        for arr, col in zip(arrays, ("n", "w", "w2", "ws"), strict=True):
            np.add.at(arr, (gi, b, y), part[col].to_numpy(dtype=float))
        return ScoreHistogram(name, present, *arrays)

    def column_profiles(
        self, columns: Sequence[str], *, group_columns: Sequence[str]
    ) -> dict[str, ColumnProfile]:
        from pyspark.sql import functions as F
        from pyspark.sql import types as T

        df = self.df
        if not columns:
            return {}
        types = {f.name: f.dataType for f in df.schema.fields}

        def missing(c: str) -> Any:
            col = F.col(f"`{c}`")
            is_nan = F.isnan(col) if isinstance(types[c], T.FloatType | T.DoubleType) else F.lit(False)
            return col.isNull() | is_nan

        aggs = []
        for i, c in enumerate(columns):
            aggs.append(F.sum(missing(c).cast("long")).alias(f"m{i}"))
            aggs.append(F.approx_count_distinct(F.col(f"`{c}`"), rsd=DISTINCT_RSD).alias(f"d{i}"))
        totals = df.agg(*aggs).collect()[0]
        numeric = [
            c
            for c in columns
            if isinstance(types[c], T.NumericType) and not isinstance(types[c], T.BooleanType)
        ]
        quantiles = {}
        if numeric:
            qs = df.approxQuantile(numeric, list(QUANTILE_PROBABILITIES), QUANTILE_ERROR)
            quantiles = {
                c: dict(zip(QUANTILE_PROBABILITIES, q, strict=False))
                for c, q in zip(numeric, qs, strict=True)
            }
        gcols = [self.group_columns[g] for g in group_columns]
        by: dict[str, dict[str, dict[str, int]]] = {c: {} for c in columns}
        joint = self._joint(JOINT_COUNT_CAP)
        if gcols and joint is not None:
            res = (
                self.df.groupBy(*joint)
                .agg(*[F.sum(missing(c).cast("long")).alias(f"m{i}") for i, c in enumerate(columns)])
                .toPandas()
            )
            parts = self._joint_parts(res, group_columns, [])
            for gname in group_columns:
                part = parts[gname]
                for j, c in enumerate(columns):
                    by[c][gname] = {str(k): int(v) for k, v in zip(part["__key"], part[f"m{j}"], strict=True)}
        elif gcols:
            flags = ", ".join(f"grouping(`{g}`) AS `__in{i}`" for i, g in enumerate(gcols))
            sums = ", ".join(
                f"sum(CAST((`{c}` IS NULL{' OR isnan(`' + c + '`)' if isinstance(types[c], T.FloatType | T.DoubleType) else ''}) AS BIGINT)) AS `m{i}`"
                for i, c in enumerate(columns)
            )
            res = self._sql(
                df, ", ".join(f"`{g}`" for g in gcols) + f", {flags}, {sums}", [f"(`{g}`)" for g in gcols]
            )
            for i, (gname, g) in enumerate(zip(group_columns, gcols, strict=True)):
                part = res[res[f"__in{i}"] == 0]
                for j, c in enumerate(columns):
                    by[c][gname] = {str(k): int(v) for k, v in zip(part[g], part[f"m{j}"], strict=True)}
        out = {}
        for i, c in enumerate(columns):
            q = quantiles.get(c) or None
            out[c] = ColumnProfile(
                c,
                self._n_rows,
                int(totals[f"m{i}"] or 0),
                by[c],
                int(totals[f"d{i}"] or 0),
                DISTINCT_RSD,
                q,
                QUANTILE_ERROR if q is not None else 0.0,
            )
        return out

    def sample(self, n: int, *, seed: int) -> pd.DataFrame:
        return seeded_sample(self.df, n, seed=seed, n_rows=self._n_rows)


# --- a seeded sample collected to the driver ---------------------------------------------------------------------
SAMPLE_KEY = "__rai_sample_key"
SAMPLE_METHOD = (
    "bottom-k of a seeded hash: each row's key is xxhash64 of the seed and all its values (53 bits kept); the "
    "rows with the smallest keys are kept, so the same seed gives the same rows whatever the partitioning "
    "(rows with identical values are kept or left out together)"
)
# the pre-filter passes n + 8 standard deviations: fewer than n rows pass with odds below 1e-15
SAMPLE_SIGMAS = 8.0


def seeded_sample_frame(df: Any, n: int, *, seed: int, n_rows: int) -> Any:
    """The (not yet collected) Spark plan of a seeded sample of at most ``n`` rows of ``df`` (see
    :data:`SAMPLE_METHOD`), ordered by its key.

    Bounded before anything moves: rows whose key lies above a threshold (expected to pass ``n`` plus
    :data:`SAMPLE_SIGMAS` standard deviations) are dropped on the executors, then an ordered limit keeps the ``n``
    smallest keys (Spark's ``TakeOrderedAndProject``: each partition sends at most ``n`` rows). The result is
    exactly the ``n`` smallest keys whenever at least ``n`` rows pass the filter.
    """
    from pyspark.sql import functions as F
    from pyspark.sql import types as T

    # Spark refuses to hash maps; every other column takes part in the key.
    hashed = [F.col(f"`{f.name}`") for f in df.schema.fields if not isinstance(f.dataType, T.MapType)]
    key = F.shiftrightunsigned(F.xxhash64(F.lit(int(seed)), *hashed), 11)  # uniform on [0, 2^53)
    frame = df.withColumn(SAMPLE_KEY, key)
    if n_rows > n:
        share = min(1.0, (n + SAMPLE_SIGMAS * np.sqrt(n) + 64) / n_rows)
        frame = frame.where(F.col(SAMPLE_KEY) < F.lit(int(share * 2**53)))
    return frame.orderBy(SAMPLE_KEY).limit(int(n))


def seeded_sample(df: Any, n: int, *, seed: int, n_rows: int) -> pd.DataFrame:
    """A seeded sample of at most ``n`` rows of ``df`` collected to the driver (:func:`seeded_sample_frame`),
    rows in key order, index 0..n-1."""
    rows = seeded_sample_frame(df, n, seed=seed, n_rows=n_rows).toPandas()
    return rows.drop(columns=[SAMPLE_KEY]).reset_index(drop=True)
