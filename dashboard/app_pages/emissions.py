"""Emissions: energy and CO₂ of a re-fit and of inference, labelled measured or estimated, with everyday
equivalents and the same energy in other countries' grids."""

from __future__ import annotations

import streamlit as st

from audits.emissions_view import COMPARISON, EmissionsResult
from audits.results import Table
from dashboard import charts
from dashboard import components as ui
from dashboard.glossary import help_for, help_text
from dashboard.text import md_escape
from reports.formatting import fmt_seconds, fmt_sig, fmt_value


def ui_help(training: dict) -> str:
    """Tooltips of the measurement words this caption uses (measured, estimated, untracked)."""
    words = {
        str(training.get(k, "")).lower() for k in ("cpu_power_method", "ram_power_method", "tracking_mode")
    }
    return help_text([w for w in ("measured", "estimated", "untracked") if w in words] + ["carbon intensity"])


result = ui.require_result()
if result is None:
    st.stop()
section = result.section("emissions")
if not ui.section_header(section, name="emissions"):
    st.stop()

em = EmissionsResult.from_section(section)
training = em.training
inference = em.inference

st.subheader("Training (re-fit of the model)")
if training:
    how = str(training.get("overall_method", "estimated"))
    ui.status_badge("pass" if how == "measured" else "warn", label=how.upper(), help_text=help_for(how))
    st.caption(
        f"codecarbon {md_escape(training.get('codecarbon_version', ''))} offline, "
        f"{md_escape(training.get('tracking_mode', ''))} mode; CPU power "
        f"{md_escape(training.get('cpu_power_method', 'not recorded'))}, "
        f"RAM {md_escape(training.get('ram_power_method', 'not recorded'))}; "
        f"grid {md_escape(training.get('country_name', training.get('country_iso_code', '')))} at "
        f"{fmt_sig(training.get('carbon_intensity_g_per_kwh'), unit='gCO₂/kWh')}; {fmt_value(training.get('rows'))} rows.",
        help=ui_help(training),
    )
    ui.metric_tiles(
        [
            (
                "CO₂eq",
                fmt_sig(
                    (training.get("emissions_kg") or 0) * 1000
                    if training.get("emissions_kg") is not None
                    else None,
                    unit="g",
                ),
                "grams of CO₂ equivalent",
            ),
            ("Energy", fmt_sig(training.get("energy_kwh"), unit="kWh"), "CPU + GPU + RAM"),
            ("Duration", fmt_seconds(training.get("duration_s")), None),
        ]
    )
    st.caption(
        f"Hardware: {md_escape(training.get('cpu_count', '?'))} × {md_escape(training.get('cpu_model', 'CPU'))}"
        f"{', GPU ' + md_escape(training.get('gpu_model')) if training.get('gpu_model') else ', no GPU'}; "
        f"RAM {fmt_sig(training.get('ram_total_gb'), unit='GB')}."
    )
    if training.get("agreement") is not None:
        st.caption(
            f"The re-fit predicts the same label as the uploaded model on {fmt_value(training.get('agreement'), 'pct')} of rows."
        )
else:
    st.info(f"Training was not measured: {md_escape(em.training_not_measured or 'no reason recorded')}.")

st.subheader("Inference")
if inference:
    ui.metric_tiles(
        [
            (
                "CO₂eq per 1,000 predictions",
                fmt_sig(
                    (inference.get("emissions_kg_per_1000") or 0) * 1000
                    if inference.get("emissions_kg_per_1000") is not None
                    else None,
                    unit="g",
                ),
                None,
            ),
            ("Energy per 1,000 predictions", fmt_sig(inference.get("energy_kwh_per_1000"), unit="kWh"), None),
        ]
    )
    st.caption(
        md_escape(inference.get("method"))
        if inference.get("method")
        else f"Measured over {fmt_value(inference.get('passes'))} passes of {fmt_value(inference.get('rows_per_pass'))} rows."
    )
else:
    st.caption("Inference was not measured.")

equivalents = em.equivalents
if equivalents:
    st.subheader("Equivalents")
    for e in equivalents:
        # the only HTML is the <small> tag written here; every value inside is escaped
        st.markdown(
            f"- **{md_escape(ui.plain_quantity(e.get('value'), str(e.get('unit', ''))))}** "
            f"{md_escape(e.get('label', ''))} "
            f"<small>({md_escape(e.get('source', ''))})</small>",
            unsafe_allow_html=True,
        )

countries = em.country_comparison
if countries:
    st.subheader("The same energy elsewhere")
    ui.chart(
        "emissions.countries",
        lambda: charts.country_bars(
            [c.get("country_name") or c.get("country_iso_code") for c in countries],
            [(c.get("emissions_kg") or 0) * 1000 for c in countries],
            [c.get("carbon_intensity_g_per_kwh") for c in countries],
            highlight=training.get("country_name") if training else None,
            title="CO₂eq of the training energy under each country's grid intensity",
        ),
        key="emissions.chart.countries",
    )

imported = em.imported
if imported:
    st.subheader("Reported by the trainer")
    comparison = em.comparison_table()
    if comparison is not None and "measured here" in comparison.data:
        # "measured" only for measured values: the column says how this audit's numbers were obtained
        how_here = str(training.get("overall_method", "estimated")) if training else "estimated"
        comparison = Table(
            title=comparison.title.replace("measured here", f"this audit ({how_here})"),
            data={
                (f"this audit ({how_here})" if k == "measured here" else k): v
                for k, v in comparison.data.items()
            },
            note=comparison.note,
        )
    ui.result_table(comparison)

st.subheader("Other findings")
ui.findings_list(
    section.findings, skip_messages=section.summary, empty="No findings beyond the summary above."
)
ui.other_tables(section, shown=[COMPARISON])
ui.method_box(section)
