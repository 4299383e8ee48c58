"""Small Streamlit building blocks shared by the pages: status badges, findings, result tables.

They only draw what a :class:`~audits.results.SectionResult` holds; numbers are formatted by
``reports.formatting`` so the dashboard shows exactly the strings of the exported reports. Text that comes from
the data (summaries, findings, table cells and notes) is escaped with :func:`dashboard.text.md_escape` wherever
Streamlit renders Markdown.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from audits.fairness.at_threshold import verdicts_at_threshold
from audits.results import AuditResult, Finding, SectionResult, Severity, Status, Table
from dashboard import figure_cache, glossary, state
from dashboard.text import md_escape
from reports.csv_safety import safe_csv_bytes
from reports.formatting import STATUS_COLOR, fmt_status, format_mapping, format_table, humanize

VERDICT_HEX = {
    **{s.value: c for s, c in STATUS_COLOR.items()},
    "undefined": "#57606a",
    "info": "#0969da",
}

BADGE_COLOR = {
    Status.PASS: "green",
    Status.WARN: "orange",
    Status.FAIL: "red",
    Status.INCONCLUSIVE: "violet",
    Status.ERROR: "gray",
    Status.SKIPPED: "gray",
}
SEVERITY_ICON = {
    Severity.FAIL: ":material/error:",
    Severity.WARN: ":material/warning:",
    Severity.INFO: ":material/info:",
}
STATUS_MEANING = {
    Status.PASS: "no policy check failed",
    Status.WARN: "warnings to review",
    Status.FAIL: "at least one policy check failed",
    Status.INCONCLUSIVE: "the evidence is not conclusive (intervals straddle a tolerance)",
    Status.ERROR: "the section failed; see the reason",
    Status.SKIPPED: "not run",
}
# Sections whose verdict comes from a policy rule; the others describe, so their badge says INFO instead of PASS.
RULED_SECTIONS = {"performance", "data_quality", "fairness"}
INFO_COLOR = "blue"
# Verdict words in tables get the reports' colours (reports.formatting.STATUS_COLOR): one palette everywhere.
VERDICT_COLUMNS = {"Verdict", "Status", "Severity"}
TABLE_ROW_LIMIT = 500
LONG_TEXT = 60  # characters in a cell above which a table is drawn static (wrapped) rather than as a grid
STATIC_TABLE_MAX_ROWS = 100  # tables are aggregates; a longer one is cut with a note rather than sent whole
# Plotly's mode bar stays (zoom, PNG download); only the logo link to plotly's site goes.
PLOT_CONFIG = {"displaylogo": False}


def chart(name: str, build: Callable[[], Any], *choices: Hashable, key: str) -> None:
    """Draw the figure ``build()`` returns, built once per audit and ``choices`` (dashboard/figure_cache.py).

    ``choices`` must name everything the figure depends on besides the session's result (the attribute, the
    metric, the sort, the threshold, ...): the figure is reused whenever they are equal."""
    result = state.result()
    fig = (
        build() if result is None else figure_cache.cached(result, (state.audit_key(), name, *choices), build)
    )
    st.plotly_chart(fig, key=key, config=PLOT_CONFIG)


def lazy_expander(label: str, *, key: str) -> Any:
    """A collapsed expander that reruns the page when opened or closed, so its content is built (and sent to the
    browser) only while it is open: test ``.open`` before drawing into it. Collapsed expanders used to carry
    their tables into every run of the page."""
    return st.expander(label, key=key, on_change="rerun")


def status_badge(status: Status | str, *, label: str | None = None, help_text: str | None = None) -> None:
    status = Status(status)
    st.badge(label or fmt_status(status), color=BADGE_COLOR[status], help=help_text)


def section_badge(section: SectionResult) -> None:
    """The section's badge: its verdict where a policy rule gives one, else INFO (a describing section that ran
    without warnings has passed nothing)."""
    if section.name not in RULED_SECTIONS and section.status == Status.PASS:
        st.badge("INFO", color=INFO_COLOR, help=glossary.help_for("info"))
        return
    status_badge(section.status, help_text=STATUS_MEANING[section.status])


def verdict_html(verdict: str) -> str:
    """A verdict word in bold in the reports' colour for it (HTML; ``verdict`` is one of the fixed words)."""
    key = str(verdict).lower()
    colour = VERDICT_HEX.get(key, VERDICT_HEX["undefined"])
    return f'<b style="color:{colour}">{html.escape(key.upper())}</b>'


def _verdict_style(value: Any) -> str:
    colour = VERDICT_HEX.get(str(value).strip().lower())
    return f"color: {colour}; font-weight: 600" if colour else ""


