"""The fairness section: compute every group column's numbers, then assemble the result.

The result's keys are documented in the package module (:mod:`audits.fairness`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from audits.context import AuditContext
from audits.fairness import (
    DISPARITY_COLUMNS,
    EXCLUDED_COLUMNS,
    INTERVAL_METHOD,
    NAME,
    REFERENCE_COLUMNS,
    TITLE,
)
from audits.fairness import disparities as D
from audits.fairness import verdicts as V
from audits.fairness.cells import metric_cells, overall_cells
from audits.fairness.compute import ColumnStats, Inputs, Settings, column_stats
from audits.fairness.counts import Groups, group_codes
from audits.fairness.families import reference_families, reference_index, regression_families
from audits.fairness.framing import Framing, framing
from audits.fairness.metrics import METRIC_TITLES, reason_for
from audits.fairness.summary import headline_rows, sentence, status_of, summarise
from audits.fairness.thresholds import calibration_by_group, threshold_agreement, threshold_curves
from audits.group_labels import INTERSECTION_SEP, groups_key
from audits.intervals import BCA, DELONG, MOVER_R, MOVER_SUM, NEWCOMBE, WILSON
from audits.method import METHOD_KEY, Method
from audits.results import Finding, SectionResult, Severity, Status, Table
from audits.stats import value_or_none

__all__ = ["NAME", "TITLE", "compute_fairness", "assemble_fairness", "run_fairness"]

ROW_INTERVAL_METHOD = (
    f"{BCA}: stratified row bootstrap within groups; groups above the row cap draw cap rows per resample and the "
    "deviations are rescaled by sqrt(cap / n) (m-out-of-n bootstrap)"
)
AUC_INTERVAL_METHOD = (
    f"{DELONG}, from the exact tie levels of each group's scores; the point is the exact AUC"
)
# Named binary disparities and the group metric behind each; the other metrics keep their own names.
NAMED = {"demographic_parity": "selection_rate", "equal_opportunity": "tpr"}
VERDICT_RULE = (
    "each eligible group against the reference group; FAIL when a comparison's interval lies beyond the "
    "tolerance at the Holm-adjusted level over the K − 1 comparisons (one-sided tests at (1 − confidence) "
    "/ 2); PASS when every comparison's interval lies within it (intersection–union test); INCONCLUSIVE "
    "otherwise; with a difference and a ratio tolerance, FAIL if either fails, PASS only if both pass"
)


def _inputs(ctx: AuditContext) -> Inputs:
    return Inputs(
        task=ctx.task,
        y_true=np.asarray(ctx.y_true),
        y_pred=np.asarray(ctx.y_pred),
        score=None if ctx.task != "binary" or ctx.y_score is None else np.asarray(ctx.y_score, dtype=float),
        weights=None if ctx.sample_weight is None else np.asarray(ctx.sample_weight, dtype=float),
        classes=tuple(ctx.classes),
    )


def _settings(ctx: AuditContext) -> Settings:
    sp = ctx.sampling
    return Settings(
        n_boot=sp.n_bootstrap,
        level=sp.confidence_level,
        row_cap=sp.row_cap,
        min_group_size=int(ctx.policy.min_group_size),
        min_group_events=int(ctx.policy.min_group_events),
    )


def _representation(prior: Mapping[str, SectionResult], column: str) -> dict[str, Any] | None:
    """The data-quality section's representation of ``column``, when that section ran."""
    dq = prior.get("data_quality")
    if dq is None or dq.status in (Status.ERROR, Status.SKIPPED):
        return None
    rep = (dq.metrics or {}).get("representation", {})
    entry = rep.get(column) if isinstance(rep, Mapping) else None
    if not isinstance(entry, Mapping) or "group" not in entry or "count" not in entry:
        return None
    return dict(entry)


