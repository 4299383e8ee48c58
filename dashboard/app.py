"""RAI Audit dashboard entry: ``streamlit run dashboard/app.py [-- --demo]``.

The pages are listed here explicitly. With ``--demo`` (or ``RAI_AUDIT_DEMO=1``) the bundled Adult sample is
audited through the cached service on the first visit, so a newcomer lands on a full audit's Overview.

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

from dashboard import access, guard, services, state  # noqa: E402
from dashboard.text import md_escape  # noqa: E402
from reports.formatting import fmt_status  # noqa: E402

# A bundled file: a :material: or emoji icon makes the browser fetch the favicon from a CDN.
ICON = str(Path(__file__).resolve().parent / "static" / "icon.png")

st.set_page_config(page_title="RAI Audit", page_icon=ICON, layout="wide")
# Safe defaults even when .streamlit/config.toml is not read (streamlit started from another folder): no
# tracebacks in the browser, and no built-in CSV export (it cannot neutralise formula cells; the tables offer a
# safe CSV download instead). An operator's explicit setting wins.
for _option, _value in (("client.showErrorDetails", "none"), ("client.disableDataExport", True)):
    if not st_config.is_manually_set(_option):
        st.set_option(_option, _value)
state.put(state.CSV_SEQ, 0)

access.require_access()


def _run_demo() -> None:
    """Audit the bundled Adult sample once per session (instant after the first session: cached)."""
    state.put(state.DEMO_DONE, True)
    sample = services.SAMPLES[services.DEMO_SAMPLE]
    with st.status(f"Demo: auditing the bundled sample — {sample.title}", expanded=True) as box:
        st.caption(
            "The first visit audits the sample (a couple of minutes: the emissions section re-fits the model); "
            "later visits reuse the cached result."
        )
        bar = st.progress(0.0, text="Starting")

        def progress(section: str, fraction: float, message: str) -> None:
            bar.progress(min(max(float(fraction), 0.0), 1.0), text=f"{section}: {message}")

        try:
            key, result, inputs = services.run_sample(services.DEMO_SAMPLE, progress=progress)
        except Exception as exc:  # shown as a message (guard), never a traceback
            box.update(label="The demo audit could not run", state="error")
            guard.show_error(exc, what="running the demo audit")
            return
        state.set_result(result, key=key, inputs=inputs)
        box.update(label="Demo audit ready", state="complete", expanded=False)


if services.demo_requested() and state.result() is None and not state.get(state.DEMO_DONE):
    _run_demo()

has_result = state.result() is not None
pages = {
    "Audit": [
        st.Page("app_pages/setup.py", title="Setup", icon=":material/tune:", default=not has_result),
        st.Page("app_pages/overview.py", title="Overview", icon=":material/dashboard:", default=has_result),
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
        st.caption("No audit yet: start on Setup.")
    else:
        inputs = state.get(state.INPUTS) or {}
        data_name = inputs.get("data") or result.provenance.data.get("name")
        model_name = inputs.get("model") or result.provenance.model.get("name") or "predictions only"
        st.caption(
            f"**Audit:** {fmt_status(result.status)} · {services.n_rows(result):,} rows\n\n"
            f"**Data:** {md_escape(data_name)}\n\n"
            f"**Model:** {md_escape(model_name)}"
        )

page.run()
