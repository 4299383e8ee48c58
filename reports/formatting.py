"""Number and table formatting shared by every renderer and the dashboard.

Markdown, HTML, PDF and the dashboard all format numbers through these functions, so one number is rounded
identically everywhere. An undefined value (``None``, NaN) is written ``undefined`` (with its reason when one
is given), never ``0.0``.

Rules
-----
- counts (int): thousands separator, ``16,281``;
- rates, ratios, scores (float in [-1000, 1000]): three decimals, ``0.873``; very small non-zero values keep
  three significant digits (``0.000123`` -> ``1.23e-04``) so they never print as ``0.000``;
- large floats: one decimal with separators, ``12,345.6``;
- percentages: one decimal, ``87.3%``;
- intervals: ``[0.868, 0.878]``.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from audits.emissions_view import RECORD_KEYS as EMISSIONS_RECORD_KEYS
from audits.fairness.view import GROUP_METRICS as FAIRNESS_GROUP_METRICS
from audits.performance_view import METRIC_NAMES as PERFORMANCE_METRICS
from audits.results import Status, Table
from audits.units import plain, with_unit
from audits.views import SECTION_VIEWS

UNDEFINED = "undefined"
DECIMALS = 3

KINDS = ("auto", "count", "rate", "float", "pct", "seconds", "bytes", "grams", "kwh", "text")

# Columns whose values are counts (rows, positives, ...) whatever their JSON type.
_COUNT_COLUMNS = {
    "n",
    "count",
    "rows",
    "n_rows",
    "positives",
    "negatives",
    "support",
    "size",
    "tp",
    "fp",
    "tn",
    "fn",
    "missing",
    "n_missing",
}


def _is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def _finite(x: Any) -> bool:
    return _is_number(x) and math.isfinite(float(x))


def fmt_undefined(reason: str | None = None) -> str:
    """``undefined`` or ``undefined (reason)``."""
    reason = (reason or "").strip().removeprefix("undefined:").strip()
    return f"{UNDEFINED} ({reason})" if reason else UNDEFINED


def fmt_float(x: float, *, decimals: int = DECIMALS) -> str:
    """A float with ``decimals`` decimals; tiny non-zero values keep three significant digits, in plain decimals.

    Number policy of every report: no scientific notation in anything a person reads.
    """
    x = float(x)
    if x == 0:
        return f"{0:.{decimals}f}"
    if abs(x) >= 1000:
        return f"{x:,.1f}"
    if abs(x) < 0.5 * 10**-decimals:
        return plain(x)
    return f"{x:.{decimals}f}"


def fmt_count(x: Any) -> str:
    """An integer count with thousands separators."""
    return f"{int(round(float(x))):,}"


def fmt_pct(x: Any, *, decimals: int = 1, reason: str | None = None) -> str:
    """A share in [0, 1] as a percentage: ``0.0925`` -> ``9.3%``."""
    if not _finite(x):
        return fmt_undefined(reason)
    return f"{100 * float(x):.{decimals}f}%"


def fmt_seconds(x: Any, *, reason: str | None = None) -> str:
    """A duration: ``0.42 s``, ``12.3 s``, ``2 min 05 s``."""
    if not _finite(x):
        return fmt_undefined(reason)
    x = float(x)
    if x < 10:
        return f"{x:.2f} s"
    if x < 120:
        return f"{x:.1f} s"
    minutes, seconds = divmod(round(x), 60)
    return f"{minutes} min {seconds:02d} s"


def fmt_bytes(x: Any) -> str:
    """A size in bytes: ``1.8 MB``."""
    if not _finite(x):
        return UNDEFINED
    x = float(x)
    for unit in ("B", "kB", "MB", "GB"):
        if abs(x) < 1000 or unit == "GB":
            return f"{x:.0f} {unit}" if unit == "B" else f"{x:.1f} {unit}"
        x /= 1000
    return f"{x:.1f} GB"  # pragma: no cover


# Smaller units for tiny physical quantities, so that they read without scientific notation.


def fmt_sig(x: Any, *, digits: int = 3, unit: str = "", reason: str | None = None) -> str:
    """Significant digits, for physical quantities spanning many magnitudes (grams, kWh).

    Grams and kWh below one unit's thousandth move to a smaller unit (``0.00034 g`` -> ``342 µg``); other
    tiny values are written in plain decimals. No scientific notation.
    """
    if not _finite(x):
        return fmt_undefined(reason)
    return with_unit(float(x), unit, digits)


def fmt_value(x: Any, kind: str = "auto", *, reason: str | None = None) -> str:
    """Format one value.

    Parameters
    ----------
    x : the value (number, string, bool, None, list).
    kind : ``auto`` (ints as counts, floats with three decimals), ``count``, ``rate`` / ``float`` (three
        decimals), ``pct``, ``seconds``, ``bytes``, ``grams``, ``kwh`` or ``text``.
    reason : why the value may be undefined; shown as ``undefined (reason)``.

    Returns
    -------
    str
    """
    if kind not in KINDS:
        raise ValueError(f"The 'kind' parameter of fmt_value must be one of {KINDS}. Got {kind!r} instead.")
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return fmt_undefined(reason)
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, str):
        return x
    if isinstance(x, Sequence):
        return ", ".join(fmt_value(v, kind) for v in x)
    if isinstance(x, Mapping):
        return ", ".join(f"{k}: {fmt_value(v, kind)}" for k, v in x.items())
    if not _is_number(x):
        return str(x)
    if kind == "count":
        return fmt_count(x)
    if kind == "pct":
        return fmt_pct(x)
    if kind == "seconds":
        return fmt_seconds(x)
    if kind == "bytes":
        return fmt_bytes(x)
    if kind == "grams":
        return fmt_sig(x, unit="g")
    if kind == "kwh":
        return fmt_sig(x, unit="kWh")
    if kind == "text":
        return str(x)
    if kind == "auto" and isinstance(x, int):
        return fmt_count(x)
    return fmt_float(x)


def fmt_ci(lo: Any, hi: Any, kind: str = "rate") -> str:
    """A confidence interval ``[lo, hi]``; ``undefined`` when either end is missing."""
    if not (_finite(lo) and _finite(hi)):
        return UNDEFINED
    return f"[{fmt_value(lo, kind)}, {fmt_value(hi, kind)}]"


def fmt_value_ci(x: Any, lo: Any, hi: Any, kind: str = "rate", *, reason: str | None = None) -> str:
    """``0.873 [0.868, 0.878]``; the value alone when there is no interval."""
    if not _finite(x):
        return fmt_undefined(reason)
    ci = fmt_ci(lo, hi, kind)
    return fmt_value(x, kind) if ci == UNDEFINED else f"{fmt_value(x, kind)} {ci}"


_STATUS_LABEL = {
    Status.PASS: "PASS",
    Status.WARN: "WARN",
    Status.FAIL: "FAIL",
    Status.INCONCLUSIVE: "INCONCLUSIVE",
    Status.ERROR: "ERROR",
    Status.SKIPPED: "SKIPPED",
}

# Colours of statuses (hex), shared by HTML, PDF and charts.
STATUS_COLOR = {
    Status.PASS: "#1a7f37",
    Status.WARN: "#9a6700",
    Status.FAIL: "#cf222e",
    Status.INCONCLUSIVE: "#8250df",
    Status.ERROR: "#57606a",
    Status.SKIPPED: "#57606a",
}


def fmt_status(status: Status | str) -> str:
    """``PASS``, ``FAIL``, ``INCONCLUSIVE``, ... for any status or severity value."""
    try:
        return _STATUS_LABEL[Status(status)]
    except ValueError:
        return str(status).upper()


_ACRONYMS = {
    w: w.upper()
    for w in (
        "roc",
        "auc",
        "tpr",
        "fpr",
        "fnr",
        "tnr",
        "ci",
        "fdr",
        "ppv",
        "mae",
        "rmse",
        "ks",
        "psi",
        "shap",
    )
}
_ACRONYMS.update(
    {"r2": "R²", "co2": "CO₂", "kwh": "kWh", "pue": "PUE", "gpu": "GPU", "cpu": "CPU", "ram": "RAM"}
)
_SPECIAL_NAMES = {"for_": "FOR", "n": "n", "sha256": "SHA-256"}


def humanize(name: str) -> str:
    """``balanced_accuracy`` -> ``Balanced accuracy`` (acronyms kept)."""
    if str(name) in _SPECIAL_NAMES:
        return _SPECIAL_NAMES[str(name)]
    text = str(name).replace("_", " ").strip()
    if not text:
        return text
    words = text.split(" ")
    words = [_ACRONYMS.get(w.lower(), w) for w in words]
    first = words[0]
    words[0] = first if first.isupper() else first[:1].upper() + first[1:]
    return " ".join(words)


# --- tables -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DisplayTable:
    """A table ready to show: headers and cells as strings, which columns are numeric, and a note.

    Every renderer (and the dashboard) shows these exact strings.
    """

    title: str
    columns: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]
    numeric: tuple[bool, ...]
    note: str = ""

    @property
    def n_rows(self) -> int:
        return len(self.rows)


_CI_LOW = re.compile(r"^(?P<prefix>.*?)(?P<sep>_?)ci_low$")


def _column_kind(name: str, values: Sequence[Any]) -> str:
    key = name.lower()
    if key in _COUNT_COLUMNS or key.startswith(("n_", "count")) or key.endswith(("_count", "_n")):
        return "count"
    if key.endswith(("_pct", "percent", "confidence_level", "_share", "share")):
        return "pct"
    if key.endswith(("_s", "_seconds", "duration")):
        return "seconds"
    if key.endswith(("_g", "grams", "emissions_g")):
        return "grams"
    if key.endswith("kwh"):
        return "kwh"
    return "auto"


def _merge_intervals(
    data: dict[str, list[Any]], *, combine: bool, reasons: list[Any] | None
) -> tuple[dict[str, list[Any]], set[str]]:
    """Fold ``x_ci_low``/``x_ci_high`` column pairs into formatted text.

    With ``combine`` and a value column ``x`` (``value`` for bare ``ci_low``/``ci_high``), the value column
    becomes ``x [CI]`` holding ``0.873 [0.868, 0.878]``; otherwise the pair becomes one ``x CI`` column.
    """
    out: dict[str, list[Any]] = {}
    text_columns: set[str] = set()
    pairs: dict[str, tuple[str, str]] = {}  # value column -> (lo column, hi column)
    skip: set[str] = set()
    for col in data:
        m = _CI_LOW.match(col)
        if not m:
            continue
        hi_col = f"{m.group('prefix')}{m.group('sep')}ci_high"
        if hi_col not in data:
            continue
        base = m.group("prefix") or "value"
        if combine and base in data:
            pairs[base] = (col, hi_col)
            skip.update((col, hi_col))
    for col, values in data.items():
        if col in skip:
            continue
        if col in pairs:
            lo, hi = (data[c] for c in pairs[col])
            why = reasons or [None] * len(values)
            label = f"{col} [CI]"
            out[label] = [
                fmt_value_ci(v, a, b, reason=r if isinstance(r, str) and r else None)
                for v, a, b, r in zip(values, lo, hi, why, strict=True)
            ]
            text_columns.add(label)
            continue
        m = _CI_LOW.match(col)
        if m:
            hi_col = f"{m.group('prefix')}{m.group('sep')}ci_high"
            if hi_col in data:
                label = f"{m.group('prefix')} CI".strip() if m.group("prefix") else "CI"
                out[label] = [fmt_ci(lo, hi) for lo, hi in zip(values, data[hi_col], strict=True)]
                text_columns.add(label)
                continue
        if col.endswith("ci_high") and f"{col[: -len('ci_high')]}ci_low" in data:
            continue
        out[col] = values
    return out, text_columns


def format_table(
    table: Table, *, lift_constant_text: bool = True, combine_intervals: bool = True
) -> DisplayTable:
    """Format a result :class:`~audits.results.Table` for display.

    Interval columns (``ci_low``/``ci_high``, ``x_ci_low``/``x_ci_high``) join their value column as
    ``0.873 [0.868, 0.878]`` (``combine_intervals``) or become one ``CI`` column; a text
    column whose value is the same on every row (e.g. a method) is moved into the note rather than repeated;
    empty text columns are dropped; ``None`` cells read ``undefined`` (the row's ``note`` says why).
    """
    data = {k: list(v) for k, v in table.data.items()}
    n = table.n_rows
    note = table.note
    reasons = data.get("note")
    data, ci_columns = _merge_intervals(data, combine=combine_intervals, reasons=reasons)
    if lift_constant_text and n > 1:
        for col in list(data):
            values = data[col]
            if all(isinstance(v, str) for v in values) and len(set(values)) == 1 and col not in ci_columns:
                if values[0] == "":
                    del data[col]
                elif len(values[0]) > 24:
                    note = f"{note} {humanize(col)}: {values[0]}.".strip()
                    del data[col]
    if n > 0:
        for col in list(data):
            if all(v == "" for v in data[col]):
                del data[col]
    columns = list(data)
    numeric = []
    formatted: list[list[str]] = []
    for col in columns:
        values = data[col]
        kind = "text" if col in ci_columns else _column_kind(col, values)
        is_num = col in ci_columns or all(v is None or _is_number(v) for v in values)
        numeric.append(is_num)
        formatted.append([fmt_value(v, kind) if col not in ci_columns else v for v in values])
    rows = tuple(tuple(col[i] for col in formatted) for i in range(n))
    return DisplayTable(
        title=table.title,
        columns=tuple(_header(c) for c in columns),
        rows=rows,
        numeric=tuple(numeric),
        note=note.strip(),
    )


# Column names of the result schema, shown humanized ("base_rate" -> "Base rate"): the columns each section's view
# declares, its metric names, and the columns of the report's own tables. Any other column name comes from the
# user's data (a feature, a group) and is shown exactly as it is spelled there.
REPORT_COLUMNS = ("status", "section", "duration")
SCHEMA_COLUMNS = frozenset(
    set().union(*(view.declared_columns() for view in SECTION_VIEWS))
    | set(PERFORMANCE_METRICS)
    | set(FAIRNESS_GROUP_METRICS)
    | set(EMISSIONS_RECORD_KEYS)
    | set(REPORT_COLUMNS)
)


def _header(column: str) -> str:
    if column.endswith(" [CI]"):
        return f"{_header(column[: -len(' [CI]')])} [CI]"
    if column.endswith(" CI"):
        return f"{_header(column[: -len(' CI')])} CI"
    return humanize(column) if column in SCHEMA_COLUMNS else column


def format_mapping(d: Mapping[str, Any], *, kinds: Mapping[str, str] | None = None) -> list[tuple[str, str]]:
    """Scalar entries of a mapping as (label, formatted value) pairs; nested values are summarised."""
    kinds = dict(kinds or {})
    out = []
    for key, value in d.items():
        if str(key).endswith("_g_per_kwh") and _finite(value):
            # A rate, not an energy: "369 g CO₂eq/kWh", never "369 kWh".
            out.append((humanize(str(key).removesuffix("_g_per_kwh")), f"{fmt_sig(value)} g CO₂eq/kWh"))
            continue
        if isinstance(value, Mapping):
            if all(not isinstance(v, Mapping | list) for v in value.values()) and len(value) <= 8:
                out.append((humanize(key), fmt_value(value, kinds.get(key, "auto"))))
            continue
        if isinstance(value, list) and (len(value) > 12 or any(isinstance(v, Mapping | list) for v in value)):
            continue
        out.append((humanize(key), fmt_value(value, kinds.get(key, _column_kind(key, [value])))))
    return out