def _label_side(
    cs: ColumnStats, rep: dict[str, Any] | None, task: str, y_true: np.ndarray
) -> tuple[dict[str, dict[str, Any]], str]:
    """Counts and base rates per group: the data-quality section's when they agree with the rows here."""
    names = cs.groups.names
    if rep is not None:
        by = {str(g): i for i, g in enumerate(rep["group"])}
        if set(by) >= set(names):
            out = {}
            agree = True
            for j, g in enumerate(names):
                i = by[g]
                cnt = rep["count"][i]
                agree &= cnt == int(cs.groups.sizes[j])
                if task == "binary" and "positives" in rep:
                    agree &= rep["positives"][i] == int(cs.positives[j])
                out[g] = {
                    "count": cnt,
                    "positives": rep.get("positives", [None] * len(by))[i],
                    "negatives": rep.get("negatives", [None] * len(by))[i],
                    "base_rate": rep.get("base_rate", [None] * len(by))[i],
                }
            if agree:
                return out, "data_quality"
    out = {}
    for j, g in enumerate(names):
        n = int(cs.groups.sizes[j])
        pos = None if cs.positives is None else int(cs.positives[j])
        neg = None if cs.negatives is None else int(cs.negatives[j])
        out[g] = {
            "count": n,
            "positives": pos,
            "negatives": neg,
            "base_rate": None if pos is None or n == 0 else pos / n,
        }
    return out, "computed"


def _group_table(
    cs: ColumnStats, cells: dict[str, dict[str, list]], label: dict[str, dict[str, Any]]
) -> tuple[Table, dict[str, Any]]:
    names = cs.groups.names
    data: dict[str, list] = {
        "group": list(names),
        "count": [label[g]["count"] for g in names],
        "positives": [label[g]["positives"] for g in names],
        "negatives": [label[g]["negatives"] for g in names],
    }
    per_group: dict[str, dict[str, Any]] = {g: {} for g in names}
    notes = [[r] if r else [] for r in cs.exclusion]
    for m in cs.metric_names:
        c = cells[m]
        data[m], data[f"{m}_ci_low"], data[f"{m}_ci_high"] = c["value"], c["ci_low"], c["ci_high"]
        undefined = []
        for j, g in enumerate(names):
            entry = {"value": c["value"][j], "ci_low": c["ci_low"][j], "ci_high": c["ci_high"][j]}
            if entry["value"] is None:
                entry["reason"] = reason_for(m)
                undefined.append(j)
            per_group[g][m] = entry
        for j in undefined:
            notes[j].append(f"{m} undefined: {reason_for(m)}")
    data["excluded"] = [bool(r) for r in cs.exclusion]
    data["note"] = ["; ".join(n) for n in notes]
    return Table(title=f"Groups of {cs.column}", data=data), per_group


def _name_extremes(rows: list[dict[str, Any]], cs: ColumnStats) -> None:
    """Fill ``group``/``reference`` of between_groups and to_overall rows with the groups concerned."""
    names = cs.groups.names
    for r in rows:
        if r["method"] == "signed" or r["value"] is None:
            continue
        base = NAMED.get(r["metric"], r["metric"])
        if r["metric"] in ("equalized_odds", "average_odds"):
            parts = [cs.values["tpr"], cs.values["fpr"]]
            elig = parts[0].eligible & parts[1].eligible
            if r["method"] == "between_groups":
                spreads = [
                    np.nanmax(np.where(elig, p.point, np.nan)) - np.nanmin(np.where(elig, p.point, np.nan))
                    for p in parts
                ]
            else:
                spreads = [np.nanmax(np.where(elig, np.abs(p.point - p.overall), np.nan)) for p in parts]
            mv = parts[int(np.nanargmax(spreads))]
        else:
            mv = cs.values.get(base)
            if mv is None:
                continue
            elig = mv.eligible
        v = np.where(elig & np.isfinite(mv.point), mv.point, np.nan)
        if np.all(np.isnan(v)):
            continue
        if r["method"] == "between_groups":
            r["group"], r["reference"] = names[int(np.nanargmin(v))], names[int(np.nanargmax(v))]
        else:
            r["group"], r["reference"] = names[int(np.nanargmax(np.abs(v - mv.overall)))], "overall"


