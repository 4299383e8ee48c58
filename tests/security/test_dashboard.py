"""The dashboard (AppTest): uploads cannot run code or read server files; data cannot become live Markdown."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from dashboard import state
from tests.dashboard.conftest import GERMAN, new_app, no_exception, open_page
from tests.security import payloads as P
from tests.security.conftest import ROOT, write

# Elements whose text Streamlit renders as Markdown (a live image or link there is fetched by the browser).
MARKDOWN_ELEMENTS = (
    "markdown",
    "caption",
    "info",
    "warning",
    "error",
    "success",
    "title",
    "header",
    "subheader",
)


def texts(at, kinds=MARKDOWN_ELEMENTS) -> list[str]:
    out: list[str] = []
    for kind in kinds:
        for el in at.get(kind):
            value = getattr(el, "value", None)
            out.append(str(value if value is not None else getattr(el, "body", "")))
    for kind in (
        "expander",
        "radio",
        "checkbox",
        "selectbox",
        "multiselect",
        "text_input",
        "number_input",
        "metric",
    ):
        for el in at.get(kind):
            out.append(str(getattr(el, "label", "")))
    for el in at.get("radio"):
        out += [str(o) for o in getattr(el, "options", [])]
    return out


def live_image(text: str) -> bool:
    """Whether ``text``, rendered as Markdown, makes the browser fetch an image from the attacker's host."""
    from markdown_it import MarkdownIt

    html = MarkdownIt("commonmark", {"html": False}).enable(["table", "strikethrough"]).render(text)
    return '<img src="http://attacker.example' in html


def all_text(at) -> str:
    everything = texts(at) + texts(at, ("code", "json", "text", "exception"))
    return "\n".join(everything + [str(df.value) for df in at.dataframe])


def _upload_mode(timeout: float = 120):
    at = new_app(timeout=timeout)
    at.run()
    at.radio(key=state.W_SOURCE).set_value("upload").run()
    return at


def _upload(at, kind: str, name: str, raw: bytes):
    at.file_uploader(key=f"setup.up.{kind}").upload(name, raw)
    return at.run()


def _with_data(at):
    """The German credit data uploaded and a protected attribute chosen, so the form validates the model."""
    _upload(at, "data", "credit.csv", (GERMAN / "german_credit_test.csv").read_bytes())
    at.selectbox(key=state.W_TARGET).set_value("credit_risk").run()
    at.multiselect(key=state.W_PROTECTED).set_value(["sex"]).run()
    return at


# --- model uploads --------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["eval", "os.system", "functools.partial"])
def test_an_uploaded_skops_payload_is_refused_and_does_not_run(name: str, targets: P.Targets) -> None:
    at = _with_data(_upload_mode())
    _upload(at, "model", "model.skops", P.payload_skops(name, targets))
    no_exception(at)
    assert any(P.PAYLOADS[name][0] in e.value for e in at.error), [e.value for e in at.error]
    assert not P.marker_written(targets)
    assert not any(s.value.startswith("Ready") for s in at.success)


