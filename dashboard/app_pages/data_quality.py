"""Data quality: findings ranked, per-column details, protected-group checks, and drift when a reference exists."""

from __future__ import annotations

from typing import Any

import streamlit as st

from audits.data_quality.view import (
    COLUMNS,
    DRIFT,
    FINDINGS,
    GROUP_MIX_DRIFT,
    MISSING_BY_GROUP_PREFIX,
    PROXIES_PREFIX,
    REPRESENTATION_PREFIX,
    DataQualityResult,
)
from audits.results import Table
from dashboard import charts, services, state
from dashboard import components as ui
from dashboard.glossary import help_for, help_text
from dashboard.text import md_escape
from reports.formatting import fmt_value, format_mapping

GROUP_KEY = "dq.group_column"
DIST_KEY = "dq.drift_column"
TAB_KEY = "dq.tab"  # the open tab: only its content is built
TABS = ["Findings", "Columns", "Protected groups", "Drift"]
SHOWN_EACH_SIDE = 10


@st.cache_data(show_spinner=False, max_entries=32)
def _distribution(key: str, column: str) -> Any:
    """The column's reference-against-audited figure, from the audit's kept context (None when not kept)."""
    ctx = services.audit_context(key)
    if not ctx.ok or ctx.value.reference is None or column not in ctx.value.reference.columns:
        return None
    return charts.distribution_chart(column, ctx.value.data[column], ctx.value.reference[column])


def distribution_view(columns: list[str]) -> None:
    """Reference against audited distribution of one chosen column (read from the audit's data, kept on the
    server while the audit is)."""
    if not columns:
        return
    st.markdown("**Distribution of one column: reference against audited data**")
    if state.get(DIST_KEY) not in columns:
        state.put(DIST_KEY, columns[0])
    st.selectbox("Column", columns, key=DIST_KEY, format_func=md_escape)
    col = state.get(DIST_KEY)
    fig = _distribution(state.audit_key() or "", col)
    if fig is None:
        st.caption(
            "The distributions are drawn from the audit's data, which the server no longer holds for this audit; "
            "run the audit again to see them."
        )
        return
    st.plotly_chart(fig, key="dq.chart.distribution", config=ui.PLOT_CONFIG)


result = ui.require_result()
if result is None:
    st.stop()
section = result.section("data_quality")
if not ui.section_header(section, name="data_quality"):
    st.stop()

dq = DataQualityResult.from_section(section)
score = dq.score()
drift = dq.drift()
tiles = []
if score:
    # the grade letter is left out: "A" beside a FAIL verdict read as a contradiction (issue 15)
    tiles.append(("Quality score", f"{fmt_value(score.get('overall'))} / 100", help_for("quality score")))
tiles.append(("Findings", f"{len(section.findings):,}", "info, warn and fail findings"))
tiles.append(("Rows", f"{int(result.provenance.data.get('rows') or 0):,}", None))
if drift:
    tiles.append(
        (
            "Drifted columns",
            f"{fmt_value(drift.get('n_drifted'))} of {fmt_value(drift.get('n_columns'))}",
            help_for("drift"),
        )
    )
ui.metric_tiles(tiles)
binning = (result.provenance.platform.get("context") or {}).get("binning") or {}

tab_findings, tab_columns, tab_groups, tab_drift = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
by_prefix = {p: dq.group_tables(p) for p in (REPRESENTATION_PREFIX, PROXIES_PREFIX, MISSING_BY_GROUP_PREFIX)}
# tables with a place in a tab, whether or not that tab is open, stay out of "All tables of this section"
shown: list[str] = [
    FINDINGS,
    COLUMNS,
    DRIFT,
    GROUP_MIX_DRIFT,
    *[f"{p}{c}" for p, tables in by_prefix.items() for c in tables],
]


def findings_tab() -> None:
    table = dq.findings_table()
    if table is not None and table.n_rows:
        ui.result_table(table, title=False, height=min(600, 40 + 35 * table.n_rows))
    else:
        st.dataframe(ui.findings_frame(section.findings), hide_index=True)
    codes = sorted({f.code for f in section.findings})
    explained = [(c, help_for(c)) for c in codes if help_for(c)]
    if explained:
        with st.expander(f"What the {len(explained)} codes mean"):
            for code, text in explained:
                st.markdown(f"- `{md_escape(code)}`: {text}")


def columns_tab() -> None:
    cols_table = dq.columns_table()
    if cols_table is None or "column" not in cols_table.data:
        st.caption("No per-column table in this result.")
    else:
        ui.result_table(cols_table, title=False)
        names = [str(c) for c in cols_table.data["column"]]
        if state.get(state.DQ_COLUMN) not in names:
            state.put(state.DQ_COLUMN, names[0])
        st.selectbox("Details of a column", names, key=state.DQ_COLUMN)
        col = state.get(state.DQ_COLUMN)
        details = dq.column_details(col)
        left, right = st.columns([1, 2])
        with left:
            if details:
                st.dataframe(
                    {
                        "": [k for k, _ in format_mapping(details)],
                        "value": [v for _, v in format_mapping(details)],
                    },
                    hide_index=True,
                )
        with right:
            col_findings = [f for f in section.findings if f.subject == col]
            ui.findings_list(col_findings, empty=f"No findings about '{col}'.")  # escaped by findings_list


