"""Fairness section: group metrics, intersections, stratified count bootstrap, disparities, verdicts.

Entry point: ``run_fairness(ctx, *, prior, progress) -> SectionResult`` with name ``"fairness"`` and
title ``"Fairness"``. Everything below is the result schema that reports and the dashboard read.

Group columns
-------------
``ctx.group_columns`` = protected attributes then their intersections (``"sex × race"``). Every group column
is audited the same way; an intersection is just another stratification.

Metric names
------------
binary : ``selection_rate, tpr, fpr, fnr, tnr, precision, fdr, for_, accuracy, balanced_accuracy`` and
    ``roc_auc`` when the model gives scores. (``for_`` is the false omission rate FN / (FN + TN).)
multiclass : ``accuracy`` and, one-vs-rest for each class label ``c``: ``selection_rate[c]``, ``tpr[c]``,
    ``fpr[c]``.
regression : ``mean_prediction, mean_target, mae, rmse, r2, ks`` (``ks``: Kolmogorov–Smirnov distance between
    the group's predictions and everyone's).

Tables (``SectionResult.tables``)
---------------------------------
``groups:<group_column>`` : one row per group. Columns: ``group, count, positives, negatives``, then for each metric ``<metric>, <metric>_ci_low, <metric>_ci_high``, then
    ``excluded`` (bool: left out of headline disparities) and ``note`` (why excluded / which metrics are
    undefined). Counts are row counts (unweighted) even when sample weights are given; multiclass and
    regression have ``positives``/``negatives`` None.
``disparities`` : columns ``attribute, metric, kind, method, group, reference, value, ci_low, ci_high,
    tolerance, verdict, label, note`` where ``kind`` is ``"difference"`` or ``"ratio"``, ``method`` is
    ``"between_groups"``, ``"to_overall"`` or ``"signed"`` and ``verdict`` is ``"pass"``, ``"fail"``,
    ``"inconclusive"`` or ``"undefined"``. ``group``/``reference``: between_groups: the lowest and the highest
    group; to_overall: the group farthest from everyone and ``"overall"``; signed (AIF360, only when the
    attribute has a ``reference_group``): the unprivileged group and the reference (privileged) group, value
    = unprivileged − privileged or unprivileged / privileged, verdict against the band [-tol, tol] or
    [tol, 1/tol]. Disparity metrics (binary): ``demographic_parity`` (selection rate), ``equal_opportunity``
    (TPR), ``equalized_odds`` (worst of the TPR and FPR gaps), ``average_odds`` (fairlearn ``agg="mean"``),
    then every other group metric by its own name (``fpr, fnr, tnr, precision, fdr, for_, accuracy,
    balanced_accuracy, roc_auc``). Multiclass: every group metric by name. Regression: ``mean_prediction,
    mean_target, mae, rmse, r2`` (differences are in target units and carry no tolerance, so their verdict is
    ``undefined``; ratios of ``mae, rmse`` — and of ``mean_prediction`` when no prediction is negative — are
    checked against the ratio tolerance).
    ``label`` is e.g. ``"four-fifths rule (US EEOC heuristic)"`` for the selection-rate ratio at 0.8.
``excluded_groups`` : ``attribute, group, count, positives, negatives, reason``.

Metrics (``SectionResult.metrics``)
-----------------------------------
``task`` : ``"binary" | "multiclass" | "regression"``.
``groups`` : ``{col: {group: {metric: {"value", "ci_low", "ci_high"[, "reason"]}}}}``; ``reason`` present
    when ``value`` is None (undefined, e.g. "no positive label in this group").
``group_counts`` : ``{col: {group: {"count", "positives", "negatives", "base_rate"}}}`` (label side).
``worst_group`` : regression only: ``{metric: {"attribute", "group", "value", "ci_low", "ci_high"}}`` for
    ``mae`` and ``rmse`` (worst-group loss over protected attributes and intersections).
``threshold_agreement`` : ``{"threshold", "agreement_ge", "agreement_gt"}``: share of rows where
    ``score >= threshold`` (resp. ``>``) reproduces the model's own prediction.
``overall`` : ``{metric: {"value", "ci_low", "ci_high"[, "reason"]}}``.
``disparities`` : list of dicts, exactly the rows of ``tables["disparities"]``.
``threshold_curves`` : binary with scores only: ``{col: {"thresholds": [101 floats 0..1], "groups": {group:
    {"selection_rate": [...], "tpr": [...], "fpr": [...], "count": n}}}}`` (decision rule: score >= t; None
    where undefined).
``calibration`` : binary with scores only: ``{col: {"edges": [11 floats], "groups": {group: {"count",
    "mean_score", "observed_rate"}}}}`` per equal-width score bin (None where a bin is empty).
``threshold`` : the model's decision threshold (``ctx.threshold``; None when unknown).
``headline`` : list of the disparity rows (between_groups) used for the status and the summary. Binary:
    demographic parity ratio and difference, equalized odds difference, equal opportunity difference, for
    every protected attribute and intersection. Multiclass: accuracy difference and each class's
    selection-rate ratio. Regression: ``mae`` and ``mean_prediction`` ratios.
``excluded`` : list of dicts, rows of ``tables["excluded_groups"]`` (empty intersections have count 0).
``label_source`` : ``{col: "data_quality" | "computed"}`` — where counts/base rates came from.
``metric_titles`` : ``{metric: plain-language title}`` ("tpr" -> "true positive rate").

Summary, method, status
-----------------------
``summary`` : 2–3 plain sentences, e.g. "Women are selected at 0.36x the rate of men (95% CI 0.33–0.39):
    fails the four-fifths heuristic."
``method`` : ``n_bootstrap, seed, confidence_level, interval`` ("percentile"), ``interval_method``
    ("stratified count bootstrap: multinomial per group"; regression: the row method),
    ``roc_auc_interval_method``, ``row_interval_method`` (regression), ``row_metrics``, ``row_cap``,
    ``row_resampling`` (per column and metric: rows drawn per resample, or how AUC was resampled per group),
    ``min_group_size, min_group_events, ratio_tolerance, difference_tolerance``, ``excluded`` (text),
    ``weights`` (text), ``rows``, ``group_columns``, ``reference``.
``findings`` : one per failing (severity fail) or inconclusive (warn) headline row, code
    ``FAIR_<METRIC>_<KIND>`` (e.g. ``FAIR_DEMOGRAPHIC_PARITY_RATIO``), subject = the group column.
``status`` : fail if any headline verdict fails, else inconclusive if any is inconclusive or none is defined
    (e.g. a single group), else pass.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from audits.context import INTERSECTION_SEP, AuditContext
from audits.fairness import disparities as D
from audits.fairness import verdicts as V
from audits.fairness.bootstrap import AUC_LEVELS, ROW_DRAW_LIMIT, interval
from audits.fairness.compute import ColumnStats, Inputs, Settings, column_stats
from audits.fairness.counts import group_codes
from audits.fairness.metrics import METRIC_TITLES, reason_for
from audits.fairness.summary import headline_rows, status_of, summarise
from audits.fairness.thresholds import calibration_by_group, threshold_agreement, threshold_curves
from audits.results import Finding, SectionResult, Severity, Status, Table
from audits.stats import value_or_none

__all__ = ["NAME", "TITLE", "INTERVAL_METHOD", "run_fairness"]

NAME = "fairness"
TITLE = "Fairness"
INTERVAL_METHOD = "stratified count bootstrap: multinomial per group"
ROW_INTERVAL_METHOD = (
    "stratified row bootstrap within groups; groups above the row cap draw cap rows per resample and the "
    "deviations are rescaled by sqrt(cap / n) (m-out-of-n bootstrap)"
)
AUC_INTERVAL_METHOD = (
    f"scores reduced to at most {AUC_LEVELS} rank levels per group (exact when fewer distinct scores); groups "
    f"of up to {ROW_DRAW_LIMIT:,} rows resampled by drawing rows, larger groups by a Poisson bootstrap of the "
    "level counts; resample deviations added to the exact AUC"
)
DISPARITY_COLUMNS = (
    "attribute", "metric", "kind", "method", "group", "reference", "value", "ci_low", "ci_high",
    "tolerance", "verdict", "label", "note",
)  # fmt: skip
EXCLUDED_COLUMNS = ("attribute", "group", "count", "positives", "negatives", "reason")
# Named binary disparities and the group metric behind each; the other metrics keep their own names.
NAMED = {"demographic_parity": "selection_rate", "equal_opportunity": "tpr"}


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
    p = ctx.policy
    return Settings(
        n_boot=max(int(p.n_bootstrap), 0),
        level=float(p.confidence_level),
        row_cap=max(int(p.bootstrap_row_cap), 1),
        min_group_size=int(p.min_group_size),
        min_group_events=int(p.min_group_events),
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


def _metric_cells(cs: ColumnStats, level: float) -> dict[str, dict[str, list]]:
    """Per metric: value, ci_low, ci_high lists over groups (None where undefined)."""
    out = {}
    for m in cs.metric_names:
        mv = cs.values[m]
        lo, hi = interval(mv.boot, level)
        vals = [value_or_none(v) for v in mv.point]
        out[m] = {
            "value": vals,
            "ci_low": [None if v is None else value_or_none(x) for v, x in zip(vals, lo, strict=True)],
            "ci_high": [None if v is None else value_or_none(x) for v, x in zip(vals, hi, strict=True)],
        }
    return out


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


def _disparity_rows(cs: ColumnStats, ctx: AuditContext, s: Settings) -> list[dict[str, Any]]:
    p = ctx.policy
    col = cs.column
    rows: list[dict[str, Any]] = []
    if ctx.task == "binary":
        for named, base in NAMED.items():
            rows += D.metric_disparities(
                col,
                named,
                cs.values[base],
                diff_tol=p.difference_tolerance,
                ratio_tol=p.ratio_tolerance,
                level=s.level,
            )
        rows += D.odds_disparities(
            col,
            cs.values["tpr"],
            cs.values["fpr"],
            diff_tol=p.difference_tolerance,
            ratio_tol=p.ratio_tolerance,
            level=s.level,
        )
        others = [m for m in cs.metric_names if m not in NAMED.values()]
    elif ctx.task == "multiclass":
        others = list(cs.metric_names)
    else:
        others = []
        # A ratio of mean predictions only means something when predictions cannot be negative.
        ratio_metrics = ("mae", "rmse") + (("mean_prediction",) if float(np.min(ctx.y_pred)) >= 0 else ())
        for m in ("mean_prediction", "mean_target", "mae", "rmse", "r2"):
            rows += D.metric_disparities(
                col,
                m,
                cs.values[m],
                diff_tol=None,
                ratio_tol=p.ratio_tolerance if m in ratio_metrics else None,
                level=s.level,
                note=(
                    "regression: a difference in target units has no tolerance"
                    + (
                        ""
                        if m in ratio_metrics or m != "mean_prediction"
                        else "; predictions can be negative, so the ratio of means is not checked"
                    )
                ),
            )
    for m in others:
        rows += D.metric_disparities(
            col, m, cs.values[m], diff_tol=p.difference_tolerance, ratio_tol=p.ratio_tolerance, level=s.level
        )
    _name_extremes(rows, cs)
    ref = next((a.reference_group for a in ctx.config.protected if a.column == col), None)
    if ref is not None and ctx.task == "binary":
        names = cs.groups.names
        # AIF360 signed rows: (metric, group values, ratio tolerance, companion rate for average odds)
        signed = (
            ("demographic_parity", "selection_rate", p.ratio_tolerance, None),
            ("equal_opportunity", "tpr", p.ratio_tolerance, None),
            ("average_odds", "tpr", None, "fpr"),
        )
        for metric, values, ratio_tol, companion in signed:
            rows += D.signed_disparities(
                col,
                metric,
                cs.values[values],
                names,
                str(ref),
                diff_tol=p.difference_tolerance,
                ratio_tol=ratio_tol,
                level=s.level,
                companion=None if companion is None else cs.values[companion],
            )
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
                lo, hi = interval(mv.boot[:, j : j + 1], level)
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


def _findings(headline: list[dict[str, Any]], level: float) -> list[Finding]:
    from audits.fairness.summary import sentence

    out = []
    for r in headline:
        if r["verdict"] not in (V.FAIL, V.INCONCLUSIVE):
            continue
        code = f"FAIR_{r['metric'].upper().replace('[', '_').replace(']', '')}_{r['kind'].upper()}"
        out.append(
            Finding(
                code=code,
                severity=Severity.FAIL if r["verdict"] == V.FAIL else Severity.WARN,
                message=sentence(r, level),
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
        Name ``fairness``; see the module docstring for every key.
    """
    s = _settings(ctx)
    inp = _inputs(ctx)
    seeds = np.random.SeedSequence(ctx.seed).spawn(len(ctx.group_columns) + 1)
    shared: dict[str, Any] = {"seed": seeds[-1]}
    tables: dict[str, Table] = {}
    groups_metrics: dict[str, Any] = {}
    group_counts: dict[str, Any] = {}
    label_source: dict[str, str] = {}
    rows: list[dict[str, Any]] = []
    excluded: list[dict[str, Any]] = []
    stats: list[ColumnStats] = []
    curves: dict[str, Any] = {}
    calibration: dict[str, Any] = {}
    row_resample_rows: dict[str, Any] = {}
    n_cols = len(ctx.group_columns)
    for i, col in enumerate(ctx.group_columns):
        progress(i / max(n_cols, 1), f"Group metrics for {col}")
        groups = group_codes(col, ctx.sensitive[col])
        cs = column_stats(groups, inp, s, np.random.default_rng(seeds[i]), shared=shared)
        stats.append(cs)
        label, label_source[col] = _label_side(cs, _representation(prior, col), ctx.task, inp.y_true)
        group_counts[col] = label
        cells = _metric_cells(cs, s.level)
        tables[f"groups:{col}"], groups_metrics[col] = _group_table(cs, cells, label)
        if cs.row_rows:
            row_resample_rows[col] = cs.row_rows
        rows += _disparity_rows(cs, ctx, s)
        for j, g in enumerate(groups.names):
            if cs.exclusion[j]:
                excluded.append(
                    {
                        "attribute": col,
                        "group": g,
                        "count": label[g]["count"],
                        "positives": label[g]["positives"],
                        "negatives": label[g]["negatives"],
                        "reason": cs.exclusion[j],
                    }
                )
        for g in _empty_intersections(ctx, col, groups.names):
            excluded.append(
                {
                    "attribute": col,
                    "group": g,
                    "count": 0,
                    "positives": 0 if ctx.task == "binary" else None,
                    "negatives": 0 if ctx.task == "binary" else None,
                    "reason": "empty intersection: no rows",
                }
            )
        if inp.score is not None and cs.score_order is not None:
            o = cs.score_order
            sorted_w = None if inp.weights is None else inp.weights[o]
            curves[col] = threshold_curves(groups.names, inp.score[o], inp.y_true[o], sorted_w, cs.bounds)
            calibration[col] = calibration_by_group(
                groups.names, inp.score[o], inp.y_true[o], sorted_w, cs.bounds
            )

    progress(0.9, "Disparities and verdicts")
    overall: dict[str, Any] = {}
    if stats:
        cs0 = stats[0]
        for m in cs0.metric_names:
            mv = cs0.values[m]
            lo, hi = interval(mv.overall_boot[:, None], s.level)
            v = value_or_none(mv.overall)
            overall[m] = {
                "value": v,
                "ci_low": None if v is None else value_or_none(lo[0]),
                "ci_high": None if v is None else value_or_none(hi[0]),
            }
            if v is None:
                overall[m]["reason"] = reason_for(m).replace("this group", "the data")
    rows = [{k: r.get(k, "") for k in DISPARITY_COLUMNS} for r in rows]
    headline = headline_rows(rows, ctx.task)
    worst = _worst_group(stats, s.level) if ctx.task == "regression" else {}
    status = status_of(headline)
    n_small = sum(1 for e in excluded if e["count"])
    summary = summarise(
        headline,
        level=s.level,
        protected=ctx.protected_columns,
        n_excluded=n_small,
        base_rate_note=_base_rate_note(
            group_counts, ctx.protected_columns, min_group_size=ctx.policy.min_group_size
        )
        if ctx.task == "binary"
        else "",
        extra_note=_worst_group_note(worst, s.level),
    )
    tables["disparities"] = Table(
        title="Disparities",
        data={k: [r[k] for r in rows] for k in DISPARITY_COLUMNS},
        note=(
            f"{s.level:.0%} percentile intervals from {s.n_boot} stratified resamples (seed {ctx.seed}); "
            f"tolerances: ratio >= {ctx.policy.ratio_tolerance:g}, difference <= "
            f"{ctx.policy.difference_tolerance:g}."
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
    metrics: dict[str, Any] = {
        "task": ctx.task,
        "groups": groups_metrics,
        "group_counts": group_counts,
        "overall": overall,
        "disparities": rows,
        "threshold": ctx.threshold,
        "headline": headline,
        "excluded": excluded,
        "label_source": label_source,
        "metric_titles": {
            m: METRIC_TITLES.get(m.split("[", 1)[0], m) for m in (stats[0].metric_names if stats else ())
        },
    }
    if curves:
        metrics["threshold_curves"] = curves
        metrics["calibration"] = calibration
        metrics["threshold_agreement"] = threshold_agreement(inp.y_pred, inp.score, ctx.threshold)
    if ctx.task == "regression":
        metrics["worst_group"] = worst
    method = {
        "n_bootstrap": s.n_boot,
        "seed": ctx.seed,
        "confidence_level": s.level,
        "interval": "percentile",
        "interval_method": INTERVAL_METHOD if ctx.task != "regression" else ROW_INTERVAL_METHOD,
        "row_interval_method": ROW_INTERVAL_METHOD if ctx.task == "regression" else None,
        "roc_auc_interval_method": AUC_INTERVAL_METHOD if inp.score is not None else None,
        "row_metrics": ["roc_auc"]
        if inp.score is not None
        else (["mae", "rmse", "r2", "mean_prediction", "mean_target"] if ctx.task == "regression" else []),
        "row_cap": s.row_cap,
        "row_resampling": row_resample_rows,
        "min_group_size": s.min_group_size,
        "min_group_events": s.min_group_events,
        "ratio_tolerance": ctx.policy.ratio_tolerance,
        "difference_tolerance": ctx.policy.difference_tolerance,
        "weights": "sample weights applied (weighted counts; bootstrap weight sums by a normal approximation)"
        if inp.weights is not None
        else "none",
        "rows": ctx.n_rows,
        "group_columns": list(ctx.group_columns),
        "excluded": (
            f"{n_small} small group(s) excluded from headline disparities; "
            f"{len(excluded) - n_small} empty intersection(s)"
        ),
        "reference": "fairlearn MetricFrame definitions (difference/ratio, between_groups/to_overall)",
    }
    if ctx.task == "regression":
        method["ks"] = (
            "KS distance of each group's predictions to everyone's (unweighted; everyone's held fixed); interval "
            "from resampled group level counts (at most 1,024 rank levels of everyone's predictions)"
        )
    if inp.score is not None:
        method["roc_auc_to_overall"] = (
            "the overall ROC AUC is resampled on its own (all rows), independently of the group resamples"
        )
    progress(1.0, "done")
    return SectionResult(
        name=NAME,
        title=TITLE,
        status=status,
        summary=tuple(summary),
        findings=tuple(_findings(headline, s.level)),
        tables=tables,
        metrics=metrics,
        method=method,
    )
