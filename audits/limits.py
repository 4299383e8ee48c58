"""Resource limits on what a user may hand to an audit, checked before any work is done.

Every limit has a default that admits ordinary audits (a 1,000,000-row CSV of about 110 MB, the bundled models)
and refuses inputs built to exhaust the machine (zip bombs, YAML alias bombs, Parquet files of billions of cells).
Each refusal names the limit and how to raise it: a field of :class:`Limits` in Python, the matching
``RAI_AUDIT_<FIELD>`` environment variable for a CLI or a server operator.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass

from audits.errors import AuditInputError

MB = 1024 * 1024

LIMIT_EXCEEDED = (
    "{what}: {detail} exceeds the limit of {limit}. {why} If you trust the input, raise the limit with "
    "the environment variable {env} (Python: Limits({field}=...))."
)


@dataclass(frozen=True, kw_only=True)
class Limits:
    """Caps on input sizes. Byte sizes are in bytes; counts are plain integers.

    Attributes
    ----------
    max_data_bytes : a dataset file (CSV or Parquet) as stored.
    max_model_bytes : a model file as stored.
    max_config_bytes : a YAML config or model-card file.
    max_result_bytes : a saved result JSON given to ``rai-audit report`` / ``card``.
    max_columns : columns in a dataset.
    max_cells : rows x columns of a dataset, read from a Parquet file's metadata or counted from a CSV header
        and line count before parsing.
    max_model_uncompressed_bytes : total uncompressed size of the members of a ``.skops`` zip.
    max_model_compression_ratio : uncompressed / compressed size of a ``.skops`` zip.
    max_parquet_expansion : estimated size in memory (rows x columns x 8 bytes) / size on disk of a Parquet file
        whose estimate exceeds 256 MB. Real tables expand 2-50x; a file of 40M constant rows expands 2,000x.
    """

    max_data_bytes: int = 2048 * MB
    max_model_bytes: int = 1024 * MB
    max_config_bytes: int = 1 * MB
    max_result_bytes: int = 512 * MB
    max_columns: int = 5_000
    max_cells: int = 200_000_000
    max_model_uncompressed_bytes: int = 2048 * MB
    max_model_compression_ratio: float = 200.0
    max_parquet_expansion: float = 1000.0

    @classmethod
    def from_env(cls, base: Limits | None = None) -> Limits:
        """``base`` (default: the library defaults) with any ``RAI_AUDIT_<FIELD>`` variables applied."""
        base = base or cls()
        changes: dict[str, float | int] = {}
        for f in dataclasses.fields(cls):
            env = env_name(f.name)
            raw = os.environ.get(env)
            if raw is None or not raw.strip():
                continue
            try:
                value = float(raw)
            except ValueError as exc:
                raise AuditInputError(f"{env}={raw!r}: must be a number.") from exc
            if value <= 0:
                raise AuditInputError(f"{env}={raw!r}: must be positive.")
            changes[f.name] = value if f.type in ("float", float) else int(value)
        return dataclasses.replace(base, **changes)

    def replace(self, **changes: float | int) -> Limits:
        return dataclasses.replace(self, **changes)


def env_name(field_name: str) -> str:
    return "RAI_AUDIT_" + field_name.upper()


def human_bytes(n: float) -> str:
    if n >= 1024**3:
        return f"{n / 1024**3:.1f} GB"
    if n >= 10 * MB:
        return f"{n / MB:.0f} MB"
    if n >= MB:
        return f"{n / MB:.1f} MB"
    if n >= 1024:
        return f"{n / 1024:.0f} KB"
    return f"{int(n)} bytes"


def refuse(what: str, *, field: str, detail: str, limit: str, why: str = "") -> AuditInputError:
    """The error for an input over a limit; names the limit and the way to raise it."""
    return AuditInputError(
        LIMIT_EXCEEDED.format(
            what=what, detail=detail, limit=limit, why=why, env=env_name(field), field=field
        ).replace("  ", " ")
    )


def check_bytes(what: str, n_bytes: int, *, field: str, limits: Limits) -> None:
    """Refuse a file of ``n_bytes`` when it exceeds ``limits.<field>``."""
    cap = getattr(limits, field)
    if n_bytes > cap:
        raise refuse(
            what,
            field=field,
            detail=f"its size ({human_bytes(n_bytes)})",
            limit=human_bytes(cap),
            why="Large files are refused before they are read, so one upload cannot exhaust the machine.",
        )


# The library default: environment variables apply to the CLI and to run_audit alike.
def default_limits() -> Limits:
    return Limits.from_env()


# The dashboard admits a 1,000,000-row CSV (about 110 MB) with room to spare, and no more by default.
DASHBOARD_MAX_UPLOAD_MB = 250


def dashboard_limits() -> Limits:
    return Limits.from_env(
        Limits(
            max_data_bytes=DASHBOARD_MAX_UPLOAD_MB * MB,
            max_model_bytes=DASHBOARD_MAX_UPLOAD_MB * MB,
            max_model_uncompressed_bytes=1024 * MB,
        )
    )
