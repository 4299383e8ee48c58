"""The audit sections from engine aggregates: performance, fairness and data-quality aggregations.

:class:`AggregateContext` stands in for :class:`~audits.context.AuditContext` where the rows are not on this
machine: it holds what the sections' assembly reads (config, task, labels, group columns, row count), and the
numbers come from an :class:`~audits.engines.base.Engine`. The fairness rates, their intervals and verdicts go
through the same code as the pandas path (:func:`audits.fairness.compute.binary_from_counts` and
:func:`audits.fairness.section.column_result`), so they are identical on the same counts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property
from itertools import product
from typing import Any

import numpy as np

from audits.config import AuditConfig, Policy
from audits.engines.base import (
    OVERALL,
    CellCounts,
    ColumnProfile,
    ScoreHistogram,
    auc_from_histogram,
    calibration_from_histograms,
    curves_from_histograms,
)
from audits.fairness.compute import Inputs, binary_from_counts
from audits.fairness.counts import Groups
from audits.fairness.disparities import MetricValues
from audits.fairness.framing import framing
from audits.fairness.section import FairnessNumbers, _settings, assemble_fairness, column_result
from audits.group_labels import INTERSECTION_SEP
from audits.intervals import DELONG, delong_auc, kish_n, z_value
from audits.method import Sampling
from audits.results import Finding, SectionResult, Severity, Status, Table
from audits.stats import safe_div

AUC_APPROXIMATION = (
    "ROC AUC from per-group score histograms (1,001 bins on the exact grid i/1000; pairs within a bin count 1/2); "
    "|exact − binned| ≤ Σ pos·neg per bin / (2·P·N), computed per group and stated as roc_auc_error_bound; "
    f"interval: {DELONG} of the binned scores, widened by that bound on each side"
)


def histogram_auc_interval(
    weights: np.ndarray, squares: np.ndarray, weighted: bool, level: float
) -> tuple[float, float, float, float]:
    """(binned AUC, low, high, error bound) of one (bins, 2) score histogram (columns: negatives, positives).

    The DeLong interval of the binned AUC is widened by the bound on |exact − binned| so that it covers the
    exact AUC's population value too.
    """
    auc, bound = auc_from_histogram(weights[:, 0], weights[:, 1])
    if not np.isfinite(auc):
        return auc, float("nan"), float("nan"), bound
    sq = (float(squares[:, 1].sum()), float(squares[:, 0].sum())) if weighted else (None, None)
    _, lo, hi, _ = delong_auc(weights[:, 1], weights[:, 0], *sq, level=level)
    return auc, max(lo - bound, 0.0), min(hi + bound, 1.0), bound


@dataclass(frozen=True, eq=False)
class AggregateContext:
    """What the sections' assembly reads of an audit context, for data that stays in an engine (binary)."""

    config: AuditConfig
    target: str
    positive_label: Any
    classes: tuple[Any, ...]
    protected_columns: tuple[str, ...]
    intersection_columns: tuple[str, ...]
    n_rows: int
    threshold: float | None
    prediction_source: str
    prediction_seconds: float | None
    weighted: bool
    features: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    binning: Mapping[str, Any] = field(default_factory=dict)
    engine: str = "spark"
    task: str = "binary"

    @property
    def policy(self) -> Policy:
        return self.config.policy

    @cached_property
    def sampling(self) -> Sampling:
        return Sampling.from_config(self.config)

    @property
    def seed(self) -> int:
        return self.config.seed

    @property
    def group_columns(self) -> tuple[str, ...]:
        return self.protected_columns + self.intersection_columns

    @property
    def sample_weight(self) -> np.ndarray | None:
        # The sections only ask whether rows are weighted; the weights stay in the engine.
        return np.ones(0) if self.weighted else None

    @property
    def positive_label_str(self) -> str:
        return str(self.positive_label)

    def describe(self) -> dict[str, Any]:
        return {
            "task": self.task,
            "target": self.target,
            "positive_label": str(self.positive_label),
            "classes": [str(c) for c in self.classes],
            "features": list(self.features),
            "protected": list(self.protected_columns),
            "intersections": list(self.intersection_columns),
            "prediction_source": self.prediction_source,
            "threshold": self.threshold,
            "rows": self.n_rows,
            "binning": dict(self.binning),
            "notes": list(self.notes),
            "engine": self.engine,
        }


