"""Fairness, scoped to one protected attribute or intersection: its verdicts (coloured as in the reports), every
group against the reference group, group metrics sorted by size, by the metric or in natural order (top and bottom
groups, the rest behind "show all"), and a threshold slider that recomputes the verdicts at that threshold from the
stored curves (no re-audit)."""

from __future__ import annotations

import streamlit as st

from audits.fairness.view import (
    DISPARITIES,
    EXCLUDED_GROUPS,
    REFERENCE_GROUPS,
    THRESHOLD,
    FairnessResult,
    groups_key,
)
from audits.results import Table
from dashboard import charts, services, state
from dashboard import components as ui
from dashboard.glossary import help_for
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
SHOWN_EACH_SIDE = 10  # groups at the top and at the bottom of the order before "show all"
SORT_LABELS = {
    "size": "Size (largest first)",
    "metric": "The metric (highest first)",
    "natural": "Natural order",
}
SORT_KEY = "fair.sort"
SHOW_ALL_KEY = "fair.show_all"
CURVE_METRIC_KEY = "fair.curve_metric"

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
fair = FairnessResult.from_section(section)
groups_table = fair.groups(attribute)
if groups_table is None:
    ui.generic_section(section)
    st.stop()
data = groups_table.data
binning = (result.provenance.platform.get("context") or {}).get("binning") or {}
excluded_names = {
    str(g) for g, e in zip(data.get("group", []), data.get("excluded") or [], strict=False) if e
}
reference_name = fair.reference_groups().get(attribute, "")
n_groups = groups_table.n_rows
st.caption(
    f"{n_groups:,} groups of {md_escape(attribute)}; reference group {md_escape(reference_name or 'not recorded')}"
    + (f"; {len(excluded_names):,} too small for verdicts (greyed)" if excluded_names else "")
    + ". Everything below is about this attribute only."
)

# --- disparities and verdicts -----------------------------------------------------------------------------------
st.subheader(f"Disparities for {md_escape(attribute)}", help=help_for("holm"))
disp = fair.disparities_table()
if disp is not None and "attribute" in disp.data:
    rows = [r for r in disp.rows() if r.get("attribute") == attribute]
    headline = {
        (h.get("attribute"), h.get("metric"), h.get("kind"), h.get("method")) for h in fair.headline()
    }
    top = [
        r for r in rows if (r.get("attribute"), r.get("metric"), r.get("kind"), r.get("method")) in headline
    ] or [r for r in rows if r.get("method") == "vs_reference"][:6]
    if top:
        lines = []
        for r in top:
            note = r.get("note") or ""
            lines.append(
                f"- {ui.verdict_html(str(r.get('verdict')))} {md_escape(humanize(str(r.get('metric', ''))))}"
                + (f" — {md_escape(note)}" if note else "")
            )
        # the only HTML is the verdict tag written by ui.verdict_html; every data-derived string is escaped
        st.markdown("Headline verdicts:\n" + "\n".join(lines), unsafe_allow_html=True)
        st.caption(
            f"Tolerances: ratio within {fmt_value(section.method.get('ratio_tolerance'))}x of the reference group, "
            f"difference within ±{fmt_value(section.method.get('difference_tolerance'))}. FAIL: beyond the "
            "tolerance at the Holm-adjusted level; PASS: every interval within it; INCONCLUSIVE otherwise."
        )
        ui.chart(
            "fair.disparities",
            lambda: charts.disparity_intervals(top),
            attribute,
            key="fair.chart.disparities",
        )
    if rows:
        # collapsed tables are built only when opened (each sent a grid to the browser on every run)
        with (
            box := ui.lazy_expander(
                f"All {len(rows)} disparity rows for {md_escape(attribute)}",
                key=f"fair.exp.disparities.{attribute}",
            )
        ):
            if box.open:
                ui.result_table(
                    Table(title="", data={k: [r.get(k) for r in rows] for k in disp.columns}, note=disp.note),
                    title=False,
                )
else:
    st.caption("No disparity table in this result.")
reference = fair.reference_table()
if reference is not None and "attribute" in reference.data:
    ref_rows = [r for r in reference.rows() if r.get("attribute") == attribute]
    if ref_rows:
        with (
            box := ui.lazy_expander(
                f"Every group against the reference group ({md_escape(reference_name)}): {len(ref_rows):,} rows",
                key=f"fair.exp.reference.{attribute}",
            )
        ):
            if box.open:
                ui.result_table(
                    Table(
                        title="",
                        data={k: [r.get(k) for r in ref_rows] for k in reference.columns},
                        note=reference.note,
                    ),
                    title=False,
                )

