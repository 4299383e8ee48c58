"""Explanations: global importance, beeswarm, dependence for a chosen feature, a row picker with its waterfall,
and attribution by protected group."""

from __future__ import annotations

import streamlit as st

from dashboard import charts, guard, services, state
from dashboard import components as ui
from dashboard.text import md_escape
from reports.formatting import fmt_value

result = ui.require_result()
if result is None:
    st.stop()
section = result.section("explanation")
if not ui.section_header(section, name="explanation"):
    st.stop()

method = section.method
sample = (
    method.get("sample_size")
    or method.get("rows")
    or ui.as_mapping(section.metrics.get("beeswarm")).get("rows")
)
st.caption(
    f"Explainer: {md_escape(method.get('explainer', 'not recorded'))}; explained rows: {fmt_value(sample)} "
    f"(of {services.n_rows(result):,}); "
    f"output: {md_escape(method.get('output_space', method.get('output', 'model output')))}; "
    f"seed {md_escape(method.get('seed', result.provenance.seed))}."
)

tab_global, tab_dep, tab_row, tab_group = st.tabs(["Global importance", "Dependence", "One row", "By group"])

with tab_global:
    imp = section.tables.get("global_importance")
    if imp is not None and imp.n_rows and "feature" in imp.data:
        value_col = "mean_abs_shap" if "mean_abs_shap" in imp.data else imp.columns[1]
        st.plotly_chart(
            charts.importance_bars(
                imp.data["feature"][:20],
                imp.data[value_col][:20],
                imp.data.get("ci_low", None),
                imp.data.get("ci_high", None),
                title="Mean |SHAP value| per feature (bootstrap interval over the explained rows)",
            ),
            key="explain.chart.importance",
        )
        if imp.n_rows > 20:
            st.caption(f"Top 20 of {imp.n_rows} features shown; all are in the table below.")
    bees = ui.as_mapping(section.metrics.get("beeswarm"))
    if bees.get("features"):
        n_points = max((len(v) for v in ui.as_mapping(bees.get("shap")).values()), default=0)
        st.markdown("**Beeswarm**")
        st.plotly_chart(charts.beeswarm(bees), key="explain.chart.beeswarm")
        st.caption(
            f"One point per explained row ({n_points:,} points per feature, drawn from the {fmt_value(sample)} "
            "explained rows); colour = the feature's value (blue low, red high; grey for categories)."
        )
    ui.result_table(imp)

with tab_dep:
    dep = ui.as_mapping(section.metrics.get("dependence"))
    if not dep:
        st.caption("No dependence data in this result.")
    else:
        features = list(dep)
        if state.get(state.EXPLAIN_FEATURE) not in features:
            state.put(state.EXPLAIN_FEATURE, features[0])
        st.selectbox("Feature", features, key=state.EXPLAIN_FEATURE)
        feat = state.get(state.EXPLAIN_FEATURE)
        st.plotly_chart(charts.dependence(feat, dep[feat]), key="explain.chart.dependence")
        st.caption(
            f"{len(dep[feat].get('x', [])):,} explained rows; each point is one row's value and SHAP value."
        )

with tab_row:
    local = [e for e in section.metrics.get("local") or [] if isinstance(e, dict)]
    options = [int(e["row"]) for e in local if "row" in e]
    reasons = {int(e["row"]): str(e.get("reason", "")) for e in local if "row" in e}
    n = services.n_rows(result)
    left, right = st.columns([2, 1])
    with left:
        if options:
            if state.get(state.EXPLAIN_ROW) not in options:
                state.put(state.EXPLAIN_ROW, options[0])
            st.selectbox(
                "Example row",
                options,
                key=state.EXPLAIN_ROW,
                format_func=lambda r: f"row {r} — {reasons.get(r, '')}",
            )
    with right:
        st.number_input(
            "…or any row (position in the data)",
            min_value=0,
            max_value=max(n - 1, 0),
            step=1,
            key="explain.row_any",
            value=None,
        )
    requested = state.get("explain.row_any")
    chosen = None
    if requested is not None:
        with guard.engine_call("explaining the row"):
            outcome = services.explain_rows(state.audit_key() or "", [int(requested)])
        if outcome.ok and outcome.value:
            chosen = outcome.value[0]
        else:
            st.error(md_escape(outcome.error or "This row could not be explained."))
    elif options:
        chosen = next(e for e in local if int(e.get("row", -1)) == state.get(state.EXPLAIN_ROW))
    if chosen is not None:
        st.markdown(
            f"Row **{md_escape(chosen.get('row'))}** ({md_escape(chosen.get('reason', 'requested'))}): prediction "
            f"**{md_escape(chosen.get('prediction'))}**, true label **{md_escape(chosen.get('label'))}**, model output "
            f"{fmt_value(chosen.get('output'))} from a base value of {fmt_value(chosen.get('base_value'))}."
        )
        st.plotly_chart(charts.waterfall(chosen), key="explain.chart.waterfall")
    elif not options:
        st.caption("No example rows in this result; enter a row position.")

with tab_group:
    by_group = [k.split(":", 1)[1] for k in section.tables if k.startswith("by_group:")]
    if not by_group:
        st.caption("No attribution by group in this result.")
    else:
        if state.get(state.EXPLAIN_GROUP_ATTR) not in by_group:
            state.put(state.EXPLAIN_GROUP_ATTR, by_group[0])
        st.selectbox("Protected attribute", by_group, key=state.EXPLAIN_GROUP_ATTR)  # options: plain text
        col = state.get(state.EXPLAIN_GROUP_ATTR)
        table = section.tables[f"by_group:{col}"]
        imp = section.tables.get("global_importance")
        feats = [
            f
            for f in (imp.data["feature"] if imp is not None and "feature" in imp.data else table.columns)
            if f in table.data
        ]
        feats = [f for f in feats if f not in ("group", "count", "mean_output")][
            : charts.MAX_HEATMAP_FEATURES
        ]
        if feats:
            matrix = [[table.data[f][i] for f in feats] for i in range(table.n_rows)]
            st.plotly_chart(
                charts.group_heatmap(
                    table.data["group"], feats, matrix, title=f"Mean SHAP value by {col} (top features)"
                ),
                key="explain.chart.heatmap",
            )
        gap = ui.as_mapping(ui.as_mapping(section.metrics.get("group_gap")).get(col))
        if gap:
            st.markdown(md_escape(gap.get("sentence") or ""))
            contrib = ui.as_mapping(gap.get("contributions"))
            top = sorted(contrib, key=lambda k: -abs(contrib[k] or 0))[:12]
            groups = gap.get("groups") or ["", ""]
            st.plotly_chart(
                charts.signed_bars(
                    top,
                    [contrib[k] for k in top],
                    title=f"What drives the gap in mean output: {groups[0]} minus {groups[1]} = {fmt_value(gap.get('gap'))}",
                    axis="contribution to the gap",
                ),
                key="explain.chart.gap",
            )
        ui.result_table(table)

st.subheader("Other findings")
ui.findings_list(
    section.findings, skip_messages=section.summary, empty="No findings beyond the summary above."
)
ui.other_tables(
    section, shown=["global_importance", *[k for k in section.tables if k.startswith("by_group:")]]
)
ui.method_box(section)
