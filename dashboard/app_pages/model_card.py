"""Model card & export: edit the card's qualitative fields, preview it, download the report and the card."""

from __future__ import annotations

import streamlit as st

from audits.errors import AuditInputError
from dashboard import components as ui
from dashboard import guard, services, state
from dashboard.text import md_escape, no_remote_images
from reports.formatting import humanize

result = ui.require_result()
if result is None:
    st.stop()
key = state.audit_key() or "unkeyed"
CARD_FOR = "card.for"  # the audit whose fields the widgets hold
OPEN_GROUPS = 2  # field groups shown open; the rest are collapsed and built when opened

st.title("Model card & export")
fields = services.card_fields()


def _as_text(value: object) -> str:
    return "\n".join(map(str, value)) if isinstance(value, list | tuple) else str(value or "")


def _from_widgets() -> dict[str, object]:
    new: dict[str, object] = {}
    for name, _, is_list in fields:
        text = str(st.session_state.get(state.CARD_FIELD_PREFIX + name) or "").strip()
        if text:
            new[name] = [line.strip() for line in text.splitlines() if line.strip()] if is_list else text
    return new


def _save_card() -> None:
    """Save the fields as they are typed: into the session and the server's drafts, by audit id, so changing
    page, downloading or reloading keeps them."""
    new = _from_widgets()
    state.put(state.CARD_INFO, new)
    services.save_card_draft(key, new)


if state.get(CARD_FOR) != key:
    # another audit: its own fields (kept on the server by audit id), never the previous audit's
    for k in [k for k in st.session_state if str(k).startswith(state.CARD_FIELD_PREFIX)]:
        del st.session_state[k]
    draft = services.card_draft(key)
    state.put(
        state.CARD_INFO,
        draft
        if draft is not None
        else {**services.card_defaults(result), **services.sample_card(state.get(state.INPUTS))},
    )
    state.put(CARD_FOR, key)
state.keep_widgets(state.CARD_FIELD_PREFIX)
card = dict(state.get(state.CARD_INFO) or {})


def _on_card_upload() -> None:
    """Fill the form from a model-card YAML (the file kept beside the audit config)."""
    file = st.session_state.get("card.upload")
    state.drop("card.upload_error")
    if file is None:
        return
    try:  # the size is checked before the bytes are read
        services.check_upload_size(file.name, file.size, kind="config")
    except AuditInputError as exc:
        state.put("card.upload_error", str(exc))
        return
    loaded = services.parse_card_yaml(file.getvalue(), name=file.name)
    if not loaded.ok:
        state.put("card.upload_error", loaded.error)
        return
    merged = {
        **services.card_defaults(result),
        **services.sample_card(state.get(state.INPUTS)),
        **loaded.value,
    }
    state.put(state.CARD_INFO, merged)
    services.save_card_draft(key, merged)
    for k in [k for k in st.session_state if str(k).startswith(state.CARD_FIELD_PREFIX)]:
        del st.session_state[k]  # the text widgets take the new values instead of their own


edit, preview = st.columns([1, 1])
with edit:
    st.subheader("Qualitative fields")
    if not fields:
        st.info("The model card renderer is not available in this installation.")
    else:
        st.caption(
            "What the audit cannot measure: intended use, limitations, ethics. Fields already known from the audit "
            "are filled in. List fields take one entry per line."
        )
        st.file_uploader(
            "Load the fields from a model card YAML (optional)",
            type=["yaml", "yml"],
            key="card.upload",
            on_change=_on_card_upload,
        )
        if state.get("card.upload_error"):
            st.error(md_escape(state.get("card.upload_error")))
        present = {group for _, group, _ in fields}
        groups = [g for g in services.CARD_GROUPS if g in present] + sorted(
            present - set(services.CARD_GROUPS)
        )
        # every field holds its value in the session whether or not its group is drawn, so saving one field
        # never drops the others (a collapsed group's fields are not drawn at all)
        for name, _, _ in fields:
            if state.CARD_FIELD_PREFIX + name not in st.session_state:
                st.session_state[state.CARD_FIELD_PREFIX + name] = _as_text(card.get(name))
        for i, group in enumerate(groups):
            # the first two groups open; the others are built when opened (their dozens of text fields were
            # drawn, hidden, on every visit)
            box = (
                st.expander(group, expanded=True)
                if i < OPEN_GROUPS
                else ui.lazy_expander(group, key=f"card.group.{group}")
            )
            with box:
                if i >= OPEN_GROUPS and not box.open:
                    continue
                for name, g, is_list in fields:
                    if g != group:
                        continue
                    label = humanize(name) + (" (one per line)" if is_list else "")
                    widget = st.text_area if is_list or name in services.LONG_CARD_FIELDS else st.text_input
                    widget(label, key=state.CARD_FIELD_PREFIX + name, on_change=_save_card)
        st.caption(
            "Saved as you type (when a field loses focus): the preview and the downloads use these fields."
        )
        yaml_text = services.card_yaml(card)
        if yaml_text:
            st.download_button(
                "Download the fields (YAML)",
                data=yaml_text,
                file_name="model_card.yaml",
                mime="application/x-yaml",
                key="card.dl.fields",
                on_click="ignore",
            )
with preview:
    st.subheader("Preview")
    with guard.engine_call("rendering the model card"):
        md = services.render_card(result, "md", key=key, card=card) if fields else None
    if md is None:
        st.caption("No preview without the model card renderer.")
    elif not md.ok:
        st.warning(md_escape(md.error))
    else:
        with st.container(height=620, border=True):
            front, body = services.split_front_matter(md.value.decode("utf-8"))
            st.markdown(no_remote_images(services.demote_headings(body, levels=2)))
            if front:
                # built when opened: the code block loads the browser's syntax highlighter on first use
                with (
                    box := ui.lazy_expander("Hugging Face front matter (YAML)", key="card.exp.front_matter")
                ):
                    if box.open:
                        st.code(front, language="yaml")

st.subheader("Downloads")
st.caption("Files are generated when you click; the report never embeds the raw dataset, only aggregates.")


def _deferred(kind: str, fmt: str):  # noqa: ANN202 — a zero-argument callable for st.download_button
    def make() -> bytes:
        out = (services.render_report if kind == "report" else services.render_card)(
            result, fmt, key=key, card=card
        )
        if not out.ok:
            return (out.error or "not available").encode("utf-8")
        return out.value

    return make


cols = st.columns(len(services.REPORT_FORMATS))
for col, (fmt, (label, mime)) in zip(cols, services.REPORT_FORMATS.items(), strict=True):
    with col:
        st.download_button(
            f"Audit report ({label})",
            data=_deferred("report", fmt),
            file_name=f"audit_report.{fmt}",
            mime=mime,
            key=f"card.dl.report.{fmt}",
            on_click="ignore",
            icon=":material/download:",
        )
if fields:
    cols = st.columns(len(services.CARD_FORMATS) + 1)
    for col, (fmt, (label, mime)) in zip(cols, services.CARD_FORMATS.items(), strict=False):
        with col:
            st.download_button(
                f"Model card ({label})",
                data=_deferred("card", fmt),
                file_name=f"model_card.{fmt}",
                mime=mime,
                key=f"card.dl.card.{fmt}",
                on_click="ignore",
                icon=":material/download:",
            )