# --- group metrics ----------------------------------------------------------------------------------------------
st.subheader("Group metrics", help=help_for("confidence interval"))
metrics = [c[: -len("_ci_low")] for c in data if c.endswith("_ci_low") and c[: -len("_ci_low")] in data]
groups = [str(g) for g in data.get("group", [])]
metric = None
if metrics:
    ordered = [m for m in PREFERRED_METRICS if m in metrics] + [
        m for m in metrics if m not in PREFERRED_METRICS
    ]
    if state.get(state.FAIR_METRIC) not in ordered:
        state.put(state.FAIR_METRIC, ordered[0])
    if state.get(SORT_KEY) not in SORT_LABELS:
        state.put(SORT_KEY, "size")
    left, mid, right = st.columns([2, 3, 1])
    with left:
        st.selectbox(
            "Metric",
            ordered,
            key=state.FAIR_METRIC,
            format_func=humanize,
            help=help_for(
                ordered[0] if state.get(state.FAIR_METRIC) is None else state.get(state.FAIR_METRIC)
            ),
        )
    with mid:
        st.radio(
            "Sort groups by", list(SORT_LABELS), key=SORT_KEY, format_func=SORT_LABELS.get, horizontal=True
        )
    with right:
        st.toggle(
            f"Show all {n_groups}",
            key=SHOW_ALL_KEY,
            disabled=n_groups <= 2 * SHOWN_EACH_SIDE,
            help=f"Without it: the {SHOWN_EACH_SIDE} first and {SHOWN_EACH_SIDE} last groups of the order.",
        )
    metric = state.get(state.FAIR_METRIC)
    order = charts.order_groups(
        groups,
        by=state.get(SORT_KEY),
        counts=data.get("count"),
        values=data.get(metric),
        attribute=attribute,
        binning=binning,
    )
    shown, hidden = charts.top_and_bottom(order, SHOWN_EACH_SIDE, show_all=bool(state.get(SHOW_ALL_KEY)))
    overall = ui.as_mapping(fair.overall().get(metric)).get("value")

    def pick(column: str) -> list:
        values = data.get(column) or [None] * n_groups
        return [values[i] for i in shown]

    ui.chart(
        "fair.groups",
        lambda: charts.group_bars(
            pick("group"),
            pick(metric),
            pick(f"{metric}_ci_low"),
            pick(f"{metric}_ci_high"),
            metric=metric,
            excluded=pick("excluded"),
            counts=pick("count"),
            overall=overall if isinstance(overall, int | float) else None,
            title=f"{humanize(metric)} by {attribute} ({section.method.get('confidence_level', 0.95):.0%} intervals)",
        ),
        attribute,
        metric,
        tuple(shown),
        key="fair.chart.groups",
    )
    notes = []
    if hidden:
        notes.append(
            f"{hidden:,} groups in the middle of the order are hidden: switch on 'Show all', or read the table."
        )
    if excluded_names:
        notes.append("Grey bars: groups too small for verdicts (see the note column).")
    if notes:
        st.caption(" ".join(notes))
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
    sorted_table = Table(
        title="",
        data={k: [data[k][i] for i in order] for k in keep if k in data},
        note=groups_table.note,
    )
    ui.result_table(sorted_table, title=False, height=min(420, 40 + 35 * n_groups))
    with (
        box := ui.lazy_expander(
            f"All metrics for every group of {md_escape(attribute)}", key=f"fair.exp.metrics.{attribute}"
        )
    ):
        if box.open:
            ui.result_table(groups_table, title=False)
else:
    ui.result_table(groups_table, title=False)

# --- threshold ------------------------------------------------------------------------------------------------
curves = fair.threshold_curves().get(attribute)
st.subheader("Decision threshold", help=help_for("threshold"))
if not curves:
    st.caption("Threshold curves need a binary model with scores; this audit has none for this attribute.")
