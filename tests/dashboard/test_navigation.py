"""The entry: pages listed with st.navigation, the landing page, the sidebar summary, and demo mode."""

from __future__ import annotations

import pytest

from dashboard import services, state
from tests.dashboard.conftest import new_app, no_exception, open_page

PAGES = ["setup", "overview", "data_quality", "fairness", "explanations", "emissions", "model_card"]


def test_without_a_result_the_app_lands_on_setup():
    at = new_app()
    at.run()
    no_exception(at)
    assert at.title[0].value == "Set up an audit"
    assert any("No audit yet" in c.value for c in at.sidebar.caption)


@pytest.mark.parametrize("page", PAGES[1:])
def test_every_result_page_without_a_result_points_to_setup(page):
    at = new_app()
    at.run()
    open_page(at, page)
    no_exception(at)
    assert any("No audit yet" in i.value for i in at.info)


def test_with_a_result_the_app_lands_on_the_overview(synthetic_result):
    at = new_app(result=synthetic_result)
    at.run()
    no_exception(at)
    assert at.title[0].value == "Audit overview"
    assert any("300 rows" in c.value for c in at.sidebar.caption)


def test_demo_mode_lands_on_an_audited_overview(monkeypatch):
    # The German sample stands in for Adult to keep the test short; the mechanism is the same.
    monkeypatch.setattr(services, "DEMO_SAMPLE", "german_credit")
    monkeypatch.setenv(services.DEMO_ENV_VAR, "1")
    at = new_app(timeout=180)
    at.run()
    no_exception(at)
    # not prebuilt: the demo is audited as a job while the pages stay usable
    if state.JOB in at.session_state:
        from dashboard import jobs

        jobs.board().wait(at.session_state[state.JOB], 180)
        at.run()
    assert at.session_state[state.DEMO_DONE] is True
    assert at.title[0].value == "Audit overview"
    assert at.session_state[state.INPUTS]["sample"] == services.SAMPLES["german_credit"].title


def test_demo_flag_is_read_from_argv_and_env(monkeypatch):
    monkeypatch.delenv(services.DEMO_ENV_VAR, raising=False)
    assert services.demo_requested(["--demo"])
    assert not services.demo_requested([])
    monkeypatch.setenv(services.DEMO_ENV_VAR, "1")
    assert services.demo_requested([])
