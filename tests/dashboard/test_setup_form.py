"""The Setup form's explicit state (issue 15, problems 1-3): choices belong to one dataset, each upload has its own
slot that can be removed, pickers for prediction, score and weight columns, favourable outcome, decision type,
reference groups, training data and a trainer's codecarbon file, templates, and no server paths."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from dashboard import services, state
from tests.dashboard.conftest import GERMAN, ROOT, german_upload_app, new_app, no_exception, open_page
from tests.dashboard.test_setup_page import run_and_wait

ADULT = ROOT / "sample_data" / "adult"


def _csv(df: pd.DataFrame) -> bytes:
    buf = io.StringIO()
    df.to_csv(buf, index=False)
    return buf.getvalue().encode()


def _predictions(n: int = 400, *, target: str = "y") -> bytes:
    rng = np.random.default_rng(3)
    p = rng.uniform(size=n)
    return _csv(
        pd.DataFrame(
            {
                "sex": rng.choice(["F", "M"], size=n),
                target: np.where(rng.uniform(size=n) < p, "yes", "no"),
                "pred": np.where(p > 0.5, "yes", "no"),
                "proba": p,
                "w": rng.uniform(0.5, 2, size=n),
            }
        )
    )


def _upload(at, kind: str, name: str, data: bytes):
    at.file_uploader(key=f"setup.up.{kind}").upload(name, data)
    return at.run()


def _upload_mode():
    at = new_app(timeout=180)
    at.run()
    at.radio(key=state.W_SOURCE).set_value("upload").run()
    return at


def test_an_upload_after_the_demo_sample_carries_none_of_its_choices():
    at = new_app(timeout=180)
    at.run()  # the Adult sample, as after the demo: protected attributes and age bins from its config
    assert at.multiselect(key=state.W_PROTECTED).value
    assert at.text_input(key=state.W_BINS_PREFIX + "age").value
    at.radio(key=state.W_SOURCE).set_value("upload").run()
    _upload(at, "data", "credit.csv", (GERMAN / "german_credit_test.csv").read_bytes())
    no_exception(at)
    assert at.multiselect(key=state.W_PROTECTED).value == []
    assert state.W_BINS_PREFIX + "age" not in at.session_state
    assert at.selectbox(key=state.W_TARGET).value == "credit_risk"  # named like a label: prefilled
    assert any("Choose at least one protected attribute" in w.value for w in at.warning)


def test_each_dataset_gets_its_own_choices_back_after_a_detour():
    at = _upload_mode()
    _upload(at, "data", "credit.csv", (GERMAN / "german_credit_test.csv").read_bytes())
    at.multiselect(key=state.W_PROTECTED).set_value(["age"]).run()
    at.text_input(key=state.W_BINS_PREFIX + "age").set_value("30, 50").run()
    at.radio(key=state.W_SOURCE).set_value("sample").run()  # the sample shows its own config
    assert at.text_input(key=state.W_BINS_PREFIX + "age").value != "30, 50"
    at.radio(key=state.W_SOURCE).set_value("upload").run()
    no_exception(at)
    assert at.multiselect(key=state.W_PROTECTED).value == ["age"]
    assert at.text_input(key=state.W_BINS_PREFIX + "age").value == "30, 50"


def test_without_a_label_like_column_the_form_asks_for_the_target():
    at = _upload_mode()
    _upload(at, "data", "scores.csv", _predictions(target="truth"))
    no_exception(at)
    assert at.selectbox(key=state.W_TARGET).value is None
    assert any("Choose the target column" in w.value for w in at.warning)
    assert at.button(key="setup.btn.run").disabled


def test_a_predictions_only_audit_needs_no_yaml():
    at = _upload_mode()
    _upload(at, "data", "scores.csv", _predictions())
    # named like a prediction and a score: guessed when no model is uploaded, and never taken as the target
    assert at.selectbox(key=state.W_TARGET).value == "y"
    assert at.selectbox(key=state.W_PREDICTION).value == "pred"
    assert at.selectbox(key=state.W_SCORE).value == "proba"
    at.selectbox(key=state.W_WEIGHT).set_value("w").run()
    at.multiselect(key=state.W_PROTECTED).set_value(["sex"]).run()
    at.selectbox(key=state.W_POSITIVE).set_value("yes").run()
    at.multiselect(key=state.W_SECTIONS).set_value(["performance", "fairness"]).run()
    no_exception(at)
    ready = [s.value for s in at.success if s.value.startswith("Ready")]
    assert ready and "the column **pred** (scores from **proba**)" in ready[0]
    run_and_wait(at)
    config = at.session_state[state.RESULT].provenance.config
    assert (config["prediction_column"], config["score_column"], config["sample_weight_column"]) == (
        "pred",
        "proba",
        "w",
    )


def test_favourable_outcome_decision_and_reference_group_reach_the_audit():
    at = new_app(timeout=180)
    at.run()
    at.selectbox(key=state.W_SAMPLE).set_value("german_credit").run()
    at.selectbox(key=state.W_FAVOURABLE).set_value("good").run()
    at.selectbox(key=state.W_DECISION).set_value("punitive").run()
    at.selectbox(key=state.W_REFERENCE_PREFIX + "sex").set_value("female").run()
    at.multiselect(key=state.W_SECTIONS).set_value(["performance", "fairness"]).run()
    no_exception(at)
    options = at.selectbox(key=state.W_REFERENCE_PREFIX + "age").options
    assert options == ["(automatic)", "25 or under", "over 25"] or set(options) >= {"(automatic)", "over 25"}
    run_and_wait(at)
    no_exception(at)
    config = at.session_state[state.RESULT].provenance.config
    assert config["favourable_label"] == "good" and config["decision"] == "punitive"
    refs = {p["column"]: p.get("reference_group") for p in config["protected"]}
    assert refs["sex"] == "female"


def test_a_kept_model_can_be_removed():
    at = _upload_mode()
    _upload(at, "data", "credit.csv", (GERMAN / "german_credit_test.csv").read_bytes())
    _upload(at, "model", "german_logreg.skops", (GERMAN / "german_logreg.skops").read_bytes())
    at.multiselect(key=state.W_PROTECTED).set_value(["sex"]).run()
    open_page(at, "overview")
    open_page(at, "setup")  # the uploader widget is empty again; the slot keeps the file
    no_exception(at)
    assert any("german_logreg.skops" in c.value and "uploaded earlier" in c.value for c in at.caption)
    at.button(key="setup.rm.model").click().run()
    no_exception(at)
    assert state.SETUP_MODEL not in at.session_state
    assert state.SETUP_DATA in at.session_state  # only its own slot is emptied
    assert any("Upload a model" in e.value for e in at.error)
    assert at.multiselect(key=state.W_PROTECTED).value == ["sex"]  # the form is as the user left it


def test_a_template_presets_a_predictions_only_audit():
    at = _upload_mode()
    _upload(at, "data", "credit.csv", (GERMAN / "german_credit_test.csv").read_bytes())
    _upload(at, "model", "m.skops", (GERMAN / "german_logreg.skops").read_bytes())
    assert at.selectbox(key=state.W_PREDICTION).value == "(none)"
    at.selectbox(key=state.W_TEMPLATE).set_value("punitive").run()
    at.button(key="setup.btn.template").click().run()
    no_exception(at)
    assert at.selectbox(key=state.W_DECISION).value == "punitive"
    assert at.selectbox(key=state.W_TASK).value == "binary"


def test_training_data_and_the_trainers_codecarbon_file_reach_the_emissions_section():
    at = _upload_mode()
    _upload(at, "data", "credit.csv", (GERMAN / "german_credit_test.csv").read_bytes())
    _upload(at, "model", "m.skops", (GERMAN / "german_logreg.skops").read_bytes())
    _upload(at, "training", "german_train.csv", (GERMAN / "german_credit_train.csv").read_bytes())
    _upload(at, "emissions_csv", "emissions.csv", (ADULT / "emissions_reported.csv").read_bytes())
    at.multiselect(key=state.W_PROTECTED).set_value(["sex"]).run()
    at.multiselect(key=state.W_SECTIONS).set_value(["emissions"]).run()
    no_exception(at)
    assert not at.error, [e.value for e in at.error]
    run_and_wait(at)
    no_exception(at)
    result = at.session_state[state.RESULT]
    metrics = result.section("emissions").metrics
    assert "german_train.csv" in str(metrics["training"]["training_source"])
    assert metrics["imported"]["source"] == "emissions.csv"
    config = result.provenance.config["emissions"]
    assert config.get("training_data") is None and config.get("imported_csv") is None  # no server paths


def test_a_codecarbon_file_that_is_not_one_is_refused_with_its_name():
    at = _upload_mode()
    _upload(at, "data", "credit.csv", (GERMAN / "german_credit_test.csv").read_bytes())
    _upload(at, "model", "m.skops", (GERMAN / "german_logreg.skops").read_bytes())
    at.multiselect(key=state.W_PROTECTED).set_value(["sex"]).run()
    _upload(at, "emissions_csv", "notes.csv", b"a,b\n1,2\n")
    no_exception(at)
    assert any("notes.csv" in e.value for e in at.error)
    assert at.button(key="setup.btn.run").disabled


@pytest.mark.parametrize(
    ("columns", "expected"),
    [
        (["age", "sex", "income"], "income"),
        (["x", "Credit_Risk", "pred"], "Credit_Risk"),
        (["a", "Target", "label"], "Target"),
        (["a", "b", "pred"], None),
    ],
)
def test_the_target_is_guessed_only_from_label_like_names(columns, expected):
    assert services.guess_target(columns) == expected


def test_the_validation_key_ignores_what_the_check_does_not_depend_on():
    from audits import AuditConfig

    base = AuditConfig.from_yaml(GERMAN / "audit.yaml")
    tweaked = base.replace(seed=7, explain_sample_size=100).replace(
        policy=base.policy.__class__(**{**base.policy.__dict__, "n_bootstrap": 50, "ratio_tolerance": 0.9})
    )
    assert services.validation_config(base) == services.validation_config(tweaked)
    assert services.validation_config(base) != services.validation_config(base.replace(target="sex"))


def test_a_config_interrupted_before_the_form_was_drawn_is_copied_again(monkeypatch):
    """An upload arriving while the run that copied a config into the form was still drawing it: the browser's
    older widget values came back with the next run (here: no protected attribute). The config counts as applied
    only once a run has drawn the whole form, so the next run copies it again instead of keeping the stale ones."""
    import streamlit as st

    at = german_upload_app()
    real_multiselect = st.multiselect

    def interrupted(
        *args, **kwargs
    ):  # the run stops at the form's first multiselect, as a new upload stops it
        raise RuntimeError("run interrupted")

    monkeypatch.setattr(st, "multiselect", interrupted)
    config = b"target: credit_risk\nprotected: [sex, age]\n"
    at.file_uploader(key="setup.up.config").upload("audit.yaml", config, "application/x-yaml")
    at.run()
    assert at.exception  # the run did stop part way
    monkeypatch.setattr(st, "multiselect", real_multiselect)
    at.session_state[state.W_PROTECTED] = []  # the browser's older value, sent with the next run
    at.run()
    no_exception(at)
    assert at.multiselect(key=state.W_PROTECTED).value == ["sex", "age"]
    assert str(at.session_state[state.SETUP_APPLIED_CONFIG]).startswith("config:")
    # once drawn, the user's own change stands (the config is not copied over it again)
    at.multiselect(key=state.W_PROTECTED).set_value(["sex"]).run()
    assert at.multiselect(key=state.W_PROTECTED).value == ["sex"]


def test_an_upload_whose_run_was_cut_short_is_still_kept_from_its_widget():
    """A run interrupted by the next upload used to skip the uploader's on_change callback, so the dataset never
    reached its slot ("Upload a dataset to continue"). The slot now follows the widget's file on every run."""
    at = german_upload_app()
    assert at.session_state[state.SETUP_DATA].name == "credit.csv"
    # what the cut-short run left: the widget holds the file, its slot was never filled
    del at.session_state[state.SETUP_DATA]
    if "setup.fid.data" in at.session_state:
        del at.session_state["setup.fid.data"]
    at.run()
    no_exception(at)
    assert at.session_state[state.SETUP_DATA].name == "credit.csv"
    assert not any("Upload a dataset" in i.value for i in at.info)
