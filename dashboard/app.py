"""RAI Audit dashboard entry: ``streamlit run dashboard/app.py [-- --demo]``.

The pages are listed here explicitly. The session's audit is named in the URL (``?audit=<id>``, a random 128-bit
token), so a reload, a bookmark or a shared link opens it again; an audit being computed is a job of the server
(``dashboard/jobs.py``) whose progress every page shows, with a Cancel button. With ``--demo`` (or
``RAI_AUDIT_DEMO=1``) the bundled Adult sample opens at once when ``python -m dashboard.prebuild`` computed it
before the server started (``make demo`` does), else it is audited as a job while the pages stay usable.

Every run passes the access gate first (``dashboard/access.py``): a password or login when one is configured,
and a refusal to show anything when the server is exposed beyond this machine without one.
"""

from __future__ import annotations

import sys
from pathlib import Path

# `streamlit run dashboard/app.py` puts dashboard/ on sys.path, not the repository; make the packages importable
# when they are not installed.
_ROOT = str(Path(__file__).resolve().parents[1])
if _ROOT not in sys.path:
    sys.path.insert(0, _ROOT)

import streamlit as st  # noqa: E402
from streamlit import config as st_config  # noqa: E402

from dashboard import access, guard, jobs, services, state, warmup  # noqa: E402
from dashboard.text import md_escape  # noqa: E402
from reports.formatting import fmt_status  # noqa: E402

# A bundled file: a :material: or emoji icon makes the browser fetch the favicon from a CDN.
ICON = str(Path(__file__).resolve().parent / "static" / "icon.png")
JOB_POLL_S = 1.0  # how often the progress of a running audit is redrawn

st.set_page_config(page_title="RAI Audit", page_icon=ICON, layout="wide")
# Safe defaults even when .streamlit/config.toml is not read (streamlit started from another folder): no
# tracebacks in the browser, and no built-in CSV export (it cannot neutralise formula cells; the tables offer a
# safe CSV download instead). An operator's explicit setting wins.
for _option, _value in (("client.showErrorDetails", "none"), ("client.disableDataExport", True)):
    if not st_config.is_manually_set(_option):
        st.set_option(_option, _value)
state.put(state.CSV_SEQ, 0)

access.require_access()


def _start_demo() -> None:
    """Open the demo audit: prebuilt (``make demo``), kept, or started now as a job while the pages stay usable."""
    state.put(state.DEMO_DONE, True)
    try:
        audit_id = services.start_sample(services.DEMO_SAMPLE)
    except Exception as exc:  # shown as a message (guard), never a traceback
        guard.show_error(exc, what="starting the demo audit")
        return
    state.open_audit(audit_id)


@st.fragment(run_every=JOB_POLL_S)
def job_panel() -> None:
    """The running audit's progress on every page, redrawn every second; the whole app reruns when it ends."""
    job_id = state.get(state.JOB)
    view = jobs.board().snapshot(job_id) if job_id else None
    if view is None or view.finished:
        if job_id:
            st.rerun()
        return
    left = jobs.format_seconds(view.seconds_left)
    with st.container(border=True, key="job.panel"):
        head, button = st.columns([5, 1])
        with head:
            queued = " (waiting for another audit to finish)" if view.status == jobs.QUEUED else ""
            st.markdown(
                f"**{md_escape(view.label)}**{queued} — {view.fraction:.0%} done, "
                f"{jobs.format_seconds(view.elapsed_s)} so far, about {left} left. "
                "You can keep using the other pages; this audit keeps running."
            )
        with button:
            st.button(
                "Cancel",
                key="job.cancel",
                icon=":material/cancel:",
                on_click=jobs.board().cancel,
                args=(job_id,),
            )
        st.progress(min(max(view.fraction, 0.0), 1.0))
        now_lines = []
        for step in view.steps:
            seconds = step.seconds(step.finished) if step.finished is not None else None
            if step.fraction >= 1.0:
                took = f" ({jobs.format_seconds(seconds)})" if seconds is not None else ""
                now_lines.append(f":green[✓] {md_escape(step.title)}{took}")
            elif step.started is not None:
                now_lines.append(
                    f":blue[▶] **{md_escape(step.title)}** — {step.fraction:.0%}: {md_escape(step.message)}"
                )
            else:
                now_lines.append(f":gray[○ {md_escape(step.title)}: waiting]")
        st.markdown("  \n".join(now_lines))


# Widget values of pages not drawn in this run would be dropped by Streamlit at its end: keep them as plain
# session state, so the Setup form and the model card are as the user left them when they come back.
state.keep_widgets("setup.w.")
state.keep_widgets(state.CARD_FIELD_PREFIX)
state.sync_with_url()
if (
    services.demo_requested()
    and state.result() is None
    and not state.get(state.JOB)
    and not state.get(state.DEMO_DONE)
):
    _start_demo()

has_result = state.result() is not None
busy = bool(state.get(state.JOB))
pages = {
    "Audit": [
        st.Page(
            "app_pages/setup.py", title="Setup", icon=":material/tune:", default=not (has_result or busy)
        ),
        st.Page(
            "app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=has_result or busy
        ),
        st.Page("app_pages/history.py", title="History", icon=":material/history:"),
    ],
    "Sections": [
        st.Page("app_pages/data_quality.py", title="Data quality", icon=":material/dataset:"),
        st.Page("app_pages/fairness.py", title="Fairness", icon=":material/balance:"),
        st.Page("app_pages/explanations.py", title="Explanations", icon=":material/insights:"),
        st.Page("app_pages/emissions.py", title="Emissions", icon=":material/eco:"),
    ],
    "Share": [
        st.Page("app_pages/model_card.py", title="Model card & export", icon=":material/description:"),
    ],
}
page = st.navigation(pages)

with st.sidebar:
    result = state.result()
    if result is None:
        st.caption(
            "An audit is running: its progress is shown on every page."
            if busy
            else "No audit yet: start on Setup."
        )
    else:
        inputs = state.get(state.INPUTS) or {}
        data_name = inputs.get("data") or result.provenance.data.get("name")
        model_name = inputs.get("model") or result.provenance.model.get("name") or "predictions only"
        st.caption(
            f"**Audit:** {fmt_status(result.status)} · {services.n_rows(result):,} rows\n\n"
            f"**Data:** {md_escape(data_name)}\n\n"
            f"**Model:** {md_escape(model_name)}"
        )

flash = state.get(state.FLASH)
if flash:
    state.drop(state.FLASH)
    level, text = flash  # Markdown-safe already (guard.error_message escapes what it quotes)
    getattr(st, level)(text)
if busy:
    job_panel()
try:
    page.run()
finally:
    # after the first page is drawn (also when it stops early): the imports later pages need, in the background
    warmup.start()
