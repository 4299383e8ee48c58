"""Explanations: global importance, beeswarm, dependence for a chosen feature, a row picker with its waterfall,
and attribution by protected group."""

from __future__ import annotations

import streamlit as st

from audits.explain.view import GLOBAL_IMPORTANCE, ExplanationResult, by_group_key
from audits.what_if import FAST_KINDS, editable_features, explain_estimate_s, probability_of, what_if
from dashboard import charts, guard, services, state
from dashboard import components as ui
from dashboard.glossary import help_for
from dashboard.text import md_escape
from reports.formatting import fmt_pct, fmt_seconds, fmt_value

WI_ROW = "explain.wi.row"
WI_LOADED = "explain.wi.loaded"  # (audit key, row) whose values the editor widgets hold
WI_PREFIX = "explain.wi.f."  # + feature name
WI_EXPLAIN = "explain.wi.explain"  # the model-agnostic explanation was asked for
WI_FEATURES_SHOWN = 12
TAB_KEY = "explain.tab"  # the open tab: only its content is built (each tab held a figure or an editor)
TABS = ["Global importance", "Beeswarm", "Dependence", "One row", "What-if", "By group"]


def _widget_value(v: object, spec: dict) -> object:
    if spec["kind"] == "numeric":
        if v is None or (isinstance(v, float) and v != v):
            return None
        return int(v) if spec.get("integer") else float(v)
    return str(v)


def what_if_editor(key: str, n: int) -> None:
    """Change one row's values and see the model's new prediction and SHAP values (the audit's own explainer)."""
    ctx_out = services.audit_context(key)
    if not ctx_out.ok:
        st.info(
            md_escape(ctx_out.error or "The audit's data is no longer on the server; run the audit again.")
        )
        return
    ctx = ctx_out.value
    if ctx.model is None:
        st.info("What-if needs the model; this audit has predictions only.")
        return
    specs = {s["feature"]: s for s in editable_features(ctx)}
    st.number_input(
        "Row to start from (position in the data)",
        min_value=0,
        max_value=max(n - 1, 0),
        step=1,
        key=WI_ROW,
        help=help_for("what-if"),
    )
    row = int(state.get(WI_ROW) or 0)
    if state.get(WI_LOADED) != (key, row):
        # a new starting row: every editor shows that row's values again
        original = ctx.X.iloc[row]
        for f, spec in specs.items():
            state.put(WI_PREFIX + f, _widget_value(original[f], spec))
        state.put(WI_LOADED, (key, row))
        state.drop(WI_EXPLAIN)
    imp = ExplanationResult.from_section(section).global_importance()
    ranked = [f for f in (imp.data.get("feature", []) if imp is not None else []) if f in specs]
    ranked += [f for f in specs if f not in ranked]
    cols = st.columns(4)
    for i, f in enumerate(ranked):
        if i == WI_FEATURES_SHOWN:
            break
        spec = specs[f]
        with cols[i % 4]:
            if spec["kind"] == "numeric":
                st.number_input(
                    md_escape(f),
                    key=WI_PREFIX + f,
                    step=1 if spec.get("integer") else None,
                    format="%d" if spec.get("integer") else "%.4g",
                    help=f"Audited range {fmt_value(spec.get('min'))} to {fmt_value(spec.get('max'))}.",
                )
            else:
                choices = [str(c) for c in spec["choices"]]
                if state.get(WI_PREFIX + f) not in choices:
                    choices.append(str(state.get(WI_PREFIX + f)))
                st.selectbox(md_escape(f), choices, key=WI_PREFIX + f, format_func=md_escape)
    if len(ranked) > WI_FEATURES_SHOWN:
        st.caption(
            f"The {WI_FEATURES_SHOWN} most important of {len(ranked)} features are editable; the others keep the "
            "row's values."
        )
    original = ctx.X.iloc[row]
    changes = {}
    for f in ranked[:WI_FEATURES_SHOWN]:
        v = state.get(WI_PREFIX + f)
        if str(v) != str(_widget_value(original[f], specs[f])):
            changes[f] = v
    engine = services.shap_engine(key)
    fast = engine is None or engine.choice.kind in FAST_KINDS
    explain = fast or bool(state.get(WI_EXPLAIN))
    if not fast:
        estimate = explain_estimate_s(engine)
        st.caption(
            f"This model is explained model-agnostically ({md_escape(engine.method_name)}): about "
            f"{fmt_seconds(estimate)} per explained row. The prediction updates at once.",
            help=help_for("model-agnostic"),
        )
        if st.button(f"Explain the edited row (about {fmt_seconds(estimate)})", key="explain.wi.run"):
            state.put(WI_EXPLAIN, True)
            explain = True
    out = None
    with guard.engine_call(
        "computing the what-if row", stop=False
    ):  # an invalid edit: a message, page goes on
        out = what_if(ctx, row, changes, engine=engine, explain=explain)
    if out is None:
        return
    before = ctx.y_pred_labels[row]
    changed = ", ".join(md_escape(c) for c in out["changed"]) or "nothing yet"
    prob = out.get("score")
    st.markdown(
        f"Prediction **{md_escape(out['prediction'])}**"
        + (
            f" (probability of {md_escape(ctx.positive_label_str)}: **{fmt_pct(prob)}**)"
            if prob is not None
            else ""
        )
        + f"; the audited row was predicted **{md_escape(before)}**. Changed: {changed}. "
        f"Recomputed in {fmt_seconds(out['seconds'])}."
    )
    if "contributions" in out:
        st.markdown(
            f"Model output {output_text(out['output'])} = base value {output_text(out['base_value'])} + the SHAP "
            "values below.",
            help=help_for("shap"),
        )
        # the what-if row changes with every edit: drawn, not cached
        st.plotly_chart(charts.waterfall(out), key="explain.chart.whatif", config=ui.PLOT_CONFIG)