def _disparity_rows(cs: ColumnStats, ctx: AuditContext) -> list[dict[str, Any]]:
    """Descriptive between_groups and to_overall rows (fairlearn definitions), no interval, no verdict."""
    rows: list[dict[str, Any]] = []
    if ctx.task == "binary":
        for named, base in NAMED.items():
            rows += D.metric_disparities(cs.column, named, cs.values[base])
        rows += D.odds_disparities(cs.column, cs.values["tpr"], cs.values["fpr"])
        others = [m for m in cs.metric_names if m not in NAMED.values()]
    elif ctx.task == "multiclass":
        others = list(cs.metric_names)
    else:
        others = [m for m in ("mean_prediction", "mean_target", "mae", "rmse", "r2")]
    for m in others:
        rows += D.metric_disparities(cs.column, m, cs.values[m])
    _name_extremes(rows, cs)
    return rows


def _empty_intersections(ctx: AuditContext, column: str, present: tuple[str, ...]) -> list[str]:
    """Combinations of the attributes' groups that have no rows in an intersection column."""
    parts = column.split(INTERSECTION_SEP)
    if column not in ctx.intersection_columns or not all(p in ctx.sensitive.columns for p in parts):
        return []
    levels = []
    for p in parts:
        col = ctx.sensitive[p]
        if isinstance(col.dtype, pd.CategoricalDtype):
            levels.append(sorted(str(c) for c in col.cat.remove_unused_categories().cat.categories))
        else:
            levels.append(sorted(col.astype(str).unique()))
    seen = set(present)
    return [INTERSECTION_SEP.join(c) for c in product(*levels) if INTERSECTION_SEP.join(c) not in seen]


