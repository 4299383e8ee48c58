"""Build the audit report :class:`~reports.document.Document` from an AuditResult.

Order (CHECKS.md): executive summary with every verdict and the findings that matter most; then each section
(performance, data quality, fairness, explanations, emissions — whatever the result holds); the model card;
an appendix of provenance and of what was not measured and why.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Mapping
from typing import Any

import yaml

from audits.results import AuditResult, Status
from reports import ranking, readers
from reports.document import (
    Block,
    Bullets,
    Document,
    Figure,
    Heading,
    KeyValues,
    Paragraph,
    Preformatted,
    TableBlock,
)
from reports.formatting import (
    DisplayTable,
    fmt_bytes,
    fmt_seconds,
    fmt_status,
    fmt_value,
)
from reports.ranking import KeyFinding
from reports.readers import not_measured  # noqa: F401 - re-exported; it lives with the readers
from reports.sections import (
    appendix_blocks,
    disparity_table,
    method_blocks,
    reference_table,
    roc_pr_figure,
    section_blocks,
)

TOP_FINDINGS = 5
NOT_MEASURED_SHORT = 4
# Chapter order of the main body (CHECKS.md): what decides first; other sections follow in result order.
CHAPTER_ORDER = ("fairness", "performance", "data_quality", "explanation", "emissions")

VERDICT_SENTENCE = {
    Status.PASS: "No policy check failed.",
    Status.WARN: "No policy check failed, but some findings need attention.",
    Status.FAIL: "At least one policy check failed.",
    Status.INCONCLUSIVE: "No check failed, but at least one verdict is inconclusive: its interval straddles the "
    "tolerance, so more data is needed to decide.",
    Status.SKIPPED: "No section produced a verdict.",
}


def model_name(result: AuditResult) -> str:
    """The audited model's display name: config ``model_name``, else the model file name (no folders)."""
    return readers.model_display_name(result)


def dataset_name(result: AuditResult) -> str:
    """The audited dataset's display name: config ``dataset_name``, else the file name (no folders)."""
    return readers.dataset_display_name(result)


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
            f"{readers.base_name(model.get('name')) or model.get('kind')} "
            f"({model.get('description') or model.get('format') or ''})",
        ),
        ("Dataset", dataset_name(result)),
        ("Rows audited", fmt_value(data.get("rows"), "count")),
        ("Audit date", str(result.provenance.started_at or "")),
    ]
    return tuple((k, v) for k, v in facts if v)


def top_findings(result: AuditResult, *, limit: int = TOP_FINDINGS) -> list[KeyFinding]:
    """The findings that matter most (see :func:`reports.ranking.top_findings`)."""
    return ranking.top_findings(result, k=limit)


def first_page(result: AuditResult) -> list[Block]:
    """What decides: the findings that matter most (what, between whom, how large, how sure, what to do) and a
    short list of what was not measured."""
    blocks: list[Block] = []
    status = result.status
    sentence = VERDICT_SENTENCE.get(status, "")
    if status == Status.ERROR:
        sentence = (
            "The audit is incomplete: a selected section errored. Verdict of the sections that ran: "
            f"{fmt_status(result.policy_status)}."
        )
    blocks.append(Paragraph(sentence, style="body"))
    key = ranking.top_findings(result, k=TOP_FINDINGS)
    total = ranking.count_candidates(result)
    if key:
        blocks.append(Heading("Findings that matter most", level=2))
        for i, f in enumerate(key, 1):
            blocks.append(
                Paragraph(f"{i}. [{f.severity_label}] {f.title}", style="verdict", status=f.severity)
            )
            details = []
            if f.interval:
                details.append(f"Effect: {f.interval}.")
            if f.evidence:
                details.append(f"Evidence: {f.evidence}.")
            details.append(f"What to do: {f.action}")
            blocks.append(Paragraph(" ".join(details), style="body"))
        blocks.append(
            Paragraph(
                f"{len(key)} of {total} failed, inconclusive or warning findings, ranked by severity, then effect "
                "size in units of the policy tolerance, then strength of evidence; one per attribute and metric "
                "family. The Verdicts chapter lists every verdict.",
                style="note",
            )
        )
    else:
        blocks.append(
            Paragraph("No section raised a warning, a failure or an inconclusive verdict.", style="note")
        )
    gaps = not_measured(result)
    if gaps:
        blocks.append(Heading("What was not measured", level=2))
        blocks.append(Bullets(tuple(gaps[:NOT_MEASURED_SHORT])))
        if len(gaps) > NOT_MEASURED_SHORT:
            blocks.append(Paragraph(f"{len(gaps)} items in all; the appendix lists every one.", style="note"))
    return blocks


