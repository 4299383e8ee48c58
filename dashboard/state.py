"""Session-state keys of the dashboard, namespaced by page, and small accessors.

Every key the dashboard stores lives here, so pages never invent keys and tests can set them. Widget keys
carry their page prefix (``setup.``, ``fair.``, ...); app-wide values live under ``rai.``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

from audits.results import AuditResult

# --- app-wide ----------------------------------------------------------------------------------------------
RESULT = "rai.result"  # the AuditResult being explored
AUDIT_KEY = "rai.audit_key"  # content hash of inputs + config: the key of cached contexts and renders
INPUTS = "rai.inputs"  # {"data": name, "model": name, "reference": name, "sample": name | None}
CARD_INFO = "rai.card_info"  # dict of the model card's qualitative fields, edited on the Model card page
DEMO_DONE = "rai.demo_done"  # the --demo audit was attempted in this session
AUTHENTICATED = "rai.authenticated"  # this session passed the password gate (dashboard/access.py)
GATE_INPUT = "rai.gate.input"  # the gate's password widget (emptied after each try)
GATE_ERROR = "rai.gate.error"
CSV_SEQ = "rai.csv_seq"  # counter of CSV download buttons drawn in this run (reset by app.py on every run)

# --- Setup page ------------------------------------------------------------------------------------------------
SETUP_DATA = "setup.data"  # services.Upload of the dataset (kept across pages; uploader widgets are not)
SETUP_MODEL = "setup.model"
SETUP_REFERENCE = "setup.reference"
SETUP_CONFIG = "setup.config"  # services.Upload of a config YAML
SETUP_APPLIED_CONFIG = "setup.applied_config"  # sha of the config whose values were last copied into the form
SETUP_CANCEL = "setup.cancel_requested"
SETUP_RUNNING = "setup.running"  # set while an audit runs; still set on the next run if Cancel interrupted it
SETUP_MESSAGE = "setup.message"  # (level, text) shown once after a run (cancelled, failed)
# form widgets (values are persisted across page switches by keep_widgets)
W_SOURCE = "setup.w.source"  # "sample" | "upload"
W_SAMPLE = "setup.w.sample"  # key of services.SAMPLES
W_TARGET = "setup.w.target"
W_POSITIVE = "setup.w.positive"
W_PROTECTED = "setup.w.protected"
W_BINS_PREFIX = "setup.w.bins."  # + column name
W_FEATURES = "setup.w.features"
W_EXCLUDE = "setup.w.exclude"
W_TASK = "setup.w.task"
W_INTERSECTIONS = "setup.w.intersections"
W_EXPLAIN_N = "setup.w.explain_n"
W_N_BOOT = "setup.w.n_boot"
W_SECTIONS = "setup.w.sections"
W_COUNTRY = "setup.w.country"
W_SEED = "setup.w.seed"
W_RATIO_TOL = "setup.w.ratio_tolerance"
W_DIFF_TOL = "setup.w.difference_tolerance"

# --- other pages -------------------------------------------------------------------------------------------------
FAIR_ATTRIBUTE = "fair.attribute"
FAIR_METRIC = "fair.metric"
FAIR_THRESHOLD = "fair.threshold"
EXPLAIN_FEATURE = "explain.feature"
EXPLAIN_ROW = "explain.row"
EXPLAIN_GROUP_ATTR = "explain.group_attribute"
DQ_COLUMN = "dq.column"
CARD_FIELD_PREFIX = "card.w."  # + field name


def get(key: str, default: Any = None) -> Any:
    """The value stored under ``key`` in this session, else ``default``."""
    return st.session_state.get(key, default)


def put(key: str, value: Any) -> None:
    st.session_state[key] = value


def drop(*keys: str) -> None:
    for key in keys:
        st.session_state.pop(key, None)


def result() -> AuditResult | None:
    """The audit result being explored in this session, if any."""
    value = st.session_state.get(RESULT)
    return value if isinstance(value, AuditResult) else None


def audit_key() -> str | None:
    return st.session_state.get(AUDIT_KEY)


def set_result(value: AuditResult, *, key: str, inputs: dict[str, Any]) -> None:
    """Make ``value`` the result every page shows; drop page selections that belonged to the old one."""
    st.session_state[RESULT] = value
    st.session_state[AUDIT_KEY] = key
    st.session_state[INPUTS] = inputs
    for k in list(st.session_state.keys()):
        if str(k).startswith(("fair.", "explain.", "dq.")):
            del st.session_state[k]


def keep_widgets(prefix: str, *, extra: Iterable[str] = ()) -> None:
    """Keep widget values of a page when the user visits another page and comes back.

    Streamlit forgets a widget's state when the widget is not drawn in a run; re-assigning the value turns it
    into plain session state that survives until the widget is drawn again.
    """
    for key in [*list(st.session_state.keys()), *extra]:
        if str(key).startswith(prefix) and key in st.session_state:
            st.session_state[key] = st.session_state[key]
