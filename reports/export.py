"""Write an AuditResult (and its model card) to files in the requested formats.

Files are published by :mod:`reports.safe_write`: rendered in memory, written into a fresh private folder
inside the output folder, then moved into place atomically; a planted symlink is replaced, never written
through. Files of an earlier run that this run does not rewrite are moved into ``previous-<run id>/``. All
files of one run carry the same run id: ``provenance.run_id`` in the JSON, the footer of the Markdown and
HTML, and the footer and title metadata of the PDF.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from audits.errors import AuditInputError
from audits.results import AuditResult
from reports.document import Document
from reports.safe_write import new_run_id, publish

REPORT_FORMATS = ("json", "md", "html", "pdf", "csv", "annex-iv")
CARD_FORMATS = ("md", "json", "pdf", "html")
ANNEX_IV_BASENAME = "annex_iv"
REPORT_BASENAME = "audit_report"
CARD_BASENAME = "model_card"


def parse_formats(text: str | Sequence[str], *, allowed: Sequence[str] = REPORT_FORMATS) -> list[str]:
    """``"json,md"`` -> ``["json", "md"]``; unknown names raise AuditInputError listing the allowed ones."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for item in items:
        name = item.strip().lower().lstrip(".")
        name = {"markdown": "md", "htm": "html", "annex_iv": "annex-iv", "annexiv": "annex-iv"}.get(
            name, name
        )
        if not name:
            continue
        if name not in allowed:
            raise AuditInputError(f"--format: unknown format {item!r}. Choose from {', '.join(allowed)}.")
        if name not in out:
            out.append(name)
    if not out:  # writing nothing would only move the earlier files aside
        raise AuditInputError(f"--format: no format given. Choose one or more of {', '.join(allowed)}.")
    return out


def report_file_names(basename: str = REPORT_BASENAME) -> tuple[str, ...]:
    """Every fixed file name a report run may write (CSV names depend on the result's tables)."""
    names = [f"{basename}.{fmt}" for fmt in REPORT_FORMATS if fmt not in ("csv", "annex-iv")]
    return (*names, f"{ANNEX_IV_BASENAME}.md", f"{ANNEX_IV_BASENAME}.pdf")


def _csv_names_in(out_dir: str | Path) -> list[str]:
    """CSV files an earlier ``--format csv`` run left (``<section>_<table>.csv``, ``findings.csv``)."""
    from audits.runner import SECTIONS

    folder = Path(out_dir)
    if not folder.is_dir():
        return []
    prefixes = tuple(f"{name}_" for name in SECTIONS)
    return [
        p.name
        for p in folder.iterdir()
        if p.suffix == ".csv"
        and (p.name.startswith(prefixes) or p.name == "findings.csv")
        and not p.is_symlink()
    ]


def card_file_names(basename: str = CARD_BASENAME) -> tuple[str, ...]:
    """Every file name a model-card run may write (one per format)."""
    return tuple(f"{basename}.{fmt}" for fmt in CARD_FORMATS)


def json_with_run_id(data: dict[str, Any], run_id: str, *, key: str | None = "provenance") -> str:
    """JSON text of ``data`` with ``run_id`` stored as ``data[key]["run_id"]`` (top level when key is None).

    ``Provenance.from_dict`` ignores keys it does not know, so a result written this way reads back as before.
    """
    if key is None:
        d = {"run_id": run_id, **data}
    else:
        d = dict(data)
        d[key] = {**(d.get(key) or {}), "run_id": run_id}
    return json.dumps(d, indent=2, ensure_ascii=False, allow_nan=False)


def _with_run_footer(doc: Document, run_id: str) -> Document:
    return dataclasses.replace(doc, footer=f"{doc.footer} · run {run_id}")


def _publish(
    out_dir: str | Path, files: dict[str, bytes], *, run_id: str, owned: Iterable[str], formats: list[str]
) -> dict[str, Path]:
    published = publish(out_dir, files, run_id=run_id, owned=owned)
    return {fmt: path for fmt, path in zip(formats, published.written.values(), strict=True)}


