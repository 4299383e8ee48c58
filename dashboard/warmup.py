"""Import, once per server process and in the background, what pages would otherwise import on their first visit.

Measured on the demo (issue 15): the first Model card visit spent 1.3 s importing matplotlib through
``reports.sections`` (the card's fairness chart), the first ``st.success`` / ``st.info`` with text 0.47 s compiling
Streamlit's emoji pattern (``streamlit.emojis``), the first History visit 0.1 s importing ``plotly.express``. Each
is paid once per process; app.py starts this after the first page's run (the imports begin DELAY_S later, while
the user reads that page), so no click pays them. An import that fails here is left to fail where it is used, with
that page's own message.
"""

from __future__ import annotations

import importlib
import logging
import threading
import time

log = logging.getLogger(__name__)

# Not shap (2.0 s, paid by the first audit's explanations): importing it here while a check or an audit imports
# in the script thread hung the server in the 1,000,000-row benchmark (numba's initialisation in two threads).
MODULES = ("streamlit.emojis", "plotly.express", "reports.sections", "reports.model_card")
# after the first page's script run the browser still draws it for a second or two: the imports wait until the
# page is shown, so they compete with neither that drawing nor a click made as soon as it appears
DELAY_S = 3.0

_lock = threading.Lock()
_thread: threading.Thread | None = None


def _import_all(delay_s: float) -> None:
    time.sleep(delay_s)
    for name in MODULES:
        try:
            importlib.import_module(name)
        except Exception:  # noqa: BLE001 — the page that needs it reports the error
            log.debug("warm-up import of %s failed", name, exc_info=True)
    # No gc.freeze() here (the audit jobs collect, then freeze: dashboard/jobs.py): these imports run while the
    # first uploads are parsed, and a freeze then can keep garbage of interrupted page runs (a parsed
    # 1,000,000-row upload) alive until the first audit; the likely cause of one 2.3 GB peak (1.4-1.5 GB otherwise).


def start(delay_s: float = DELAY_S) -> threading.Thread:
    """Start the warm-up imports, ``delay_s`` from now, unless this process already did; returns the (daemon)
    thread."""
    global _thread
    with _lock:
        if _thread is None:
            _thread = threading.Thread(
                target=_import_all, args=(delay_s,), name="rai-audit-warmup", daemon=True
            )
            _thread.start()
        return _thread
