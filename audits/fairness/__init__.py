"""Fairness section: group metrics with score intervals, each group against a reference group, verdicts.

Entry point: :func:`audits.fairness.section.run_fairness` ``(ctx, *, prior, progress) -> SectionResult`` with
name ``"fairness"`` and title ``"Fairness"``. Everything below is the result schema that reports and the
dashboard read.

Modules: ``counts`` and ``compute`` (group codes, cell counts, metric values and resamples), ``cells`` (values
with intervals), ``framing`` (which outcome is favourable), ``families`` and ``reference`` (each group against
the reference group, verdicts), ``disparities`` (fairlearn's descriptive numbers), ``summary`` (sentences),
``section`` (compute, then assemble the result). This package module holds only the names and column lists of
the result, so that the schema upgrader (``audits.schema_upgrade``) can recompute verdicts without importing the
section.

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
``metrics["method"]`` : the :class:`audits.method.Method` record (interval, confidence_level, resamples, seed,
    rows, sample_caps), the same keys in every section.
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

from audits.fairness.reference import REFERENCE_COLUMNS
from audits.intervals import WILSON

__all__ = ["DISPARITY_COLUMNS", "EXCLUDED_COLUMNS", "INTERVAL_METHOD", "NAME", "REFERENCE_COLUMNS", "TITLE"]

NAME = "fairness"
TITLE = "Fairness"
INTERVAL_METHOD = WILSON
DISPARITY_COLUMNS = (
    "attribute", "metric", "kind", "method", "group", "reference", "value", "ci_low", "ci_high",
    "tolerance", "verdict", "label", "note",
)  # fmt: skip
EXCLUDED_COLUMNS = ("attribute", "group", "count", "positives", "negatives", "reason")
