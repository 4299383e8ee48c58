"""Build the audit report :class:`~reports.document.Document` from an AuditResult.

Order (CHECKS.md): executive summary with every verdict and the findings that matter most; then each section
(performance, data quality, fairness, explanations, emissions — whatever the result holds); the model card;
an appendix of provenance and of what was not measured and why.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import yaml

from audits.results import AuditResult, Severity, Status
from reports.document import Block, Bullets, Document, Heading, KeyValues, Paragraph, Preformatted, TableBlock
from reports.formatting import (
    DisplayTable,
    fmt_bytes,
    fmt_seconds,
    fmt_status,
    fmt_value,
)
from reports.sections import appendix_blocks, section_blocks

TOP_FINDINGS = 8

VERDICT_SENTENCE = {
    Status.PASS: "No policy check failed.",
    Status.WARN: "No policy check failed, but some findings need attention.",
    Status.FAIL: "At least one policy check failed.",
    Status.INCONCLUSIVE: "No check failed, but at least one verdict is inconclusive: its interval straddles the "
    "tolerance, so more data is needed to decide.",
    Status.SKIPPED: "No section produced a verdict.",
}


def model_name(result: AuditResult) -> str:
    """The audited model's display name: config ``model_name``, else the model file name."""
    cfg = result.provenance.config or {}
    model = result.provenance.model or {}
    return str(cfg.get("model_name") or model.get("name") or model.get("kind") or "Unnamed model")


def dataset_name(result: AuditResult) -> str:
    """The audited dataset's display name: config ``dataset_name``, else the file name."""
    cfg = result.provenance.config or {}
    data = result.provenance.data or {}
    return str(cfg.get("dataset_name") or data.get("name") or "dataset")


def audit_date(result: AuditResult) -> str:
    """The audit's start date (YYYY-MM-DD)."""
    return str(result.provenance.started_at or "")[:10]


def title_facts(result: AuditResult) -> tuple[tuple[str, str], ...]:
    """Label / value pairs of the title page."""
    data = result.provenance.data or {}
    model = result.provenance.model or {}
    facts = [
        ("Model", model_name(result)),
        (
            "Model file",
            f"{model.get('name') or model.get('kind')} ({model.get('description') or model.get('format') or ''})",
        ),
        ("Dataset", dataset_name(result)),
        ("Rows audited", fmt_value(data.get("rows"), "count")),
        ("Audit date", str(result.provenance.started_at or "")),
    ]
    return tuple((k, v) for k, v in facts if v)


def top_findings(result: AuditResult, *, limit: int = TOP_FINDINGS) -> list[tuple[str, Any]]:
    """The warnings and failures that matter most: most severe first, sections taking turns within a severity
    so that one section with many findings does not hide the others."""
    ranked = result.findings(min_severity=Severity.WARN)
    out: list[tuple[str, Any]] = []
    for rank in sorted({f.rank for _, f in ranked}, reverse=True):
        queues: dict[str, list[Any]] = {}
        for name, f in ranked:
            if f.rank == rank:
                queues.setdefault(name, []).append(f)
        while any(queues.values()) and len(out) < limit:
            for name, queue in queues.items():
                if queue and len(out) < limit:
                    out.append((name, queue.pop(0)))
    return out


def executive_summary(result: AuditResult) -> list[Block]:
    """Overall verdict, one line per section, and the findings that matter most."""
    status = result.status
    blocks: list[Block] = [
        Heading("Executive summary", level=1, status=status.value),
        Paragraph(
            f"Overall verdict: {fmt_status(status)}. {VERDICT_SENTENCE.get(status, '')}",
            style="verdict",
            status=status.value,
        ),
    ]
    rows = []
    for s in result.sections:
        first = s.summary[0] if s.summary else (s.reason or "")
        rows.append((s.title, fmt_status(s.status), first))
    blocks.append(
        TableBlock(
            DisplayTable(
                title="Verdict by section",
                columns=("Section", "Status", "Summary"),
                rows=tuple(rows),
                numeric=(False, False, False),
                note="Sections skipped or in error give no verdict; the appendix says why.",
            ),
            status_column=1,
        )
    )
    top = top_findings(result)
    titles = {s.name: s.title for s in result.sections}
    if top:
        total = len(result.findings(min_severity=Severity.WARN))
        blocks.append(Heading("Findings that matter most", level=2))
        blocks.append(
            Bullets(
                tuple(f"[{fmt_status(f.severity)}] {titles.get(name, name)}: {f.message}" for name, f in top)
            )
        )
        if total > len(top):
            blocks.append(
                Paragraph(
                    f"{len(top)} of {total} warnings and failures shown; each section lists all of its findings.",
                    style="note",
                )
            )
    else:
        blocks.append(Paragraph("No section raised a warning or a failure.", style="note"))
    return blocks


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
        excluded = s.metrics.get("excluded") if s.name == "fairness" else None
        if isinstance(excluded, list) and excluded:
            items.append(
                f"{s.title}: {len(excluded)} small group(s) are left out of the headline disparities (too few rows, "
                "positives or negatives for a stable rate); their numbers are listed in the fairness section."
            )
        if s.name == "emissions" and s.metrics.get("training") and not s.metrics.get("imported"):
            items.append(
                f"{s.title}: the emissions of the original training run were not imported (no codecarbon CSV from "
                "the trainer); the training figure is a re-fit measured during this audit."
            )
    return items


