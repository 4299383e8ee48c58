"""Every result page on a synthetic result that holds all documented keys: the specific views appear."""

from __future__ import annotations

import pytest

from audits.results import AuditResult, SectionResult
from dashboard import state
from tests.dashboard.conftest import badges, new_app, no_exception, open_page, open_tab


@pytest.fixture()
def app(synthetic_result):
    at = new_app(result=synthetic_result)
    at.run()
    return at


def _charts(at) -> int:
    return len(at.get("plotly_chart"))


def test_overview_gives_one_verdict_per_area_with_top_findings(app):
    no_exception(app)
    text = " ".join(m.value for m in app.markdown)
    assert "TPR gap 0.15 exceeds 0.1." in text
    assert "personal_status predicts sex" in text
    assert [s.value for s in app.subheader][:5] == [
        "Model performance",
        "Data quality",
        "Fairness",
        "Explanations",
        "Environmental impact",
    ]
    assert badges(app)[:3] == ["Overall: FAIL", "PASS", "WARN"]


def test_fairness_page_has_disparities_group_bars_and_threshold_curves(app):
    open_page(app, "fairness")
    no_exception(app)
    assert _charts(app) >= 3  # disparities, group bars, threshold small multiples (one chart, metric picked)
    assert any("Headline verdicts" in m.value for m in app.markdown)


def test_fairness_threshold_slider_reads_the_curves_without_rerunning(app):
    open_page(app, "fairness")
    before = app.session_state[state.RESULT]
    app.slider(key=state.FAIR_THRESHOLD).set_value(0.3).run()
    no_exception(app)
    tables = [d.value for d in app.dataframe]
    snap = next(
        t
        for t in tables
        if list(t.columns)[:2] == ["Group", "Count"] and "Selection rate" in t.columns and len(t.columns) == 5
    )
    # Male: 1 - 0.3 = 0.700; Female: 1 - 0.3 - 0.05 = 0.650 (see fake_result)
    # the rows follow the group order picked on the page (by size by default)
    assert dict(zip(snap["Group"], snap["Selection rate"], strict=True)) == {
        "Male": "0.700",
        "Female": "0.650",
    }
    assert any("(lowest / highest group) at t = 0.30: **0.929**" in m.value for m in app.markdown)
    assert app.session_state[state.RESULT] is before


def test_fairness_attribute_switch_shows_the_intersection(app):
    open_page(app, "fairness")
    app.get("button_group")[0].set_value("sex × age").run()
    no_exception(app)
    assert any(s.value == "Disparities for sex × age" for s in app.subheader)
    assert any("Grey bars" in c.value for c in app.caption)


def test_explanations_page_draws_importance_beeswarm_dependence_waterfall_and_groups(app):
    open_page(app, "explanations")
    no_exception(app)
    drawn = {}
    for tab in ("Global importance", "Beeswarm", "Dependence", "One row", "By group"):
        open_tab(app, "explain.tab", tab)
        no_exception(app)
        drawn[tab] = _charts(app)
    # importance; beeswarm; dependence; waterfall; heatmap and gap: each tab draws only its own
    assert drawn == {"Global importance": 1, "Beeswarm": 1, "Dependence": 1, "One row": 1, "By group": 2}
    open_tab(app, "explain.tab", "Dependence")
    app.selectbox(key=state.EXPLAIN_FEATURE).set_value("purpose").run()
    no_exception(app)
    open_tab(app, "explain.tab", "One row")
    app.selectbox(key=state.EXPLAIN_ROW).set_value(7).run()
    no_exception(app)
    assert any("Row **7** (misclassified (group Female))" in m.value for m in app.markdown)


def test_data_quality_page_ranks_findings_and_shows_drift(app):
    open_page(app, "data_quality")
    no_exception(app)
    assert [m.label for m in app.metric][:2] == ["Quality score", "Findings"]
    open_tab(app, "dq.tab", "Drift")
    assert any("**1 of 2** columns drifted" in m.value for m in app.markdown)
    open_tab(app, "dq.tab", "Columns")
    app.selectbox(key=state.DQ_COLUMN).set_value("credit_amount").run()
    no_exception(app)
    assert any("credit_amount is skewed." in m.value for m in app.markdown)


def test_emissions_page_labels_estimated_and_compares_countries(app):
    open_page(app, "emissions")
    no_exception(app)
    assert badges(app) == ["INFO", "ESTIMATED"]  # emissions has no pass rule: INFO, not PASS
    assert [m.label for m in app.metric][:3] == ["CO₂eq", "Energy", "Duration"]
    assert _charts(app) == 1
    assert any("of driving a car" in m.value for m in app.markdown)


def test_a_skipped_or_errored_section_shows_its_reason(synthetic_result):
    sections = tuple(
        SectionResult.errored("fairness", "Fairness", "The fairness section failed: ValueError: boom")
        if s.name == "fairness"
        else SectionResult.skipped("explanation", "Explanations", "no model was given; SHAP needs the model")
        if s.name == "explanation"
        else s
        for s in synthetic_result.sections
    )
    at = new_app(result=AuditResult(sections=sections, provenance=synthetic_result.provenance))
    at.run()
    open_page(at, "fairness")
    no_exception(at)
    assert any("ValueError: boom" in e.value for e in at.error)
    open_page(at, "explanations")
    assert any("SHAP needs the model" in i.value for i in at.info)


def test_the_row_picker_explains_any_row_of_a_real_audit():
    from audits import AuditConfig
    from dashboard import services
    from tests.dashboard.conftest import GERMAN

    cfg = AuditConfig.from_yaml(GERMAN / "audit.yaml").replace(
        sections=("performance", "explanation"), explain_sample_size=60, seed=11
    )
    data = services.Upload.from_bytes(
        (GERMAN / "german_credit_test.csv").read_bytes(), name="german_credit_test.csv"
    )
    model = services.Upload.from_bytes(
        (GERMAN / "german_logreg.skops").read_bytes(), name="german_logreg.skops"
    )
    key, result = services.run(data, model, None, cfg)
    at = new_app(result=result, key=key)
    at.run()
    open_page(at, "explanations")
    open_tab(at, "explain.tab", "One row")
    at.number_input(key="explain.row_any").set_value(5).run()
    no_exception(at)
    assert any(m.value.startswith("Row **5** (requested)") for m in at.markdown)
    at.number_input(key="explain.row_any").set_value(299).run()
    assert any(m.value.startswith("Row **299** (requested)") for m in at.markdown)
