"""Frozen result objects of an audit.

Sections return a :class:`SectionResult`; the runner assembles them into an :class:`AuditResult`. Everything in
them is plain data (numbers, strings, column-oriented tables) stored JSON-safe at construction, so that
``AuditResult.from_dict(result.to_dict()) == result``. Renderers (reports, dashboard) only read these objects.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

import pandas as pd

from audits.errors import AuditInputError
from audits.jsonsafe import json_safe

SCHEMA_VERSION = "1.2"


class Status(StrEnum):
    """Outcome of a section, or of the whole audit."""

    PASS = "pass"
    WARN = "warn"
    FAIL = "fail"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"
    SKIPPED = "skipped"


class Severity(StrEnum):
    """How much a finding matters: fail > warn > info."""

    INFO = "info"
    WARN = "warn"
    FAIL = "fail"


_SEVERITY_RANK = {Severity.INFO: 0, Severity.WARN: 1, Severity.FAIL: 2}


def _set(obj: object, name: str, value: Any) -> None:
    object.__setattr__(obj, name, value)


@dataclass(frozen=True)
class Finding:
    """One observation with its evidence.

    Parameters
    ----------
    code : stable identifier, e.g. ``DQ_MISSING`` or ``FAIR_DEMOGRAPHIC_PARITY_RATIO``.
    severity : info, warn or fail.
    message : one plain-language sentence a reviewer can read on its own.
    subject : what it is about (a column, a group, a metric); empty when global.
    evidence : the numbers behind the message (JSON-safe).
    """

    code: str
    severity: Severity
    message: str
    subject: str = ""
    evidence: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        _set(self, "severity", Severity(self.severity))
        _set(self, "evidence", json_safe(dict(self.evidence)))

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self.severity]

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "message": self.message,
            "subject": self.subject,
            "evidence": self.evidence,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Finding:
        return cls(
            code=d["code"],
            severity=Severity(d["severity"]),
            message=d["message"],
            subject=d.get("subject", ""),
            evidence=d.get("evidence", {}),
        )


@dataclass(frozen=True)
class Table:
    """A column-oriented, JSON-safe table.

    ``data`` maps each column name to a list of values, all of the same length. ``note`` says how the numbers
    were obtained (sample size, method, interval) when the table itself does not.
    """

    title: str
    data: Mapping[str, Sequence[Any]]
    note: str = ""

    def __post_init__(self) -> None:
        data = json_safe(dict(self.data))
        lengths = {len(v) for v in data.values()}
        if len(lengths) > 1:
            raise ValueError(f"Table {self.title!r}: columns have different lengths {sorted(lengths)}")
        _set(self, "data", data)

    @classmethod
    def from_frame(cls, frame: pd.DataFrame, *, title: str, note: str = "") -> Table:
        return cls(title=title, data={str(c): frame[c].tolist() for c in frame.columns}, note=note)

    @property
    def columns(self) -> list[str]:
        return list(self.data)

    @property
    def n_rows(self) -> int:
        return len(next(iter(self.data.values()), []))

    def to_frame(self) -> pd.DataFrame:
        return pd.DataFrame({k: pd.Series(v, dtype=object) for k, v in self.data.items()})

    def rows(self) -> list[dict[str, Any]]:
        cols = self.columns
        return [dict(zip(cols, vals, strict=True)) for vals in zip(*self.data.values(), strict=True)]

    def to_dict(self) -> dict[str, Any]:
        return {"title": self.title, "data": self.data, "note": self.note}

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Table:
        return cls(title=d["title"], data=d["data"], note=d.get("note", ""))


@dataclass(frozen=True)
class SectionResult:
    """What one section of the audit found.

    Parameters
    ----------
    name : machine name (``performance``, ``data_quality``, ``fairness``, ``explanation``, ``emissions``).
    title : human title.
    status : pass / warn / fail / inconclusive / error / skipped.
    summary : a few plain-language sentences, most important first.
    findings : observations with severity and evidence.
    tables : named column-oriented tables.
    metrics : named numbers and nested JSON-safe data specific to the section (curves, per-group values, ...).
    method : how the numbers were obtained (sample sizes, seeds, resamples, explainer, measured/estimated, ...).
    reason : why a section was skipped or errored (plain language).
    duration_s : wall time of the section, set by the runner.
    """

    name: str
    title: str
    status: Status
    summary: tuple[str, ...] = ()
    findings: tuple[Finding, ...] = ()
    tables: Mapping[str, Table] = field(default_factory=dict)
    metrics: Mapping[str, Any] = field(default_factory=dict)
    method: Mapping[str, Any] = field(default_factory=dict)
    reason: str = ""
    duration_s: float | None = None

    def __post_init__(self) -> None:
        _set(self, "status", Status(self.status))
        _set(self, "summary", tuple(str(s) for s in self.summary))
        _set(self, "findings", tuple(self.findings))
        _set(self, "tables", dict(self.tables))
        _set(self, "metrics", json_safe(dict(self.metrics)))
        _set(self, "method", json_safe(dict(self.method)))
        if self.duration_s is not None:
            _set(self, "duration_s", float(self.duration_s))

    @classmethod
    def skipped(cls, name: str, title: str, reason: str) -> SectionResult:
        return cls(name=name, title=title, status=Status.SKIPPED, reason=reason, summary=(reason,))

    @classmethod
    def errored(cls, name: str, title: str, reason: str) -> SectionResult:
        return cls(name=name, title=title, status=Status.ERROR, reason=reason, summary=(reason,))

    def table(self, key: str) -> Table | None:
        return self.tables.get(key)

    def ranked_findings(self) -> list[Finding]:
        """Findings, most severe first (stable within a severity)."""
        return sorted(self.findings, key=lambda f: -f.rank)

    def with_duration(self, seconds: float) -> SectionResult:
        d = self.to_dict()
        d["duration_s"] = seconds
        return SectionResult.from_dict(d)

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "title": self.title,
            "status": self.status.value,
            "summary": list(self.summary),
            "findings": [f.to_dict() for f in self.findings],
            "tables": {k: t.to_dict() for k, t in self.tables.items()},
            "metrics": self.metrics,
            "method": self.method,
            "reason": self.reason,
            "duration_s": self.duration_s,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> SectionResult:
        return cls(
            name=d["name"],
            title=d["title"],
            status=Status(d["status"]),
            summary=tuple(d.get("summary", ())),
            findings=tuple(Finding.from_dict(f) for f in d.get("findings", ())),
            tables={k: Table.from_dict(t) for k, t in d.get("tables", {}).items()},
            metrics=d.get("metrics", {}),
            method=d.get("method", {}),
            reason=d.get("reason", ""),
            duration_s=d.get("duration_s"),
        )


@dataclass(frozen=True)
class Provenance:
    """Where the result came from: inputs (with SHA-256), versions, config, seed, timings."""

    started_at: str
    duration_s: float
    data: Mapping[str, Any]
    model: Mapping[str, Any]
    reference: Mapping[str, Any] | None
    config: Mapping[str, Any]
    versions: Mapping[str, str]
    seed: int
    platform: Mapping[str, Any] = field(default_factory=dict)
    prediction_seconds: float | None = None
    # A random 128-bit token naming this audit (the store's key, the id in a dashboard URL, the id every report
    # file of the audit carries). None only for results saved before it existed.
    run_id: str | None = None

    def __post_init__(self) -> None:
        for name in ("data", "model", "config", "versions", "platform"):
            _set(self, name, json_safe(dict(getattr(self, name))))
        if self.reference is not None:
            _set(self, "reference", json_safe(dict(self.reference)))

    def to_dict(self) -> dict[str, Any]:
        return {
            "started_at": self.started_at,
            "duration_s": self.duration_s,
            "data": self.data,
            "model": self.model,
            "reference": self.reference,
            "config": self.config,
            "versions": self.versions,
            "seed": self.seed,
            "platform": self.platform,
            "prediction_seconds": self.prediction_seconds,
            "run_id": self.run_id,
        }

    @classmethod
    def from_dict(cls, d: Mapping[str, Any]) -> Provenance:
        return cls(**{k: d.get(k) for k in cls.__dataclass_fields__ if k in d})


def new_run_id() -> str:
    """A run id such as ``20261125T120000Z-<32 hex digits>``: sortable by time, unguessable by its random
    128-bit part (it names an audit in a dashboard URL and in the store)."""
    import datetime as _dt
    import secrets

    return f"{_dt.datetime.now(_dt.UTC):%Y%m%dT%H%M%SZ}-{secrets.token_hex(16)}"


# Order in which statuses dominate the overall verdict of an audit.
_VERDICT_ORDER = [Status.FAIL, Status.INCONCLUSIVE, Status.WARN, Status.PASS]


@dataclass(frozen=True)
class AuditResult:
    """The complete, frozen result of one audit. Renderers read it; nothing mutates it.

    ``row_ledger`` (:mod:`audits.row_ledger`: per-row labels, predictions, weights and group codes, compressed)
    and ``data_profile`` (:mod:`audits.data_profile`: value counts and quantiles of the audited columns) are
    there for :func:`audits.compare.compare` (a paired comparison, the drift between two audits' data); no
    report prints them. Each is ``{"status": "absent", "reason": ...}`` when the audit could not keep it, and
    None in results of engines that record neither (Spark).
    """

    sections: tuple[SectionResult, ...]
    provenance: Provenance
    schema_version: str = SCHEMA_VERSION
    row_ledger: Mapping[str, Any] | None = None
    data_profile: Mapping[str, Any] | None = None

    def __post_init__(self) -> None:
        _set(self, "sections", tuple(self.sections))
        for name in ("row_ledger", "data_profile"):
            if getattr(self, name) is not None:
                _set(self, name, json_safe(dict(getattr(self, name))))

    # --- access -------------------------------------------------------------------------------------------
    def section(self, name: str) -> SectionResult | None:
        return next((s for s in self.sections if s.name == name), None)

    @property
    def status(self) -> Status:
        """Overall status: ``error`` when a selected section errored (the audit is incomplete, whatever the
        others found), else :attr:`policy_status`.

        A CI gate must never read an incomplete audit as a pass: when every selected section errors the status
        is ``error``, not ``skipped``.
        """
        if self.errored_sections:
            return Status.ERROR
        return self.policy_status

    @property
    def policy_status(self) -> Status:
        """The verdict of the sections that ran: fail, else inconclusive, else warn, else pass (``skipped``
        only when no section was selected)."""
        statuses = {s.status for s in self.sections}
        for status in _VERDICT_ORDER:
            if status in statuses:
                return status
        return Status.SKIPPED

    @property
    def errored_sections(self) -> list[SectionResult]:
        """Selected sections that raised instead of producing a result."""
        return [s for s in self.sections if s.status == Status.ERROR]

    @property
    def passed(self) -> bool:
        """True when no policy verdict failed (errored sections are reported by :attr:`status`)."""
        return self.policy_status != Status.FAIL

    def findings(self, *, min_severity: Severity = Severity.INFO) -> list[tuple[str, Finding]]:
        """All findings as (section name, finding), most severe first."""
        rank = _SEVERITY_RANK[Severity(min_severity)]
        out = [(s.name, f) for s in self.sections for f in s.findings if f.rank >= rank]
        return sorted(out, key=lambda p: -p[1].rank)

    # --- serialisation ------------------------------------------------------------------------------------
    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": self.schema_version,
            "status": self.status.value,
            "provenance": self.provenance.to_dict(),
            "sections": [s.to_dict() for s in self.sections],
            "row_ledger": self.row_ledger,
            "data_profile": self.data_profile,
        }

    def to_json(self, *, indent: int | None = 2) -> str:
        return json.dumps(self.to_dict(), indent=indent, ensure_ascii=False, allow_nan=False)

    def save_json(self, path: str | Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.to_json(), encoding="utf-8")
        return path

    @classmethod
    def from_dict(cls, d: Mapping[str, Any], *, source: str = "audit result") -> AuditResult:
        found = d.get("schema_version")
        if found != SCHEMA_VERSION:
            # Older results are upgraded step by step (audits.schema_upgrade); unknown versions are refused.
            from audits.schema_upgrade import upgrade

            d = upgrade(d, target=SCHEMA_VERSION, source=source)
            found = d["schema_version"]
        return cls(
            sections=tuple(SectionResult.from_dict(s) for s in d["sections"]),
            provenance=Provenance.from_dict(d["provenance"]),
            schema_version=found,
            row_ledger=d.get("row_ledger"),
            data_profile=d.get("data_profile"),
        )

    @classmethod
    def from_json(cls, text: str, *, source: str = "audit result") -> AuditResult:
        """Parse a saved result; anything malformed is an :class:`AuditInputError` naming ``source``."""
        try:
            d = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:  # RecursionError: "[[[[..." nested 100,000 deep
            detail = "nested too deeply" if isinstance(exc, RecursionError) else str(exc)
            raise AuditInputError(
                f"{source}: not valid JSON ({detail}). Choose a result.json written by rai-audit."
            ) from None
        if not isinstance(d, dict) or "sections" not in d:
            raise AuditInputError(
                f"{source}: not an RAI Audit result (no 'sections'). Choose a result.json written by rai-audit."
            )
        try:
            return cls.from_dict(d, source=source)
        except AuditInputError:
            raise
        except (KeyError, TypeError, ValueError, AttributeError, IndexError, RecursionError) as exc:
            # Valid JSON of the wrong shape: a hand-edited or truncated result, or another program's JSON.
            raise AuditInputError(
                f"{source}: not a readable RAI Audit result ({type(exc).__name__}: {str(exc)[:200]}). Choose an "
                "audit_report.json written by rai-audit run, or re-run the audit to produce one."
            ) from None

    @classmethod
    def load_json(cls, path: str | Path, *, limits: Any = None) -> AuditResult:
        """Read a saved result JSON; its size is checked (``max_result_bytes``) before it is read."""
        from audits.limits import check_bytes, default_limits

        path = Path(path)
        if not path.is_file():
            raise AuditInputError(f"{path}: the result file does not exist. Check the path.")
        check_bytes(
            str(path), path.stat().st_size, field="max_result_bytes", limits=limits or default_limits()
        )
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise AuditInputError(
                f"{path}: not a UTF-8 text file, so not a result JSON. Choose an audit_report.json written by "
                "rai-audit run."
            ) from None
        return cls.from_json(text, source=str(path))
