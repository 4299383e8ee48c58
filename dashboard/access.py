"""Who may use the dashboard: a password or token gate, or an OIDC login, required on an exposed server.

``make demo`` binds to 127.0.0.1, so only this machine can connect. An operator who exposes the server (e.g.
``--server.address 0.0.0.0``) must configure a gate, one of:

- the environment variable ``RAI_AUDIT_PASSWORD`` (or ``RAI_AUDIT_TOKEN``);
- ``password = "..."`` in ``.streamlit/secrets.toml``;
- an ``[auth]`` section in ``.streamlit/secrets.toml`` for ``st.login`` with an OIDC provider.

Without one, a server listening on anything but a loopback address shows only how to configure it. The gate runs
in ``app.py`` before any page, so every page (and every URL) asks first.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
import threading
import time
from typing import Any

import streamlit as st

from dashboard import state
from dashboard.text import md_escape

PASSWORD_ENV_VARS = ("RAI_AUDIT_PASSWORD", "RAI_AUDIT_TOKEN")
SECRET_KEY = "password"
AUTH_SECTION = "auth"
FAILED_ATTEMPT_DELAY_S = 1.0  # each wrong password costs the guesser this long (server-wide, one at a time)
_attempt_lock = threading.Lock()

EXPOSED_WITHOUT_GATE = (
    "This dashboard server listens on **{address}**, which other machines can reach, and no access gate is "
    "configured, so it shows nothing. Either run it on this machine only (`make demo`, or "
    "`--server.address 127.0.0.1`), or set a password before starting it: the environment variable "
    '`RAI_AUDIT_PASSWORD` (or `RAI_AUDIT_TOKEN`), `password = "..."` in `.streamlit/secrets.toml`, or an '
    "`[auth]` section there for a login with an OIDC provider (`st.login`)."
)
WRONG_PASSWORD = "That password is not correct."


def _secrets() -> dict[str, Any]:
    """``st.secrets`` as a dict; empty when no secrets file exists."""
    try:
        return {k: st.secrets[k] for k in st.secrets}
    except (FileNotFoundError, KeyError):  # StreamlitSecretNotFoundError is a FileNotFoundError
        return {}


def configured_password() -> str | None:
    """The password or token the gate asks for, if one is configured (environment first, then secrets)."""
    for var in PASSWORD_ENV_VARS:
        value = os.environ.get(var, "")
        if value.strip():
            return value
    value = _secrets().get(SECRET_KEY)
    return str(value) if value else None


def oidc_configured() -> bool:
    """True when ``.streamlit/secrets.toml`` has an ``[auth]`` section for ``st.login``."""
    section = _secrets().get(AUTH_SECTION)
    return bool(section)


def server_address() -> str | None:
    """The address the server listens on (``server.address``); None means every interface."""
    value = st.get_option("server.address")
    if value is None:
        return None
    return str(value).strip() or None


def is_loopback(address: str | None) -> bool:
    """True for ``localhost`` and loopback IPs (127.0.0.0/8, ::1); False for every interface or other IPs."""
    if not address:
        return False  # unset: Streamlit listens on all interfaces
    if address.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(address.strip("[]")).is_loopback
    except ValueError:  # a host name other than localhost may resolve to anything
        return False


def password_matches(given: str, expected: str) -> bool:
    """Constant-time comparison, so the time taken says nothing about how much of a guess was right."""
    return hmac.compare_digest(given.encode("utf-8"), expected.encode("utf-8"))


def _on_submit(expected: str) -> None:
    given = str(st.session_state.get(state.GATE_INPUT) or "")
    st.session_state[state.GATE_INPUT] = ""  # the typed secret does not stay in the session
    if password_matches(given, expected):
        st.session_state[state.AUTHENTICATED] = True
        st.session_state.pop(state.GATE_ERROR, None)
        return
    # Serialise and slow down failed attempts so that guessing costs time for everybody trying at once.
    with _attempt_lock:
        time.sleep(FAILED_ATTEMPT_DELAY_S)
    st.session_state[state.GATE_ERROR] = WRONG_PASSWORD


def _password_form(expected: str) -> None:
    st.title("RAI Audit")
    st.caption("This dashboard is protected. Enter the password or access token the operator gave you.")
    with st.form("gate.form", clear_on_submit=False):
        st.text_input("Password or token", type="password", key=state.GATE_INPUT)
        st.form_submit_button("Enter", type="primary", on_click=_on_submit, args=(expected,))
    if st.session_state.get(state.GATE_ERROR):
        st.error(st.session_state[state.GATE_ERROR])


def require_access() -> None:
    """Let the script go on only for a visitor who may use the dashboard; otherwise draw the gate and stop."""
    expected = configured_password()
    if expected is not None:
        if st.session_state.get(state.AUTHENTICATED):
            return
        _password_form(expected)
        st.stop()
    if oidc_configured():
        if st.user.get("is_logged_in"):  # absent (no login information) counts as logged out
            return
        st.title("RAI Audit")
        st.caption("This dashboard is protected. Log in with your organisation's account.")
        st.button("Log in", type="primary", on_click=st.login, key="gate.login")
        st.stop()
    address = server_address()
    if not is_loopback(address):
        st.title("RAI Audit")
        st.error(EXPOSED_WITHOUT_GATE.format(address=md_escape(address or "every network interface")))
        st.stop()
