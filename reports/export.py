"""Write an AuditResult (and its model card) to files in the requested formats."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from audits.errors import AuditInputError
from audits.results import AuditResult

REPORT_FORMATS = ("json", "md", "html", "pdf")
CARD_FORMATS = ("md", "json", "pdf")


def parse_formats(text: str | Sequence[str], *, allowed: Sequence[str] = REPORT_FORMATS) -> list[str]:
    """``"json,md"`` -> ``["json", "md"]``; unknown names raise AuditInputError listing the allowed ones."""
    items = text.split(",") if isinstance(text, str) else list(text)
    out = []
    for item in items:
        name = item.strip().lower().lstrip(".")
        name = {"markdown": "md", "htm": "html"}.get(name, name)
        if not name:
            continue
        if name not in allowed:
            raise AuditInputError(f"--format: unknown format {item!r}. Choose from {', '.join(allowed)}.")
        if name not in out:
            out.append(name)
    return out


def _write(path: Path, content: str | bytes) -> Path:
    # Write to a temporary name first so an interrupted export never leaves a truncated report behind.
    tmp = path.with_name(f".{path.name}.tmp")
    if isinstance(content, bytes):
        tmp.write_bytes(content)
    else:
        tmp.write_text(content, encoding="utf-8")
    tmp.replace(path)
    return path


def write_report(
    result: AuditResult,
    out_dir: str | Path,
    formats: Sequence[str],
    *,
    card_info: Any = None,
    basename: str = "audit_report",
) -> dict[str, Path]:
    """Write the audit report in each format.

    Parameters
    ----------
    result : the audit result.
    out_dir : folder to write into (created if needed).
    formats : any of ``json``, ``md``, ``html``, ``pdf`` (see :func:`parse_formats`).
    card_info : qualitative model-card fields (:class:`reports.model_card.CardInfo`, mapping or YAML path).
    basename : file name without extension.

    Returns
    -------
    dict[str, Path]
        ``{format: path}`` of the files written.
    """
    from reports.html import render_html
    from reports.markdown import render_markdown
    from reports.model_card import as_card_info
    from reports.pdf import render_pdf

    formats = parse_formats(formats)
    info = as_card_info(card_info)  # a bad model-card file fails before anything is written
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in formats:
        path = out / f"{basename}.{fmt}"
        if fmt == "json":
            written[fmt] = _write(path, result.to_json())
        elif fmt == "md":
            written[fmt] = _write(path, render_markdown(result, card_info=info))
        elif fmt == "html":
            written[fmt] = _write(path, render_html(result, card_info=info))
        elif fmt == "pdf":
            written[fmt] = _write(path, render_pdf(result, card_info=info))
    return written


def write_model_card(
    result: AuditResult,
    out_dir: str | Path,
    formats: Sequence[str] = CARD_FORMATS,
    *,
    card_info: Any = None,
    basename: str = "model_card",
) -> dict[str, Path]:
    """Write the model card (Markdown with Hugging Face front matter, JSON, PDF).

    Parameters
    ----------
    result : the audit result (quantitative parts).
    out_dir : folder to write into (created if needed).
    formats : any of ``md``, ``json``, ``pdf``.
    card_info : qualitative fields (:class:`reports.model_card.CardInfo`, mapping or YAML path); they are
        never stored in the result, so keep the YAML file to reuse them after a re-run.
    basename : file name without extension.

    Returns
    -------
    dict[str, Path]
        ``{format: path}`` of the files written.
    """
    from reports.model_card import build_model_card, render_model_card_pdf

    formats = parse_formats(formats, allowed=CARD_FORMATS)
    card = build_model_card(result, card_info)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in formats:
        path = out / f"{basename}.{fmt}"
        if fmt == "md":
            written[fmt] = _write(path, card.to_markdown())
        elif fmt == "json":
            written[fmt] = _write(path, card.to_json())
        elif fmt == "pdf":
            written[fmt] = _write(path, render_model_card_pdf(card))
    return written
