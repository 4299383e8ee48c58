"""The access gate: a password/token gate on every page when configured, and no dashboard at all on an exposed
server without one (issue 11, item 3)."""

from __future__ import annotations

import hmac

import pytest
from streamlit import config as st_config

from dashboard import access, state
from tests.dashboard.conftest import new_app, no_exception, open_page

SECRET = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _no_gate_from_the_environment(monkeypatch):
    for var in access.PASSWORD_ENV_VARS:
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setattr(access, "FAILED_ATTEMPT_DELAY_S", 0.0)


@pytest.fixture
def exposed():
    """The server configured to listen on every interface (as with --server.address 0.0.0.0)."""
    st_config.set_option("server.address", "0.0.0.0", where_defined="test_security_gate")
    yield
    st_config.set_option("server.address", "127.0.0.1", where_defined="tests/dashboard/conftest.py")


def _has_password_field(at) -> bool:
    return any(t.key == state.GATE_INPUT for t in at.text_input)


def _gated(at) -> bool:
    return _has_password_field(at) and not any(t.value == "Set up an audit" for t in at.title)


def _enter(at, password: str):
    at.text_input(key=state.GATE_INPUT).set_value(password)
    at.button[0].click().run()
    return at


def test_with_a_password_set_the_app_asks_for_it_before_any_page(monkeypatch):
    monkeypatch.setenv("RAI_AUDIT_PASSWORD", SECRET)
    at = new_app()
    at.run()
    no_exception(at)
    assert _gated(at)
    assert not at.selectbox  # nothing of the Setup form is drawn
    assert state.SETUP_DATA not in at.session_state


def test_a_wrong_password_is_refused_and_the_right_one_opens_the_app(monkeypatch):
    monkeypatch.setenv("RAI_AUDIT_PASSWORD", SECRET)
    at = new_app()
    at.run()
    _enter(at, "guess")
    no_exception(at)
    assert any(access.WRONG_PASSWORD in e.value for e in at.error)
    assert _gated(at)
    _enter(at, SECRET)
    no_exception(at)
    assert at.title[0].value == "Set up an audit"
    assert at.session_state[state.GATE_INPUT] == ""  # the typed secret is not kept in the session


def test_a_token_variable_gates_the_app_too(monkeypatch):
    monkeypatch.setenv("RAI_AUDIT_TOKEN", "tok-123")
    at = new_app()
    at.run()
    assert _gated(at)
    _enter(at, "tok-123")
    assert at.title[0].value == "Set up an audit"


def test_a_password_in_streamlit_secrets_gates_the_app():
    at = new_app()
    at.secrets["password"] = SECRET
    at.run()
    no_exception(at)
    assert _gated(at)
    _enter(at, SECRET)
    assert at.title[0].value == "Set up an audit"


def test_every_page_url_is_gated(monkeypatch, synthetic_result):
    monkeypatch.setenv("RAI_AUDIT_PASSWORD", SECRET)
    at = new_app(result=synthetic_result)
    at.run()
    for page in ["overview", "fairness", "model_card"]:
        open_page(at, page)
        no_exception(at)
        assert _gated(at), page
        assert not any(t.value == "Audit overview" for t in at.title)


def test_an_exposed_server_without_a_gate_shows_only_how_to_set_one(exposed):
    at = new_app()
    at.run()
    no_exception(at)
    assert any("RAI_AUDIT_PASSWORD" in e.value and "127.0.0.1" in e.value for e in at.error)
    assert not any(t.value == "Set up an audit" for t in at.title)
    assert not _has_password_field(at)
    assert not at.selectbox and not at.radio


def test_an_exposed_server_with_a_password_asks_for_it(exposed, monkeypatch):
    monkeypatch.setenv("RAI_AUDIT_PASSWORD", SECRET)
    at = new_app()
    at.run()
    assert _gated(at)
    _enter(at, SECRET)
    assert at.title[0].value == "Set up an audit"


def test_on_loopback_without_a_gate_the_app_opens():
    at = new_app()
    at.run()
    no_exception(at)
    assert at.title[0].value == "Set up an audit"


@pytest.mark.parametrize(
    ("address", "loopback"),
    [
        ("127.0.0.1", True),
        ("127.0.1.1", True),
        ("::1", True),
        ("[::1]", True),
        ("localhost", True),
        (None, False),  # unset: Streamlit listens on every interface
        ("", False),
        ("0.0.0.0", False),
        ("::", False),
        ("192.168.1.20", False),
        ("dashboard.example.org", False),
    ],
)
def test_which_addresses_count_as_loopback(address, loopback):
    assert access.is_loopback(address) is loopback


def test_passwords_are_compared_in_constant_time(monkeypatch):
    calls = []

    def spy(a, b):
        calls.append((a, b))
        return a == b

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert access.password_matches(SECRET, SECRET)
    assert not access.password_matches("x", SECRET)
    assert len(calls) == 2


def test_an_oidc_login_configured_in_secrets_is_asked_for_first(exposed):
    at = new_app()
    at.secrets["auth"] = {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "not-a-real-secret",
        "client_id": "rai-audit",
        "client_secret": "not-a-real-secret",
        "server_metadata_url": "https://login.example.org/.well-known/openid-configuration",
    }
    at.run()
    no_exception(at)
    assert [b.label for b in at.button] == ["Log in"]
    assert not any(t.value == "Set up an audit" for t in at.title)
    assert not any("RAI_AUDIT_PASSWORD" in e.value for e in at.error)  # a gate is configured: no refusal
