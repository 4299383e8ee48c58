"""Setup page: bundled samples, uploads through st.file_uploader, validation as the user types, running."""

from __future__ import annotations

from audits import AuditConfig
from audits.errors import PICKLE_NOT_TRUSTED
from dashboard import jobs, state
from tests.dashboard.conftest import GERMAN, new_app, no_exception


def _german_sample():
    at = new_app(timeout=120)
    at.run()
    at.selectbox(key=state.W_SAMPLE).set_value("german_credit").run()
    return at


def _run_button(at):
    return at.button(key="setup.btn.run")


def run_and_wait(at, timeout: float = 300):
    """Click Run, let the server's job finish, and draw the page again (what the progress panel's poll does)."""
    _run_button(at).click().run()
    job = at.session_state[state.JOB] if state.JOB in at.session_state else None  # noqa: SIM401 — no .get here
    if job is not None:
        assert jobs.board().wait(job, timeout).finished
        at.run()
    return at


def test_a_bundled_sample_fills_the_form_from_its_config():
    at = _german_sample()
    no_exception(at)
    assert at.selectbox(key=state.W_TARGET).value == "credit_risk"
    assert at.selectbox(key=state.W_POSITIVE).value == "good"
    assert at.selectbox(key=state.W_REFERENCE_PREFIX + "age").value == "over 25"
    assert at.multiselect(key=state.W_PROTECTED).value == ["sex", "age"]
    assert at.text_input(key=state.W_BINS_PREFIX + "age").value == "25"
    assert any(s.value.startswith("Ready: **binary** audit") for s in at.success)
    assert not _run_button(at).disabled


def test_the_check_draws_the_rows_per_group_of_each_protected_attribute():
    import json

    import pandas as pd

    at = _german_sample()
    no_exception(at)
    charts = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    sizes = next(c for c in charts if "Rows per protected group" in c["layout"]["title"]["text"])
    assert "(all rows)" in sizes["layout"]["title"]["text"]
    german = pd.read_csv(GERMAN / "german_credit_test.csv")
    by_sex = german["sex"].value_counts()
    sex = next(t for t in sizes["data"] if set(t["y"]) == set(map(str, by_sex.index)))
    assert sex["text"] == [f"{n:,}" for n in by_sex.to_numpy()]  # largest first, counts of every row
    assert abs(sum(sex["x"]) - 1.0) < 1e-12
    assert len(sizes["data"]) == 2  # sex and age (binned at 25)


def test_the_form_says_at_once_that_the_target_has_too_many_classes():
    at = _german_sample()
    at.selectbox(key=state.W_TARGET).set_value("job").run()
    no_exception(at)
    assert any("has 4 distinct values; a binary audit needs 2" in e.value for e in at.error)
    assert _run_button(at).disabled


def test_bad_bin_edges_give_a_message():
    at = _german_sample()
    at.text_input(key=state.W_BINS_PREFIX + "age").set_value("25, old").run()
    no_exception(at)
    assert any("must be numbers separated by commas" in e.value for e in at.error)
    assert _run_button(at).disabled


def test_no_protected_attribute_asks_for_one():
    at = _german_sample()
    at.multiselect(key=state.W_PROTECTED).set_value([]).run()
    no_exception(at)
    assert any("Choose at least one protected attribute" in w.value for w in at.warning)
    assert _run_button(at).disabled


def test_running_stores_the_result_and_links_to_the_pages():
    at = _german_sample()
    at.multiselect(key=state.W_SECTIONS).set_value(["performance", "fairness"]).run()
    run_and_wait(at)
    no_exception(at)
    result = at.session_state[state.RESULT]
    assert result.section("fairness").status.value in ("pass", "fail", "inconclusive", "warn")
    assert result.section("emissions").status.value == "skipped"
    assert any("The audit is ready" in s.value for s in at.success)
    assert [link.label for link in at.get("page_link")][:2] == ["Overview", "Data quality"]


def _upload_mode():
    at = new_app(timeout=120)
    at.run()
    at.radio(key=state.W_SOURCE).set_value("upload").run()
    return at


