"""Read the parts of an AuditResult that the reports, the model card and the Annex IV document show.

Every key the renderers read out of ``SectionResult.metrics`` / ``tables`` is named here, in one place, so that
the typed result views of a later schema replace these functions and nothing else. Each function returns plain
Python values and never raises on a missing or malformed part: it returns an empty value instead, because a
report must still come out of a partial result.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from audits.results import AuditResult, SectionResult, Status, Table

RAN = (Status.PASS, Status.WARN, Status.FAIL, Status.INCONCLUSIVE)


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
    perf = result.section("performance")
    if perf is not None and perf.metrics.get("task"):
        return str(perf.metrics["task"])
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
    fair = result.section("fairness")
    return dict(_mapping(fair.metrics.get("metric_titles"))) if fair is not None else {}


def headline_rows(result: AuditResult) -> list[Mapping[str, Any]]:
    """The deciding verdict row per attribute and lead metric (group, reference, check, interval, verdict)."""
    fair = ran(result, "fairness")
    return _rows(fair.metrics.get("headline")) if fair is not None else []


def reference_rows(result: AuditResult, *, lead_only: bool = False) -> list[Mapping[str, Any]]:
    """Rows of the ``reference_groups`` table: each group against its reference group."""
    fair = ran(result, "fairness")
    table = fair.table("reference_groups") if fair is not None else None
    if table is None:
        return []
    rows = table.rows()
    if lead_only:
        lead = {str(h.get("metric")) for h in headline_rows(result)}
        rows = [r for r in rows if r.get("metric") in lead]
    return rows


def reference_groups(result: AuditResult) -> dict[str, str]:
    """attribute -> reference group."""
    fair = ran(result, "fairness")
    return {str(k): str(v) for k, v in _mapping(fair.metrics.get("reference_groups") if fair else {}).items()}


def lead_metrics(result: AuditResult) -> list[str]:
    fair = ran(result, "fairness")
    if fair is None:
        return []
    framing = _mapping(fair.metrics.get("framing"))
    lead = framing.get("lead_metrics") or fair.method.get("lead_metrics") or ()
    return [str(m) for m in lead] if isinstance(lead, Sequence) and not isinstance(lead, str) else []


def group_tables(result: AuditResult) -> dict[str, Table]:
    """attribute (or intersection) -> its ``groups:<attribute>`` table."""
    fair = ran(result, "fairness")
    if fair is None:
        return {}
    return {k.split(":", 1)[1]: t for k, t in fair.tables.items() if k.startswith("groups:")}


def threshold_curves(result: AuditResult) -> dict[str, Mapping[str, Any]]:
    """attribute -> {"thresholds": [...], "groups": {group: {"tpr", "fpr", "selection_rate", "count"}}}."""
    fair = ran(result, "fairness")
    return {str(k): v for k, v in _mapping(fair.metrics.get("threshold_curves") if fair else {}).items()}


def group_calibration(result: AuditResult) -> dict[str, Mapping[str, Any]]:
    """attribute -> {"edges": [...], "groups": {group: {"count", "mean_score", "observed_rate"}}}."""
    fair = ran(result, "fairness")
    return {str(k): v for k, v in _mapping(fair.metrics.get("calibration") if fair else {}).items()}


def decision_threshold(result: AuditResult) -> float | None:
    fair = result.section("fairness")
    perf = result.section("performance")
    for x in (
        fair.metrics.get("threshold") if fair else None,
        perf.method.get("threshold") if perf else None,
    ):
        if isinstance(x, int | float) and not isinstance(x, bool):
            return float(x)
    return None


def confidence_level(section: SectionResult | None) -> float | None:
    level = section.method.get("confidence_level") if section is not None else None
    return float(level) if isinstance(level, int | float) and not isinstance(level, bool) else None


# --- performance ----------------------------------------------------------------------------------------


def performance_rows(result: AuditResult) -> list[dict[str, Any]]:
    """Overall metrics: metric, value, ci_low, ci_high, n, note."""
    perf = ran(result, "performance")
    if perf is None:
        return []
    out = []
    for name, row in _mapping(perf.metrics.get("overall")).items():
        if isinstance(row, Mapping):
            out.append(
                {k: row.get(k) for k in ("value", "ci_low", "ci_high", "n", "note")} | {"metric": name}
            )
    return out


# --- data quality -----------------------------------------------------------------------------------------


def group_mix(result: AuditResult) -> dict[str, list[tuple[str, int, float]]]:
    """attribute -> [(group, rows, share)] from the data-quality representation tables (audited data)."""
    dq = ran(result, "data_quality")
    out: dict[str, list[tuple[str, int, float]]] = {}
    if dq is None:
        return out
    for key, table in dq.tables.items():
        if not key.startswith("representation:") or "×" in key:
            continue
        d = table.data
        if not {"group", "count", "share"} <= set(d):
            continue
        out[key.split(":", 1)[1]] = [
            (str(g), int(c or 0), float(s or 0.0))
            for g, c, s in zip(d["group"], d["count"], d["share"], strict=False)
        ]
    return out


# --- emissions -------------------------------------------------------------------------------------------


def emissions_training(result: AuditResult) -> Mapping[str, Any]:
    em = ran(result, "emissions")
    return _mapping(em.metrics.get("training")) if em is not None else {}


def emissions_imported(result: AuditResult) -> Mapping[str, Any]:
    em = ran(result, "emissions")
    return _mapping(em.metrics.get("imported")) if em is not None else {}


def emissions_hf_block(result: AuditResult) -> Mapping[str, Any]:
    """The engine's Hugging Face ``co2_eq_emissions`` block (grams, source, training type, location, hardware)."""
    em = ran(result, "emissions")
    return _mapping(em.metrics.get("co2_eq_emissions")) if em is not None else {}


def refit_on_audited_data(result: AuditResult) -> bool:
    """True when the training figure is a re-fit on the audited (test) rows: not the model's training cost."""
    training = emissions_training(result)
    return str(training.get("training_origin") or "").startswith("audited")


_SLUG = re.compile(r"[^0-9A-Za-z]+")


def slug(text: str) -> str:
    """A file-name-safe ASCII slug: ``sex × race`` -> ``sex_race``."""
    return _SLUG.sub("_", str(text)).strip("_").lower() or "x"
