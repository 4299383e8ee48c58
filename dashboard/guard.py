"""The one way the dashboard shows a failure: a message, never a traceback.

An :class:`~audits.errors.AuditInputError` is written for the user (it says which file, column or key is wrong
and what to do), so its message is shown, escaped. Anything else is a bug or an environment problem whose text
may hold server paths or data: the user sees a generic sentence with a reference, and the traceback goes to the
server log under the same reference. ``client.showErrorDetails = "none"`` (see ``.streamlit/config.toml`` and
``app.py``) is the backstop for an exception that escapes a page anyway.
"""

from __future__ import annotations

import logging
import secrets
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st

from audits.errors import AuditInputError
from dashboard.text import md_escape

log = logging.getLogger("rai_audit.dashboard")

GENERIC_ERROR = (
    "Something went wrong while {what}. The details were written to the server log under reference {ref}; "
    "give the operator this reference. Check that the files are valid, or try again."
)


def error_message(exc: BaseException, *, what: str) -> str:
    """The Markdown-safe text shown for ``exc``; an unexpected exception is logged with a reference."""
    if isinstance(exc, AuditInputError):
        return md_escape(str(exc))
    ref = secrets.token_hex(4)
    log.error("dashboard error %s while %s", ref, what, exc_info=(type(exc), exc, exc.__traceback__))
    return GENERIC_ERROR.format(what=md_escape(what), ref=ref)


def show_error(exc: BaseException, *, what: str) -> None:
    """``st.error`` with the message of ``exc`` (see :func:`error_message`)."""
    st.error(error_message(exc, what=what), icon=":material/error:")


@contextmanager
def engine_call(what: str, *, stop: bool = True) -> Iterator[None]:
    """Run a block that calls the engine; on failure show the message and (by default) stop the page.

    ``st.stop`` and ``st.rerun`` are not exceptions of type ``Exception`` and pass through untouched.
    """
    try:
        yield
    except Exception as exc:  # every failure becomes a message; the traceback stays on the server
        show_error(exc, what=what)
        if stop:
            st.stop()
