"""Typed views of a section's result: the one place that names the keys a section writes and its readers read.

A :class:`~audits.results.SectionResult` keeps its JSON form (``metrics`` and ``tables`` are plain mappings).
Each section declares, next to the code that fills it, a :class:`SectionView` subclass with its metric keys,
its table keys (exact, or a prefix such as ``"groups:"`` followed by a group column) and the columns of each
table. Reports, the dashboard, the CLI, compare and store read a section only through its view, and the
section (and the test fakes) build the result through :meth:`SectionView.build`, which refuses an undeclared
key; ``tests/test_architecture.py`` checks that no reader indexes ``.metrics`` / ``.tables`` itself and that
every declared key is in a real audit's result.

A view never raises on a missing or malformed part: an accessor returns an empty value instead, because a
report must still come out of a partial result.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from audits.method import Method
from audits.results import AuditResult, Finding, SectionResult, Status, Table

RAN = (Status.PASS, Status.WARN, Status.FAIL, Status.INCONCLUSIVE)
METHOD_KEY = "method"  # every section's ``audits.method.Method`` record, see docs/architecture.md


@dataclass(frozen=True)
class TableSpec:
    """A table a section writes: its key (or key prefix, ending in ``:``) and the columns it declares.

    ``optional`` is True when the table is written only for some inputs (a reference dataset, a regression,
    an imported CSV); such a table may be absent from any one result.
    """

    key: str
    columns: tuple[str, ...] = ()
    optional: bool = False

    @property
    def is_prefix(self) -> bool:
        return self.key.endswith(":")

    def matches(self, key: str) -> bool:
        return key.startswith(self.key) if self.is_prefix else key == self.key

    def key_for(self, suffix: str) -> str:
        """``groups:`` + ``sex`` -> ``groups:sex``."""
        if not self.is_prefix:
            raise ValueError(f"table {self.key!r} has no per-column keys")
        return f"{self.key}{suffix}"


def as_mapping(x: Any) -> Mapping[str, Any]:
    return x if isinstance(x, Mapping) else {}


def as_rows(x: Any) -> list[Mapping[str, Any]]:
    if isinstance(x, Sequence) and not isinstance(x, str | bytes):
        return [r for r in x if isinstance(r, Mapping)]
    return []


def as_number(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else None


def _table(key: str, raw: Any) -> Table | None:
    if isinstance(raw, Table):
        return raw
    if isinstance(raw, Mapping) and isinstance(raw.get("data"), Mapping):
        return Table(title=str(raw.get("title") or key), data=raw["data"], note=str(raw.get("note") or ""))
    return None


class SectionView:
    """Read access to one section's ``metrics`` and ``tables`` through declared keys.

    Subclasses set ``NAME``, ``METRICS`` (metric keys), ``OPTIONAL_METRICS`` (the subset written only for some
    inputs) and ``TABLES``.
    """

    NAME: ClassVar[str] = ""
    METRICS: ClassVar[tuple[str, ...]] = ()
    OPTIONAL_METRICS: ClassVar[frozenset[str]] = frozenset()
    TABLES: ClassVar[tuple[TableSpec, ...]] = ()

    def __init__(
        self,
        metrics: Mapping[str, Any] | None = None,
        tables: Mapping[str, Any] | None = None,
        method: Mapping[str, Any] | None = None,
        status: Status | None = None,
        section: SectionResult | None = None,
    ) -> None:
        self._metrics = as_mapping(metrics)
        self._raw_tables = as_mapping(tables)
        self._tables: dict[str, Table | None] = {}
        self.method = as_mapping(method)
        self.status = status
        self.section = section

    # --- constructing -------------------------------------------------------------------------------------

    @classmethod
    def from_section(cls, section: SectionResult | None) -> Self:
        """The view of ``section``; an empty view (every accessor empty) for None."""
        if section is None:
            return cls()
        return cls(section.metrics, section.tables, section.method, section.status, section)

    @classmethod
    def from_dict(cls, section: Mapping[str, Any] | None) -> Self:
        """The view of a section in its JSON form (``SectionResult.to_dict``); tables are read when asked for."""
        d = as_mapping(section)
        status = d.get("status")
        return cls(d.get("metrics"), d.get("tables"), d.get("method"), Status(status) if status else None)

    @classmethod
    def of(cls, result: AuditResult | Mapping[str, Any], *, ran_only: bool = True) -> Self:
        """The view of this section of ``result`` (object or dict); empty when absent or, with ``ran_only``,
        when it was skipped or errored."""
        if isinstance(result, AuditResult):
            section = result.section(cls.NAME)
            if ran_only and (section is None or section.status not in RAN):
                section = None
            return cls.from_section(section)
        d = next((s for s in as_rows(as_mapping(result).get("sections")) if s.get("name") == cls.NAME), None)
        view = cls.from_dict(d)
        return view if not ran_only or view.ran else cls()

    @classmethod
    def build(
        cls,
        *,
        status: Status | str,
        title: str | None = None,
        summary: Sequence[str] = (),
        findings: Sequence[Finding] = (),
        metrics: Mapping[str, Any] | None = None,
        tables: Mapping[str, Table] | None = None,
        method: Mapping[str, Any] | None = None,
        reason: str = "",
        duration_s: float | None = None,
    ) -> SectionResult:
        """A ``SectionResult`` of this section; refuses a metric or table key the view does not declare."""
        metrics = dict(metrics or {})
        tables = dict(tables or {})
        unknown = [k for k in metrics if k not in cls.METRICS and k != METHOD_KEY]
        unknown += [k for k in tables if cls.table_spec(k) is None]
        if unknown:
            raise KeyError(f"{cls.__name__} declares no key {unknown}; add it to the view first")
        return SectionResult(
            name=cls.NAME,
            title=title or cls.NAME,
            status=Status(status),
            summary=tuple(summary),
            findings=tuple(findings),
            tables=tables,
            metrics=metrics,
            method=dict(method or {}),
            reason=reason,
            duration_s=duration_s,
        )

    # --- declarations -------------------------------------------------------------------------------------

    @classmethod
    def table_spec(cls, key: str) -> TableSpec | None:
        return next((s for s in cls.TABLES if s.matches(key)), None)

    @classmethod
    def declared_columns(cls) -> frozenset[str]:
        return frozenset(c for s in cls.TABLES for c in s.columns)

    # --- reading ------------------------------------------------------------------------------------------

    @property
    def ran(self) -> bool:
        return self.status in RAN

    def __bool__(self) -> bool:
        return bool(self._metrics or self._raw_tables)

    def metric(self, key: str) -> Any:
        """The raw value of a declared metric key (None when absent)."""
        if key not in self.METRICS and key != METHOD_KEY:
            raise KeyError(f"{type(self).__name__} declares no metric {key!r}")
        return self._metrics.get(key)

    def method_record(self) -> Method | None:
        """The section's :class:`~audits.method.Method` (how its numbers were obtained); None when absent."""
        raw = self._metrics.get(METHOD_KEY)
        return Method.from_dict(raw) if isinstance(raw, Mapping) and "interval" in raw else None

    def metrics_mapping(self, key: str) -> Mapping[str, Any]:
        return as_mapping(self.metric(key))

    def metrics_rows(self, key: str) -> list[Mapping[str, Any]]:
        return as_rows(self.metric(key))

    def table(self, key: str) -> Table | None:
        """A declared table (exact key, or prefix + group column), None when absent."""
        if self.table_spec(key) is None:
            raise KeyError(f"{type(self).__name__} declares no table {key!r}")
        if key not in self._tables:
            self._tables[key] = _table(key, self._raw_tables.get(key))
        return self._tables[key]

    def table_keys(self) -> list[str]:
        return [str(k) for k in self._raw_tables]

    def tables_with_prefix(self, prefix: str) -> dict[str, Table]:
        """``{suffix: table}`` of every table keyed ``prefix<suffix>`` (``prefix`` is a declared prefix)."""
        spec = self.table_spec(prefix)
        if spec is None or spec.key != prefix or not spec.is_prefix:
            raise KeyError(f"{type(self).__name__} declares no table prefix {prefix!r}")
        out: dict[str, Table] = {}
        for key in self.table_keys():
            if key.startswith(prefix):
                table = self.table(key)
                if table is not None:
                    out[key[len(prefix) :]] = table
        return out

    def all_tables(self) -> Iterator[tuple[str, Table]]:
        for key in self.table_keys():
            table = _table(key, self._raw_tables.get(key))
            if table is not None:
                yield key, table

    def confidence_level(self) -> float | None:
        return as_number(self.method.get("confidence_level"))
