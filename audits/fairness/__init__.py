"""Fairness section: group metrics with score intervals, each group against a reference group, verdicts.

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
``groups:<group_column>`` : one row per group. Columns: ``group, count, positives, negatives``, then for each
    metric ``<metric>, <metric>_ci_low, <metric>_ci_high`` (rates: Wilson; balanced accuracy: MOVER; ROC AUC and
    regression: percentile bootstrap), then
    ``excluded`` (bool: left out of headline disparities) and ``note`` (why excluded / which metrics are
    undefined). Counts are row counts (unweighted) even when sample weights are given; multiclass and
    regression have ``positives``/``negatives`` None.
``disparities`` : columns ``attribute, metric, kind, method, group, reference, value, ci_low, ci_high,
    tolerance, verdict, label, note``. ``method`` is ``"vs_reference"`` (one verdict row per group column and
    metric: every eligible group against the reference group; ``group``/``reference`` = the pair that decided
    the verdict, ``kind`` the check that decided it, ``value``/``ci_*`` its estimate and interval — for a FAIL the
    Holm-adjusted interval, named in ``note``), ``"between_groups"`` or ``"to_overall"`` (fairlearn's
    descriptive numbers: no interval, ``tolerance`` None, verdict ``"descriptive"``; between_groups names the
    lowest and highest group, to_overall the group farthest from everyone and ``"overall"``). ``verdict`` is
    ``"pass"``, ``"fail"``, ``"inconclusive"``, ``"undefined"`` or ``"descriptive"``. Descriptive metrics
    (binary): ``demographic_parity`` (selection rate), ``equal_opportunity`` (TPR), ``equalized_odds``,
    ``average_odds`` (fairlearn ``agg``), then every group metric by its own name; multiclass: every group metric;
    regression: ``mean_prediction, mean_target, mae, rmse, r2``. Verdict metrics: every rate of the reference
    table (binary, multiclass); regression ``mean_prediction`` (ratio, when no prediction is negative) and
    ``mae_to_overall`` (each group's MAE over everyone's, fails above 1 / ratio tolerance).
``reference_groups`` : ``REFERENCE_COLUMNS`` = ``attribute, metric, group, reference, value, reference_value,
    n, reference_n, difference, difference_ci_low, difference_ci_high, ratio, ratio_ci_low, ratio_ci_high,
    verdict, note``: every group against the reference group for every count metric (binary:
    ``selection_rate, prevalence, tpr, fpr, fnr, tnr, precision, npv, fdr, for_, accuracy, favourable_rate``;
    multiclass: ``accuracy`` and ``selection_rate[c], tpr[c], fpr[c]``), ``n`` the rate's (Kish effective)
    denominator. Differences: Newcombe hybrid score; ratios: MOVER-R; see :mod:`audits.fairness.reference` for the
    verdict rule.
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
``reference`` : list of dicts, the rows of ``tables["reference_groups"]``; ``verdicts``: the ``vs_reference``
    rows; ``reference_groups``: ``{col: reference group}`` (configured, else the largest group).
``framing`` : ``favourable_label, adverse_label, favourable_is_positive, decision, lead_metrics`` (Aequitas
    fairness tree: punitive -> FPR and FDR parity of the intervention, assistive -> FNR and FOR parity,
    representation -> parity of the favourable outcome's rate).
``threshold_curves`` : binary with scores only: ``{col: {"thresholds": [101 floats 0..1], "groups": {group:
    {"selection_rate": [...], "tpr": [...], "fpr": [...], "count": n}}}}`` (decision rule: score >= t; None
    where undefined; thresholds are exact decimals).
``calibration`` : binary with scores only: ``{col: {"edges": [11 floats], "groups": {group: {"count",
    "mean_score", "observed_rate"}}}}`` per equal-width score bin with exact decimal edges, closed on the left
    (a score of 0.3 lands in 0.3–0.4; None where a bin is empty).
``threshold`` : the model's decision threshold (``ctx.threshold``; None when unknown).
``headline`` : the ``vs_reference`` verdict rows that decide the status and lead the summary: binary, the
    framing's lead metrics for every protected attribute and intersection; multiclass, ``accuracy`` and each
    class's ``selection_rate[c]``; regression, ``mean_prediction`` and ``mae_to_overall``.
``excluded`` : list of dicts, rows of ``tables["excluded_groups"]`` (empty intersections have count 0).
``label_source`` : ``{col: "data_quality" | "computed"}`` — where counts/base rates came from.
``metric_titles`` : ``{metric: plain-language title}`` ("tpr" -> "true positive rate").

Summary, method, status
-----------------------
``summary`` : 2–3 plain sentences naming the group, the reference and the metric, in words about the outcomes,
    e.g. "By sex, female is wrongly predicted 'bad' (truly 'good') at 3.02x the rate of male (95% CI 1.24–7.16):
    is inconclusive against the policy band of 0.8x to 1.25x."; when most verdicts are inconclusive it says that
    this is the honest answer for the data's size.
``method`` : ``confidence_level, interval`` ("score"; regression "percentile"), ``interval_method`` (Wilson),
    ``difference_interval_method``, ``ratio_interval_method``, ``balanced_accuracy_interval_method``,
    ``verdict_rule``, ``reference_group``, ``favourable_label``, ``decision``, ``lead_metrics``, ``n_bootstrap``
    and ``seed`` (ROC AUC and regression resamples), ``roc_auc_interval_method``, ``row_interval_method``
    (regression), ``row_metrics``, ``row_cap``, ``row_resampling``, ``min_group_size, min_group_events,
    ratio_tolerance, difference_tolerance``, ``excluded`` (text), ``weights`` (text), ``rows``,
    ``group_columns``, ``reference``.
``findings`` : one per failing (severity fail) or inconclusive (warn) headline row, code
    ``FAIR_<METRIC>_<KIND>`` (e.g. ``FAIR_DEMOGRAPHIC_PARITY_RATIO``), subject = the group column.
``status`` : fail if any headline verdict fails, pass if every defined one passes, else inconclusive (also when
    none is defined, e.g. a single group).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from itertools import product
from typing import Any

import numpy as np
import pandas as pd

from audits.context import INTERSECTION_SEP, AuditContext
from audits.errors import AuditInputError
from audits.fairness import disparities as D
from audits.fairness import reference as R
from audits.fairness import verdicts as V
from audits.fairness.bootstrap import AUC_LEVELS, ROW_DRAW_LIMIT, interval
from audits.fairness.compute import ColumnStats, Inputs, Settings, column_stats
from audits.fairness.counts import group_codes
from audits.fairness.metrics import METRIC_TITLES, reason_for
from audits.fairness.summary import headline_rows, status_of, summarise
from audits.fairness.thresholds import calibration_by_group, threshold_agreement, threshold_curves
from audits.intervals import (
    MOVER_R,
    MOVER_SUM,
    NEWCOMBE,
    WILSON,
    mover_difference,
    mover_mean,
    mover_ratio_from_bounds,
    wilson,
    z_value,
)
from audits.results import Finding, SectionResult, Severity, Status, Table
from audits.stats import value_or_none

__all__ = ["NAME", "TITLE", "INTERVAL_METHOD", "REFERENCE_COLUMNS", "run_fairness"]

NAME = "fairness"
TITLE = "Fairness"
INTERVAL_METHOD = WILSON
REFERENCE_COLUMNS = R.REFERENCE_COLUMNS
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


def _rate_interval(cs: ColumnStats, m: str, level: float) -> tuple[np.ndarray, np.ndarray] | None:
    """Score interval of a rate metric per group (balanced accuracy: MOVER on its two rates); None otherwise."""
    if m in cs.rates:
        return wilson(*cs.rates[m], level)
    if m == "balanced_accuracy" and "tpr" in cs.rates:
        _, lo, hi = mover_mean([cs.rates["tpr"], cs.rates["tnr"]], level)
        return lo, hi
    return None


def _metric_cells(cs: ColumnStats, level: float) -> dict[str, dict[str, list]]:
    """Per metric: value, ci_low, ci_high lists over groups (None where undefined)."""
    out = {}
    for m in cs.metric_names:
        mv = cs.values[m]
        bounds = _rate_interval(cs, m, level)
        lo, hi = bounds if bounds is not None else interval(mv.boot, level)
        vals = [value_or_none(v) for v in mv.point]
        out[m] = {
            "value": vals,
            "ci_low": [None if v is None else value_or_none(x) for v, x in zip(vals, lo, strict=True)],
            "ci_high": [None if v is None else value_or_none(x) for v, x in zip(vals, hi, strict=True)],
        }
    return out


def _overall_cells(cs: ColumnStats, level: float) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for m in cs.metric_names:
        mv = cs.values[m]
        v = value_or_none(mv.overall)
        if m in cs.overall_rates:
            lo, hi = wilson(*cs.overall_rates[m], level)
        elif m == "balanced_accuracy" and "tpr" in cs.overall_rates:
            _, lo, hi = mover_mean([cs.overall_rates["tpr"], cs.overall_rates["tnr"]], level)
        else:
            lo_a, hi_a = interval(mv.overall_boot[:, None], level)
            lo, hi = lo_a[0], hi_a[0]
        out[m] = {
            "value": v,
            "ci_low": None if v is None else value_or_none(lo),
            "ci_high": None if v is None else value_or_none(hi),
        }
        if v is None:
            out[m]["reason"] = reason_for(m).replace("this group", "the data")
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


@dataclass(frozen=True)
class Framing:
    """Which outcome is favourable, what kind of decision it is, and the metrics that lead the summary."""

    favourable: str
    adverse: str
    favourable_is_positive: bool
    decision: str
    lead: tuple[str, ...]


def framing(ctx: AuditContext) -> Framing:
    """The framing of an audit context (see :func:`make_framing`)."""
    cfg = ctx.config
    return make_framing(
        ctx.task,
        ctx.positive_label,
        ctx.classes,
        getattr(cfg, "favourable_label", None),
        str(getattr(cfg, "decision", "assistive") or "assistive"),
        target=cfg.target,
    )


def make_framing(
    task: str, positive_label: Any, classes: Any, favourable_label: Any, decision: str, *, target: str
) -> Framing:
    """The Aequitas fairness tree on this task's labels.

    The intervention is the favourable outcome for an assistive decision and the adverse one for a punitive
    decision. Punitive: false positive and false discovery rate parity of the intervention; assistive: false
    negative and false omission rate parity; representation: parity of the favourable outcome's rate. Metrics
    are stored for the positive class, so an intervention on the negative class swaps FPR with FNR and FDR
    with FOR.
    """
    if task != "binary":
        return Framing("", "", True, decision, ())
    pos = str(positive_label)
    others = [str(c) for c in classes if str(c) != pos]
    neg = others[0] if others else ""
    fav = pos if favourable_label is None else str(favourable_label)
    if fav not in (pos, neg):
        raise AuditInputError(
            f"config: favourable_label {favourable_label!r} is not one of the labels of '{target}' ({pos!r}, "
            f"{neg!r}). Set favourable_label (or --favourable-label) to one of them."
        )
    fav_pos = fav == pos
    if decision == "representation":
        lead: tuple[str, ...] = ("favourable_rate",)
    else:
        intervention_positive = fav_pos if decision == "assistive" else not fav_pos
        if decision == "punitive":
            lead = ("fpr", "fdr") if intervention_positive else ("fnr", "for_")
        else:
            lead = ("fnr", "for_") if intervention_positive else ("fpr", "fdr")
    return Framing(fav, neg if fav_pos else pos, fav_pos, decision, lead)


def reference_index(ctx: AuditContext, cs: ColumnStats) -> int:
    """The configured reference group of the column, else its largest group (as Aequitas)."""
    ref = next((a.reference_group for a in ctx.config.protected if a.column == cs.column), None)
    names = cs.groups.names
    if ref is not None and str(ref) in names:
        return names.index(str(ref))
    return int(np.argmax(cs.groups.sizes))


def _label(metric: str) -> Callable[[str, float], str]:
    def label(kind: str, tol: float) -> str:
        return V.ratio_label(metric, tol) if kind == "ratio" else V.difference_label(tol)

    return label


def _reference_rates(cs: ColumnStats, fr: Framing) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """{metric: (rate, effective n, eligible)} of every rate the reference table compares."""
    out = {}
    for m, (p, n) in cs.rates.items():
        base = m.split("[", 1)[0]
        mv = cs.values.get(m)
        if mv is not None:
            elig = mv.eligible
        elif base == "prevalence":
            elig = cs.values["selection_rate"].eligible
        else:  # npv: an error-rate eligibility, as precision
            elig = cs.values["precision"].eligible
        out[m] = (p, n, elig)
    if "selection_rate" in cs.rates and not fr.favourable_is_positive:
        p, n = cs.rates["selection_rate"]
        out["favourable_rate"] = (1 - p, n, cs.values["selection_rate"].eligible)
    elif "selection_rate" in cs.rates:
        out["favourable_rate"] = (*cs.rates["selection_rate"], cs.values["selection_rate"].eligible)
    return out


def reference_families(
    cs: ColumnStats, ref: int, *, level: float, diff_tol: float, ratio_tol: float, fr: Framing
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Reference-table rows and one verdict row per metric for one group column (binary and multiclass)."""
    rows: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    for m, (rate, n, elig) in _reference_rates(cs, fr).items():
        fam = R.compare_to_reference(
            cs.column,
            m,
            cs.groups.names,
            rate,
            n,
            elig,
            ref,
            level=level,
            diff_tol=diff_tol,
            ratio_tol=ratio_tol,
            label=_label(m),
        )
        rows += fam.rows
        verdicts.append(fam.verdict_row)
    return rows, verdicts


