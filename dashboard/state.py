"""Session-state keys of the dashboard, namespaced by page, and small accessors.

Every key the dashboard stores lives here, so pages never invent keys and tests can set them. Widget keys
carry their page prefix (``setup.``, ``fair.``, ...); app-wide values live under ``rai.``.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

from audits.results import AuditResult
from dashboard import jobs, services

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
JOB = "rai.job"  # id of the job (dashboard/jobs.py) computing this session's next audit, while it runs
FLASH = "rai.flash"  # (level, text) shown once at the top of the next page drawn
HISTORY_IDS = "rai.history_ids"  # ids of the audits this session ran or opened (History without a store)
URL_PARAM = "audit"  # ?audit=<id>: the audit (or the job computing it) a reload, bookmark or link opens

# --- Setup page ------------------------------------------------------------------------------------------------
SETUP_DATA = "setup.data"  # services.Upload of the dataset (kept across pages; uploader widgets are not)
SETUP_MODEL = "setup.model"
SETUP_REFERENCE = "setup.reference"
SETUP_CONFIG = "setup.config"  # services.Upload of a config YAML
SETUP_TRAINING = "setup.training"  # services.Upload of the training data (the emissions re-fit)
SETUP_EMISSIONS_CSV = "setup.emissions_csv"  # services.Upload of the trainer's codecarbon emissions.csv
SETUP_FORM_FOR = "setup.form_for"  # which dataset (sample key or upload SHA-256) the form's choices belong to
SETUP_TEMPLATE = "setup.template"  # the template applied to the form, if any
SETUP_APPLIED_CONFIG = "setup.applied_config"  # sha of the config whose values were last copied into the form
SETUP_PENDING_CONFIG = "setup.pending_config"  # copied, but the form not yet drawn with them to its end
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
W_PREDICTION = "setup.w.prediction_column"
W_SCORE = "setup.w.score_column"
W_WEIGHT = "setup.w.sample_weight_column"
W_FAVOURABLE = "setup.w.favourable_label"
W_DECISION = "setup.w.decision"
W_REFERENCE_PREFIX = "setup.w.reference."  # + column name: the reference group of a protected attribute
W_TAG = "setup.w.tag"
W_TEMPLATE = "setup.w.template"

# --- other pages -------------------------------------------------------------------------------------------------
FAIR_ATTRIBUTE = "fair.attribute"
FAIR_METRIC = "fair.metric"
FAIR_THRESHOLD = "fair.threshold"
EXPLAIN_FEATURE = "explain.feature"
EXPLAIN_ROW = "explain.row"
EXPLAIN_GROUP_ATTR = "explain.group_attribute"
DQ_COLUMN = "dq.column"
CARD_FIELD_PREFIX = "card.w."  # + field name
HIST_MODEL = "hist.model"
HIST_TAG = "hist.tag"
HIST_PICK = "hist.pick"  # the run ids picked for comparison


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


# --- the session's audit, its job and the URL ----------------------------------------------------------------
def open_audit(audit_id: str) -> None:
    """Make ``audit_id`` (from the URL, a link, History or a finished job) this session's audit or job."""
    view = jobs.board().snapshot(audit_id)
    if view is not None and not view.finished:
        put(JOB, audit_id)
        return
    if view is not None and view.status != jobs.DONE:
        _job_ended(view)
        return
    target = view.audit_id if view is not None and view.audit_id else audit_id
    record = services.lookup(target)
    if record is None:
        put(
            FLASH,
            (
                "warning",
                "The audit in this link is no longer on the server (the server keeps a few recent audits, "
                "or it was restarted without an audit store). Run it again from Setup.",
            ),
        )
        st.query_params.pop(URL_PARAM, None)
        return
    set_result(record.result, key=target, inputs=services.describe_record(record))
    remember(target)
    if get(JOB) == audit_id:
        drop(JOB)
    st.query_params[URL_PARAM] = target


def remember(audit_id: str) -> None:
    """Note an audit this session ran or opened (the History page lists them when no store is set)."""
    ids = [i for i in (get(HISTORY_IDS) or []) if i != audit_id]
    put(HISTORY_IDS, [audit_id, *ids][:50])


def _job_ended(view: jobs.JobView) -> None:
    """Forget a job that was cancelled or failed, and say so once."""
    drop(JOB)
    if view.status == jobs.CANCELLED:
        put(FLASH, ("warning", "The audit was cancelled; no result was kept."))
    else:
        put(FLASH, ("error", view.error or "The audit failed."))
    current = audit_key()
    if current:
        st.query_params[URL_PARAM] = current
    else:
        st.query_params.pop(URL_PARAM, None)


def sync_with_url() -> None:
    """Follow the URL's audit id, and finish this session's job when it is done."""
    wanted = st.query_params.get(URL_PARAM)
    if wanted and wanted not in (audit_key(), get(JOB)):
        open_audit(wanted)
    job_id = get(JOB)
    if job_id:
        view = jobs.board().snapshot(job_id)
        if view is None:
            drop(JOB)
        elif view.finished:
            if view.status == jobs.DONE:
                open_audit(job_id)
                verdict = result().status.value.upper() if result() is not None else "?"
                put(FLASH, ("success", f"The audit is ready (overall verdict: {verdict})."))
            else:
                _job_ended(view)
    shown = get(JOB) or audit_key()
    if shown and st.query_params.get(URL_PARAM) != shown:
        st.query_params[URL_PARAM] = shown  # page links drop query params: put it back
