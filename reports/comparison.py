"""Render a :class:`audits.compare.Comparison` as Markdown, HTML, PDF or JSON.

The comparison becomes a :class:`reports.document.Document` (changes ranked: real changes for the worse first,
each with the method that tested it: paired with the measured correlation ρ, or independent; then the drift
between the two audited datasets), laid out by the same renderers as the audit report, so a number reads
identically in every format. Files are published with :func:`reports.safe_write.publish` as
``comparison.<format>``. The results' row ledgers and data profiles themselves are never printed.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Sequence
from pathlib import Path

from audits.compare import CHANGED, DISPARITY, METRIC, PAIRED, UNTESTED, Comparison, ItemChange
from audits.data_profile import DriftRow
from reports.document import Bullets, Document, Heading, KeyValues, Paragraph, TableBlock
from reports.export import parse_formats
from reports.formatting import DisplayTable, fmt_float, fmt_value_ci
from reports.safe_write import new_run_id, publish

COMPARISON_FORMATS = ("md", "html", "pdf", "json")
BASENAME = "comparison"
_COLUMNS = ("Item", "A", "B", "Change", "Verdict", "p (one-sided)", "Method")
_DRIFT_COLUMNS = ("Column", "Type", "Distance", "PSI", "Missing A → B", "Source", "Flag")
_TESTS = {"jensen_shannon": "Jensen–Shannon", "wasserstein_normed": "Wasserstein / std"}


def _verdict(item: ItemChange) -> str:
    if item.worse:
        return "worse"
    if item.better:
        return "better"
    if item.verdict == CHANGED:
        return "changed"
    if item.verdict == UNTESTED:
        return "untested" + (f" ({item.note})" if item.note else "")
    return "noise"


def _signed(x: float | None) -> str:
    if x is None:
        return "undefined"
    return ("+" if x > 0 else "") + fmt_float(x)


def _p(p: float | None) -> str:
    if p is None:
        return "—"
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def _table(title: str, items: Sequence[ItemChange], note: str) -> DisplayTable:
    rows = tuple(
        (
            i.label + (" (headline)" if i.headline and i.kind == DISPARITY else ""),
            fmt_value_ci(i.a, i.a_lower, i.a_upper),
            fmt_value_ci(i.b, i.b_lower, i.b_upper),
            _signed(i.change),
            _verdict(i),
            _p(i.p_value),
            _method(i),
        )
        for i in items
    )
    return DisplayTable(
        title=title,
        columns=_COLUMNS,
        rows=rows,
        numeric=(False, True, True, True, False, True, False),
        note=note,
    )


def _method(item: ItemChange) -> str:
    if item.p_value is None:
        return "—"
    if item.method == PAIRED and item.correlation is not None:
        return f"paired (ρ {item.correlation:.2f})"
    return item.method


def _share(x: float | None) -> str:
    return "—" if x is None else f"{x:.1%}"


def _flag(row: DriftRow) -> str:
    flags = []
    if row.drifted:
        flags.append("drift")
    if row.psi_level in ("warn", "fail"):
        flags.append("PSI " + ("major" if row.psi_level == "fail" else "moderate"))
    return ", ".join(flags) or ("—" if row.statistic is None else "stable")


def _drift_table(rows: Sequence[DriftRow]) -> DisplayTable:
    ranked = sorted(rows, key=lambda r: (not r.flagged, -(r.psi or 0.0), r.column))
    cells = tuple(
        (
            r.column + (f" ({r.note})" if r.note else ""),
            r.type,
            "—" if r.statistic is None else f"{fmt_float(r.statistic)} ({_TESTS.get(str(r.test), r.test)})",
            "—" if r.psi is None else fmt_float(r.psi),
            f"{_share(r.missing_a)} → {_share(r.missing_b)}",
            r.source,
            _flag(r),
        )
        for r in ranked
    )
    return DisplayTable(
        title="",
        columns=_DRIFT_COLUMNS,
        rows=cells,
        numeric=(False, False, True, True, True, False, False),
        note="A is the reference; flagged columns first, then by PSI. Source 'sketch': from 100-quantile sketches "
        "or with values beyond the top 100 of a column pooled.",
    )


def _drift_blocks(cmp: Comparison) -> list:
    drifted = cmp.drifted
    blocks: list = [
        Heading("Data drift between the audited datasets", status="warn" if drifted else None),
        Paragraph(cmp.drift_note, style="note"),
    ]
    if cmp.drift:
        blocks.append(
            Paragraph(
                f"{len(drifted)} of {len(cmp.drift)} shared column(s) flagged"
                + (": " + ", ".join(r.column for r in drifted[:20]) if drifted else "")
                + ".",
                style="verdict",
            )
        )
        blocks.append(TableBlock(_drift_table(cmp.drift)))
    for label, values in (
        ("Columns only in A", cmp.drift_only_in_a),
        ("Columns only in B", cmp.drift_only_in_b),
    ):
        if values:
            blocks += [Paragraph(label, style="verdict"), Bullets(tuple(values))]
    return blocks


def _unpaired_notes(cmp: Comparison) -> list:
    """In a paired comparison: which tested items stayed independent, and why."""
    if cmp.method != PAIRED:
        return []
    why: dict[str, list[str]] = {}
    for i in cmp.items:
        if i.p_value is not None and i.method != PAIRED and i.method_note:
            why.setdefault(i.method_note, []).append(i.label)
    if not why:
        return []
    lines = tuple(
        f"{reason}: {', '.join(labels[:8])}" + (f" and {len(labels) - 8} more" if len(labels) > 8 else "")
        for reason, labels in why.items()
    )
    return [
        Paragraph("Tested with the independent standard error (conservative):", style="note"),
        Bullets(lines),
    ]


def _finding_text(f: dict) -> str:
    subject = f" ({f['subject']})" if f.get("subject") else ""
    return (
        f"{str(f.get('severity', '')).upper()} {f['section']}: {f['code']}{subject} — {f.get('message', '')}"
    )


def build_comparison_document(cmp: Comparison) -> Document:
    """The comparison as a format-neutral document."""
    regressions = cmp.regressions
    if regressions:
        verdict = (
            f"{len(regressions)} item(s) got worse beyond the tolerance {cmp.tolerance:g} with confidence"
        )
        status = "fail"
    else:
        verdict = f"Nothing got worse beyond the tolerance {cmp.tolerance:g} with confidence"
        status = "pass"
    facts = (
        ("A (baseline)", f"{cmp.a.label} · {cmp.a.model_name or '?'} on {cmp.a.dataset_name or '?'}"),
        ("A started", cmp.a.started_at or "unknown"),
        ("B", f"{cmp.b.label} · {cmp.b.model_name or '?'} on {cmp.b.dataset_name or '?'}"),
        ("B started", cmp.b.started_at or "unknown"),
        ("Target / task", f"{cmp.target or '?'} / {cmp.task or '?'}"),
        ("Method", cmp.method + (f" ({cmp.paired_items} item(s) paired)" if cmp.method == PAIRED else "")),
        (
            "Data drift",
            f"{len(cmp.drifted)} of {len(cmp.drift)} column(s) flagged" if cmp.drift else "not measured",
        ),
    )
    blocks: list = [
        Heading("Summary", status=status),
    ]
    if regressions:
        blocks.append(
            Bullets(tuple(f"{i.label}: {_signed(i.change)} (p {_p(i.p_value)})" for i in regressions))
        )
    improvements = cmp.improvements
    if improvements:
        blocks += [
            Paragraph(f"{len(improvements)} item(s) improved beyond the tolerance with confidence."),
            Bullets(tuple(f"{i.label}: {_signed(i.change)}" for i in improvements)),
        ]
    blocks += [
        Paragraph(cmp.method_note, style="note"),
        KeyValues(
            (
                ("Change tolerance", f"{cmp.tolerance:g}"),
                ("Confidence level", f"{cmp.confidence_level:.0%}"),
                ("Items compared", str(len(cmp.items))),
                ("Status A / B", f"{cmp.a.status} / {cmp.b.status}"),
            ),
            title="How the audits were compared",
        ),
        *_unpaired_notes(cmp),
    ]
    ranked = cmp.ranked()
    for kind, title in ((METRIC, "Performance"), (DISPARITY, "Fairness disparities")):
        items = [i for i in ranked if i.kind == kind]
        if not items:
            continue
        blocks += [
            Heading(title, status="fail" if any(i.worse for i in items) else None),
            TableBlock(
                _table(
                    "",  # the heading above names the table
                    items,
                    "Values with their intervals; change = B − A; ranked: worse first, then better, then by size.",
                )
            ),
        ]
    extra: list = []
    for label, values in (
        ("New groups (only in B)", cmp.new_groups),
        ("Vanished groups (only in A)", cmp.vanished_groups),
        ("Items only in B", cmp.only_in_b),
        ("Items only in A", cmp.only_in_a),
    ):
        if values:
            extra += [Paragraph(label, style="verdict"), Bullets(tuple(values))]
    for label, found in (
        ("New findings (only in B)", cmp.new_findings),
        ("Vanished findings", cmp.vanished_findings),
    ):
        if found:
            extra += [
                Paragraph(label, style="verdict"),
                Bullets(tuple(_finding_text(dict(f)) for f in found)),
            ]
    if extra:
        blocks += [Heading("Groups and findings"), *extra]
    blocks += _drift_blocks(cmp)
    return Document(
        title="Audit comparison",
        subtitle=f"{cmp.b.label} compared with {cmp.a.label}",
        facts=facts,
        verdict=verdict,
        verdict_status=status,
        blocks=tuple(blocks),
        chapter_breaks=False,
    )


def render_comparison(cmp: Comparison, fmt: str, *, run_id: str | None = None) -> bytes:
    """The bytes of one format (``md``, ``html``, ``pdf`` or ``json``)."""
    if fmt == "json":
        d = cmp.to_dict()
        if run_id:
            d = {"run_id": run_id, **d}
        return json.dumps(d, indent=2, ensure_ascii=False, allow_nan=False).encode("utf-8")
    from reports.html import document_to_html
    from reports.markdown import blocks_to_markdown
    from reports.pdf import document_to_pdf

    doc = build_comparison_document(cmp)
    if run_id:
        doc = dataclasses.replace(doc, footer=f"{doc.footer} · run {run_id}")
    if fmt == "md":
        return blocks_to_markdown(doc).encode("utf-8")
    if fmt == "html":
        return document_to_html(doc).encode("utf-8")
    return document_to_pdf(doc)


def write_comparison(
    cmp: Comparison, out_dir: str | Path, formats: str | Sequence[str], *, run_id: str | None = None
) -> dict[str, Path]:
    """Write ``comparison.<fmt>`` for each format; returns ``{format: path}``."""
    fmts = parse_formats(formats, allowed=COMPARISON_FORMATS)
    run_id = run_id or new_run_id()
    files = {f"{BASENAME}.{fmt}": render_comparison(cmp, fmt, run_id=run_id) for fmt in fmts}
    owned = [f"{BASENAME}.{fmt}" for fmt in COMPARISON_FORMATS]
    published = publish(out_dir, files, run_id=run_id, owned=owned)
    return {fmt: published.written[f"{BASENAME}.{fmt}"] for fmt in fmts}