def _worst_group(stats: list[ColumnStats], level: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in ("mae", "rmse"):
        best = None
        for cs in stats:
            mv = cs.values[m]
            v = np.where(mv.eligible & np.isfinite(mv.point), mv.point, np.nan)
            if np.all(np.isnan(v)):
                continue
            j = int(np.nanargmax(v))
            if best is None or v[j] > best["value"]:
                lo, hi = mv.group_interval(level)
                lo, hi = lo[j : j + 1], hi[j : j + 1]
                best = {
                    "attribute": cs.column,
                    "group": cs.groups.names[j],
                    "value": float(v[j]),
                    "ci_low": value_or_none(lo[0]),
                    "ci_high": value_or_none(hi[0]),
                }
        if best is not None:
            out[m] = best
    return out


def _findings(headline: list[dict[str, Any]], level: float, fr: Framing) -> list[Finding]:
    out = []
    for r in headline:
        if r["verdict"] not in (V.FAIL, V.INCONCLUSIVE):
            continue
        code = f"FAIR_{r['metric'].upper().replace('[', '_').replace(']', '')}_{r['kind'].upper()}"
        out.append(
            Finding(
                code=code,
                severity=Severity.FAIL if r["verdict"] == V.FAIL else Severity.WARN,
                message=sentence(r, level, fr),
                subject=r["attribute"],
                evidence={k: r[k] for k in ("value", "ci_low", "ci_high", "tolerance", "group", "reference")},
            )
        )
    return out


def _base_rate_note(
    label_side: dict[str, dict[str, dict[str, Any]]], protected: tuple[str, ...], *, min_group_size: int = 0
) -> str:
    """The label base-rate gap of the first protected attribute that has one (labels, not the model).

    Groups below the policy's minimum size are left out, as they are from the headline disparities.
    """
    for col in protected:
        groups = {
            g: v
            for g, v in label_side.get(col, {}).items()
            if v.get("base_rate") is not None and (v.get("count") or 0) >= min_group_size
        }
        if len(groups) < 2:
            continue
        lo = min(groups, key=lambda g: groups[g]["base_rate"])
        hi = max(groups, key=lambda g: groups[g]["base_rate"])
        return (
            f"in the labels themselves, {lo} has a positive rate of {groups[lo]['base_rate']:.2f} against "
            f"{groups[hi]['base_rate']:.2f} for {hi} ({col})"
        )
    return ""


def _worst_group_note(worst: dict[str, Any], level: float) -> str:
    w = worst.get("mae")
    if not w:
        return ""
    ci = "" if w["ci_low"] is None else f" ({level:.0%} CI {w['ci_low']:.3g}–{w['ci_high']:.3g})"
    return f"the worst-served group is {w['group']} ({w['attribute']}) with a mean absolute error of {w['value']:.3g}{ci}"


# --- compute -----------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class ColumnResult:
    """Everything computed for one group column (a protected attribute or an intersection)."""

    stats: ColumnStats
    label: dict[str, dict[str, Any]]
    label_source: str
    table: Table
    per_group: dict[str, Any]
    disparities: list[dict[str, Any]]
    reference: str
    reference_rows: list[dict[str, Any]]
    verdicts: list[dict[str, Any]]
    excluded: list[dict[str, Any]]
    curves: dict[str, Any] | None = None
    calibration: dict[str, Any] | None = None


@dataclass(frozen=True)
class FairnessNumbers:
    """The computed numbers of every group column, with the settings, inputs and framing they were computed on."""

    settings: Settings
    inputs: Inputs
    framing: Framing
    columns: list[ColumnResult] = field(default_factory=list)

    @property
    def stats(self) -> list[ColumnStats]:
        return [c.stats for c in self.columns]


def _excluded_rows(
    ctx: AuditContext, cs: ColumnStats, groups: Groups, label: dict[str, dict[str, Any]], empty: list[str]
) -> list[dict[str, Any]]:
    """Groups left out of headline disparities (too small) and the empty intersections (``empty``)."""
    col = cs.column
    out = [
        {
            "attribute": col,
            "group": g,
            "count": label[g]["count"],
            "positives": label[g]["positives"],
            "negatives": label[g]["negatives"],
            "reason": cs.exclusion[j],
        }
        for j, g in enumerate(groups.names)
        if cs.exclusion[j]
    ]
    for g in empty:
        zero = 0 if ctx.task == "binary" else None
        out.append(
            {
                "attribute": col,
                "group": g,
                "count": 0,
                "positives": zero,
                "negatives": zero,
                "reason": "empty intersection: no rows",
            }
        )
    return out


def _column(
    ctx: AuditContext,
    col: str,
    rng: np.random.Generator,
    shared: dict[str, Any],
    numbers: FairnessNumbers,
    prior: Mapping[str, SectionResult],
) -> ColumnResult:
    s, inp = numbers.settings, numbers.inputs
    groups = group_codes(col, ctx.sensitive[col])
    cs = column_stats(groups, inp, s, rng, shared=shared)
    curves = calibration = None
    if inp.score is not None and cs.score_order is not None:
        o = cs.score_order
        sorted_w = None if inp.weights is None else inp.weights[o]
        curves = threshold_curves(groups.names, inp.score[o], inp.y_true[o], sorted_w, cs.bounds)
        calibration = calibration_by_group(groups.names, inp.score[o], inp.y_true[o], sorted_w, cs.bounds)
    empty = _empty_intersections(ctx, col, groups.names)
    return column_result(ctx, cs, numbers, prior, empty=empty, curves=curves, calibration=calibration)


def column_result(
    ctx: AuditContext,
    cs: ColumnStats,
    numbers: FairnessNumbers,
    prior: Mapping[str, SectionResult],
    *,
    empty: list[str],
    curves: dict[str, Any] | None = None,
    calibration: dict[str, Any] | None = None,
) -> ColumnResult:
    """Tables, disparities, reference comparisons and verdicts of one column from its :class:`ColumnStats`.

    The engine seam: ``cs`` comes from rows here (:func:`_column`) or from counts aggregated elsewhere
    (:mod:`audits.spark_audit`); ``empty`` lists the column's empty intersections.
    """
    s, inp, fr = numbers.settings, numbers.inputs, numbers.framing
    groups = cs.groups
    label, source = _label_side(cs, _representation(prior, cs.column), ctx.task, inp.y_true)
    table, per_group = _group_table(cs, metric_cells(cs, s.level), label)
    disparities = _disparity_rows(cs, ctx)
    ref = reference_index(ctx, cs)
    fam_rows, fam_verdicts = (
        regression_families(cs, ctx, s, inp)
        if ctx.task == "regression"
        else reference_families(
            cs,
            ref,
            level=s.level,
            diff_tol=ctx.policy.difference_tolerance,
            ratio_tol=ctx.policy.ratio_tolerance,
            fr=fr,
        )
    )
    return ColumnResult(
        stats=cs,
        label=label,
        label_source=source,
        table=table,
        per_group=per_group,
        disparities=disparities,
        reference=groups.names[ref] if groups.n_groups else "",
        reference_rows=fam_rows,
        verdicts=fam_verdicts,
        excluded=_excluded_rows(ctx, cs, groups, label, empty),
        curves=curves,
        calibration=calibration,
    )


def compute_fairness(
    ctx: AuditContext, *, prior: Mapping[str, SectionResult], progress: Callable[[float, str], None]
) -> FairnessNumbers:
    """Group metrics, intervals and reference comparisons of every group column (the seeded draws happen here,
    one independent stream per column plus one shared for everyone's resamples)."""
    numbers = FairnessNumbers(settings=_settings(ctx), inputs=_inputs(ctx), framing=framing(ctx))
    seeds = np.random.SeedSequence(ctx.sampling.seed).spawn(len(ctx.group_columns) + 1)
    shared: dict[str, Any] = {"seed": seeds[-1]}
    n_cols = len(ctx.group_columns)
    for i, col in enumerate(ctx.group_columns):
        progress(i / max(n_cols, 1), f"Group metrics for {col}")
        numbers.columns.append(_column(ctx, col, np.random.default_rng(seeds[i]), shared, numbers, prior))
    return numbers


# --- assemble ----------------------------------------------------------------------------------------------------
def _tables(
    ctx: AuditContext,
    numbers: FairnessNumbers,
    rows: list[dict[str, Any]],
    ref_rows: list[dict[str, Any]],
    excluded: list[dict[str, Any]],
) -> dict[str, Table]:
    s, p = numbers.settings, ctx.policy
    tables = {groups_key(c.stats.column): c.table for c in numbers.columns}
    tables["disparities"] = Table(
        title="Disparities",
        data={k: [r[k] for r in rows] for k in DISPARITY_COLUMNS},
        note=(
            "vs_reference rows: the verdict of each metric over every group against the reference group, with "
            "the pair that decided it (see the reference_groups table); between_groups and to_overall rows are "
            f"descriptive (fairlearn definitions, no interval). Tolerances: ratio in [{p.ratio_tolerance:g}, "
            f"{1 / p.ratio_tolerance:.4g}], difference within ±{p.difference_tolerance:g}."
        ),
    )
    tables["reference_groups"] = Table(
        title="Each group against the reference group",
        data={k: [r.get(k) for r in ref_rows] for k in REFERENCE_COLUMNS},
        note=(
            f"{s.level:.0%} intervals: rates {WILSON}; differences {NEWCOMBE}; ratios {MOVER_R}. "
            "FAIL: beyond the tolerance at the Holm-adjusted level over the group's comparisons; PASS: the "
            f"{s.level:.0%} interval within the tolerance; INCONCLUSIVE otherwise. n is the rate's (effective) "
            "denominator."
        ),
    )
    tables["excluded_groups"] = Table(
        title="Groups excluded from headline disparities",
        data={k: [e[k] for e in excluded] for k in EXCLUDED_COLUMNS},
        note=(
            f"Groups with fewer than {s.min_group_size} rows, or fewer than {s.min_group_events} positives or "
            "negatives for error rates, are listed with their numbers but left out of headline disparities."
        ),
    )
    return tables


def _metric_titles(stats: list[ColumnStats], ref_rows: list[dict[str, Any]]) -> dict[str, str]:
    names = {*(stats[0].metric_names if stats else ()), *(r["metric"] for r in ref_rows)}
    return {
        m: METRIC_TITLES.get(m.split("[", 1)[0], m)
        + (f" of class {m.split('[', 1)[1][:-1]}" if "[" in m else "")
        for m in sorted(names)
    }


def _framing_record(ctx: AuditContext, fr: Framing) -> dict[str, Any]:
    lead = list(fr.lead) or (
        ["accuracy", "selection_rate[<class>]"]
        if ctx.task == "multiclass"
        else ["mean_prediction", "mae_to_overall"]
    )
    return {
        "favourable_label": fr.favourable or None,
        "adverse_label": fr.adverse or None,
        "favourable_is_positive": fr.favourable_is_positive,
        "decision": fr.decision,
        "lead_metrics": lead,
    }


def method_record(ctx: AuditContext, numbers: FairnessNumbers) -> Method:
    """The section's :class:`~audits.method.Method`: score intervals for rates, DeLong for ROC AUC, BCa bootstrap
    for the regression metrics."""
    s = numbers.settings
    return Method(
        interval="Wilson score (rates), DeLong logit (ROC AUC)"
        if ctx.task != "regression"
        else "BCa bootstrap",
        confidence_level=s.level,
        resamples=s.n_boot if ctx.task == "regression" else 0,  # rates and ROC AUC: closed forms
        seed=ctx.sampling.seed,
        rows=ctx.n_rows,
        sample_caps={"row_cap": s.row_cap},
    )


def _method(ctx: AuditContext, numbers: FairnessNumbers, excluded: list[dict[str, Any]]) -> dict[str, Any]:
    s, inp, fr = numbers.settings, numbers.inputs, numbers.framing
    n_small = sum(1 for e in excluded if e["count"])
    regression = ctx.task == "regression"
    method = {
        "n_bootstrap": s.n_boot,
        "seed": ctx.seed,
        "confidence_level": s.level,
        "interval": "BCa" if regression else "score",
        "interval_method": ROW_INTERVAL_METHOD if regression else INTERVAL_METHOD,
        "difference_interval_method": NEWCOMBE,
        "ratio_interval_method": MOVER_R,
        "balanced_accuracy_interval_method": MOVER_SUM if ctx.task == "binary" else None,
        "verdict_rule": VERDICT_RULE,
        "reference_group": "configured reference_group, else the largest group",
        "favourable_label": fr.favourable or None,
        "decision": fr.decision,
        "lead_metrics": list(fr.lead),
        "row_interval_method": ROW_INTERVAL_METHOD if regression else None,
        "roc_auc_interval_method": AUC_INTERVAL_METHOD if inp.score is not None else None,
        "row_metrics": ["roc_auc"]
        if inp.score is not None
        else (["mae", "rmse", "r2", "mean_prediction", "mean_target"] if regression else []),
        "row_cap": s.row_cap,
        "row_resampling": {c.stats.column: c.stats.row_rows for c in numbers.columns if c.stats.row_rows},
        "min_group_size": s.min_group_size,
        "min_group_events": s.min_group_events,
        "ratio_tolerance": ctx.policy.ratio_tolerance,
        "difference_tolerance": ctx.policy.difference_tolerance,
        "weights": "sample weights applied (weighted rates; Kish effective sample sizes for the intervals)"
        if inp.weights is not None
        else "none",
        "rows": ctx.n_rows,
        "group_columns": list(ctx.group_columns),
        "excluded": (
            f"{n_small} small group(s) excluded from headline disparities; "
            f"{len(excluded) - n_small} empty intersection(s)"
        ),
        "reference": "fairlearn MetricFrame definitions (difference/ratio, between_groups/to_overall), descriptive",
    }
    if regression:
        method["ks"] = (
            "KS distance of each group's predictions to everyone's (unweighted; everyone's held fixed); described "
            "without an interval: a supremum over thresholds has no interval that claims coverage here"
        )
    if inp.score is not None:
        method["roc_auc_to_overall"] = "the overall ROC AUC has its own DeLong interval (all rows)"
    return method


@dataclass(frozen=True)
class Rows:
    """The rows every column contributed, concatenated in column order."""

    group_counts: dict[str, Any]
    reference: list[dict[str, Any]]
    excluded: list[dict[str, Any]]
    verdicts: list[dict[str, Any]]
    disparities: list[dict[str, Any]]  # verdict rows first, then the descriptive rows

    @classmethod
    def of(cls, cols: list[ColumnResult]) -> Rows:
        verdicts = [{k: r.get(k, "") for k in DISPARITY_COLUMNS} for c in cols for r in c.verdicts]
        described = [{k: r.get(k, "") for k in DISPARITY_COLUMNS} for c in cols for r in c.disparities]
        return cls(
            group_counts={c.stats.column: c.label for c in cols},
            reference=[r for c in cols for r in c.reference_rows],
            excluded=[e for c in cols for e in c.excluded],
            verdicts=verdicts,
            disparities=verdicts + described,
        )


def _metrics(
    ctx: AuditContext,
    numbers: FairnessNumbers,
    rows: Rows,
    headline: list[dict[str, Any]],
    worst: dict[str, Any],
) -> dict[str, Any]:
    cols, stats, s, inp = numbers.columns, numbers.stats, numbers.settings, numbers.inputs
    metrics: dict[str, Any] = {
        "task": ctx.task,
        "groups": {c.stats.column: c.per_group for c in cols},
        "group_counts": rows.group_counts,
        "overall": overall_cells(stats[0], s.level) if stats else {},
        "disparities": rows.disparities,
        "reference": rows.reference,
        "verdicts": rows.verdicts,
        "reference_groups": {c.stats.column: c.reference for c in cols},
        "framing": _framing_record(ctx, numbers.framing),
        "threshold": ctx.threshold,
        "headline": headline,
        "excluded": rows.excluded,
        "label_source": {c.stats.column: c.label_source for c in cols},
        "metric_titles": _metric_titles(stats, rows.reference),
    }
    curves = {c.stats.column: c.curves for c in cols if c.curves is not None}
    if curves:
        metrics["threshold_curves"] = curves
        metrics["calibration"] = {c.stats.column: c.calibration for c in cols if c.curves is not None}
        metrics["threshold_agreement"] = threshold_agreement(inp.y_pred, inp.score, ctx.threshold)
    if ctx.task == "regression":
        metrics["worst_group"] = worst
    metrics[METHOD_KEY] = method_record(ctx, numbers).to_dict()
    return metrics


def assemble_fairness(ctx: AuditContext, numbers: FairnessNumbers) -> SectionResult:
    """The section result of computed numbers: headline verdicts, status, sentences, tables, metrics, method."""
    s, fr = numbers.settings, numbers.framing
    rows = Rows.of(numbers.columns)
    headline = headline_rows(rows.verdicts, ctx.task, fr.lead)
    worst = _worst_group(numbers.stats, s.level) if ctx.task == "regression" else {}
    base_rate_note = (
        _base_rate_note(rows.group_counts, ctx.protected_columns, min_group_size=ctx.policy.min_group_size)
        if ctx.task == "binary"
        else ""
    )
    summary = summarise(
        headline,
        level=s.level,
        protected=ctx.protected_columns,
        framing=fr,
        rows=ctx.n_rows,
        n_excluded=sum(1 for e in rows.excluded if e["count"]),
        base_rate_note=base_rate_note,
        extra_note=_worst_group_note(worst, s.level),
    )
    return SectionResult(
        name=NAME,
        title=TITLE,
        status=Status(status_of(headline)),
        summary=tuple(summary),
        findings=tuple(_findings(headline, s.level, fr)),
        tables=_tables(ctx, numbers, rows.disparities, rows.reference, rows.excluded),
        metrics=_metrics(ctx, numbers, rows, headline, worst),
        method=_method(ctx, numbers, rows.excluded),
    )


def run_fairness(
    ctx: AuditContext, *, prior: Mapping[str, SectionResult], progress: Callable[[float, str], None]
) -> SectionResult:
    """Fairness of the model's outputs across protected groups and their intersections.

    Parameters
    ----------
    ctx : the audit context (labels, predictions, scores, weights and protected groups).
    prior : results of earlier sections; the data-quality representation is reused when present.
    progress : called as ``progress(fraction, message)``.

    Returns
    -------
    SectionResult
        Name ``fairness``; see :mod:`audits.fairness` for every key.
    """
    numbers = compute_fairness(ctx, prior=prior, progress=progress)
    progress(0.9, "Disparities and verdicts")
    result = assemble_fairness(ctx, numbers)
    progress(1.0, "done")
    return result
