"""Read the parts of an AuditResult that the reports, the model card and the Annex IV document show.

The keys themselves are owned by each section's typed view (``audits.performance_view``,
``audits.fairness.view``, ``audits.data_quality.view``, ``audits.explain.view``, ``audits.emissions_view``); these
functions are the renderers' short names for what the views return. Each returns plain Python values and never
raises on a missing or malformed part: it returns an empty value instead, because a report must still come out
of a partial result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from audits.data_quality.view import DataQualityResult
from audits.emissions_view import EmissionsResult
from audits.fairness.view import FairnessResult
from audits.performance_view import PerformanceResult
from audits.results import AuditResult, SectionResult, Status, Table
from audits.section_view import RAN


def ran(result: AuditResult, name: str) -> SectionResult | None:
    """The section ``name`` when it ran (not skipped, not errored), else None."""
    section = result.section(name)
    return section if section is not None and section.status in RAN else None


def _mapping(x: Any) -> Mapping[str, Any]:
    return x if isinstance(x, Mapping) else {}


def _rows(x: Any) -> list[Mapping[str, Any]]:
    if isinstance(x, Sequence) and not isinstance(x, str):
        return [r for r in x if isinstance(r, Mapping)]
    return []


def base_name(path_or_name: Any) -> str:
    """A display name without folders: ``/a/b/adult_test.csv`` -> ``adult_test.csv``."""
    text = str(path_or_name or "")
    return Path(text.replace("\\", "/")).name if ("/" in text or "\\" in text) else text


# --- provenance -----------------------------------------------------------------------------------------


def model_display_name(result: AuditResult) -> str:
    """Config ``model_name``, else the model file's name without its folder."""
    cfg = _mapping(result.provenance.config)
    model = _mapping(result.provenance.model)
    return str(cfg.get("model_name") or base_name(model.get("name")) or model.get("kind") or "Unnamed model")


def dataset_display_name(result: AuditResult) -> str:
    """Config ``dataset_name``, else the data file's name without its folder."""
    cfg = _mapping(result.provenance.config)
    data = _mapping(result.provenance.data)
    return str(cfg.get("dataset_name") or base_name(data.get("name")) or "dataset")


def task(result: AuditResult) -> str:
    """``binary``, ``multiclass`` or ``regression``."""
    perf_task = PerformanceResult.of(result, ran_only=False).task()
    if perf_task:
        return perf_task
    ctx = _mapping(_mapping(result.provenance.platform).get("context"))
    return str(ctx.get("task") or "binary")


def protected_columns(result: AuditResult) -> list[str]:
    """The protected attributes of the audit (without intersections)."""
    ctx = _mapping(_mapping(result.provenance.platform).get("context"))
    cols = ctx.get("protected")
    if isinstance(cols, Sequence) and not isinstance(cols, str) and cols:
        return [str(c) for c in cols]
    cfg = _mapping(result.provenance.config)
    return [str(a.get("column")) for a in _rows(cfg.get("protected")) if a.get("column")]


def intersections(result: AuditResult) -> list[str]:
    ctx = _mapping(_mapping(result.provenance.platform).get("context"))
    items = ctx.get("intersections") or ()
    return [str(i) if isinstance(i, str) else " × ".join(map(str, i)) for i in items]


# --- fairness -------------------------------------------------------------------------------------------


def metric_titles(result: AuditResult) -> dict[str, str]:
    return FairnessResult.of(result, ran_only=False).metric_titles()


def headline_rows(result: AuditResult) -> list[Mapping[str, Any]]:
    """The deciding verdict row per attribute and lead metric (group, reference, check, interval, verdict)."""
    return FairnessResult.of(result).headline()


def reference_rows(result: AuditResult, *, lead_only: bool = False) -> list[Mapping[str, Any]]:
    """Rows of the ``reference_groups`` table: each group against its reference group."""
    return FairnessResult.of(result).reference_rows(lead_only=lead_only)


def reference_groups(result: AuditResult) -> dict[str, str]:
    """attribute -> reference group."""
    return FairnessResult.of(result).reference_groups()


def lead_metrics(result: AuditResult) -> list[str]:
    return FairnessResult.of(result).lead_metrics()