def _group_means(cs: ColumnStats, inp: Inputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted mean prediction, its standard deviation and the Kish effective size of each group."""
    g = cs.groups.n_groups
    w = np.ones(len(inp.y_pred)) if inp.weights is None else inp.weights
    yp = np.asarray(inp.y_pred, dtype=float)
    sw = np.bincount(cs.groups.codes, weights=w, minlength=g)
    sw2 = np.bincount(cs.groups.codes, weights=w * w, minlength=g)
    with np.errstate(all="ignore"):
        mean = np.bincount(cs.groups.codes, weights=w * yp, minlength=g) / sw
        var = np.bincount(cs.groups.codes, weights=w * (yp - mean[cs.groups.codes]) ** 2, minlength=g) / sw
        n = np.where(sw2 > 0, sw * sw / sw2, 0.0)
        # Unbiased variance of the (effective) sample.
        var = var * n / np.maximum(n - 1, 1)
    return mean, np.sqrt(var), n


def _regression_families(
    cs: ColumnStats, ctx: AuditContext, s: Settings, inp: Inputs
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Mean prediction against the reference group, and each group's MAE against everyone's."""
    p = ctx.policy
    ref = reference_index(ctx, cs)
    names = cs.groups.names
    mean, sd, n = _group_means(cs, inp)
    others = np.array([j for j in range(len(names)) if j != ref], dtype=np.int64)
    positive = float(np.min(inp.y_pred)) >= 0

    def normal(level: float) -> tuple[np.ndarray, np.ndarray]:
        half = z_value(level) * sd / np.sqrt(np.maximum(n, 1))
        lo = mean - half
        return (np.clip(lo, 0, None) if positive else lo), mean + half

    def diff(level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lo, hi = normal(level)
        return mover_difference(mean[others], lo[others], hi[others], mean[ref], lo[ref], hi[ref])

    def ratio(level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lo, hi = normal(level)
        return mover_ratio_from_bounds(mean[others], lo[others], hi[others], mean[ref], lo[ref], hi[ref])

    note = "difference in target units: described, no tolerance" + (
        "" if positive else "; predictions can be negative, so the ratio of means is not checked"
    )
    fam = R.compare_to_reference(
        cs.column,
        "mean_prediction",
        names,
        mean,
        n,
        cs.values["mean_prediction"].eligible,
        ref,
        level=s.level,
        diff_tol=None,
        ratio_tol=p.ratio_tolerance if positive else None,
        label=_label("mean_prediction"),
        bounds=(diff, ratio if positive else None),
        unit_note=note,
    )
    # Without a ratio check (predictions can be negative) the mean prediction is described, not judged.
    rows, verdicts = list(fam.rows), [fam.verdict_row] if positive else []
    # Worst-group error: each group's MAE over everyone's, fails above 1 / ratio tolerance.
    mv = cs.values["mae"]
    elig = mv.eligible & np.isfinite(mv.point)
    idx = np.flatnonzero(elig)
    tol = p.ratio_tolerance
    if mv.boot.shape[0] > 0 and len(idx) and mv.overall > 0:
        with np.errstate(all="ignore"):
            samples = mv.boot[:, idx] / mv.overall_boot[:, None]

        def to_overall(level: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            lo, hi = interval(samples, float(np.ravel(level)[0]))
            v = mv.point[idx] / mv.overall
            return v, np.minimum(lo, v), np.maximum(hi, v)

        k = R.judge_kind("ratio", to_overall, tol, s.level, band=(0.0, 1 / tol))
        compared = [names[j] for j in idx]
        row = R.verdict_row(
            cs.column,
            "mae_to_overall",
            "overall",
            compared,
            [k],
            R.family_verdict(k.verdicts),
            s.level,
            lambda kind, t: f"group error <= {1 / t:.4g}x everyone's (policy ratio {t:g})",
        )
        row["tolerance"] = 1 / tol
        verdicts.append(row)
        for i, j in enumerate(idx):
            rows.append(
                {
                    "attribute": cs.column,
                    "metric": "mae_to_overall",
                    "group": names[j],
                    "reference": "overall",
                    "value": value_or_none(mv.point[j]),
                    "reference_value": value_or_none(mv.overall),
                    "n": value_or_none(n[j]),
                    "reference_n": value_or_none(float(np.sum(n))),
                    "difference": None,
                    "difference_ci_low": None,
                    "difference_ci_high": None,
                    "ratio": value_or_none(k.value[i]),
                    "ratio_ci_low": value_or_none(k.low[i]),
                    "ratio_ci_high": value_or_none(k.high[i]),
                    "verdict": k.verdicts[i],
                    "note": f"percentile row bootstrap of MAE / everyone's MAE; pass at or below {1 / tol:.4g}",
                }
            )
    else:
        verdicts.append(
            {
                **{k: "" for k in DISPARITY_COLUMNS},
                "attribute": cs.column,
                "metric": "mae_to_overall",
                "kind": "ratio",
                "method": "vs_reference",
                "reference": "overall",
                "value": None,
                "ci_low": None,
                "ci_high": None,
                "tolerance": None,
                "verdict": V.UNDEFINED,
                "note": "no resamples (n_bootstrap = 0) or no group with enough data",
            }
        )
    return rows, verdicts


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


def _findings(headline: list[dict[str, Any]], level: float, fr: Framing) -> list[Finding]:
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
    fr = framing(ctx)
    ref_rows: list[dict[str, Any]] = []
    verdict_rows: list[dict[str, Any]] = []
    references: dict[str, str] = {}
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
        rows += _disparity_rows(cs, ctx)
        references[col] = groups.names[reference_index(ctx, cs)] if groups.n_groups else ""
        fam_rows, fam_verdicts = (
            _regression_families(cs, ctx, s, inp)
            if ctx.task == "regression"
            else reference_families(
                cs,
                reference_index(ctx, cs),
                level=s.level,
                diff_tol=ctx.policy.difference_tolerance,
                ratio_tol=ctx.policy.ratio_tolerance,
                fr=fr,
            )
        )
        ref_rows += fam_rows
        verdict_rows += fam_verdicts
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
    overall: dict[str, Any] = _overall_cells(stats[0], s.level) if stats else {}
    verdict_rows = [{k: r.get(k, "") for k in DISPARITY_COLUMNS} for r in verdict_rows]
    rows = verdict_rows + [{k: r.get(k, "") for k in DISPARITY_COLUMNS} for r in rows]
    headline = headline_rows(verdict_rows, ctx.task, fr.lead)
    worst = _worst_group(stats, s.level) if ctx.task == "regression" else {}
    status = status_of(headline)
    n_small = sum(1 for e in excluded if e["count"])
    summary = summarise(
        headline,
        level=s.level,
        protected=ctx.protected_columns,
        framing=fr,
        rows=ctx.n_rows,
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
            "vs_reference rows: the verdict of each metric over every group against the reference group, with "
            "the pair that decided it (see the reference_groups table); between_groups and to_overall rows are "
            f"descriptive (fairlearn definitions, no interval). Tolerances: ratio in [{ctx.policy.ratio_tolerance:g}, "
            f"{1 / ctx.policy.ratio_tolerance:.4g}], difference within ±{ctx.policy.difference_tolerance:g}."
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
    metrics: dict[str, Any] = {
        "task": ctx.task,
        "groups": groups_metrics,
        "group_counts": group_counts,
        "overall": overall,
        "disparities": rows,
        "reference": ref_rows,
        "verdicts": verdict_rows,
        "reference_groups": references,
        "framing": {
            "favourable_label": fr.favourable or None,
            "adverse_label": fr.adverse or None,
            "favourable_is_positive": fr.favourable_is_positive,
            "decision": fr.decision,
            "lead_metrics": list(fr.lead)
            or (
                ["accuracy", "selection_rate[<class>]"]
                if ctx.task == "multiclass"
                else ["mean_prediction", "mae_to_overall"]
            ),
        },
        "threshold": ctx.threshold,
        "headline": headline,
        "excluded": excluded,
        "label_source": label_source,
        "metric_titles": {
            m: METRIC_TITLES.get(m.split("[", 1)[0], m)
            + (f" of class {m.split('[', 1)[1][:-1]}" if "[" in m else "")
            for m in sorted({*(stats[0].metric_names if stats else ()), *(r["metric"] for r in ref_rows)})
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
        "interval": "score" if ctx.task != "regression" else "percentile",
        "interval_method": INTERVAL_METHOD if ctx.task != "regression" else ROW_INTERVAL_METHOD,
        "difference_interval_method": NEWCOMBE,
        "ratio_interval_method": MOVER_R,
        "balanced_accuracy_interval_method": MOVER_SUM if ctx.task == "binary" else None,
        "verdict_rule": (
            "each eligible group against the reference group; FAIL when a comparison's interval lies beyond the "
            "tolerance at the Holm-adjusted level over the K − 1 comparisons (one-sided tests at (1 − confidence) "
            "/ 2); PASS when every comparison's interval lies within it (intersection–union test); INCONCLUSIVE "
            "otherwise; with a difference and a ratio tolerance, FAIL if either fails, PASS only if both pass"
        ),
        "reference_group": "configured reference_group, else the largest group",
        "favourable_label": fr.favourable or None,
        "decision": fr.decision,
        "lead_metrics": list(fr.lead),
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
        findings=tuple(_findings(headline, s.level, fr)),
        tables=tables,
        metrics=metrics,
        method=method,
    )