result = ui.require_result()
if result is None:
    st.stop()
section = result.section("explanation")
if not ui.section_header(section, name="explanation"):
    st.stop()

explanation = ExplanationResult.from_section(section)
method = section.method
sample = method.get("sample_size") or method.get("rows") or explanation.beeswarm().get("rows")
st.caption(
    f"Explainer: {md_escape(method.get('explainer', 'not recorded'))}; explained rows: {fmt_value(sample)} "
    f"(of {services.n_rows(result):,}); "
    f"output: {md_escape(method.get('output_space', method.get('output', 'model output')))}; "
    f"seed {md_escape(method.get('seed', result.provenance.seed))}."
)

tab_global, tab_bees, tab_dep, tab_row, tab_whatif, tab_group = st.tabs(TABS, key=TAB_KEY, on_change="rerun")
space = str(method.get("output_space", method.get("output", "model output")))


def output_text(value: object) -> str:
    """The model output, with the probability beside it when the output is in log-odds."""
    prob = probability_of(float(value), space) if isinstance(value, int | float) else None
    return fmt_value(value) + (f" (probability {fmt_pct(prob)})" if prob is not None else "")


def global_tab() -> None:
    imp = explanation.global_importance()
    if imp is not None and imp.n_rows and "feature" in imp.data:
        value_col = "mean_abs_shap" if "mean_abs_shap" in imp.data else imp.columns[1]
        ui.chart(
            "explain.importance",
            lambda: charts.importance_bars(
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
    if explanation.beeswarm().get("features"):
        st.caption("Every explained row's SHAP value per feature is on the Beeswarm tab.")
    ui.result_table(imp)


def beeswarm_tab() -> None:
    # its own tab: a WebGL plot of every explained row costs the browser about half a second to set up, which
    # the importance bars alone do not
    bees = explanation.beeswarm()
    if not bees.get("features"):
        st.caption("No beeswarm data in this result.")
        return
    n_points = max((len(v) for v in ui.as_mapping(bees.get("shap")).values()), default=0)
    ui.chart("explain.beeswarm", lambda: charts.beeswarm(bees), key="explain.chart.beeswarm")
    st.caption(
        f"One point per explained row ({n_points:,} points per feature, drawn from the {fmt_value(sample)} "
        "explained rows); colour = the feature's value (blue low, red high; grey for categories)."
    )


def dependence_tab() -> None:
    dep = explanation.dependence()
    if not dep:
        st.caption("No dependence data in this result.")
    else:
        features = list(dep)
        if state.get(state.EXPLAIN_FEATURE) not in features:
            state.put(state.EXPLAIN_FEATURE, features[0])
        st.selectbox("Feature", features, key=state.EXPLAIN_FEATURE)
        feat = state.get(state.EXPLAIN_FEATURE)
        ui.chart(
            "explain.dependence",
            lambda: charts.dependence(feat, dep[feat]),
            feat,
            key="explain.chart.dependence",
        )
        st.caption(
            f"{len(dep[feat].get('x', [])):,} explained rows; each point is one row's value and SHAP value."
        )


def row_tab() -> None:
    local = explanation.local()
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
            f"{output_text(chosen.get('output'))} from a base value of {output_text(chosen.get('base_value'))}.",
            help=help_for("log-odds") if "log-odds" in space else help_for("base value"),
        )
        row_id = (
            ("any", int(requested)) if requested is not None else ("example", state.get(state.EXPLAIN_ROW))
        )
        ui.chart("explain.waterfall", lambda: charts.waterfall(chosen), row_id, key="explain.chart.waterfall")
    elif not options:
        st.caption("No example rows in this result; enter a row position.")


def group_tab() -> None:
    by_group_tables = explanation.by_group()
    by_group = list(by_group_tables)
    if not by_group:
        st.caption("No attribution by group in this result.")
    else:
        if state.get(state.EXPLAIN_GROUP_ATTR) not in by_group:
            state.put(state.EXPLAIN_GROUP_ATTR, by_group[0])
        st.selectbox("Protected attribute", by_group, key=state.EXPLAIN_GROUP_ATTR)  # options: plain text
        col = state.get(state.EXPLAIN_GROUP_ATTR)
        table = by_group_tables[col]
        imp = explanation.global_importance()
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
            ui.chart(
                "explain.heatmap",
                lambda: charts.group_heatmap(
                    table.data["group"], feats, matrix, title=f"Mean SHAP value by {col} (top features)"
                ),
                col,
                key="explain.chart.heatmap",
            )
        gap = ui.as_mapping(explanation.group_gap().get(col))
        if gap:
            st.markdown(md_escape(gap.get("sentence") or ""))
            contrib = ui.as_mapping(gap.get("contributions"))
            top = sorted(contrib, key=lambda k: -abs(contrib[k] or 0))[:12]
            groups = gap.get("groups") or ["", ""]
            ui.chart(
                "explain.gap",
                lambda: charts.signed_bars(
                    top,
                    [contrib[k] for k in top],
                    title=f"What drives the gap in mean output: {groups[0]} minus {groups[1]} = {fmt_value(gap.get('gap'))}",
                    axis="contribution to the gap",
                ),
                col,
                key="explain.chart.gap",
            )
        ui.result_table(table)


# Only the open tab is built: the others held a beeswarm, a dependence plot, a row explanation and the what-if
# editor that every run of the page drew and sent to the browser, hidden.
for tab, draw in (
    (tab_global, global_tab),
    (tab_bees, beeswarm_tab),
    (tab_dep, dependence_tab),
    (tab_row, row_tab),
    (tab_whatif, lambda: what_if_editor(state.audit_key() or "", services.n_rows(result))),
    (tab_group, group_tab),
):
    with tab:
        if tab.open:
            draw()

st.subheader("Other findings")
ui.findings_list(
    section.findings, skip_messages=section.summary, empty="No findings beyond the summary above."
)
ui.other_tables(section, shown=[GLOBAL_IMPORTANCE, *[by_group_key(c) for c in explanation.by_group()]])
ui.method_box(section)
