"""History: past audits, filtered by model and tag; open any of them in every page; compare two.

With an audit store (``RAI_AUDIT_STORE``, or ``store_url`` in the secrets) every audit run here is saved there
and listed from it (indexed fields and headline figures, no result JSON read); without one, the page lists the
audits this session ran or opened. Two picked audits are compared with :func:`audits.compare.compare` (changes
ranked, real changes beyond the policy's tolerance first), and the headline disparities are drawn over time.
"""

from __future__ import annotations

import pandas as pd
import plotly.express as px
import streamlit as st

from dashboard import guard, services, state
from dashboard.text import md_escape

ALL = "(all)"
DISPARITY = "disparity"


def _short(run_id: str) -> str:
    return run_id[:8]


def _when(row: services.HistoryRow) -> str:
    return row.started_at.strftime("%Y-%m-%d %H:%M") if row.started_at else "—"


def _open(run_id: str) -> None:
    state.open_audit(run_id)


st.title("History")

with guard.engine_call("reading the audit history"):
    everything, source = services.history(session_ids=state.get(state.HISTORY_IDS) or [])
if source == "this session":
    st.caption(
        "No audit store is configured, so this lists the audits this session ran or opened. The operator "
        "keeps every audit by setting RAI_AUDIT_STORE (a SQLite file or a PostgreSQL URL) before starting "
        "the dashboard; uploaded files are not kept there, only the results with their SHA-256."
    )
else:
    st.caption(f"Audits kept in the audit store {md_escape(source)} (newest first).")
if not everything:
    st.info("No audits yet. Run one on the Setup page.")
    st.stop()

models = sorted({r.model for r in everything})
tags = sorted({r.tag for r in everything if r.tag})
f_model, f_tag = st.columns(2)
with f_model:
    if state.get(state.HIST_MODEL) not in [ALL, *models]:
        state.put(state.HIST_MODEL, ALL)
    st.selectbox("Model", [ALL, *models], key=state.HIST_MODEL)
with f_tag:
    if state.get(state.HIST_TAG) not in [ALL, *tags]:
        state.put(state.HIST_TAG, ALL)
    st.selectbox("Tag", [ALL, *tags], key=state.HIST_TAG, disabled=not tags)
model = None if state.get(state.HIST_MODEL) == ALL else state.get(state.HIST_MODEL)
tag = None if state.get(state.HIST_TAG) == ALL else state.get(state.HIST_TAG)
rows = [r for r in everything if (model is None or r.model == model) and (tag is None or r.tag == tag)]

current = state.audit_key()
table = pd.DataFrame(
    {
        "started": [_when(r) for r in rows],
        "model": [r.model for r in rows],
        "dataset": [r.dataset for r in rows],
        "tag": [r.tag or "" for r in rows],
        "status": [r.status.upper() for r in rows],
        "id": [_short(r.run_id) + (" (open)" if r.run_id == current else "") for r in rows],
    }
)
st.dataframe(table, hide_index=True, width="stretch")

by_id = {r.run_id: r for r in rows}


def _label(run_id: str) -> str:
    r = by_id[run_id]
    tag_text = f" [{r.tag}]" if r.tag else ""
    return f"{_when(r)} · {r.model}{tag_text} · {r.status.upper()} · {_short(run_id)}"


open_col, button_col = st.columns([4, 1])
with open_col:
    chosen = st.selectbox("Open an audit in every page", list(by_id), format_func=_label, key="hist.open")
with button_col:
    st.write("")
    if st.button("Open", key="hist.btn.open", icon=":material/open_in_new:", disabled=chosen is None):
        _open(chosen)
        st.switch_page("app_pages/overview.py")

# --- trend of the headline disparities ------------------------------------------------------------------------
points = [
    {"started": r.started_at, "disparity": key, "value": value, "audit": _short(r.run_id)}
    for r in rows
    for kind, key, value in r.headline
    if kind == DISPARITY and value is not None and r.started_at is not None
]
st.subheader("Headline disparities over time")
if len({p["audit"] for p in points}) < 2:
    st.caption("The trend needs at least two audits with fairness results.")
else:
    fig = px.line(
        pd.DataFrame(points).sort_values("started"),
        x="started",
        y="value",
        color="disparity",
        markers=True,
        hover_data=["audit"],
    )
    fig.update_layout(height=380, legend={"orientation": "h", "y": -0.25}, margin={"t": 10})
    st.plotly_chart(fig, key="hist.trend")

# --- compare two ----------------------------------------------------------------------------------------------
st.subheader("Compare two audits")
picked = st.multiselect(
    "Pick two audits (the first picked is the baseline A)",
    list(by_id),
    format_func=_label,
    max_selections=2,
    key=state.HIST_PICK,
)
if len(picked) == 2:
    with guard.engine_call("comparing the audits"):
        comparison = services.compare_audits(picked[0], picked[1])
    worse, better = comparison.regressions, comparison.improvements
    st.markdown(
        f"**{len(worse)}** real change(s) for the worse and **{len(better)}** for the better beyond the "
        f"tolerance of {comparison.tolerance:g} at {comparison.confidence_level:.0%} confidence "
        f"({md_escape(comparison.method)}: {md_escape(comparison.method_note)})."
    )
    ranked = comparison.ranked()
    st.dataframe(
        pd.DataFrame(
            {
                "item": [i.label for i in ranked],
                "A": [i.a for i in ranked],
                "B": [i.b for i in ranked],
                "change (B - A)": [i.change for i in ranked],
                "verdict": [
                    "worse" if i.worse else "better" if i.better else i.verdict.lower() for i in ranked
                ],
                "method": [
                    f"paired (ρ {i.correlation:.2f})" if i.correlation is not None else i.method
                    for i in ranked
                ],
            }
        ),
        hide_index=True,
        width="stretch",
        column_config={
            "A": st.column_config.NumberColumn(format="%.3f"),
            "B": st.column_config.NumberColumn(format="%.3f"),
            "change (B - A)": st.column_config.NumberColumn(format="%+.3f"),
        },
    )
    for title, items in (
        ("New groups", comparison.new_groups),
        ("Groups no longer present", comparison.vanished_groups),
    ):
        if items:
            st.caption(f"{title}: " + ", ".join(md_escape(g) for g in items))
    st.markdown(f"**Data drift between the audited datasets**: {md_escape(comparison.drift_note)}")
    if comparison.drift:
        st.dataframe(pd.DataFrame([r.to_dict() for r in comparison.drift]), hide_index=True, width="stretch")
else:
    st.caption("Pick two audits to see what changed between them.")
