"""The complete tables of a result as CSV files beside the report (``--format csv``).

The PDF and HTML keep their main body short; every exhaustive table (all disparities, every group of every
intersection, every data-quality check) is written here in full and referenced by file name. One file per kind
of table: ``<section>_<table>.csv``; the tables of one kind for several attributes (``groups:sex``,
``groups:race``) are stacked in one file with an ``attribute`` column, so the file names never depend on the
data. Every file goes through :func:`reports.csv_safety.safe_csv_bytes` (no spreadsheet formulas).
"""

from __future__ import annotations

import pandas as pd

from audits.results import AuditResult
from reports import readers
from reports.csv_safety import safe_csv_bytes
from reports.formatting import humanize

FINDINGS_FILE = "findings.csv"


def csv_tables(result: AuditResult) -> dict[str, tuple[pd.DataFrame, str]]:
    """``{file name: (frame, what it holds)}`` for every table of every section that ran, plus all findings."""
    out: dict[str, tuple[pd.DataFrame, str]] = {}
    stacks: dict[str, list[pd.DataFrame]] = {}
    about: dict[str, str] = {}
    for section in result.sections:
        if section.status not in readers.RAN:
            continue
        for key, table in section.tables.items():
            if section.name == "data_quality" and key == "findings":
                continue  # findings.csv holds them, with every other section's
            base, _, attribute = key.partition(":")
            name = f"{section.name}_{readers.slug(base)}.csv"
            frame = pd.DataFrame({k: list(v) for k, v in table.data.items()})
            if attribute:
                frame.insert(0, "attribute", attribute)
                about[name] = f"{section.title}: {humanize(base)} tables, one block per attribute"
            else:
                about[name] = f"{section.title}: {table.title}"
            stacks.setdefault(name, []).append(frame)
    for name, frames in stacks.items():
        out[name] = (pd.concat(frames, ignore_index=True, sort=False), about[name])
    rows = [
        {
            "section": name,
            "severity": f.severity.value,
            "code": f.code,
            "subject": f.subject,
            "message": f.message,
        }
        for name, f in result.findings()
    ]
    if rows:
        out[FINDINGS_FILE] = (pd.DataFrame(rows), "Every finding of every section, most severe first")
    return dict(sorted(out.items()))


def csv_files(result: AuditResult) -> dict[str, bytes]:
    """``{file name: CSV bytes}``, formula-safe, ready to publish beside the report."""
    return {name: safe_csv_bytes(frame) for name, (frame, _) in csv_tables(result).items()}
