"""Overview (ROC and PR curves, confusion matrix, error cohorts) and Data quality (one protected attribute at a
time, drift per test, distribution of a chosen column) on a real audit run through the dashboard's service."""

from __future__ import annotations

import json

import pytest

from audits import AuditConfig, Policy
from dashboard import services
from tests.dashboard import many_groups
from tests.dashboard.conftest import badges, new_app, no_exception, open_page, open_tab


@pytest.fixture(scope="module")
def audited():
    cfg = AuditConfig(
        target="label",
        protected=({"column": "age", "bins": [33, 39, 48]}, "region", "job"),
        prediction_column="pred",
        score_column="score",
        exclude_columns=("pred", "score"),
        sections=("performance", "data_quality", "fairness"),
        policy=Policy(n_bootstrap=50),
    )
    data = services.Upload.from_bytes(many_groups.frame().to_csv(index=False).encode(), name="current.csv")
    ref = services.Upload.from_bytes(
        many_groups.frame(2000, seed=1, shift=3.0).to_csv(index=False).encode(), name="reference.csv"
    )
    return services.run(data, None, ref, cfg)


@pytest.fixture()
def app(audited):
    key, result = audited
    at = new_app(result=result, key=key)
    at.run()
    return at


def _specs(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("plotly_chart")]


def _titles(at) -> list[str]:
    return [str(s["layout"].get("title", {}).get("text", "")) for s in _specs(at)]


def test_overview_draws_roc_pr_and_the_confusion_matrix(app):
    no_exception(app)
    titles = _titles(app)
    assert any(t.startswith("ROC curve (AUC") for t in titles)
    assert any(t.startswith("Precision-recall (avg. precision") for t in titles)
    assert "Confusion matrix" in titles


def test_overview_lists_the_cohorts_where_the_model_errs_most(app, audited):
    _, result = audited
    cohorts = result.section("performance").metrics["error_analysis"]["cohorts"]
    text = " ".join(m.value for m in app.markdown)
    assert "Where the model errs most" in text
    assert f"of {cohorts[0]['rows']:,} rows" in text


def test_describing_sections_say_info_and_ruled_ones_their_verdict(app, audited):
    _, result = audited
    assert badges(app)[1:4] == [s.status.value.upper() for s in result.sections[:3]]


def test_data_quality_shows_one_protected_attribute_at_a_time(app):
    open_page(app, "data_quality")
    open_tab(app, "dq.tab", "Protected groups")
    no_exception(app)
    group_control = next(b for b in app.get("button_group") if "region" in str(b.proto))
    group_control.set_value("region").run()
    no_exception(app)
    spec = next(s for s in _specs(app) if "Label base rate by region" in str(s["layout"]["title"]))
    assert len(spec["data"][0]["y"]) == 20  # the top and bottom ten of 50
    app.toggle(key="dq.show_all").set_value(True).run()
    spec = next(s for s in _specs(app) if "Label base rate by region" in str(s["layout"]["title"]))
    assert len(spec["data"][0]["y"]) == 50


def test_drift_has_a_panel_per_test_and_a_distribution_of_the_chosen_column(app):
    open_page(app, "data_quality")
    open_tab(app, "dq.tab", "Drift")
    titles = _titles(app)
    assert any("each test on its own axis" in t for t in titles)
    app.selectbox(key="dq.drift_column").set_value("hours").run()
    no_exception(app)
    assert any(t.startswith("hours: reference against audited data") for t in _titles(app))
    tables = [d.value for d in app.dataframe if "Test" in d.value.columns]
    assert tables and "P value" not in tables[0].columns  # every p-value undefined: the column is left out


def test_the_quality_score_has_no_grade_letter(app):
    open_page(app, "data_quality")
    score = next(m for m in app.metric if m.label == "Quality score")
    assert score.value.endswith("/ 100")


def test_protected_groups_sort_in_natural_order_of_the_bins(app):
    open_page(app, "data_quality")
    open_tab(app, "dq.tab", "Protected groups")
    app.radio(key="dq.sort").set_value("natural").run()
    no_exception(app)
    spec = next(s for s in _specs(app) if "Label base rate by age" in str(s["layout"]["title"]))
    assert [x.split(" (n=")[0] for x in spec["data"][0]["x"]] == ["&lt;=33", "(33, 39]", "(39, 48]", "&gt;48"]