def coloured(frame: pd.DataFrame) -> Any:
    """``frame`` with its verdict, status and severity cells coloured as in the reports (a pandas Styler)."""
    cols = [c for c in frame.columns if c in VERDICT_COLUMNS]
    if not cols:
        return frame
    return frame.style.map(_verdict_style, subset=cols)


def require_result() -> AuditResult | None:
    """The session's result, or a pointer to the Setup page (and None) when no audit has run."""
    result = state.result()
    if result is None and state.get(state.JOB):
        st.info("The audit is running (progress above); this page fills in when it is done.")
    elif result is None:
        st.info("No audit yet. Choose a sample or upload your files on the Setup page, then run the audit.")
        st.page_link("app_pages/setup.py", label="Go to Setup", icon=":material/tune:")
    return result


def section_header(section: SectionResult | None, *, name: str) -> bool:
    """Title, status badge and summary of a section; returns False when there is nothing more to show."""
    if section is None:
        st.warning(f"This audit has no '{name}' section.")
        return False
    cols = st.columns([5, 1])
    with cols[0]:
        st.title(section.title)
    with cols[1]:
        st.write("")
        section_badge(section)
    if section.status in (Status.SKIPPED, Status.ERROR):
        text = section.reason or "; ".join(section.summary) or "No reason was recorded."
        (st.info if section.status == Status.SKIPPED else st.error)(md_escape(text))
        return False
    for sentence in section.summary:
        st.markdown(f"- {md_escape(sentence)}")
    return True


def findings_list(
    findings: Sequence[Finding],
    *,
    limit: int | None = None,
    empty: str = "No findings.",
    skip_messages: Sequence[str] = (),
) -> None:
    """Findings, most severe first, as one line each with the subject in bold.

    ``skip_messages``: sentences already shown (e.g. the section summary), so they are not repeated.
    """
    skip = set(skip_messages)
    ranked = [f for f in sorted(findings, key=lambda f: -f.rank) if f.message not in skip]
    if not ranked:
        st.caption(md_escape(empty))
        return
    shown = ranked if limit is None else ranked[:limit]
    for f in shown:
        subject = f"**{md_escape(f.subject)}** — " if f.subject else ""
        st.markdown(f"{SEVERITY_ICON[f.severity]} {subject}{md_escape(f.message)}")
    if limit is not None and len(ranked) > limit:
        st.caption(f"{len(ranked) - limit} more finding(s) on the page.")


def findings_frame(findings: Sequence[Finding]) -> pd.DataFrame:
    ranked = sorted(findings, key=lambda f: -f.rank)
    return pd.DataFrame(
        {
            "severity": [fmt_status(f.severity.value) for f in ranked],
            "subject": [f.subject for f in ranked],
            "finding": [f.message for f in ranked],
            "code": [f.code for f in ranked],
        }
    )


def display_frame(table: Table) -> tuple[pd.DataFrame, str]:
    """A result table as the report formats it (strings), and its note."""
    shown = table
    note = table.note
    if table.n_rows > TABLE_ROW_LIMIT:
        shown = Table(title=table.title, data={k: list(v)[:TABLE_ROW_LIMIT] for k, v in table.data.items()})
        note = f"{note} Showing the first {TABLE_ROW_LIMIT:,} of {table.n_rows:,} rows; the full table is in the JSON export.".strip()
    disp = format_table(shown)
    frame = pd.DataFrame([list(r) for r in disp.rows], columns=[humanize(c) for c in disp.columns])
    return frame, disp.note if table.n_rows <= TABLE_ROW_LIMIT else f"{disp.note} {note}".strip()


def csv_file_name(title: str) -> str:
    """A plain file name for a table's CSV (letters, digits and underscores only)."""
    stem = re.sub(r"[^A-Za-z0-9]+", "_", title).strip("_")[:60]
    return f"{stem or 'table'}.csv"


def csv_download(table: Table, *, label: str = "CSV") -> None:
    """A download button for the whole table as CSV, formula-leading cells neutralised (reports.csv_safety).

    The button's key is a per-run counter (reset by app.py), so the same table may appear twice on a page.
    """
    seq = int(state.get(state.CSV_SEQ) or 0) + 1
    state.put(state.CSV_SEQ, seq)
    st.download_button(
        label,
        data=lambda: safe_csv_bytes(pd.DataFrame({k: list(v) for k, v in table.data.items()})),
        file_name=csv_file_name(table.title),
        mime="text/csv",
        key=f"csv.{seq}",
        on_click="ignore",
        icon=":material/download:",
        type="tertiary",
        help="The whole table as CSV (cells that a spreadsheet would run as a formula start with ').",
    )


