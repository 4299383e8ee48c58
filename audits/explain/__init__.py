"""Explanations section (being built; see its issue)."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from audits.context import AuditContext
from audits.results import SectionResult


def run_explanation(
    ctx: AuditContext, *, prior: Mapping[str, SectionResult], progress: Callable[[float, str], None]
) -> SectionResult:
    return SectionResult.skipped("explanation", "Explanations", "This section is not implemented yet.")