def eligible_groups(counts: Mapping[str, CellCounts], min_group_size: int) -> dict[str, list[str]]:
    """Groups of each column that the small-group rule keeps (the only ones whose histograms are collected)."""
    return {
        col: [g for g, n in zip(c.names, c.sizes, strict=True) if n >= min_group_size]
        for col, c in counts.items()
    }


# --- performance --------------------------------------------------------------------------------------------------
def _normal_mean_row(
    name: str, total_w: float, sum_x: float, sum_x2: float, n_eff: float, n: int, level: float
):
    from audits.performance import _interval_row

    mean = sum_x / total_w if total_w > 0 else float("nan")
    var = max(sum_x2 / total_w - mean * mean, 0.0) if total_w > 0 else float("nan")
    half = float(z_value(level)) * np.sqrt(var / n_eff) if n_eff > 0 else float("nan")
    method = f"normal approximation of the (weighted) mean over {n:,} rows (Kish effective n), {level:.0%} interval"
    return _interval_row(name, mean, mean - half, mean + half, method, n)


def performance_from_aggregates(
    actx: AggregateContext,
    overall: CellCounts,
    hist: ScoreHistogram | None,
    score_moments: Mapping[str, float] | None,
) -> SectionResult:
    """The performance section from the overall confusion cells, the overall histogram and score moments.

    Count metrics and their intervals are those of the pandas path (same cells, same seeded draws). ROC AUC is
    the histogram AUC (bound stated); log loss and Brier score carry normal-approximation intervals.
    """
    from audits.performance import (
        CALIBRATION_BINS,
        Numbers,
        _interval_row,
        assemble_performance,
        binary_count_rows_from_cells,
        confusion_table,
    )

    sp = actx.sampling
    sums = None if overall.sums is None else overall.sums.sum(axis=0)
    squares = None if overall.squares is None else overall.squares.sum(axis=0)
    rows, confusion = binary_count_rows_from_cells(overall.rows.sum(axis=0), sums, squares, sp)
    tables = [confusion_table(confusion, actx.positive_label, actx.n_rows)]
    extra: dict[str, Any] = {}
    if hist is not None and score_moments is not None:
        auc, lo, hi, bound = histogram_auc_interval(
            hist.weights[0], hist.squares[0], actx.weighted, sp.confidence_level
        )
        auc_row = _interval_row("roc_auc", auc, lo, hi, AUC_APPROXIMATION, actx.n_rows)
        rows.append(auc_row)
        m = score_moments
        n_eff = float(kish_n(m["w"], m["w2"]))
        for name in ("log_loss", "brier_score"):
            rows.append(
                _normal_mean_row(
                    name, m["w"], m[name], m[f"{name}_sq"], n_eff, actx.n_rows, sp.confidence_level
                )
            )
        extra["roc_auc_error_bound"] = bound
        per = (hist.rows.shape[1] - 1) // CALIBRATION_BINS
        coarse = np.minimum(np.arange(hist.rows.shape[1]) // per, CALIBRATION_BINS - 1)
        counts = np.bincount(coarse, weights=hist.rows[0].sum(axis=1), minlength=CALIBRATION_BINS)
        # as the pandas table (unweighted rows); with weights the mean score and positive share are weighted
        w_bins = hist.weights[0] if actx.weighted else hist.rows[0]
        den = np.bincount(coarse, weights=w_bins.sum(axis=1), minlength=CALIBRATION_BINS)
        ss = np.bincount(coarse, weights=hist.score_sums[0].sum(axis=1), minlength=CALIBRATION_BINS)
        pos = np.bincount(coarse, weights=w_bins[:, 1], minlength=CALIBRATION_BINS)
        mean_score = safe_div(ss, den)
        observed = safe_div(pos, den)
        edges = np.linspace(0, 1, CALIBRATION_BINS + 1)
        tables.append(
            Table(
                title="Calibration",
                data={
                    "bin": [f"{edges[i]:.1f}–{edges[i + 1]:.1f}" for i in range(CALIBRATION_BINS)],
                    "rows": [int(c) for c in counts],
                    "mean_score": mean_score.tolist(),
                    "observed_rate": observed.tolist(),
                },
                note="Equal-width score bins (edges i/10, from the score histogram); observed rate is the share of "
                "positive labels. Empty bins are undefined.",
            )
        )
        share = counts / max(actx.n_rows, 1)
        extra["expected_calibration_error"] = float(
            np.nansum(share * np.abs(np.nan_to_num(mean_score) - np.nan_to_num(observed)))
        )
    result = assemble_performance(actx, Numbers(rows, confusion, tables, extra))
    note = (
        f"Computed by the {actx.engine} engine from aggregates: count metrics as on one machine; ROC AUC from "
        "score histograms (error bound in roc_auc_error_bound); the error-analysis cohorts and curves need rows "
        "and were not computed."
    )
    return dataclasses.replace(
        result,
        summary=(*result.summary, note),
        method={**result.method, "engine": actx.engine, "roc_auc": AUC_APPROXIMATION if hist else None},
    )


# --- fairness -------------------------------------------------------------------------------------------------
def _auc_values(
    cc: CellCounts,
    hist: ScoreHistogram,
    overall: tuple[float, tuple[float, float]],
    elig: np.ndarray,
    actx: AggregateContext,
    level: float,
) -> tuple[MetricValues, list[str], dict[str, float]]:
    g = len(cc.names)
    point, lo, hi = np.full(g, np.nan), np.full(g, np.nan), np.full(g, np.nan)
    how = ["not computed: group below min_group_size (its histogram is not collected)"] * g
    bounds: dict[str, float] = {}
    index = {name: j for j, name in enumerate(cc.names)}
    for h, name in enumerate(hist.names):
        j = index[name]
        point[j], lo[j], hi[j], bounds[name] = histogram_auc_interval(
            hist.weights[h], hist.squares[h], actx.weighted, level
        )
        how[j] = "DeLong on the score histogram"
    none = np.zeros((0, g))
    mv = MetricValues(
        "roc_auc",
        point,
        none,
        overall[0],
        np.zeros(0),
        elig,
        closed_ci=(lo, hi),
        overall_closed_ci=overall[1],
    )
    return mv, how, bounds


def _empty_intersections(actx: AggregateContext, col: str, counts: Mapping[str, CellCounts]) -> list[str]:
    if col not in actx.intersection_columns:
        return []
    parts = col.split(INTERSECTION_SEP)
    seen = set(counts[col].names)
    levels = [sorted(counts[p].names) for p in parts]
    return [INTERSECTION_SEP.join(c) for c in product(*levels) if INTERSECTION_SEP.join(c) not in seen]


def fairness_from_aggregates(
    actx: AggregateContext,
    counts: Mapping[str, CellCounts],
    hists: Mapping[str, ScoreHistogram] | None,
    *,
    prior: Mapping[str, SectionResult],
    threshold_agreement: Mapping[str, Any] | None = None,
) -> SectionResult:
    """The fairness section from per-group confusion counts (and score histograms when there are scores)."""
    settings = _settings(actx)
    with_score = bool(hists)
    empty = np.zeros(0)
    inputs = Inputs(
        task="binary",
        y_true=empty,
        y_pred=empty,
        score=empty if with_score else None,
        weights=empty if actx.weighted else None,
        classes=tuple(actx.classes),
    )
    numbers = FairnessNumbers(settings=settings, inputs=inputs, framing=framing(actx))
    overall: tuple[float, tuple[float, float]] | None = None
    auc_bounds: dict[str, dict[str, float]] = {}
    for col in actx.group_columns:
        cc = counts[col]
        groups = Groups(col, cc.names, np.zeros(0, dtype=np.int64), cc.sizes)
        cs = binary_from_counts(groups, cc.rows, cc.weighted, cc.squares, settings, with_score=with_score)
        curves = calibration = None
        if with_score and hists is not None:
            if overall is None:
                oh = hists[OVERALL]
                point, o_lo, o_hi, _ = histogram_auc_interval(
                    oh.weights[0], oh.squares[0], actx.weighted, settings.level
                )
                overall = (point, (o_lo, o_hi))
            mv, how, auc_bounds[col] = _auc_values(
                cc, hists[col], overall, cs.eligibility["roc_auc"], actx, settings.level
            )
            cs.values["roc_auc"] = mv
            cs.row_rows["roc_auc"] = how
            curves = curves_from_histograms(hists[col])
            calibration = calibration_from_histograms(hists[col])
        numbers.columns.append(
            column_result(
                actx,
                cs,
                numbers,
                prior,
                empty=_empty_intersections(actx, col, counts),
                curves=curves,
                calibration=calibration,
            )
        )
    result = assemble_fairness(actx, numbers)
    metrics = dict(result.metrics)
    method = dict(result.method)
    if with_score:
        metrics["threshold_agreement"] = dict(threshold_agreement or {"threshold": actx.threshold})
        metrics["roc_auc_error_bound"] = auc_bounds
        method["roc_auc_interval_method"] = AUC_APPROXIMATION
        method["threshold_curves"] = (
            "exact from the score histograms (thresholds and calibration edges fall on bin edges); groups below "
            "min_group_size have no curve"
        )
    method["engine"] = (
        f"{actx.engine}: confusion counts aggregated per group (exact); rates, intervals and verdicts computed "
        "from them as on one machine"
    )
    return dataclasses.replace(result, metrics=metrics, method=method)


# --- data quality -------------------------------------------------------------------------------------------------
# The row-level checks no aggregation answers; the proxy check runs on the driver sample instead
# (audits/engines/driver_sample.py adds which checks ran there, and on how many rows).
NOT_RUN_CHECKS = (
    "duplicates, label issues, leakage, drift against a reference, outliers and allowed values need rows on one "
    "machine"
)


def representation(actx: AggregateContext, counts: Mapping[str, CellCounts]) -> dict[str, dict[str, Any]]:
    """Count, share, positives, negatives and base rate per group (the data-quality section's layout)."""
    rep = {}
    for col in actx.group_columns:
        c = counts[col]
        sizes = c.sizes
        pos = c.rows[:, 0] + c.rows[:, 3]
        order = sorted(range(len(c.names)), key=lambda j: (-sizes[j], c.names[j]))
        rep[col] = {
            "group": [c.names[j] for j in order],
            "count": [int(sizes[j]) for j in order],
            "share": [float(sizes[j]) / actx.n_rows for j in order],
            "positives": [int(pos[j]) for j in order],
            "negatives": [int(sizes[j] - pos[j]) for j in order],
            "base_rate": [float(pos[j]) / float(sizes[j]) if sizes[j] else None for j in order],
        }
    return rep


def _missing_gaps(
    actx: AggregateContext, counts: Mapping[str, CellCounts], p: list[ColumnProfile]
) -> list[Any]:
    """Per column: the protected attribute whose groups' missing shares differ most, and by how much (or None)."""
    gap: list[Any] = []
    for prof in p:
        worst = None
        for gcol in actx.protected_columns:
            sizes = dict(zip(counts[gcol].names, counts[gcol].sizes, strict=True))
            shares = {g: m / sizes[g] for g, m in prof.missing_by_group.get(gcol, {}).items() if sizes.get(g)}
            if len(shares) >= 2:
                spread = max(shares.values()) - min(shares.values())
                if worst is None or spread > worst[0]:
                    worst = (spread, gcol)
        gap.append(None if worst is None else {"attribute": worst[1], "missing_share_gap": worst[0]})
    return gap


def _profile_table(cols: list[str], p: list[ColumnProfile], gap: list[Any]) -> Table:
    quantiles = sorted({q for x in p if x.quantiles for q in x.quantiles})
    return Table(
        title="Column aggregates",
        data={
            "column": cols,
            "missing": [x.missing for x in p],
            "missing_share": [x.missing / x.rows if x.rows else None for x in p],
            "largest_missing_gap_between_groups": [
                None if g is None else g["missing_share_gap"] for g in gap
            ],
            "attribute_of_gap": [None if g is None else g["attribute"] for g in gap],
            "distinct_approx": [x.distinct for x in p],
            **{
                f"q{int(q * 100):02d}": [None if x.quantiles is None else x.quantiles.get(q) for x in p]
                for q in quantiles
            },
        },
        note=(
            "Distinct counts: approx_count_distinct, relative standard deviation "
            f"{p[0].distinct_rsd if p else 0:g}. Quantiles: approxQuantile, rank within "
            f"{max((x.quantile_rank_error for x in p), default=0):g} × rows of the exact rank."
        ),
    )


def _representation_table(rep: Mapping[str, Mapping[str, list]]) -> Table:
    return Table(
        title="Representation",
        data={
            "attribute": [c for c in rep for _ in rep[c]["group"]],
            **{
                k: [v for c in rep for v in rep[c][k]]
                for k in ("group", "count", "share", "positives", "base_rate")
            },
        },
    )


def _aggregate_findings(actx: AggregateContext, rep: Mapping[str, Mapping[str, list]]) -> list[Finding]:
    """That the row-level checks did not run, and the groups below the minimum size."""
    small = [
        (col, g, n)
        for col in actx.group_columns
        for g, n in zip(rep[col]["group"], rep[col]["count"], strict=True)
        if n < actx.policy.min_group_size
    ]
    findings = [
        Finding(
            code="DQ_ENGINE_PARTIAL",
            severity=Severity.WARN,
            message=(
                f"Only the aggregate data-quality checks ran on the {actx.engine} engine; the row-level checks "
                f"({NOT_RUN_CHECKS}) did not run. Run the pandas engine on a sample for them."
            ),
        )
    ]
    if small:
        findings.append(
            Finding(
                code="DQ_SMALL_GROUPS",
                severity=Severity.INFO,
                message=f"{len(small)} group(s) have fewer than {actx.policy.min_group_size} rows.",
                evidence={"groups": [f"{c}: {g} ({n})" for c, g, n in small[:20]]},
            )
        )
    return findings


def data_quality_from_aggregates(
    actx: AggregateContext,
    counts: Mapping[str, CellCounts],
    profiles: Mapping[str, ColumnProfile],
) -> SectionResult:
    """The data-quality aggregations: representation, base rates, missing values (by group), distinct counts and
    quantiles. The row-level checks are not run, and the section says so (status warn)."""
    rep = representation(actx, counts)
    cols = list(profiles)
    p = [profiles[c] for c in cols]
    return SectionResult(
        name="data_quality",
        title="Data quality",
        status=Status.WARN,
        summary=(
            f"{actx.n_rows:,} rows aggregated by the {actx.engine} engine: representation and base rates of "
            f"{len(rep)} group column(s), missing values, distinct counts and quantiles of {len(cols)} column(s).",
            f"Not run on this engine: {NOT_RUN_CHECKS}.",
        ),
        findings=tuple(_aggregate_findings(actx, rep)),
        tables={
            "representation": _representation_table(rep),
            "columns": _profile_table(cols, p, _missing_gaps(actx, counts, p)),
        },
        metrics={
            "representation": rep,
            "columns": {
                x.column: {
                    "missing": x.missing,
                    "missing_by_group": {k: dict(v) for k, v in x.missing_by_group.items()},
                    "distinct_approx": x.distinct,
                    "quantiles": None if x.quantiles is None else {str(q): v for q, v in x.quantiles.items()},
                }
                for x in p
            },
        },
        method={
            "engine": actx.engine,
            "distinct_counts": f"approx_count_distinct, relative standard deviation {p[0].distinct_rsd if p else 0:g}",
            "quantiles": "approxQuantile, relative rank error "
            f"{max((x.quantile_rank_error for x in p), default=0):g}",
            "exact": "representation, base rates and missing counts",
            "not_run": NOT_RUN_CHECKS,
        },
    )


__all__ = [
    "AggregateContext",
    "data_quality_from_aggregates",
    "eligible_groups",
    "fairness_from_aggregates",
    "performance_from_aggregates",
    "representation",
]
