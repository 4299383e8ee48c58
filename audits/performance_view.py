"""Typed view of the performance section's result (``audits.performance``): its keys and accessors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audits.results import Table
from audits.section_view import SectionView, TableSpec, as_mapping, as_number

OVERALL = "overall"
CONFUSION = "confusion"
TASK = "task"
CURVES = "curves"
ERROR_ANALYSIS = "error_analysis"
EXPECTED_CALIBRATION_ERROR = "expected_calibration_error"
CALIBRATION = "calibration"
ERROR_COHORTS = "error_cohorts"

OVERALL_COLUMNS = ("metric", "value", "ci_low", "ci_high", "n", "method", "note")
CALIBRATION_COLUMNS = ("bin", "rows", "mean_score", "observed_rate")
ERROR_COHORT_COLUMNS = (
    "cohort", "rows", "errors", "error_rate", "ci_low", "ci_high", "error_share", "lift", "search_rows",
)  # fmt: skip
# Metric names of the overall table (binary, multiclass, regression): shown humanized, not as data.
METRIC_NAMES = (
    "accuracy", "balanced_accuracy", "precision", "recall", "specificity", "f1", "selection_rate", "base_rate",
    "roc_auc", "log_loss", "brier_score", "macro_precision", "macro_recall", "mae", "rmse", "r2",
    "mean_prediction", "mean_target",
)  # fmt: skip


class PerformanceResult(SectionView):
    """``metrics``: ``overall`` {metric: row of OVERALL_COLUMNS}, ``confusion``, ``task``, ``curves`` (ROC/PR),
    ``error_analysis``, ``expected_calibration_error``; tables ``overall``, ``confusion``, ``calibration``,
    ``error_cohorts``."""

    NAME = "performance"
    METRICS = (OVERALL, CONFUSION, TASK, CURVES, ERROR_ANALYSIS, EXPECTED_CALIBRATION_ERROR)
    OPTIONAL_METRICS = frozenset({CONFUSION, CURVES, ERROR_ANALYSIS, EXPECTED_CALIBRATION_ERROR})
    TABLES = (
        TableSpec(OVERALL, OVERALL_COLUMNS),
        TableSpec(CONFUSION, ("actual",), optional=True),
        TableSpec(CALIBRATION, CALIBRATION_COLUMNS, optional=True),
        TableSpec(ERROR_COHORTS, ERROR_COHORT_COLUMNS, optional=True),
    )

    def task(self) -> str | None:
        task = self.metric(TASK)
        return str(task) if task else None

    def metrics(self) -> dict[str, Mapping[str, Any]]:
        """metric -> {"value", "ci_low", "ci_high", "n", "method", "note"}."""
        return {str(k): v for k, v in self.metrics_mapping(OVERALL).items() if isinstance(v, Mapping)}

    def metric_rows(self) -> list[dict[str, Any]]:
        """Overall metrics as rows: metric, value, ci_low, ci_high, n, note."""
        return [
            {k: row.get(k) for k in ("value", "ci_low", "ci_high", "n", "note")} | {"metric": name}
            for name, row in self.metrics().items()
        ]

    def overall_rows(self) -> list[Mapping[str, Any]]:
        """The overall rows as stored (each with its ``metric``): from the metrics, else the ``overall`` table."""
        overall = self.metric(OVERALL)
        if isinstance(overall, Mapping):
            return [r for r in overall.values() if isinstance(r, Mapping)]
        table = self.overall_table()
        return table.rows() if table is not None else []

    def value(self, metric: str) -> float | None:
        return as_number(as_mapping(self.metrics().get(metric)).get("value"))

    @property
    def curves(self) -> Mapping[str, Any]:
        return self.metrics_mapping(CURVES)

    @property
    def error_analysis(self) -> Mapping[str, Any]:
        return self.metrics_mapping(ERROR_ANALYSIS)

    @property
    def error_cohorts(self) -> Table | None:
        return self.table(ERROR_COHORTS)

    def overall_table(self) -> Table | None:
        return self.table(OVERALL)

    def confusion_table(self) -> Table | None:
        return self.table(CONFUSION)

    def calibration_table(self) -> Table | None:
        return self.table(CALIBRATION)

    def threshold(self) -> float | None:
        return as_number(self.method.get("threshold"))
