"""Fairness: pick a protected attribute or intersection; group metrics with intervals, disparity verdicts, and a
threshold slider that reads the stored threshold curves (no re-audit)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from audits.results import Table
from dashboard import charts, services, state
from dashboard import components as ui
from dashboard.text import md_escape
from reports.formatting import fmt_value, humanize

PREFERRED_METRICS = [
    "selection_rate",
    "tpr",
    "fpr",
    "precision",
    "accuracy",
    "balanced_accuracy",
    "roc_auc",
    "mae",
    "rmse",
]

result = ui.require_result()
if result is None:
    st.stop()
section = result.section("fairness")
if not ui.section_header(section, name="fairness"):
    st.stop()

attributes = services.group_columns(result)
if not attributes:
    ui.generic_section(section)
    st.stop()

st.segmented_control(
    "Protected attribute or intersection",
    attributes,
    key=state.FAIR_ATTRIBUTE,
    default=attributes[0],
    required=True,
    format_func=md_escape,  # segmented-control options render Markdown; attribute names come from the data
)
attribute = state.get(state.FAIR_ATTRIBUTE) or attributes[0]
groups_table = section.tables[f"groups:{attribute}"]
data = groups_table.data

# --- disparities and verdicts -----------------------------------------------------------------------------------
st.subheader(f"Disparities for {md_escape(attribute)}")
disp = section.tables.get("disparities")
if disp is not None and "attribute" in disp.data:
    rows = [r for r in disp.rows() if r.get("attribute") == attribute]
    headline = {
        (h.get("attribute"), h.get("metric"), h.get("kind"), h.get("method"))
        for h in section.metrics.get("headline") or []
    }
    top = [
        r for r in rows if (r.get("attribute"), r.get("metric"), r.get("kind"), r.get("method")) in headline
    ] or rows[:6]
    if top:
        counts = pd.Series([str(r.get("verdict")) for r in top]).value_counts().to_dict()
        st.markdown(
            "Headline verdicts: "
            + ", ".join(f"**{n} {md_escape(v)}**" for v, n in counts.items())
            + f" (tolerances: ratio within {fmt_value(section.method.get('ratio_tolerance'))}x of the reference "
            f"group, difference within ±{fmt_value(section.method.get('difference_tolerance'))}). Each verdict "
            "compares every group with the reference group and names the pair that decided it: FAIL beyond the "
            "tolerance at the Holm-adjusted level, PASS when every interval lies within it, INCONCLUSIVE otherwise."
        )
        st.plotly_chart(charts.disparity_intervals(top), key="fair.chart.disparities")
    if rows:
        with st.expander(f"All {len(rows)} disparity rows for {md_escape(attribute)}"):
            ui.result_table(
                Table(title="", data={k: [r.get(k) for r in rows] for k in disp.columns}, note=disp.note),
                title=False,
            )
else:
    st.caption("No disparity table in this result.")
reference = section.tables.get("reference_groups")
if reference is not None and "attribute" in reference.data:
    ref_rows = [r for r in reference.rows() if r.get("attribute") == attribute]
    if ref_rows:
        base = (section.metrics.get("reference_groups") or {}).get(attribute) or ref_rows[0].get("reference")
        st.subheader(f"Every group against the reference group ({md_escape(str(base))})")
        ui.result_table(
            Table(
                title="",
                data={k: [r.get(k) for r in ref_rows] for k in reference.columns},
                note=reference.note,
            ),
            title=False,
        )

# --- group metrics ----------------------------------------------------------------------------------------------
st.subheader("Group metrics")
metrics = [c[: -len("_ci_low")] for c in data if c.endswith("_ci_low") and c[: -len("_ci_low")] in data]
if metrics:
    ordered = [m for m in PREFERRED_METRICS if m in metrics] + [
        m for m in metrics if m not in PREFERRED_METRICS
    ]
    if state.get(state.FAIR_METRIC) not in ordered:
        state.put(state.FAIR_METRIC, ordered[0])
    st.selectbox("Metric", ordered, key=state.FAIR_METRIC, format_func=humanize)
    metric = state.get(state.FAIR_METRIC)
    overall = ui.as_mapping(ui.as_mapping(section.metrics.get("overall")).get(metric)).get("value")
    st.plotly_chart(
        charts.group_bars(
            data["group"],
            data[metric],
            data[f"{metric}_ci_low"],
            data[f"{metric}_ci_high"],
            metric=metric,
            excluded=data.get("excluded"),
            overall=overall if isinstance(overall, int | float) else None,
            title=f"{humanize(metric)} by {attribute} ({section.method.get('confidence_level', 0.95):.0%} intervals)",
        ),
        key="fair.chart.groups",
    )
    if any(data.get("excluded") or []):
        st.caption("Grey bars: groups too small for headline disparities (see the note column).")
    keep = [
        "group",
        "count",
        "positives",
        "negatives",
        metric,
        f"{metric}_ci_low",
        f"{metric}_ci_high",
        "excluded",
        "note",
    ]
    ui.result_table(
        Table(title="", data={k: data[k] for k in keep if k in data}, note=groups_table.note), title=False
    )
    with st.expander(f"All metrics for every group of {md_escape(attribute)}"):
        ui.result_table(groups_table, title=False)
else:
    ui.result_table(groups_table, title=False)

# --- threshold ------------------------------------------------------------------------------------------------
curves = (section.metrics.get("threshold_curves") or {}).get(attribute)
st.subheader("Decision threshold")
if not curves:
    st.caption("Threshold curves need a binary model with scores; this audit has none for this attribute.")
else:
    default_t = section.metrics.get("threshold")
    if state.get(state.FAIR_THRESHOLD) is None:
        state.put(state.FAIR_THRESHOLD, float(default_t) if isinstance(default_t, int | float) else 0.5)
    st.slider(
        "Threshold (a row is predicted positive when its score ≥ t)",
        min_value=0.0,
        max_value=1.0,
        step=0.01,
        key=state.FAIR_THRESHOLD,
    )
    used, snap = services.threshold_snapshot(curves, state.get(state.FAIR_THRESHOLD))
    snap_table = Table(
        title=f"At threshold {used:.2f}",
        data={k: [r.get(k) for r in snap] for k in ("group", "count", "selection_rate", "tpr", "fpr")},
        note=f"Read from the stored curves ({len(curves.get('thresholds', []))} thresholds); the audit's verdicts use "
        f"the model's threshold {fmt_value(default_t)}.",
    )
    rates = [r["selection_rate"] for r in snap if isinstance(r.get("selection_rate"), int | float)]
    if len(rates) >= 2 and max(rates) > 0:
        st.markdown(
            f"Selection-rate ratio (lowest / highest group) at t = {used:.2f}: **{fmt_value(min(rates) / max(rates))}**."
        )
    ui.result_table(snap_table)
    tabs = st.tabs(["Selection rate", "TPR", "FPR"])
    for tab, metric in zip(tabs, ("selection_rate", "tpr", "fpr"), strict=True):
        with tab:
            st.plotly_chart(
                charts.threshold_curves(
                    curves["thresholds"], curves.get("groups", {}), metric=metric, at=used
                ),
                key=f"fair.chart.curve.{metric}",
            )

excluded = section.tables.get("excluded_groups")
if excluded is not None and excluded.n_rows:
    st.subheader("Groups left out of headline disparities")
    ui.result_table(excluded, title=False)

st.subheader("Other findings")
ui.findings_list(
    section.findings, skip_messages=section.summary, empty="No findings beyond the summary above."
)
ui.other_tables(
    section,
    shown=["disparities", "reference_groups", "excluded_groups", *[f"groups:{a}" for a in attributes]],
)
ui.method_box(section)
