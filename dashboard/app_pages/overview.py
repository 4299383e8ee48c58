"""Overview: the audit's scorecard — one verdict per area, its top findings in plain language, links to pages."""

from __future__ import annotations

import streamlit as st

from audits.performance_view import PerformanceResult
from audits.results import SectionResult, Status
from dashboard import charts, services, state
from dashboard import components as ui
from dashboard.glossary import help_for
from dashboard.text import md_escape
from reports.formatting import fmt_pct, fmt_status, fmt_value, fmt_value_ci, humanize

AREAS = [
    ("performance", None, "How well the model predicts overall (the yardstick for group gaps)."),
    ("data_quality", "app_pages/data_quality.py", "Problems in the data that can bias or break the model."),
    (
        "fairness",
        "app_pages/fairness.py",
        "Whether groups are treated differently, with intervals and verdicts.",
    ),
    (
        "explanation",
        "app_pages/explanations.py",
        "Which features drive the predictions, overall and per group.",
    ),
    (
        "emissions",
        "app_pages/emissions.py",
        "Energy and CO₂ of training and inference, measured or estimated.",
    ),
]
TOP_FINDINGS = 3
COHORTS_SHOWN = 5


def quality_views(section: SectionResult) -> None:
    """ROC and precision-recall curves, the confusion matrix, and the cohorts where the model errs most."""
    view = PerformanceResult.from_section(section)
    curves = view.curves
    confusion = view.confusion_table()
    at = section.method.get("threshold")
    at = float(at) if isinstance(at, int | float) else None
    charts_shown = []  # (name, builder, glossary text); figures are built once per audit (ui.chart)
    if curves.get("roc"):
        charts_shown.append(("roc", lambda: charts.roc_chart(curves["roc"], at=at), help_for("roc curve")))
    if curves.get("pr"):
        charts_shown.append(
            ("pr", lambda: charts.pr_chart(curves["pr"], at=at), help_for("precision-recall curve"))
        )
    if confusion is not None and confusion.n_rows and len(confusion.columns) > 1:
        first = confusion.columns[0]
        predicted = confusion.columns[1:]
        matrix = [[confusion.data[c][i] for c in predicted] for i in range(confusion.n_rows)]
        charts_shown.append(
            (
                "confusion",
                lambda: charts.confusion_chart(confusion.data[first], predicted, matrix),
                help_for("confusion matrix"),
            )
        )
    if charts_shown:
        cols = st.columns(len(charts_shown))
        for col, (key, build, _) in zip(cols, charts_shown, strict=True):
            with col:
                ui.chart(f"overview.{key}", build, key=f"overview.chart.{key}")
        st.caption(
            " ".join(text for _, _, text in charts_shown if text)
            + (f" The red dot marks the model's threshold {at:.2f}." if at is not None and curves else "")
        )
    ea = view.error_analysis
    table = view.error_cohorts
    if ea and table is not None:
        overall = ui.as_mapping(ea.get("overall"))
        st.markdown(
            f"**Where the model errs most** — held-out error rate {fmt_pct(overall.get('error_rate'))} "
            f"({fmt_value(overall.get('errors'), 'count')} of {fmt_value(overall.get('rows'), 'count')} rows; "
            f"error = {md_escape(ui.as_mapping(ea.get('definition')).get('rule', ''))}).",
            help=help_for("error cohort"),
        )
        for c in list(ea.get("cohorts") or [])[:COHORTS_SHOWN]:
            st.markdown(
                f"- {md_escape(c.get('cohort'))}: **{fmt_pct(c.get('error_rate'))}** errors "
                f"(95% CI {fmt_pct(c.get('ci_low'))}–{fmt_pct(c.get('ci_high'))}, "
                f"{fmt_value(c.get('errors'), 'count')} of {fmt_value(c.get('rows'), 'count')} rows"
                + (f", {c['lift']:.1f}x the overall rate)" if isinstance(c.get("lift"), int | float) else ")")
            )
        with (box := ui.lazy_expander("Every cohort, and how they were found", key="overview.exp.cohorts")):
            if box.open:
                ui.result_table(table, title=False)
                st.caption(
                    md_escape(
                        " ".join(
                            str(v) for v in ui.as_mapping(ea.get("method")).values() if isinstance(v, str)
                        )
                    )
                )


result = ui.require_result()
if result is None:
    st.stop()

st.title("Audit overview")
inputs = state.get(state.INPUTS) or {}
prov = result.provenance
head, badge = st.columns([5, 1])
with head:
    # names come from uploads and configs: escaped
    heading = md_escape(inputs.get("sample") or prov.config.get("dataset_name") or prov.data.get("name"))
    reference = f", reference *{md_escape(prov.reference.get('name'))}*" if prov.reference else ""
    st.markdown(
        f"**{heading}** — {services.n_rows(result):,} rows of *{md_escape(prov.data.get('name'))}*, "
        f"model *{md_escape(prov.model.get('name') or 'predictions only')}*{reference}. "
        f"Run {str(prov.started_at).replace('T', ' ').replace('+00:00', ' UTC')} in {prov.duration_s:.1f} s, "
        f"seed {prov.seed}."
    )
with badge:
    ui.status_badge(result.status, label=f"Overall: {fmt_status(result.status)}")
st.caption(
    f"Overall verdict: {ui.STATUS_MEANING[result.status]}. Sections that errored or were skipped do not make the "
    "audit pass or fail; they are listed with their reason."
)

perf = result.section("performance")
if perf is not None and perf.status not in (Status.SKIPPED, Status.ERROR):
    overall = PerformanceResult.from_section(perf).metrics()
    tiles = []
    for name in ("accuracy", "balanced_accuracy", "roc_auc", "f1", "r2", "mae"):
        m = ui.as_mapping(overall.get(name))
        if m:
            tiles.append(
                (
                    humanize(name),
                    fmt_value_ci(m.get("value"), None, None, reason=m.get("note")),
                    f"95% CI {fmt_value_ci(m.get('value'), m.get('ci_low'), m.get('ci_high'))} — {m.get('method', '')}",
                )
            )
    ui.metric_tiles(tiles[:4])

for name, page, blurb in AREAS:
    section = result.section(name)
    with st.container(border=True):
        left, right = st.columns([5, 1])
        with left:
            title = section.title if section is not None else humanize(name)
            st.subheader(title)
            st.caption(blurb)
        with right:
            if section is not None:
                ui.section_badge(section)
        if section is None:
            st.caption("Not part of this audit.")
            continue
        if section.status in (Status.SKIPPED, Status.ERROR):
            (st.info if section.status == Status.SKIPPED else st.error)(
                md_escape(section.reason or "No reason recorded.")
            )
        else:
            for sentence in section.summary[:3]:
                st.markdown(f"- {md_escape(sentence)}")
            ui.findings_list(
                section.findings,
                limit=TOP_FINDINGS,
                empty="No other findings in this area.",
                skip_messages=section.summary[:3],
            )
        if page is not None:
            st.page_link(page, label=f"Open {title}", icon=":material/arrow_forward:")
        elif name == PerformanceResult.NAME and (
            overall_table := PerformanceResult.from_section(section).overall_table()
        ):
            quality_views(section)
            view = PerformanceResult.from_section(section)
            with (box := ui.lazy_expander("All performance metrics", key="overview.exp.performance")):
                if box.open:
                    ui.result_table(overall_table, title=False)
                    ui.result_table(view.confusion_table())
                    ui.result_table(view.calibration_table())

st.page_link(
    "app_pages/model_card.py", label="Edit the model card and download the report", icon=":material/download:"
)