def _kv(d: Mapping[str, Any] | None, keys: tuple[str, ...]) -> list[tuple[str, str]]:
    if not d:
        return []
    out = []
    for key in keys:
        if d.get(key) is None:
            continue
        value = d[key]
        if key == "bytes":
            out.append(("Size", fmt_bytes(value)))
        elif key == "sha256":
            out.append(("SHA-256", str(value)))
        else:
            out.append((key.replace("_", " ").capitalize(), fmt_value(value)))
    return out


def appendix(result: AuditResult) -> list[Block]:
    """Provenance (SHA-256, versions, config, seed, timings), long detail tables, and what was not measured."""
    p = result.provenance
    blocks: list[Block] = [Heading("Appendix", level=1), Heading("Provenance", level=2)]
    blocks.append(
        KeyValues(
            (
                ("Audit started", str(p.started_at)),
                ("Total duration", fmt_seconds(p.duration_s)),
                (
                    "Prediction pass",
                    fmt_seconds(p.prediction_seconds) if p.prediction_seconds is not None else "not timed",
                ),
                ("Seed", str(p.seed)),
                ("Result schema", result.schema_version),
            ),
            title="Run",
        )
    )
    keys = ("name", "format", "rows", "columns", "bytes", "sha256")
    blocks.append(KeyValues(tuple(_kv(p.data, keys)), title="Audited data"))
    blocks.append(
        KeyValues(
            tuple(_kv(p.model, ("name", "kind", "format", "description", "bytes", "sha256"))), title="Model"
        )
    )
    if p.reference:
        blocks.append(KeyValues(tuple(_kv(p.reference, keys)), title="Reference data"))
    timing_rows = tuple(
        (s.title, fmt_status(s.status), fmt_seconds(s.duration_s) if s.duration_s is not None else "not run")
        for s in result.sections
    )
    blocks.append(
        TableBlock(
            DisplayTable(
                title="Section timings",
                columns=("Section", "Status", "Duration"),
                rows=timing_rows,
                numeric=(False, False, True),
            ),
            status_column=1,
        )
    )
    if p.versions:
        blocks.append(
            TableBlock(
                DisplayTable(
                    title="Library versions",
                    columns=("Library", "Version"),
                    rows=tuple((k, str(v)) for k, v in p.versions.items()),
                    numeric=(False, False),
                )
            )
        )
    if p.platform:
        plat = {k: v for k, v in p.platform.items() if not isinstance(v, Mapping | list)}
        if plat:
            blocks.append(
                KeyValues(tuple((k.capitalize(), str(v)) for k, v in plat.items()), title="Platform")
            )
    for section in result.sections:
        blocks.extend(appendix_blocks(section))
    if p.config:
        blocks.append(Heading("Configuration", level=2))
        blocks.append(
            Preformatted(yaml.safe_dump(dict(p.config), sort_keys=False, allow_unicode=True).strip())
        )
    blocks.append(Heading("What was not measured, and why", level=2))
    items = not_measured(result)
    blocks.append(
        Bullets(tuple(items))
        if items
        else Paragraph("Every selected section ran and every metric is defined.")
    )
    return blocks


def build_report_document(result: AuditResult, *, card_info: Any = None) -> Document:
    """The audit report as format-neutral blocks (see :mod:`reports.document`).

    Parameters
    ----------
    result : the audit result.
    card_info : a :class:`reports.model_card.CardInfo` (or a mapping) with the qualitative model-card fields;
        defaults are taken from the result.
    """
    from reports.model_card import as_card_info, build_model_card, card_blocks

    blocks: list[Block] = list(executive_summary(result))
    for section in result.sections:
        blocks.extend(section_blocks(section))
    info = as_card_info(card_info)  # a bad card file is the user's error: let it raise
    blocks.append(Heading("Model card", level=1))
    try:
        blocks.extend(card_blocks(build_model_card(result, info), level=2))
    except Exception as exc:  # the report must still come out; the card export will show the same error
        blocks.append(
            Paragraph(f"The model card could not be built ({type(exc).__name__}: {exc}).", style="warning")
        )
    blocks.extend(appendix(result))
    status = result.status
    return Document(
        title=f"Responsible-AI audit: {model_name(result)}",
        subtitle=dataset_name(result),
        facts=title_facts(result),
        verdict=f"Overall verdict: {fmt_status(status)}",
        verdict_status=status.value,
        blocks=tuple(blocks),
        footer=f"RAI Audit · {model_name(result)} · {audit_date(result)}",
    )