else:
    default_t = fair.metric(THRESHOLD)
    if state.get(state.FAIR_THRESHOLD) is None:
        state.put(state.FAIR_THRESHOLD, float(default_t) if isinstance(default_t, int | float) else 0.5)
    st.slider(
        "Threshold (a row is predicted positive when its score ≥ t)",
        min_value=0.0,
        max_value=1.0,
        step=0.01,
        key=state.FAIR_THRESHOLD,
        help="Moves every group's decisions at once; the verdicts below are recomputed at this threshold with the "
        "audit's own rule (each group against the reference group, Holm-adjusted).",
    )
    used, verdict_rows, per_group = ui.threshold_verdicts(
        curves,
        data,
        state.get(state.FAIR_THRESHOLD),
        attribute=attribute,
        reference=reference_name,
        method=section.method,
    )
    if verdict_rows:
        lines = [
            f"- {ui.verdict_html(str(v['verdict']))} {md_escape(humanize(str(v['metric'])))}"
            + (f" — {md_escape(v['note'])}" if v.get("note") else "")
            for v in verdict_rows
        ]
        st.markdown(
            f"Verdicts at t = {used:.2f} (the audit's used {fmt_value(default_t)}):\n" + "\n".join(lines),
            unsafe_allow_html=True,
        )
    _, snap = services.threshold_snapshot(curves, used)
    ratio = ui.eligible_ratio(snap, "selection_rate", excluded_names)
    if ratio is not None:
        st.markdown(
            f"Selection-rate ratio (lowest / highest group) at t = {used:.2f}: **{fmt_value(ratio)}**"
            + (
                f", leaving out the {len(excluded_names)} groups too small for verdicts."
                if excluded_names
                else "."
            )
        )
    order_names = [groups[i] for i in order] if metrics else [str(r["group"]) for r in snap]
    rank = {g: k for k, g in enumerate(order_names)}
    snap = sorted(snap, key=lambda r: rank.get(str(r["group"]), len(rank)))
    snap_table = Table(
        title=f"At threshold {used:.2f}",
        data={
            **{k: [r.get(k) for r in snap] for k in ("group", "count", "selection_rate", "tpr", "fpr")},
            **({"excluded": [str(r.get("group")) in excluded_names for r in snap]} if excluded_names else {}),
        },
        note=f"Read from the stored curves ({len(curves.get('thresholds', []))} thresholds); groups marked excluded "
        "take no part in the verdicts or the ratio.",
    )
    ui.result_table(snap_table, height=min(420, 40 + 35 * len(snap)))
    curve_metrics = {"selection_rate": "Selection rate", "tpr": "TPR", "fpr": "FPR"}
    if state.get(CURVE_METRIC_KEY) not in curve_metrics:
        state.put(CURVE_METRIC_KEY, "selection_rate")
    st.segmented_control(
        "Curves of",
        list(curve_metrics),
        key=CURVE_METRIC_KEY,
        format_func=curve_metrics.get,
        required=True,
    )
    panel_names = [groups[i] for i in shown] if metrics else order_names
    ui.chart(
        "fair.curves",
        lambda: charts.threshold_panels(
            curves["thresholds"],
            curves.get("groups", {}),
            metric=state.get(CURVE_METRIC_KEY),
            order=panel_names,
            at=used,
            reference=reference_name,
            excluded=sorted(excluded_names),
        ),
        attribute,
        state.get(CURVE_METRIC_KEY),
        tuple(panel_names),
        used,
        key="fair.chart.curves",
    )
    if metrics and hidden:
        st.caption(
            f"One panel per group shown above ({len(panel_names)} of {n_groups}); 'Show all' draws every one."
        )

# --- this attribute's excluded groups and findings -----------------------------------------------------------
excluded = fair.excluded_table()
if excluded is not None and excluded.n_rows:
    # a table without an attribute column (older results) cannot be scoped: shown whole
    scoped = "attribute" in excluded.data
    mine = [r for r in excluded.rows() if not scoped or r.get("attribute") == attribute]
    if mine:
        st.subheader(
            f"Groups of {md_escape(attribute)} left out of the verdicts", help=help_for("excluded group")
        )
        ui.result_table(
            Table(title="", data={k: [r.get(k) for r in mine] for k in excluded.columns}, note=excluded.note),
            title=False,
        )

st.subheader(f"Findings about {md_escape(attribute)}")
own = [f for f in section.findings if f.subject == attribute]
others = len([f for f in section.findings if f.subject and f.subject != attribute])
ui.findings_list(
    own, skip_messages=section.summary, empty="No findings about this attribute beyond the summary."
)
if others:
    st.caption(f"{others} finding(s) about other attributes: pick them above.")
ui.other_tables(
    section,
    shown=[
        DISPARITIES,
        REFERENCE_GROUPS,
        EXCLUDED_GROUPS,
        *[
            groups_key(c) for c in fair.group_tables()
        ],  # every per-attribute table belongs to its attribute's view
    ],
)
ui.method_box(section)
