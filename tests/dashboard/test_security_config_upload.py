"""An uploaded config can never make the server open one of its files, whatever the YAML shape, and the config
the dashboard offers for download can be uploaded again (issue 11, item 3)."""

from __future__ import annotations

import builtins
import io
import pathlib

import pytest

from audits import AuditConfig
from dashboard import services, state
from tests.dashboard.conftest import GERMAN, german_upload_app, new_app, no_exception

BASE = "target: credit_risk\nprotected: [sex]\n"
SHAPES = {
    "mapping": "emissions:\n  training_data: {path}\n",
    "list of pairs": "emissions:\n  - [training_data, {path}]\n",
    "list of one-key mappings": "emissions:\n  - training_data: {path}\n",
    "omap": "emissions: !!omap\n  - training_data: {path}\n",
    "pairs": "emissions: !!pairs\n  - imported_csv: {path}\n",
    "flow mapping": "emissions: {{imported_csv: {path}}}\n",
    "nested elsewhere": "policy:\n  checks:\n    X:\n      training_data: {path}\n",
}


@pytest.fixture
def server_file(tmp_path):
    """A file on the server an attacker would like read; the test fails if anything opens it."""
    secret = tmp_path / "secret.csv"
    secret.write_text("credit_risk,sex\ngood,male\n")
    return secret


@pytest.fixture
def no_server_reads(monkeypatch, server_file):
    opened: list[str] = []
    real_open, real_read_bytes = builtins.open, pathlib.Path.read_bytes

    def spy_open(file, *args, **kwargs):
        if str(server_file) in str(file):
            opened.append(str(file))
        return real_open(file, *args, **kwargs)

    def spy_read_bytes(self):
        if str(server_file) in str(self):
            opened.append(str(self))
        return real_read_bytes(self)

    monkeypatch.setattr(builtins, "open", spy_open)
    monkeypatch.setattr(io, "open", spy_open)  # the same function as builtins.open; pandas calls this one
    monkeypatch.setattr(pathlib.Path, "read_bytes", spy_read_bytes)
    return opened


@pytest.mark.parametrize("shape", list(SHAPES))
def test_file_keys_in_any_yaml_shape_are_refused(shape, server_file, no_server_reads):
    raw = (BASE + SHAPES[shape].format(path=server_file)).encode()
    config, error, _ = services.parse_config(services.Upload.from_bytes(raw, name="evil.yaml"))
    assert config is None
    assert error.startswith("evil.yaml") and str(server_file) not in error
    assert no_server_reads == []


def test_an_existing_and_a_missing_path_give_the_same_answer(server_file):
    answers = []
    for path in (server_file, server_file.with_name("missing.csv")):
        raw = (BASE + SHAPES["list of pairs"].format(path=path)).encode()
        answers.append(services.parse_config(services.Upload.from_bytes(raw, name="c.yaml"))[1])
    assert answers[0] == answers[1]  # a path cannot be probed


def test_an_uploaded_config_may_not_trust_extra_model_types():
    raw = (BASE + "trusted_types: [builtins.eval]\n").encode()
    config, error, _ = services.parse_config(services.Upload.from_bytes(raw, name="c.yaml"))
    assert config is None and "trusted_types" in error


@pytest.mark.parametrize("shape", ["mapping", "list of pairs", "omap"])
def test_the_setup_page_refuses_an_uploaded_config_naming_a_server_file(shape, server_file, no_server_reads):
    at = german_upload_app()
    raw = (BASE + SHAPES[shape].format(path=server_file)).encode()
    at.file_uploader(key="setup.up.config").upload("evil.yaml", raw, "application/x-yaml")
    at.run()
    no_exception(at)
    assert any("evil.yaml" in e.value for e in at.error), [e.value for e in at.error]
    assert not any(str(server_file) in e.value for e in at.error)
    # the refused config filled nothing in: the form still follows the dataset alone
    assert str(at.session_state[state.SETUP_APPLIED_CONFIG]).startswith("data:")
    assert no_server_reads == []


def test_the_offered_config_leaves_file_keys_out_and_uploads_again():
    sample = AuditConfig.from_yaml(GERMAN / "audit.yaml")
    assert sample.emissions.training_data  # the bundled sample names its training split
    text = sample.to_yaml(file_keys=False)
    assert "training_data" not in text and "imported_csv" not in text
    config, error, _ = services.parse_config(services.Upload.from_bytes(text.encode(), name="audit.yaml"))
    assert error is None and config.target == sample.target


def test_the_setup_page_offers_the_config_without_file_keys(monkeypatch):
    offered: list[bytes | str] = []
    import streamlit as st

    real = st.download_button

    def spy(label, data=None, *args, **kwargs):
        if kwargs.get("key") == "setup.btn.config":
            offered.append(data)
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    at = new_app(timeout=120)
    at.run()
    at.selectbox(key=state.W_SAMPLE).set_value("german_credit").run()
    no_exception(at)
    assert offered and all("training_data" not in str(d) for d in offered)
    config, error, _ = services.parse_config(
        services.Upload.from_bytes(str(offered[-1]).encode(), name="a.yaml")
    )
    assert error is None and config.protected_columns == ["sex", "age"]
