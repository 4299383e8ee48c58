"""Data quality: findings ranked, per-column details, protected-group checks, and drift when a reference exists."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, state
from dashboard import components as ui
from reports.formatting import fmt_value, format_mapping

result = ui.require_result()
if result is None:
    st.stop()
section = result.section("data_quality")
if not ui.section_header(section, name="data_quality"):
    st.stop()

score = ui.as_mapping(section.metrics.get("score"))
drift = ui.as_mapping(section.metrics.get("drift"))
tiles = []
if score:
    tiles.append(
        (
            "Quality score",
            f"{fmt_value(score.get('overall'))} / 100 ({score.get('grade', '')})",
            "0–100 from the findings' severities",
        )
    )
tiles.append(("Findings", f"{len(section.findings):,}", "info, warn and fail findings"))
tiles.append(("Rows", f"{int(result.provenance.data.get('rows') or 0):,}", None))
if drift:
    tiles.append(
        (
            "Drifted columns",
            f"{fmt_value(drift.get('n_drifted'))} of {fmt_value(drift.get('n_columns'))}",
            "columns whose distribution differs from the reference",
        )
    )
ui.metric_tiles(tiles)

tab_findings, tab_columns, tab_groups, tab_drift = st.tabs(
    ["Findings", "Columns", "Protected groups", "Drift"]
)
shown: list[str] = ["findings", "columns", "drift", "group_mix_drift"]

with tab_findings:
    table = section.tables.get("findings")
    if table is not None and table.n_rows:
        ui.result_table(table, title=False, height=min(600, 40 + 35 * table.n_rows))
    else:
        st.dataframe(ui.findings_frame(section.findings), hide_index=True)

with tab_columns:
    cols_table = section.tables.get("columns")
    if cols_table is None or "column" not in cols_table.data:
        st.caption("No per-column table in this result.")
    else:
        ui.result_table(cols_table, title=False)
        names = [str(c) for c in cols_table.data["column"]]
        if state.get(state.DQ_COLUMN) not in names:
            state.put(state.DQ_COLUMN, names[0])
        st.selectbox("Details of a column", names, key=state.DQ_COLUMN)
        col = state.get(state.DQ_COLUMN)
        details = ui.as_mapping(ui.as_mapping(section.metrics.get("columns")).get(col))
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

with tab_groups:
    rep = [k for k in section.tables if k.startswith("representation:")]
    proxies = [k for k in section.tables if k.startswith("proxies:")]
    missing = [k for k in section.tables if k.startswith("missing_by_group:")]
    shown += rep + proxies + missing
    if not (rep or proxies or missing):
        st.caption("No protected-group checks in this result.")
    for key in rep:
        t = section.tables[key]
        group_col = key.split(":", 1)[1]
        if "group" in t.data and "base_rate" in t.data:
            st.plotly_chart(
                charts.group_bars(
                    t.data["group"],
                    t.data["base_rate"],
                    metric="base_rate",
                    title=f"Label base rate by {group_col}",
                ),
                key=f"dq.chart.{key}",
            )
        ui.result_table(t)
    for key in proxies + missing:
        ui.result_table(section.tables[key])

with tab_drift:
    dtable = section.tables.get("drift")
    if dtable is None:
        st.caption(
            "No reference dataset was given, so drift was not checked. Upload a reference (e.g. the training data) on "
            "the Setup page."
        )
    else:
        if drift:
            st.markdown(
                f"**{fmt_value(drift.get('n_drifted'))} of {fmt_value(drift.get('n_columns'))}** columns drifted "
                f"(share {fmt_value(drift.get('share_drifted'), 'pct')})."
            )
        data = dtable.data
        if "column" in data and "statistic" in data:
            st.plotly_chart(
                charts.drift_bars(
                    data["column"],
                    data["statistic"],
                    data.get("drifted", [False] * dtable.n_rows),
                    score_name="drift statistic (test per column; red = drifted)",
                    title="Drift per column against the reference",
                ),
                key="dq.chart.drift",
            )
        ui.result_table(dtable, title=False)
        mix = section.tables.get("group_mix_drift")
        if mix is not None:
            ui.result_table(mix)

ui.other_tables(section, shown=shown)
ui.method_box(section)
st.caption(
    "Checks and default tolerances follow the audit catalog; the policy (config YAML) can change them."
)
