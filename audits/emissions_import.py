"""Reading a codecarbon ``emissions.csv`` written by the user's original training run.

codecarbon appends one row per run (or per ``flush()``); the latest row is the one reported, and the file's
row count is stated. Leading lines starting with ``#`` are read as comments (provenance notes).
"""

from __future__ import annotations

import io
import math
from pathlib import Path
from typing import Any

import pandas as pd

from audits.errors import AuditInputError

REQUIRED_COLUMNS = ("duration", "emissions", "energy_consumed")

IMPORT_NOT_FOUND = "{file}: the codecarbon emissions file does not exist. Check emissions.imported_csv."
IMPORT_EMPTY = (
    "{file}: the codecarbon emissions file is empty. Choose the emissions.csv written by codecarbon."
)
IMPORT_NOT_CSV = (
    "{file}: not a readable CSV ({detail}). Choose the emissions.csv written by codecarbon's tracker."
)
IMPORT_MISSING_COLUMNS = (
    "{file}: not a codecarbon emissions file: column(s) {columns} missing. codecarbon writes at least "
    "'duration', 'emissions' and 'energy_consumed'; choose the emissions.csv written by its tracker."
)
IMPORT_BAD_VALUE = (
    "{file}: column '{column}' of the last row must be a non-negative number; got {value!r}. "
    "Fix the file or export it again with codecarbon."
)

# codecarbon column -> key in the imported record, for numbers.
_NUMERIC = {
    "duration": "duration_s",
    "emissions": "emissions_kg",
    "emissions_rate": "emissions_rate_kg_per_s",
    "energy_consumed": "energy_kwh",
    "cpu_energy": "cpu_energy_kwh",
    "gpu_energy": "gpu_energy_kwh",
    "ram_energy": "ram_energy_kwh",
    "cpu_power": "cpu_power_w",
    "gpu_power": "gpu_power_w",
    "ram_power": "ram_power_w",
    "cpu_count": "cpu_count",
    "gpu_count": "gpu_count",
    "ram_total_size": "ram_total_gb",
    "pue": "pue",
}
_TEXT = {
    "timestamp": "timestamp",
    "project_name": "project_name",
    "run_id": "run_id",
    "country_name": "country_name",
    "country_iso_code": "country_iso_code",
    "region": "region",
    "on_cloud": "on_cloud",
    "cloud_provider": "cloud_provider",
    "cloud_region": "cloud_region",
    "cpu_model": "cpu_model",
    "gpu_model": "gpu_model",
    "tracking_mode": "tracking_mode",
    "codecarbon_version": "codecarbon_version",
    "os": "os",
    "python_version": "python_version",
}


def _number(value: Any) -> float | None:
    try:
        f = float(value)
    except (TypeError, ValueError):
        return None
    return f if math.isfinite(f) else None


def _text(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return None
    s = str(value).strip()
    return s or None


def parse_codecarbon_csv(source: str | Path | bytes, *, name: str | None = None) -> dict[str, Any]:
    """Parse a codecarbon ``emissions.csv`` and return its latest run as a plain record.

    Parameters
    ----------
    source : path to the file, or its bytes (with ``name`` for messages).
    name : file name used in messages and in the record's ``source``.

    Returns
    -------
    dict : ``emissions_kg``, ``energy_kwh``, ``duration_s``, energy split, country, region, hardware
        (``cpu_model``, ``cpu_count``, ``gpu_model``, ``gpu_count``, ``ram_total_gb``), ``tracking_mode``,
        ``pue``, ``codecarbon_version``, ``carbon_intensity_g_per_kwh`` (emissions / energy; None when the
        energy is 0), ``source`` (file name), ``rows`` (runs in the file) and ``row_used``.

    Raises
    ------
    AuditInputError : missing, empty or non-CSV file, missing codecarbon columns, or a bad number.
    """
    if isinstance(source, bytes | bytearray):
        raw, label = bytes(source), name or "imported emissions.csv"
    else:
        path = Path(source)
        label = name or path.name
        if not path.is_file():
            raise AuditInputError(IMPORT_NOT_FOUND.format(file=path))
        raw = path.read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise AuditInputError(IMPORT_NOT_CSV.format(file=label, detail="not UTF-8 text")) from exc
    lines = [ln for ln in text.splitlines() if not ln.lstrip().startswith("#")]
    if not any(ln.strip() for ln in lines):
        raise AuditInputError(IMPORT_EMPTY.format(file=label))
    try:
        frame = pd.read_csv(io.StringIO("\n".join(lines)), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise AuditInputError(IMPORT_NOT_CSV.format(file=label, detail=str(exc).strip()[:200])) from exc
    frame.columns = [str(c).strip() for c in frame.columns]
    missing = [c for c in REQUIRED_COLUMNS if c not in frame.columns]
    if missing:
        raise AuditInputError(
            IMPORT_MISSING_COLUMNS.format(file=label, columns=", ".join(map(repr, missing)))
        )
    if len(frame) == 0:
        raise AuditInputError(IMPORT_EMPTY.format(file=label))
    last = frame.iloc[-1]
    record: dict[str, Any] = {}
    for col, key in _NUMERIC.items():
        raw_value = last.get(col) if col in frame.columns else None
        value = _number(raw_value) if _text(raw_value) is not None else None
        if col in REQUIRED_COLUMNS and (value is None or value < 0):
            raise AuditInputError(IMPORT_BAD_VALUE.format(file=label, column=col, value=raw_value))
        record[key] = value
    for col, key in _TEXT.items():
        record[key] = _text(last.get(col)) if col in frame.columns else None
    for key in ("cpu_count", "gpu_count"):
        if record[key] is not None and float(record[key]).is_integer():
            record[key] = int(record[key])
    energy = record["energy_kwh"]
    record["carbon_intensity_g_per_kwh"] = record["emissions_kg"] / energy * 1000.0 if energy else None
    record["source"] = label
    record["rows"] = int(len(frame))
    record["row_used"] = "last (latest run)" if len(frame) > 1 else "only"
    return record
