"""Typed view of the data-quality section's result: its keys and accessors (schema in
:mod:`audits.data_quality`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audits.group_labels import INTERSECTION_SEP
from audits.results import Table
from audits.section_view import SectionView, TableSpec, as_mapping

FINDINGS = "findings"
COLUMNS = "columns"
DRIFT = "drift"
GROUP_MIX_DRIFT = "group_mix_drift"
REPRESENTATION_PREFIX = "representation:"
PROXIES_PREFIX = "proxies:"
MISSING_BY_GROUP_PREFIX = "missing_by_group:"

SCORE = "score"
CHECKS = "checks"
REPRESENTATION = "representation"
BASE_RATE_GAP = "base_rate_gap"
PROXIES = "proxies"
MISSING_BY_GROUP = "missing_by_group"

FINDING_COLUMNS = ("rank", "code", "severity", "subject", "message")
COLUMN_COLUMNS = ("column", "dtype", "missing_share", "distinct", "score", "grade", "issues")
DRIFT_COLUMNS = ("column", "type", "test", "statistic", "p_value", "psi", "drifted", "note")
GROUP_MIX_COLUMNS = (
    "protected", "group", "reference_count", "reference_share", "current_count", "current_share", "difference",
)  # fmt: skip
REPRESENTATION_COLUMNS = (
    "group", "count", "share", "positives", "negatives", "base_rate", "base_rate_difference", "base_rate_ratio",
    "note",
)  # fmt: skip
PROXY_COLUMNS = ("feature", "measure", "association", "auc", "auc_method", "severity")
MISSING_BY_GROUP_COLUMNS = ("column", "ratio", "p_value", "flagged")  # plus "missing: <group>" per group


class DataQualityResult(SectionView):
    NAME = "data_quality"
    METRICS = (
        COLUMNS, CHECKS, SCORE, REPRESENTATION, BASE_RATE_GAP, PROXIES, MISSING_BY_GROUP, DRIFT, GROUP_MIX_DRIFT,
    )  # fmt: skip
    # drift needs a reference dataset; group checks need protected columns
    OPTIONAL_METRICS = frozenset(
        {DRIFT, GROUP_MIX_DRIFT, REPRESENTATION, BASE_RATE_GAP, PROXIES, MISSING_BY_GROUP}
    )
    TABLES = (
        TableSpec(FINDINGS, FINDING_COLUMNS),
        TableSpec(COLUMNS, COLUMN_COLUMNS),
        TableSpec(DRIFT, DRIFT_COLUMNS, optional=True),
        TableSpec(GROUP_MIX_DRIFT, GROUP_MIX_COLUMNS, optional=True),
        TableSpec(REPRESENTATION_PREFIX, REPRESENTATION_COLUMNS, optional=True),
        TableSpec(PROXIES_PREFIX, PROXY_COLUMNS, optional=True),
        TableSpec(MISSING_BY_GROUP_PREFIX, MISSING_BY_GROUP_COLUMNS, optional=True),
    )

    def checks(self) -> Mapping[str, Any]:
        """code -> what the check did (the registry's record)."""
        return self.metrics_mapping(CHECKS)

    def score(self) -> Mapping[str, Any]:
        """{"overall", "grade"} of the data."""
        return self.metrics_mapping(SCORE)

    def drift(self) -> Mapping[str, Any]:
        """{"columns": {column: test row}, "n_drifted", "n_columns", "share_drifted"}; empty without reference."""
        return self.metrics_mapping(DRIFT)

    def column_details(self, column: str) -> Mapping[str, Any]:
        return as_mapping(self.metrics_mapping(COLUMNS).get(column))

    def findings_table(self) -> Table | None:
        return self.table(FINDINGS)

    def columns_table(self) -> Table | None:
        return self.table(COLUMNS)

    def drift_table(self) -> Table | None:
        return self.table(DRIFT)

    def group_mix_drift_table(self) -> Table | None:
        return self.table(GROUP_MIX_DRIFT)

    def group_tables(self, prefix: str = REPRESENTATION_PREFIX) -> dict[str, Table]:
        """group column -> its table of ``prefix`` (representation, proxies or missing_by_group)."""
        return self.tables_with_prefix(prefix)

    def representation(self, column: str) -> Table | None:
        return self.table(f"{REPRESENTATION_PREFIX}{column}")

    def group_mix(self) -> dict[str, list[tuple[str, int, float]]]:
        """attribute -> [(group, rows, share)] from the representation tables (single attributes only)."""
        out: dict[str, list[tuple[str, int, float]]] = {}
        for column, table in self.group_tables(REPRESENTATION_PREFIX).items():
            d = table.data
            if INTERSECTION_SEP.strip() in column or not {"group", "count", "share"} <= set(d):
                continue
            out[column] = [
                (str(g), int(c or 0), float(s or 0.0))
                for g, c, s in zip(d["group"], d["count"], d["share"], strict=False)
            ]
        return out
