"""The service layer: upload checks, config parsing, cache keys by content, the result store, reading curves."""

from __future__ import annotations

import pytest

from audits import AuditConfig
from audits.errors import AuditInputError
from audits.inputs import PICKLE_ENV_VAR
from dashboard import services
from tests.dashboard.conftest import GERMAN


def test_read_upload_accepts_a_dataset_and_hashes_its_content():
    up = services.read_upload(("d.csv", b"a,b\n1,2\n"), kind="data")
    same = services.read_upload(("other.csv", b"a,b\n1,2\n"), kind="data")
    assert up.sha256 == same.sha256 and up.size == 8


@pytest.mark.parametrize(
    ("name", "data", "kind", "message"),
    [
        ("d.csv", b"", "data", "the file is empty"),
        ("d.xlsx", b"x", "data", "a dataset must be one of"),
        ("m.skops.zip", b"x", "model", "a model must be one of"),
        ("c.json", b"{}", "config", "a config must be one of"),
        ("m.pkl", b"x", "model", "pickle/joblib files run code when they are loaded"),
    ],
)
def test_read_upload_refuses_bad_files_with_a_message(name, data, kind, message, monkeypatch):
    monkeypatch.delenv(PICKLE_ENV_VAR, raising=False)
    with pytest.raises(AuditInputError, match=message):
        services.read_upload((name, data), kind=kind)


def test_read_upload_enforces_the_size_limit(monkeypatch):
    monkeypatch.setenv("RAI_AUDIT_MAX_DATA_BYTES", "10")
    with pytest.raises(AuditInputError, match="RAI_AUDIT_MAX_DATA_BYTES"):
        services.read_upload(("d.csv", b"a,b\n1,2\n3,4\n"), kind="data")


def test_the_dashboard_admits_a_250_mb_upload_by_default(monkeypatch):
    # 1,000,000 CSV rows are about 110 MB; the default leaves room and refuses the old 1 GB.
    monkeypatch.delenv("RAI_AUDIT_MAX_DATA_BYTES", raising=False)
    services.check_upload_size("big.csv", 200 * 1024 * 1024, kind="data")
    with pytest.raises(AuditInputError, match="max_data_bytes"):
        services.check_upload_size("huge.csv", 251 * 1024 * 1024, kind="data")


def test_the_upload_size_is_checked_before_the_bytes_are_read(monkeypatch):
    class Huge:  # what st.file_uploader hands over: a name, a size and the bytes on demand
        name = "huge.csv"
        size = 300 * 1024 * 1024

        def getvalue(self):
            raise AssertionError("the bytes were read before the size was checked")

    with pytest.raises(AuditInputError, match="huge.csv"):
        services.read_upload(Huge(), kind="data")


def test_pickle_is_accepted_only_when_the_operator_enabled_it(monkeypatch):
    monkeypatch.setenv(PICKLE_ENV_VAR, "1")
    assert services.read_upload(("m.pkl", b"x"), kind="model").name == "m.pkl"
    assert "pkl" in services.allowed_suffixes("model")
    monkeypatch.setenv(PICKLE_ENV_VAR, "0")
    assert "pkl" not in services.allowed_suffixes("model")
    assert "pkl" in services.uploader_types("model")  # let through the widget so the refusal is explained


def test_an_uploaded_config_may_not_name_server_files():
    text = (GERMAN / "audit.yaml").read_text().replace("german_credit_train.csv", "/etc/passwd")
    cfg, error, _ = services.parse_config(services.Upload.from_bytes(text.encode(), name="audit.yaml"))
    assert cfg is None
    assert "training_data" in error and "upload" in error


def test_a_config_with_an_unknown_key_names_it():
    up = services.Upload.from_bytes(b"target: y\nprotected: [sex]\ntargte: x\n", name="c.yaml")
    cfg, error, _ = services.parse_config(up)
    assert cfg is None and "targte" in error


def test_parse_bins():
    assert services.parse_bins("25, 60", column="age") == (25.0, 60.0)
    assert services.parse_bins("  ", column="age") is None
    with pytest.raises(AuditInputError, match="Bin edges for 'age'"):
        services.parse_bins("25, old", column="age")
    assert services.format_bins((25.0, 60.5)) == "25, 60.5"