def groups_tab() -> None:
    group_cols = list(dict.fromkeys(c for tables in by_prefix.values() for c in tables))
    if not group_cols:
        st.caption("No protected-group checks in this result.")
    else:
        # one protected column at a time: all of them stacked made a page thousands of pixels tall
        if state.get(GROUP_KEY) not in group_cols:
            state.put(GROUP_KEY, group_cols[0])
        st.segmented_control(
            "Protected attribute", group_cols, key=GROUP_KEY, required=True, format_func=md_escape
        )
        group_col = state.get(GROUP_KEY)
        t = by_prefix[REPRESENTATION_PREFIX].get(group_col)
        if t is not None and "group" in t.data and "base_rate" in t.data:
            sort = st.radio(
                "Sort groups by",
                ["size", "natural"],
                key="dq.sort",
                horizontal=True,
                format_func={"size": "Size (largest first)", "natural": "Natural order"}.get,
            )
            order = charts.order_groups(
                [str(g) for g in t.data["group"]],
                by=sort,
                counts=t.data.get("count"),
                attribute=group_col,
                binning=binning,
            )
            show_all = st.toggle(
                f"Show all {t.n_rows}", key="dq.show_all", disabled=t.n_rows <= 2 * SHOWN_EACH_SIDE
            )
            picked, hidden = charts.top_and_bottom(order, SHOWN_EACH_SIDE, show_all=show_all)
            ui.chart(
                "dq.representation",
                lambda: charts.group_bars(
                    [t.data["group"][i] for i in picked],
                    [t.data["base_rate"][i] for i in picked],
                    metric="base_rate",
                    counts=[t.data["count"][i] for i in picked] if "count" in t.data else None,
                    title=f"Label base rate by {group_col}",
                ),
                group_col,
                tuple(picked),
                key="dq.chart.representation",
            )
            if hidden:
                st.caption(f"{hidden:,} groups in the middle of the order are hidden; all are in the table.")
        if t is not None:
            ui.result_table(t, height=min(400, 40 + 35 * t.n_rows))
        for prefix, label in (
            (PROXIES_PREFIX, "Possible proxies"),
            (MISSING_BY_GROUP_PREFIX, "Missing values by group"),
        ):
            other = by_prefix[prefix].get(group_col)
            if other is not None:
                with (
                    box := ui.lazy_expander(
                        f"{label} ({other.n_rows} rows)", key=f"dq.exp.{prefix}{group_col}"
                    )
                ):
                    if box.open:
                        ui.result_table(other, title=False)
        st.caption(help_for("DQ_PROXY") or "")


def drift_tab() -> None:
    dtable = dq.drift_table()
    if dtable is None:
        st.caption(
            "No reference dataset was given, so drift was not checked. Upload a reference (e.g. the training data) on "
            "the Setup page."
        )
    else:
        if drift:
            st.markdown(
                f"**{fmt_value(drift.get('n_drifted'))} of {fmt_value(drift.get('n_columns'))}** columns drifted "
                f"(share {fmt_value(drift.get('share_drifted'), 'pct')}).",
                help=help_text(["drift", "wasserstein", "jensen–shannon", "ks", "p-value", "psi"]),
            )
        data = dtable.data
        if "column" in data and "statistic" in data:
            opts = ((result.provenance.config.get("policy") or {}).get("checks") or {}).get("DQ_DRIFT") or {}
            ui.chart(
                "dq.drift",
                lambda: charts.drift_bars(
                    data["column"],
                    data["statistic"],
                    data.get("drifted", [False] * dtable.n_rows),
                    score_name="drift statistic",
                    title="Drift per column against the reference (each test on its own axis)",
                    tests=data.get("test"),
                    p_values=data.get("p_value"),
                    thresholds={
                        k: float(opts[o])
                        for k, o in (("distance", "distance"), ("p_value", "p_value"))
                        if o in opts
                    },
                ),
                key="dq.chart.drift",
            )
        # a column that is undefined on every row (p-values of distance tests) says nothing: left out
        kept = {k: v for k, v in data.items() if any(x is not None for x in v)}
        ui.result_table(Table(title="", data=kept, note=dtable.note), title=False)
        distribution_view([str(c) for c in data.get("column", [])])
        mix = dq.group_mix_drift_table()
        if mix is not None:
            ui.result_table(mix)


# Only the open tab is built: hidden tabs used to send every table, chart and widget on every run.
for tab, draw in (
    (tab_findings, findings_tab),
    (tab_columns, columns_tab),
    (tab_groups, groups_tab),
    (tab_drift, drift_tab),
):
    with tab:
        if tab.open:
            draw()
ui.other_tables(section, shown=shown)
ui.method_box(section)
st.caption(
    "Checks and default tolerances follow the audit catalog; the policy (config YAML) can change them."
)