def group_tables(result: AuditResult) -> dict[str, Table]:
    """attribute (or intersection) -> its ``groups:<attribute>`` table."""
    return FairnessResult.of(result).group_tables()


def threshold_curves(result: AuditResult) -> dict[str, Mapping[str, Any]]:
    """attribute -> {"thresholds": [...], "groups": {group: {"tpr", "fpr", "selection_rate", "count"}}}."""
    return FairnessResult.of(result).threshold_curves()


def group_calibration(result: AuditResult) -> dict[str, Mapping[str, Any]]:
    """attribute -> {"edges": [...], "groups": {group: {"count", "mean_score", "observed_rate"}}}."""
    return FairnessResult.of(result).calibration()


def decision_threshold(result: AuditResult) -> float | None:
    fair = FairnessResult.of(result, ran_only=False).threshold()
    return fair if fair is not None else PerformanceResult.of(result, ran_only=False).threshold()


def confidence_level(section: SectionResult | None) -> float | None:
    level = section.method.get("confidence_level") if section is not None else None
    return float(level) if isinstance(level, int | float) and not isinstance(level, bool) else None


# --- performance ----------------------------------------------------------------------------------------


def performance_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Overall metrics: metric, value, ci_low, ci_high, n, note."""
    return PerformanceResult.of(result).metric_rows()


# --- data quality -----------------------------------------------------------------------------------------


def group_mix(result: AuditResult) -> dict[str, list[tuple[str, int, float]]]:
    """attribute -> [(group, rows, share)] from the data-quality representation tables (audited data)."""
    return DataQualityResult.of(result).group_mix()


# --- emissions -------------------------------------------------------------------------------------------


def emissions_training(result: AuditResult) -> Mapping[str, Any]:
    return EmissionsResult.of(result).training


def emissions_imported(result: AuditResult) -> Mapping[str, Any]:
    return EmissionsResult.of(result).imported


def emissions_hf_block(result: AuditResult) -> Mapping[str, Any]:
    """The engine's Hugging Face ``co2_eq_emissions`` block (grams, source, training type, location, hardware)."""
    return EmissionsResult.of(result).co2_eq_emissions


def refit_on_audited_data(result: AuditResult) -> bool:
    """True when the training figure is a re-fit on the audited (test) rows: not the model's training cost."""
    return EmissionsResult.of(result).refit_on_audited_data


_SLUG = re.compile(r"[^0-9A-Za-z]+")


def slug(text: str) -> str:
    """A file-name-safe ASCII slug: ``sex × race`` -> ``sex_race``."""
    return _SLUG.sub("_", str(text)).strip("_").lower() or "x"


def not_measured(result: AuditResult) -> list[str]:
    """Plain sentences: sections skipped or in error, undefined metrics, and parts a section did not measure."""
    items = []
    for s in result.sections:
        if s.status == Status.SKIPPED:
            items.append(f"{s.title}: skipped — {s.reason or 'no reason recorded'}")
        elif s.status == Status.ERROR:
            items.append(f"{s.title}: failed — {s.reason or 'no reason recorded'}")
        for key, value in s.metrics.items():
            if key.endswith("not_measured") and value:
                items.append(
                    f"{s.title}: {key.removesuffix('_not_measured').replace('_', ' ')} not measured — {value}"
                )
        for f in s.findings:
            if f.code.endswith(("NOT_APPLICABLE", "UNDEFINED", "CHECK_ERROR")):
                items.append(f"{s.title}: {f.message}")
        if s.status in (Status.SKIPPED, Status.ERROR):
            continue
        excluded = FairnessResult.from_section(s).excluded() if s.name == FairnessResult.NAME else []
        if excluded:
            items.append(
                f"{s.title}: {len(excluded)} small group(s) are left out of the headline disparities (too few rows, "
                "positives or negatives for a stable rate); their numbers are listed in the fairness section."
            )
        em = EmissionsResult.from_section(s) if s.name == EmissionsResult.NAME else None
        if em is not None and em.training and not em.imported:
            items.append(
                f"{s.title}: the emissions of the original training run were not imported (no codecarbon CSV from "
                "the trainer); the training figure is a re-fit measured during this audit."
            )
    return items
