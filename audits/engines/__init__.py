"""Engines: where the audit's aggregations run (pandas in memory, or Spark where the data lives).

See :mod:`audits.engines.base` for the protocol, :mod:`audits.engines.sections` for the sections computed from
its aggregates, :mod:`audits.engines.driver_sample` for the sections that run on a seeded sample collected to the
Spark driver, and :mod:`audits.spark_audit` for the Spark entry point.
"""

from audits.engines.base import CellCounts, ColumnProfile, Engine, ScoreHistogram

ENGINES = ("pandas", "spark")

__all__ = ["ENGINES", "CellCounts", "ColumnProfile", "Engine", "ScoreHistogram"]
