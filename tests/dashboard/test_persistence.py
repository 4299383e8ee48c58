"""Nothing lost (issue 15, problems 4-6): the audit's id in the URL survives a reload, a running audit survives
changing page, the audit store takes over ids the server no longer holds, model-card edits are saved as typed,
and the demo opens at once when it was computed before the server started."""

from __future__ import annotations

import re
import threading

import pytest

from audits.store import AuditStore
from dashboard import jobs, services, state
from dashboard.store import new_token
from tests.dashboard.conftest import new_app, no_exception, open_page
from tests.dashboard.test_setup_page import run_and_wait

PAGES = ["overview", "data_quality", "fairness", "explanations", "emissions", "model_card", "history"]


def _german_run(sections=("performance", "fairness")):
    at = new_app(timeout=180)
    at.run()
    at.selectbox(key=state.W_SAMPLE).set_value("german_credit").run()
    at.multiselect(key=state.W_SECTIONS).set_value(list(sections)).run()
    return run_and_wait(at)


def _reload(audit_id: str, *, page: str | None = None):
    """A new browser session opening the URL ``?audit=<id>`` (a reload, a bookmark or a shared link)."""
    at = new_app(timeout=180)
    at.query_params[state.URL_PARAM] = audit_id
    at.run()
    if page is not None:
        open_page(at, page)
    return at


@pytest.fixture()
def blocked_job():
    """A job that runs until released, as a long audit does."""
    release, reached = threading.Event(), threading.Event()

    def work(progress):
        progress("setup", 1.0, "validated")
        progress("fairness", 0.4, "Fairness: bootstrap 400 of 1,000")
        reached.set()
        while not release.wait(0.05):
            progress("fairness", 0.5, "Fairness: bootstrap")
        return None

    job_id = jobs.board().submit(
        new_token(),
        work,
        label="Auditing big.csv",
        steps=[("setup", "Load and validate"), ("fairness", "Fairness")],
    )
    assert reached.wait(10)
    yield job_id
    release.set()
    jobs.board().wait(job_id, 10)


def test_the_audit_id_is_in_the_url_and_a_reload_opens_it():
    at = _german_run()
    no_exception(at)
    audit_id = at.query_params[state.URL_PARAM]
    audit_id = audit_id[0] if isinstance(audit_id, list) else audit_id
    assert audit_id == at.session_state[state.AUDIT_KEY]
    assert len(audit_id) >= 22  # a random 128-bit token, not a content hash
    result = at.session_state[state.RESULT]
    again = _reload(audit_id)
    no_exception(again)
    assert again.session_state[state.RESULT] is result
    assert again.title[0].value == "Audit overview"  # not the demo, not Setup


def test_a_link_to_an_audit_the_server_no_longer_holds_says_so():
    at = _reload(new_token())
    no_exception(at)
    assert any("no longer on the server" in w.value for w in at.warning)
    assert state.RESULT not in at.session_state
    assert at.title[0].value == "Set up an audit"


@pytest.mark.parametrize("page", PAGES)
def test_a_running_audit_is_shown_on_every_page_and_survives_navigation(blocked_job, page):
    at = _reload(blocked_job, page=page)
    no_exception(at)
    assert at.session_state[state.JOB] == blocked_job
    panel = " ".join(m.value for m in at.markdown)
    assert "Auditing big.csv" in panel and "Fairness" in panel and "left" in panel
    assert at.button(key="job.cancel")
    open_page(at, "setup")
    assert at.session_state[state.JOB] == blocked_job  # changing page never drops the job


def test_cancel_on_any_page_stops_the_job_and_says_so(blocked_job):
    at = _reload(blocked_job, page="fairness")
    assert any("The audit is running" in i.value for i in at.info)
    at.button(key="job.cancel").click().run()
    said = [w.value for w in at.warning]  # the job may stop before this run ends: then it says so now
    view = jobs.board().wait(blocked_job, 10)
    assert view.status == jobs.CANCELLED
    at.run()
    no_exception(at)
    said += [w.value for w in at.warning]
    assert state.JOB not in at.session_state
    assert sum("The audit was cancelled" in w for w in said) == 1