def write_report(
    result: AuditResult,
    out_dir: str | Path,
    formats: Sequence[str],
    *,
    card_info: Any = None,
    basename: str = REPORT_BASENAME,
    run_id: str | None = None,
    also_owned: Iterable[str] = (),
) -> dict[str, Path]:
    """Write the audit report in each format.

    Parameters
    ----------
    result : the audit result.
    out_dir : folder to write into (created if needed).
    formats : any of ``json``, ``md``, ``html``, ``pdf``, ``csv`` (complete tables beside the report) and
        ``annex-iv`` (EU AI Act technical documentation, ``annex_iv.md`` and ``annex_iv.pdf``).
    card_info : qualitative model-card fields (:class:`reports.model_card.CardInfo`, mapping or YAML path).
    basename : file name without extension.
    run_id : the id every file carries (default: the audit's own run id, else a new one).
    also_owned : further file names an earlier run may have left that this result makes stale (the CLI
        passes the model-card files); with ``<basename>.*`` not rewritten, they are moved aside.

    Returns
    -------
    dict[str, Path]
        ``{format: path}`` of the files written.
    """
    from reports.model_card import as_card_info
    from reports.report import build_report_document

    formats = parse_formats(formats)
    run_id = run_id or result.provenance.run_id or new_run_id()
    info = as_card_info(card_info)  # a bad model-card file fails before anything is written
    doc = None
    if set(formats) & {"md", "html", "pdf"}:
        doc = _with_run_footer(build_report_document(result, card_info=info), run_id)
    files: dict[str, bytes] = {}
    keys: list[str] = []
    for fmt in formats:
        if fmt == "csv":
            from reports.csv_export import csv_files

            for name, data in csv_files(result).items():
                files[name] = data
                keys.append(f"csv:{name}")
            continue
        if fmt == "annex-iv":
            from reports.annex_iv import build_annex_iv_document

            annex = _with_run_footer(build_annex_iv_document(result, info), run_id)
            files[f"{ANNEX_IV_BASENAME}.md"] = lay_out(annex, "md")
            files[f"{ANNEX_IV_BASENAME}.pdf"] = lay_out(annex, "pdf")
            keys += ["annex-iv md", "annex-iv pdf"]
            continue
        if fmt == "json":
            files[f"{basename}.json"] = json_with_run_id(result.to_dict(), run_id).encode("utf-8")
        else:
            files[f"{basename}.{fmt}"] = lay_out(doc, fmt)
        keys.append(fmt)
    owned = [*report_file_names(basename), *_csv_names_in(out_dir), *also_owned]
    published = publish(out_dir, files, run_id=run_id, owned=owned)
    return dict(zip(keys, published.written.values(), strict=True))


def write_model_card(
    result: AuditResult,
    out_dir: str | Path,
    formats: Sequence[str] = ("md", "json", "pdf"),
    *,
    card_info: Any = None,
    basename: str = CARD_BASENAME,
    run_id: str | None = None,
) -> dict[str, Path]:
    """Write the model card (Markdown with Hugging Face front matter, JSON, PDF).

    Parameters
    ----------
    result : the audit result (quantitative parts).
    out_dir : folder to write into (created if needed).
    formats : any of ``md``, ``json``, ``pdf``, ``html``.
    card_info : qualitative fields (:class:`reports.model_card.CardInfo`, mapping or YAML path); they are
        never stored in the result, so keep the YAML file to reuse them after a re-run.
    basename : file name without extension.
    run_id : the id every file carries (default: a new one).

    Returns
    -------
    dict[str, Path]
        ``{format: path}`` of the files written.
    """
    import yaml

    from reports.markdown import blocks_to_markdown
    from reports.model_card import build_model_card, card_document
    from reports.pdf import document_to_pdf

    formats = parse_formats(formats, allowed=CARD_FORMATS)
    run_id = run_id or new_run_id()
    card = build_model_card(result, card_info)
    doc = _with_run_footer(card_document(card), run_id)
    files: dict[str, bytes] = {}
    for fmt in formats:
        if fmt == "md":
            # As ModelCard.to_markdown, with the run id in the footer.
            fm = yaml.safe_dump(card.front_matter(), sort_keys=False, allow_unicode=True, width=1000).strip()
            content: str | bytes = f"---\n{fm}\n---\n\n{blocks_to_markdown(doc)}"
        elif fmt == "json":
            content = json_with_run_id(card.to_dict(), run_id, key=None)
        elif fmt == "html":
            from reports.html import document_to_html

            content = document_to_html(doc)
        else:
            content = document_to_pdf(doc)
        files[f"{basename}.{fmt}"] = content.encode("utf-8") if isinstance(content, str) else content
    return _publish(out_dir, files, run_id=run_id, owned=card_file_names(basename), formats=formats)


# --- one document, one format: the format modules only lay out a document (no cycle back to reports.report) ---
def lay_out(doc: Document, fmt: str) -> bytes:
    """A built report document in ``md``, ``html`` or ``pdf``: the one place a format picks its layout module."""
    if fmt == "md":
        from reports.markdown import blocks_to_markdown

        return blocks_to_markdown(doc).encode("utf-8")
    if fmt == "html":
        from reports.html import document_to_html

        return document_to_html(doc).encode("utf-8")
    if fmt == "pdf":
        from reports.pdf import document_to_pdf

        return bytes(document_to_pdf(doc))
    raise ValueError(f"no layout for format {fmt!r}; use md, html or pdf")


def render_report(result: AuditResult, fmt: str, *, card_info: Any = None) -> bytes:
    """The audit report in one format (``json``, ``md``, ``html``, ``pdf``) as bytes, nothing written."""
    if fmt == "json":
        return result.to_json().encode("utf-8")
    from reports.report import build_report_document

    return lay_out(build_report_document(result, card_info=card_info), fmt)


def render_markdown(result: AuditResult, *, card_info: Any = None) -> str:
    """The audit report as Markdown (see :func:`render_report`)."""
    return render_report(result, "md", card_info=card_info).decode("utf-8")


def render_html(result: AuditResult, *, card_info: Any = None) -> str:
    """The audit report as one self-contained HTML page (inline CSS, charts as inline base64 PNG)."""
    return render_report(result, "html", card_info=card_info).decode("utf-8")


def render_pdf(result: AuditResult, *, card_info: Any = None) -> bytes:
    """The audit report as PDF bytes."""
    return render_report(result, "pdf", card_info=card_info)
