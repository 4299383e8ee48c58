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


def write_report(
    result: AuditResult,
    out_dir: str | Path,
    formats: Sequence[str],
    *,
    card_info: Any = None,
    basename: str = "audit_report",
) -> dict[str, Path]:
    """Write the audit report in each format; returns {format: path}."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    written: dict[str, Path] = {}
    for fmt in formats:
        if fmt == "json":
            written[fmt] = result.save_json(out / f"{basename}.json")
        else:
            raise AuditInputError(f"--format: {fmt} reports are not available yet.")
    return written
