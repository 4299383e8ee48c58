"""Typed view of the explanation section's result: its keys and accessors (schema in :mod:`audits.explain`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audits.results import Table
from audits.section_view import SectionView, TableSpec, as_mapping

GLOBAL_IMPORTANCE = "global_importance"
BY_GROUP_PREFIX = "by_group:"
BEESWARM = "beeswarm"
DEPENDENCE = "dependence"
LOCAL = "local"
GROUP_GAP = "group_gap"
OUTPUT_SPACE = "output_space"
BASE_VALUE = "base_value"

IMPORTANCE_COLUMNS = ("feature", "mean_abs_shap", "ci_low", "ci_high", "rank")
BY_GROUP_COLUMNS = ("group", "count", "mean_output")  # then one column per feature of the user's data


def by_group_key(column: str) -> str:
    return f"{BY_GROUP_PREFIX}{column}"


class ExplanationResult(SectionView):
    NAME = "explanation"
    METRICS = (BEESWARM, DEPENDENCE, LOCAL, GROUP_GAP, OUTPUT_SPACE, BASE_VALUE)
    OPTIONAL_METRICS = frozenset({GROUP_GAP})  # absent for multiclass models and too few explained rows
    TABLES = (
        TableSpec(GLOBAL_IMPORTANCE, IMPORTANCE_COLUMNS),
        TableSpec(BY_GROUP_PREFIX, BY_GROUP_COLUMNS, optional=True),
    )

    def global_importance(self) -> Table | None:
        return self.table(GLOBAL_IMPORTANCE)

    def by_group(self) -> dict[str, Table]:
        """protected column -> mean SHAP per group and feature."""
        return self.tables_with_prefix(BY_GROUP_PREFIX)

    def by_group_table(self, column: str) -> Table | None:
        return self.table(by_group_key(column))

    def beeswarm(self) -> Mapping[str, Any]:
        return self.metrics_mapping(BEESWARM)

    def dependence(self) -> Mapping[str, Any]:
        return self.metrics_mapping(DEPENDENCE)

    def local(self) -> list[Mapping[str, Any]]:
        return self.metrics_rows(LOCAL)

    def group_gap(self) -> dict[str, Mapping[str, Any]]:
        """protected column -> {"groups", "gap", "contributions", "sentence", "mean_output", "unexplained"}."""
        return {
            str(k): as_mapping(v)
            for k, v in self.metrics_mapping(GROUP_GAP).items()
            if isinstance(v, Mapping)
        }