def test_an_uploaded_onnx_with_external_data_is_refused_without_the_secret(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    P.external_data_file(tmp_path)
    monkeypatch.chdir(tmp_path)
    at = _with_data(_upload_mode())
    _upload(at, "model", "leaky.onnx", P.onnx_external_data("weights.bin"))
    no_exception(at)
    assert any("leaky.onnx" in e.value for e in at.error), [e.value for e in at.error]
    assert P.SECRET not in all_text(at)


# --- config uploads -------------------------------------------------------------------------------------------------
CONFIG_SHAPES = {
    "omap": "target: credit_risk\nprotected: [sex]\nemissions: !!omap\n  - training_data: {path}\n",
    "list-of-pairs": "target: credit_risk\nprotected: [sex]\nemissions:\n  - [imported_csv, {path}]\n",
    "mapping": "target: credit_risk\nprotected: [sex]\nemissions:\n  training_data: {path}\n",
}


def _config_errors(path: Path, shape: str) -> tuple[list[str], str]:
    at = _with_data(_upload_mode())
    _upload(at, "config", "audit.yaml", CONFIG_SHAPES[shape].format(path=path).encode())
    no_exception(at)
    return [e.value.replace(str(path), "<PATH>") for e in at.error], all_text(at)


@pytest.mark.parametrize("shape", sorted(CONFIG_SHAPES))
def test_an_uploaded_config_naming_a_server_file_is_refused_and_cannot_probe(
    shape: str, tmp_path: Path
) -> None:
    existing = write(tmp_path / "srv" / "existing.csv", f"{P.SECRET},b\n1,2\n")
    errors_existing, shown = _config_errors(existing, shape)
    errors_missing, _ = _config_errors(existing.with_name("missing.csv"), shape)
    assert errors_existing, "the config naming a server file was not refused"
    assert any("audit.yaml" in e for e in errors_existing)
    assert P.SECRET not in shown
    assert errors_existing == errors_missing


def test_the_config_offered_for_download_has_no_file_keys_and_uploads_again(monkeypatch) -> None:
    import streamlit as st

    from audits import AuditConfig

    offered: list[str] = []
    real = st.download_button

    def spy(label: str, data=None, *args, **kwargs):
        if str(kwargs.get("file_name", "")).endswith((".yaml", ".yml")):
            value = data() if callable(data) else data
            offered.append(value.decode() if isinstance(value, bytes) else str(value))
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    at = new_app(timeout=120)
    at.run()
    at.selectbox(key=state.W_SAMPLE).set_value("adult_logreg").run()  # its audit.yaml names two server files
    no_exception(at)
    assert offered, "no config offered for download"
    text = offered[-1]
    assert "training_data" not in text and "imported_csv" not in text
    assert AuditConfig.from_upload(text.encode(), "audit.yaml").target == "income"


# --- server settings --------------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def streamlit_config() -> dict:
    return tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text())


def test_the_ui_shows_no_tracebacks(streamlit_config: dict) -> None:
    assert streamlit_config["client"]["showErrorDetails"] in ("none", False)


def test_the_server_listens_on_loopback_only(streamlit_config: dict) -> None:
    assert streamlit_config["server"]["address"] in ("127.0.0.1", "localhost", "::1")


def test_uploads_are_capped_at_250_mb(streamlit_config: dict) -> None:
    assert 110 < streamlit_config["server"]["maxUploadSize"] <= 250


def test_the_grid_csv_export_that_cannot_neutralise_formulas_is_off(streamlit_config: dict) -> None:
    assert streamlit_config["client"]["disableDataExport"] is True


def test_an_exposed_server_without_a_gate_shows_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    from dashboard import access

    monkeypatch.setattr(access, "server_address", lambda: "0.0.0.0")
    for var in access.PASSWORD_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    at = new_app()
    at.run()
    no_exception(at)
    assert not at.get("file_uploader") and not at.get("selectbox")


def test_a_password_gate_holds_back_every_page(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RAI_AUDIT_PASSWORD", "correct horse battery staple")
    at = new_app()
    at.run()
    no_exception(at)
    assert not at.get("selectbox") and not at.get("file_uploader")
    assert at.text_input, "no password field"


# --- Markdown injection -------------------------------------------------------------------------------------------------
@pytest.mark.parametrize("page", ["overview", "fairness", "data_quality", "model_card"])
def test_group_values_and_names_are_not_live_markdown(page: str, injected_result) -> None:
    at = new_app(result=injected_result)
    at.session_state[state.INPUTS] = {
        "data": P.IMG_INJECTION + ".csv",
        "model": P.FENCE_BREAKER,
        "reference": None,
        "sample": None,
    }
    at.run()
    open_page(at, page)
    no_exception(at)
    shown = texts(at)
    live = [t for t in shown if live_image(t)]
    assert not live, live[:3]


def test_an_uploaded_file_name_is_not_live_markdown() -> None:
    at = _upload_mode()
    _upload(at, "data", P.IMG_INJECTION + ".csv", (GERMAN / "german_credit_test.csv").read_bytes())
    no_exception(at)
    assert not [t for t in texts(at) if live_image(t)]
    assert any("attacker.example" in t for t in texts(at)), "the file name is not shown at all"