def _german():
    up = {
        k: services.Upload.from_bytes((GERMAN / f).read_bytes(), name=f)
        for k, f in [("data", "german_credit_test.csv"), ("model", "german_logreg.skops")]
    }
    cfg = AuditConfig.from_yaml(GERMAN / "audit.yaml")
    return up["data"], up["model"], cfg


def test_content_key_depends_on_content_and_config_not_on_objects():
    data, model, cfg = _german()
    again = services.Upload.from_bytes(bytes(data.data), name=data.name)
    assert services.content_key(data, model, None, cfg) == services.content_key(again, model, None, cfg)
    assert services.content_key(data, model, None, cfg) != services.content_key(
        data, model, None, cfg.replace(seed=1)
    )
    assert services.content_key(data, model, None, cfg) != services.content_key(data, None, None, cfg)


def test_a_second_run_with_the_same_inputs_returns_the_stored_result():
    data, model, cfg = _german()
    cfg = cfg.replace(sections=("performance",))
    calls = []
    key, first = services.run(data, model, None, cfg, progress=lambda *a: calls.append(a))
    n_calls = len(calls)
    key2, second = services.run(
        services.Upload.from_bytes(bytes(data.data), name=data.name),
        model,
        None,
        cfg,
        progress=lambda *a: calls.append(a),
    )
    assert key == key2 and second is first
    assert len(calls) == n_calls  # nothing ran the second time


def test_a_cancelled_run_keeps_no_result():
    data, model, cfg = _german()
    cfg = cfg.replace(sections=("performance",), seed=7)

    def cancel(section, fraction, message):
        if section == "performance":
            raise services.CancelledError("cancelled by the user")

    with pytest.raises(services.CancelledError):
        services.run(data, model, None, cfg, progress=cancel)
    assert services.find_audit(data, model, None, cfg) is None


def test_validation_reports_the_task_and_groups():
    data, model, cfg = _german()
    v = services.validate(data, model, None, cfg)
    assert v.ok, v.message
    assert v.facts["task"] == "binary" and v.facts["positive_label"] == "good"
    assert set(v.facts["groups"]) == {"sex", "age"}
    bad = services.validate(data, model, None, cfg.replace(target="purpose"))
    assert not bad.ok and "target column 'purpose'" in bad.message


def test_threshold_snapshot_picks_the_nearest_stored_threshold(synthetic_result):
    curves = synthetic_result.section("fairness").metrics["threshold_curves"]["sex"]
    used, rows = services.threshold_snapshot(curves, 0.304)
    assert used == pytest.approx(0.30)
    assert [r["group"] for r in rows] == ["Male", "Female"]
    assert rows[0]["selection_rate"] == pytest.approx(0.7)
    assert services.threshold_snapshot(curves, 0.99)[1][0]["fpr"] is None  # undefined stays undefined


def test_inputs_already_audited_validate_from_the_stored_result():
    data, model, cfg = _german()
    cfg = cfg.replace(sections=("performance", "fairness"), seed=3)
    services.run(data, model, None, cfg)
    v = services.validate(data, model, None, cfg)
    assert v.ok
    assert v.facts["task"] == "binary" and set(v.facts["groups"]) == {"sex", "age"}
    assert sum(v.facts["groups"]["sex"].values()) == 300


def test_front_matter_is_split_and_headings_demoted_for_the_preview():
    front, body = services.split_front_matter("---\nlicense: mit\n---\n# Card\n\n```\n# not a heading\n```\n")
    assert front == "license: mit"
    assert services.demote_headings(body, levels=2).splitlines()[0] == "### Card"
    assert "# not a heading" in services.demote_headings(body, levels=2).splitlines()
    assert services.split_front_matter("# Card") == ("", "# Card")


def test_bundled_sample_card_fields_prefill_the_model_card():
    from dashboard import services

    adult = services.sample_card({"sample": services.SAMPLES["adult_gbm"].title})
    assert adult["license"] == "Apache-2.0"
    assert any("real person" in u for u in adult["out_of_scope_uses"])
    assert services.sample_card({"sample": services.SAMPLES["german_credit"].title}) == {}
    assert services.sample_card(None) == {}