def result_table(table: Table | None, *, title: bool = True, height: int | str = "auto") -> None:
    """Show one result table with its note (how the numbers were obtained) and a safe CSV download."""
    if table is None:
        return
    if title and table.title:
        st.markdown(f"**{md_escape(table.title)}**")
    if table.n_rows == 0:
        st.caption("Empty table." + (f" {md_escape(table.note)}" if table.note else ""))
        return
    frame, note = display_frame(table)
    longest = max((len(str(v)) for col in frame.columns for v in frame[col]), default=0)
    if longest > LONG_TEXT and len(frame) <= STATIC_TABLE_MAX_ROWS:
        # st.dataframe cuts long text at the column edge; a static table wraps it so every sentence is readable.
        # st.table renders Markdown in cells and headers, so they are escaped (st.dataframe shows plain text).
        shown = frame.map(md_escape)
        shown.columns = [md_escape(c) for c in frame.columns]
        st.table(shown, hide_index=True, border="horizontal")
    else:
        st.dataframe(coloured(frame), hide_index=True, height=height)
    if note:
        st.caption(md_escape(note))
    csv_download(table)


def method_box(section: SectionResult, *, label: str = "How these numbers were obtained") -> None:
    """The section's method (sample sizes, seeds, intervals) and duration in an expander (built when opened)."""
    with (box := lazy_expander(label, key=f"{section.name}.method_box")):
        if not box.open:
            return
        rows = format_mapping(section.method)
        if section.duration_s is not None:
            rows.append(("Section run time", f"{section.duration_s:.2f} s"))
        if rows:
            st.dataframe(pd.DataFrame(rows, columns=["", "value"]), hide_index=True)
        else:
            st.caption("The section recorded no method details.")


def other_tables(section: SectionResult, *, shown: Sequence[str] = ()) -> None:
    """Every table of the section not already drawn by the page (so new result keys are never hidden)."""
    rest = [table for key, table in section.tables.items() if key not in set(shown)]
    if not rest:
        return
    with (
        box := lazy_expander(f"All tables of this section ({len(rest)})", key=f"{section.name}.other_tables")
    ):
        if box.open:
            for table in rest:
                result_table(table)


def generic_section(section: SectionResult) -> None:
    """Everything a section holds, for sections without a dedicated view."""
    st.subheader("Findings")
    findings_list(section.findings)
    for table in section.tables.values():
        result_table(table)
    method_box(section)


def metric_tiles(items: Sequence[tuple[str, str, str | None]]) -> None:
    """A row of st.metric tiles: (label, value, help)."""
    if not items:
        return
    cols = st.columns(len(items))
    for col, (label, value, help_text) in zip(cols, items, strict=True):
        col.metric(label, value, help=help_text)


def as_mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


# --- the fairness threshold slider: verdicts recomputed from the stored curves ---------------------------------
# The verdicts at another decision threshold are the engine's rule on stored curves, not a page's computation.
threshold_verdicts = verdicts_at_threshold


def eligible_ratio(rows: Sequence[Mapping[str, Any]], metric: str, excluded: set[str]) -> float | None:
    """Lowest over highest ``metric`` among the groups not excluded (a 3-row group's 0 does not decide it)."""
    vals = [
        float(r[metric])
        for r in rows
        if str(r.get("group")) not in excluded and isinstance(r.get(metric), int | float)
    ]
    if len(vals) < 2 or max(vals) <= 0:
        return None
    return min(vals) / max(vals)


# Everyday units scaled down so a tiny quantity reads in plain numbers ("3.44e-05 days" -> "2.97 s").
_SCALES = {
    "km": (("km", 1.0), ("m", 1e-3), ("mm", 1e-6), ("µm", 1e-9)),
    "days": (("days", 1.0), ("hours", 1 / 24), ("minutes", 1 / 1440), ("s", 1 / 86400)),
    "hours": (("hours", 1.0), ("minutes", 1 / 60), ("s", 1 / 3600)),
    "minutes": (("minutes", 1.0), ("s", 1 / 60)),
    "kg": (("kg", 1.0), ("g", 1e-3), ("mg", 1e-6), ("µg", 1e-9)),
    "g": (("g", 1.0), ("mg", 1e-3), ("µg", 1e-6), ("ng", 1e-9)),
    "kWh": (("kWh", 1.0), ("Wh", 1e-3), ("mWh", 1e-6), ("µWh", 1e-9)),
}


def plain_quantity(value: Any, unit: str) -> str:
    """``value unit`` in the largest unit of its family that keeps the number at or above 1 (three significant
    digits, never scientific notation); other units as they are."""
    from reports.formatting import fmt_sig

    if not isinstance(value, int | float) or isinstance(value, bool) or not np.isfinite(value):
        return fmt_sig(None)
    scales = _SCALES.get(unit.strip())
    if not scales or value == 0:
        return f"{fmt_sig(value)} {unit}".strip()
    name, scale = next(((n, s) for n, s in scales if abs(value) >= s), scales[-1])
    return f"{fmt_sig(value / scale)} {name}"