def test_uploading_data_model_and_config_validates_the_form():
    at = _upload_mode()
    assert any("Upload a dataset" in i.value for i in at.info)
    at.file_uploader(key="setup.up.data").upload(
        "credit.csv", (GERMAN / "german_credit_test.csv").read_bytes(), "text/csv"
    )
    at.run()
    at.file_uploader(key="setup.up.model").upload("m.skops", (GERMAN / "german_logreg.skops").read_bytes())
    at.run()
    # the sample's config names its training split, a server file an upload may not name: the form says so
    at.file_uploader(key="setup.up.config").upload(
        "audit.yaml", (GERMAN / "audit.yaml").read_bytes(), "application/x-yaml"
    )
    at.run()
    no_exception(at)
    assert any("name files on the server" in e.value for e in at.error)
    # the config the dashboard offers for download leaves file keys out, so it uploads cleanly
    shareable = AuditConfig.from_yaml(GERMAN / "audit.yaml").to_yaml(file_keys=False).encode()
    at.file_uploader(key="setup.up.config").set_value(("audit.yaml", shareable, "application/x-yaml"))
    at.run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    assert at.multiselect(key=state.W_PROTECTED).value == ["sex", "age"]  # the config filled the form
    assert at.session_state[state.SETUP_DATA].name == "credit.csv"
    assert any("300 rows × 22 columns" in c.value for c in at.caption)
    assert any(s.value.startswith("Ready:") for s in at.success), [e.value for e in at.error]


def test_a_pickle_model_is_refused_with_the_reason():
    at = _upload_mode()
    at.file_uploader(key="setup.up.model").upload("model.pkl", b"\x80\x04junk")
    at.run()
    no_exception(at)
    assert any(PICKLE_NOT_TRUSTED.split("{file}: ")[1][:40] in e.value for e in at.error)
    assert state.SETUP_MODEL not in at.session_state


def test_an_unreadable_dataset_gives_a_message_not_a_traceback():
    at = _upload_mode()
    at.file_uploader(key="setup.up.data").upload("broken.parquet", b"PAR1 this is not parquet")
    at.run()
    no_exception(at)
    assert any("could not be read as Parquet" in e.value for e in at.error)


def test_an_empty_dataset_gives_a_message():
    at = _upload_mode()
    at.file_uploader(key="setup.up.data").upload("empty.csv", b"", "text/csv")
    at.run()
    no_exception(at)
    assert any("the file is empty" in e.value for e in at.error)


def test_a_broken_config_gives_a_message():
    at = _upload_mode()
    at.file_uploader(key="setup.up.data").upload(
        "credit.csv", (GERMAN / "german_credit_test.csv").read_bytes()
    )
    at.run()
    at.file_uploader(key="setup.up.config").upload("audit.yaml", b"target: [unclosed")
    at.run()
    no_exception(at)
    assert any("not valid YAML" in e.value for e in at.error)


def test_after_a_run_switching_pages_recomputes_nothing(monkeypatch):
    from dashboard import services
    from tests.dashboard.conftest import open_page

    at = _german_sample()
    at.multiselect(key=state.W_SECTIONS).set_value(["performance", "fairness", "explanation"]).run()
    run_and_wait(at)
    result = at.session_state[state.RESULT]

    def forbidden(*args, **kwargs):
        raise AssertionError("recomputed after the audit")

    monkeypatch.setattr(services, "run_sections", forbidden)
    monkeypatch.setattr(services, "build_context", forbidden)
    for page in ["overview", "data_quality", "fairness", "explanations", "emissions", "model_card", "setup"]:
        open_page(at, page)
        no_exception(at)
    assert at.session_state[state.RESULT] is result
    assert any(s.value.startswith("Ready:") for s in at.success)  # Setup validated from the stored result


def test_policy_tolerances_from_the_form_reach_the_audit():
    at = _german_sample()
    assert at.number_input(key=state.W_RATIO_TOL).value == 0.8
    at.number_input(key=state.W_RATIO_TOL).set_value(0.9).run()
    at.number_input(key=state.W_DIFF_TOL).set_value(0.05).run()
    at.multiselect(key=state.W_SECTIONS).set_value(["performance", "fairness"]).run()
    run_and_wait(at)
    no_exception(at)
    policy = at.session_state[state.RESULT].provenance.config["policy"]
    assert (policy["ratio_tolerance"], policy["difference_tolerance"]) == (0.9, 0.05)


def test_a_dashboard_audit_predicts_once(monkeypatch):
    # The live check, the audit and the row explanations share one validated context (one prediction pass).
    import streamlit as st

    from audits.inputs import ModelAdapter
    from dashboard import services
    from tests.dashboard.conftest import open_page

    st.cache_resource.clear()
    services._CONTEXTS.clear()  # the contexts cache is the server's own (the job worker shares it)
    calls = []
    original = ModelAdapter.predict_both

    def counting(self, X):
        calls.append(len(X))
        return original(self, X)

    monkeypatch.setattr(ModelAdapter, "predict_both", counting)
    at = _german_sample()
    at.multiselect(key=state.W_SECTIONS).set_value(["performance", "fairness", "explanation"]).run()
    assert calls[-1] == 300  # the live check of the form as it stands
    calls.clear()
    run_and_wait(at)
    no_exception(at)
    open_page(at, "explanations")
    no_exception(at)
    # the audit and the explanations reuse the checked context: no pass over the audited rows (the what-if
    # editor of the Explanations page predicts its one row)
    assert [n for n in calls if n > 1] == []
