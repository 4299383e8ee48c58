"""History page (issue 17, item 4): past audits filtered by model and tag, opened in every page, two compared with
their changes ranked, and the headline disparities drawn over time."""

from __future__ import annotations

import dataclasses

import pytest

from audits.store import AuditStore
from dashboard import services, state
from tests.dashboard.conftest import new_app, no_exception, open_page


def _variant(result, *, minutes: int, model: str):
    """The same audit as if run later on another model version (the store indexes the provenance)."""
    prov = result.provenance
    started = prov.started_at[:-5] + f"{minutes:02d}:00" if len(prov.started_at) > 5 else prov.started_at
    return dataclasses.replace(
        result,
        provenance=dataclasses.replace(
            prov,
            started_at=started,
            model={**prov.model, "name": model},
            config={**prov.config, "model_name": model},
        ),
    )


@pytest.fixture()
def store(tmp_path, monkeypatch, german_result):
    url = f"sqlite:///{tmp_path / 'audits.db'}"
    monkeypatch.setenv(services.PERSIST_ENV, url)
    s = AuditStore(url)
    ids = {
        "v1": s.save(_variant(german_result, minutes=1, model="credit_v1.skops"), tag="v1"),
        "v2": s.save(_variant(german_result, minutes=2, model="credit_v2.skops"), tag="v2"),
        "v2b": s.save(_variant(german_result, minutes=3, model="credit_v2.skops"), tag="v2"),
    }
    services.audits().store.clear()
    return ids


def _history():
    at = new_app(timeout=120)
    at.run()
    return open_page(at, "history")


def test_the_store_lists_every_audit_and_filters_by_model_and_tag(store):
    at = _history()
    no_exception(at)
    assert len(at.dataframe[0].value) == 3
    at.selectbox(key=state.HIST_MODEL).set_value("credit_v2.skops").run()
    assert len(at.dataframe[0].value) == 2
    at.selectbox(key=state.HIST_MODEL).set_value("(all)").run()
    at.selectbox(key=state.HIST_TAG).set_value("v1").run()
    no_exception(at)
    table = at.dataframe[0].value
    assert list(table["tag"]) == ["v1"] and list(table["model"]) == ["credit_v1.skops"]


def test_an_audit_opens_in_every_page(store):
    at = _history()
    at.selectbox(key="hist.open").set_value(store["v1"]).run()
    at.button(key="hist.btn.open").click().run()
    no_exception(at)
    assert at.session_state[state.AUDIT_KEY] == store["v1"]
    assert at.query_params[state.URL_PARAM] in (store["v1"], [store["v1"]])
    for page in ["overview", "fairness", "data_quality", "emissions", "model_card"]:
        open_page(at, page)
        no_exception(at)
    assert at.session_state[state.RESULT].provenance.model["name"] == "credit_v1.skops"


def test_two_audits_are_compared_with_the_changes_ranked(store):
    at = _history()
    at.multiselect(key=state.HIST_PICK).set_value([store["v1"], store["v2"]]).run()
    no_exception(at)
    assert any("real change(s) for the worse" in m.value for m in at.markdown)
    comparison = at.dataframe[1].value
    assert {"item", "A", "B", "change (B - A)", "verdict"} <= set(comparison.columns)
    # the same data and results: every item is unchanged (noise), none flagged
    assert set(comparison["verdict"]) <= {"noise", "untested"}
    assert (comparison["change (B - A)"].fillna(0) == 0).all()


def test_the_trend_draws_the_headline_disparities_over_time(store):
    at = _history()
    no_exception(at)
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    assert "Headline disparities over time" in [s.value for s in at.subheader]


def test_without_a_store_the_page_lists_this_sessions_audits(monkeypatch, german_result):
    monkeypatch.delenv(services.PERSIST_ENV, raising=False)
    audit_id = services.audits().add(
        services.AuditRecord(
            result=german_result, data=None, model=None, reference=None, config=None, nbytes=1
        )
    )
    at = new_app(timeout=120)
    at.run()
    open_page(at, "history")
    assert any("No audits yet" in i.value for i in at.info)  # another session's audit is not listed
    at.session_state[state.HISTORY_IDS] = [audit_id]
    at.run()
    no_exception(at)
    assert any("RAI_AUDIT_STORE" in c.value for c in at.caption)
    assert len(at.dataframe[0].value) == 1