def test_the_audit_store_keeps_audits_across_a_server_restart(tmp_path, monkeypatch):
    url = f"sqlite:///{tmp_path / 'audits.db'}"
    monkeypatch.setenv(services.PERSIST_ENV, url)
    services.audits().store.clear()  # audited afresh, not found among earlier tests' audits
    at = _german_run()
    no_exception(at)
    run_id = at.session_state[state.AUDIT_KEY]
    assert re.fullmatch(r"[0-9a-f]{32}", run_id)  # the store's run id is the one in the URL
    stored = AuditStore(url).list()
    assert [s.run_id for s in stored] == [run_id]
    services.audits().store.clear()  # what a restart leaves: nothing in memory
    again = _reload(run_id)
    no_exception(again)
    assert (
        again.session_state[state.RESULT].provenance.data["sha256"]
        == (at.session_state[state.RESULT].provenance.data["sha256"])
    )
    open_page(again, "explanations")
    no_exception(again)


def test_uploads_are_kept_beside_the_store_only_when_the_operator_says_so(tmp_path, monkeypatch):
    monkeypatch.setenv(services.PERSIST_ENV, f"sqlite:///{tmp_path / 'audits.db'}")
    monkeypatch.delenv(services.KEEP_UPLOADS_ENV, raising=False)
    services.audits().store.clear()
    _german_run(sections=("performance",))
    assert not any(tmp_path.rglob("*")) or {p.name for p in tmp_path.iterdir()} <= {
        "audits.db",
        "audits.db-wal",
        "audits.db-shm",
    }
    kept = tmp_path / "uploads"
    monkeypatch.setenv(services.KEEP_UPLOADS_ENV, str(kept))
    services.audits().store.clear()
    at = _german_run(sections=("performance", "data_quality"))
    sha = at.session_state[state.RESULT].provenance.data["sha256"]
    assert (kept / sha).is_file()  # content-addressed: no uploaded name reaches the file system


def test_model_card_edits_are_saved_as_typed_and_survive_page_changes_and_reloads():
    at = _german_run()
    audit_id = at.session_state[state.AUDIT_KEY]
    open_page(at, "model_card")
    at.text_area(key=state.CARD_FIELD_PREFIX + "intended_uses").set_value("Teaching\nNot for lending").run()
    no_exception(at)
    assert services.card_draft(audit_id)["intended_uses"] == ["Teaching", "Not for lending"]
    open_page(at, "fairness")
    open_page(at, "model_card")
    assert at.text_area(key=state.CARD_FIELD_PREFIX + "intended_uses").value == "Teaching\nNot for lending"
    again = _reload(audit_id, page="model_card")
    no_exception(again)
    assert again.text_area(key=state.CARD_FIELD_PREFIX + "intended_uses").value == "Teaching\nNot for lending"
    md = services.render_card(
        again.session_state[state.RESULT], "md", key=audit_id, card=services.card_draft(audit_id)
    )
    assert "Not for lending" in md.value.decode()


def test_the_prebuilt_demo_opens_at_once_without_auditing(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "DEMO_SAMPLE", "german_credit")
    monkeypatch.setenv(services.DEMO_CACHE_ENV, str(tmp_path))
    inputs = services.sample_audit_inputs("german_credit")
    from dataclasses import replace

    quick = replace(inputs, config=inputs.config.replace(sections=("performance", "fairness")))
    result = services.run_audit_inputs(quick)
    result.save_json(services.demo_cache_path(inputs))
    services.audits().store.clear()

    def forbidden(*args, **kwargs):
        raise AssertionError("the demo was audited again")

    monkeypatch.setattr(services, "run_sections", forbidden)
    monkeypatch.setenv(services.DEMO_ENV_VAR, "1")
    at = new_app(timeout=60)
    at.run()
    no_exception(at)
    assert at.title[0].value == "Audit overview"
    assert state.JOB not in at.session_state
    assert at.session_state[state.RESULT].provenance.started_at == result.provenance.started_at


def test_without_a_prebuilt_result_the_demo_runs_as_a_job_and_the_pages_stay_usable(tmp_path, monkeypatch):
    monkeypatch.setattr(services, "DEMO_SAMPLE", "german_credit")
    monkeypatch.setenv(services.DEMO_CACHE_ENV, str(tmp_path))  # empty: nothing prebuilt
    monkeypatch.setenv(services.DEMO_ENV_VAR, "1")
    services.audits().store.clear()
    at = new_app(timeout=60)
    at.run()
    no_exception(at)
    job = at.session_state[state.JOB]
    assert any("The audit is running" in i.value for i in at.info)  # the Overview, waiting for it
    open_page(at, "setup")  # navigation works while the demo runs
    if not at.title:  # the job finished during that run and the app re-ran to show it: draw the page again
        at.run()
    assert at.title[0].value == "Set up an audit"
    assert jobs.board().wait(job, 300).status == jobs.DONE
    at.run()
    no_exception(at)
    assert at.session_state[state.INPUTS]["sample"] == services.SAMPLES["german_credit"].title
