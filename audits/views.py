"""Every section's typed result view, in report order (see :mod:`audits.section_view`)."""

from __future__ import annotations

from audits.data_quality.view import DataQualityResult
from audits.emissions_view import EmissionsResult
from audits.explain.view import ExplanationResult
from audits.fairness.view import FairnessResult
from audits.performance_view import PerformanceResult
from audits.section_view import SectionView

SECTION_VIEWS: tuple[type[SectionView], ...] = (
    PerformanceResult,
    DataQualityResult,
    FairnessResult,
    ExplanationResult,
    EmissionsResult,
)


def view_class(name: str) -> type[SectionView] | None:
    """The view of the section ``name``; None for a section without one."""
    return next((v for v in SECTION_VIEWS if name == v.NAME), None)