def verdicts_chapter(result: AuditResult) -> list[Block]:
    """Every section's verdict, the deciding fairness verdicts and each group against its reference group."""
    status = result.status
    blocks: list[Block] = [
        Heading("Verdicts", level=1, status=status.value),
        Paragraph(
            f"Overall verdict: {fmt_status(status)}. {VERDICT_SENTENCE.get(status, '')}",
            style="verdict",
            status=status.value,
        ),
    ]
    rows = tuple((s.title, fmt_status(s.status), ranking.section_sentence(s)) for s in result.sections)
    blocks.append(
        TableBlock(
            DisplayTable(
                title="Verdict by section",
                columns=("Section", "Status", "Summary"),
                rows=rows,
                numeric=(False, False, False),
                note="Sections skipped or in error give no verdict; the appendix says why.",
            ),
            status_column=1,
        )
    )
    titles = readers.metric_titles(result)
    headline = readers.headline_rows(result)
    if headline:
        blocks.append(Heading("Fairness verdicts", level=2))
        blocks.append(
            disparity_table(
                headline, title="Deciding comparison per attribute and lead metric", metric_titles=titles
            )
        )
    singles = [
        r for r in readers.reference_rows(result, lead_only=True) if "×" not in str(r.get("attribute"))
    ]
    if singles:
        blocks.append(Heading("Each group against the reference group", level=2))
        blocks.append(
            reference_table(singles, title="Lead metrics, each group vs its reference", metric_titles=titles)
        )
    return blocks


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
    how = [b for s in result.sections for b in method_blocks(s)]
    if how:
        blocks.append(Heading("How each section's numbers were obtained", level=2))
        blocks.extend(how)
    from reports.csv_export import csv_tables

    files = csv_tables(result)
    if files:
        blocks.append(Heading("Files beside this report", level=2))
        blocks.append(
            TableBlock(
                DisplayTable(
                    title="Complete tables (written with --format csv)",
                    columns=("File", "Rows", "Contents"),
                    rows=tuple(
                        (name, fmt_value(len(frame), "count"), about)
                        for name, (frame, about) in files.items()
                    ),
                    numeric=(False, True, False),
                    note="Every number of the result, one CSV per kind of table; text cells that a spreadsheet could "
                    "read as a formula are prefixed with a quote. The JSON result holds the same numbers.",
                )
            )
        )
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

    Page 1 decides (verdict, the findings that matter most, what was not measured); then a table of contents;
    the Verdicts chapter; the sections (fairness, performance, data quality, explanations, emissions, then any
    other); the model card; the appendix (provenance, complete tables, the CSV files beside the report).

    Parameters
    ----------
    result : the audit result.
    card_info : a :class:`reports.model_card.CardInfo` (or a mapping) with the qualitative model-card fields;
        defaults are taken from the result.
    """
    from reports.model_card import as_card_info, build_model_card, card_blocks

    blocks: list[Block] = list(verdicts_chapter(result))
    rank = {name: i for i, name in enumerate(CHAPTER_ORDER)}
    ordered = sorted(result.sections, key=lambda s: rank.get(s.name, len(rank)))
    for section in ordered:
        blocks.extend(section_blocks(section))
        if section.name == "performance" and section.status in readers.RAN:
            try:
                figure = roc_pr_figure(result)
            except Exception:  # the curves are an addition; the chapter stands without them
                figure = None
            if figure is not None:
                blocks.append(figure)
    info = as_card_info(card_info)  # a bad card file is the user's error: let it raise
    blocks.append(Heading("Model card", level=1))
    try:
        blocks.extend(card_blocks(build_model_card(result, info), level=2, compact=True))
    except Exception as exc:  # the report must still come out; the card export will show the same error
        blocks.append(
            Paragraph(f"The model card could not be built ({type(exc).__name__}: {exc}).", style="warning")
        )
    blocks.extend(appendix(result))
    # Each chart is drawn once per document, however many formats (HTML, PDF) lay it out.
    blocks = [
        dataclasses.replace(b, render=functools.cache(b.render)) if isinstance(b, Figure) else b
        for b in blocks
    ]
    status = result.status
    # The card YAML's display name wins over a file name when the audit config gave none.
    cfg_name = (result.provenance.config or {}).get("model_name")
    title = str(cfg_name or info.model_name or model_name(result))
    return Document(
        title=title,
        subtitle=f"Responsible-AI audit · {dataset_name(result)}",
        facts=title_facts(result),
        verdict=f"Overall verdict: {fmt_status(status)}",
        verdict_status=status.value,
        blocks=tuple(blocks),
        footer=f"RAI Audit · {title} · {audit_date(result)}",
        first_page=tuple(first_page(result)),
        toc=True,
    )
