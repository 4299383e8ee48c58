"""Typed view of the fairness section's result: its keys and accessors (the schema is documented in
:mod:`audits.fairness`)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from audits.fairness import DISPARITY_COLUMNS, EXCLUDED_COLUMNS, REFERENCE_COLUMNS
from audits.group_labels import GROUPS_PREFIX, INTERSECTION_SEP, groups_key
from audits.results import Table
from audits.section_view import SectionView, TableSpec, as_mapping, as_number

__all__ = ["GROUPS_PREFIX", "FairnessResult", "groups_key", "is_intersection"]

DISPARITIES = "disparities"
REFERENCE_GROUPS = "reference_groups"
EXCLUDED_GROUPS = "excluded_groups"

TASK = "task"
GROUPS = "groups"
GROUP_COUNTS = "group_counts"
WORST_GROUP = "worst_group"
THRESHOLD_AGREEMENT = "threshold_agreement"
OVERALL = "overall"
REFERENCE = "reference"
VERDICTS = "verdicts"
FRAMING = "framing"
THRESHOLD_CURVES = "threshold_curves"
CALIBRATION = "calibration"
THRESHOLD = "threshold"
HEADLINE = "headline"
EXCLUDED = "excluded"
LABEL_SOURCE = "label_source"
METRIC_TITLES = "metric_titles"

# Group metrics of the ``groups:<column>`` tables (each with ``_ci_low`` / ``_ci_high``), all tasks.
GROUP_METRICS = (
    "selection_rate", "tpr", "fpr", "fnr", "tnr", "precision", "fdr", "for_", "accuracy", "balanced_accuracy",
    "roc_auc", "mean_prediction", "mean_target", "mae", "rmse", "r2", "ks",
)  # fmt: skip
GROUP_COLUMNS = ("group", "count", "positives", "negatives", *GROUP_METRICS, "excluded", "note")


def is_intersection(column: str) -> bool:
    return INTERSECTION_SEP.strip() in str(column)


class FairnessResult(SectionView):
    NAME = "fairness"
    METRICS = (
        TASK, GROUPS, GROUP_COUNTS, WORST_GROUP, THRESHOLD_AGREEMENT, OVERALL, DISPARITIES, REFERENCE, VERDICTS,
        REFERENCE_GROUPS, FRAMING, THRESHOLD_CURVES, CALIBRATION, THRESHOLD, HEADLINE, EXCLUDED, LABEL_SOURCE,
        METRIC_TITLES,
    )  # fmt: skip
    # regression only; binary with scores only; binary with a threshold only
    OPTIONAL_METRICS = frozenset({WORST_GROUP, THRESHOLD_AGREEMENT, THRESHOLD_CURVES, CALIBRATION, THRESHOLD})
    TABLES = (
        TableSpec(GROUPS_PREFIX, GROUP_COLUMNS),
        TableSpec(DISPARITIES, DISPARITY_COLUMNS),
        TableSpec(REFERENCE_GROUPS, tuple(REFERENCE_COLUMNS), optional=True),
        TableSpec(EXCLUDED_GROUPS, EXCLUDED_COLUMNS, optional=True),
    )

    # --- tables ---------------------------------------------------------------------------------------------

    def group_tables(self) -> dict[str, Table]:
        """group column (attribute or intersection) -> its ``groups:<column>`` table, in result order."""
        return self.tables_with_prefix(GROUPS_PREFIX)

    def groups(self, attribute: str) -> Table | None:
        return self.table(groups_key(attribute))

    def disparities_table(self) -> Table | None:
        return self.table(DISPARITIES)

    def reference_table(self) -> Table | None:
        return self.table(REFERENCE_GROUPS)

    def excluded_table(self) -> Table | None:
        return self.table(EXCLUDED_GROUPS)

    # --- metrics --------------------------------------------------------------------------------------------

    def task(self) -> str | None:
        task = self.metric(TASK)
        return str(task) if task else None

    def disparities(self) -> list[Mapping[str, Any]]:
        """Every disparity row (verdicts and descriptive), from the metrics list, else the table."""
        rows = self.metric(DISPARITIES)
        if isinstance(rows, list):
            return self.metrics_rows(DISPARITIES)
        table = self.disparities_table()
        return table.rows() if table is not None else []

    def headline(self) -> list[Mapping[str, Any]]:
        """The deciding verdict row per attribute and lead metric."""
        return self.metrics_rows(HEADLINE)

    def verdicts(self) -> list[Mapping[str, Any]]:
        return self.metrics_rows(VERDICTS)

    def excluded(self) -> list[Mapping[str, Any]]:
        return self.metrics_rows(EXCLUDED)

    def reference_rows(self, *, lead_only: bool = False) -> list[dict[str, Any]]:
        """Every group against its reference group; ``lead_only``: only the headline metrics."""
        table = self.reference_table()
        rows = table.rows() if table is not None else []
        if lead_only:
            lead = {str(h.get("metric")) for h in self.headline()}
            rows = [r for r in rows if r.get("metric") in lead]
        return rows

    def reference_groups(self) -> dict[str, str]:
        """group column -> reference group."""
        return {str(k): str(v) for k, v in self.metrics_mapping(REFERENCE_GROUPS).items()}

    def metric_titles(self) -> dict[str, str]:
        return {str(k): str(v) for k, v in self.metrics_mapping(METRIC_TITLES).items()}

    def framing(self) -> Mapping[str, Any]:
        return self.metrics_mapping(FRAMING)

    def lead_metrics(self) -> list[str]:
        lead = self.framing().get("lead_metrics") or self.method.get("lead_metrics") or ()
        return [str(m) for m in lead] if isinstance(lead, Sequence) and not isinstance(lead, str) else []

    def group_values(self) -> dict[str, Mapping[str, Any]]:
        """group column -> {group: {metric: {"value", "ci_low", "ci_high"}}}."""
        return {str(k): as_mapping(v) for k, v in self.metrics_mapping(GROUPS).items()}

    def overall(self) -> Mapping[str, Any]:
        """metric -> {"value", "ci_low", "ci_high"} over every row."""
        return self.metrics_mapping(OVERALL)

    def overall_value(self, metric: str) -> float | None:
        return as_number(as_mapping(self.overall().get(metric)).get("value"))

    def threshold_curves(self) -> dict[str, Mapping[str, Any]]:
        """group column -> {"thresholds", "rule", "groups": {group: {"tpr", "fpr", "selection_rate", "count"}}}."""
        return {
            str(k): v for k, v in self.metrics_mapping(THRESHOLD_CURVES).items() if isinstance(v, Mapping)
        }

    def calibration(self) -> dict[str, Mapping[str, Any]]:
        """group column -> {"edges", "groups": {group: {"count", "mean_score", "observed_rate"}}}."""
        return {str(k): v for k, v in self.metrics_mapping(CALIBRATION).items() if isinstance(v, Mapping)}

    def threshold(self) -> float | None:
        return as_number(self.metric(THRESHOLD))
