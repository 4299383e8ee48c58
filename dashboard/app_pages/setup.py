"""Setup: choose a bundled sample or upload data, model, reference and config; set what to audit; run.

The form is checked as the user types (the same validation the audit runs, cached per content and config);
running shows one progress bar per section and can be cancelled. File names, column names, labels and messages
come from the uploads and are escaped (md_escape) wherever Streamlit renders Markdown; engine failures go through
dashboard.guard, so the page shows messages, never tracebacks.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from audits.config import SECTION_NAMES, TASKS, AuditConfig, ProtectedAttribute
from audits.errors import AuditInputError
from audits.inputs import pickle_allowed_by_operator
from audits.runner import SECTIONS, CancelledError
from dashboard import guard, services, state
from dashboard.text import md_escape

AUTO = "(automatic)"
SECTION_TITLES = {name: title for name, title, _ in SECTIONS}
UPLOAD_KEYS = {
    "data": "setup.up.data",
    "model": "setup.up.model",
    "reference": "setup.up.reference",
    "config": "setup.up.config",
}
STORE_KEYS = {
    "data": state.SETUP_DATA,
    "model": state.SETUP_MODEL,
    "reference": state.SETUP_REFERENCE,
    "config": state.SETUP_CONFIG,
}

DEFAULTS: dict[str, Any] = {
    state.W_SOURCE: "sample",
    state.W_SAMPLE: services.DEMO_SAMPLE,
    state.W_POSITIVE: AUTO,
    state.W_TASK: "auto",
    state.W_PROTECTED: [],
    state.W_FEATURES: [],
    state.W_EXCLUDE: [],
    state.W_INTERSECTIONS: True,
    state.W_SEED: 0,
    state.W_EXPLAIN_N: 2000,
    state.W_N_BOOT: 1000,
    state.W_SECTIONS: list(SECTION_NAMES),
    state.W_COUNTRY: "USA",
    state.W_RATIO_TOL: 0.8,
    state.W_DIFF_TOL: 0.1,
}

state.keep_widgets("setup.w.")
for _key, _value in DEFAULTS.items():
    if _key not in st.session_state:
        st.session_state[_key] = _value


def _on_upload(kind: str) -> None:
    """Keep an upload as bytes in the session (uploader widgets forget files when the page changes)."""
    file = st.session_state.get(UPLOAD_KEYS[kind])
    err_key = f"setup.err.{kind}"
    state.drop(err_key)
    if file is None:
        state.drop(STORE_KEYS[kind])
        return
    try:
        state.put(STORE_KEYS[kind], services.read_upload(file, kind=kind))
    except AuditInputError as exc:
        state.drop(STORE_KEYS[kind])
        state.put(err_key, str(exc))


def _uploader(kind: str, label: str, help_text: str) -> services.Upload | None:
    st.file_uploader(
        label,
        type=services.uploader_types(kind),
        key=UPLOAD_KEYS[kind],
        help=help_text,
        on_change=_on_upload,
        args=(kind,),
    )
    if state.get(f"setup.err.{kind}"):
        st.error(md_escape(state.get(f"setup.err.{kind}")))
    kept = state.get(STORE_KEYS[kind])
    if kept is not None and st.session_state.get(UPLOAD_KEYS[kind]) is None:
        st.caption(f"Using **{md_escape(kept.name)}** ({kept.size / 1e6:.1f} MB) uploaded earlier.")
    return kept


def _apply_config(config: AuditConfig, columns: list[str], marker: str) -> None:
    """Copy a loaded config into the form's widgets, once per config."""
    if state.get(state.SETUP_APPLIED_CONFIG) == marker:
        return
    state.put(state.SETUP_APPLIED_CONFIG, marker)
    state.put(state.W_TARGET, config.target if config.target in columns else columns[-1])
    state.put(state.W_TASK, config.task)
    state.put(state.W_POSITIVE, AUTO if config.positive_label is None else str(config.positive_label))
    state.put(state.W_PROTECTED, [c for c in config.protected_columns if c in columns])
    for p in config.protected:
        state.put(state.W_BINS_PREFIX + p.column, services.format_bins(p.bins))
    state.put(state.W_FEATURES, [c for c in (config.features or ()) if c in columns])
    state.put(state.W_EXCLUDE, [c for c in config.exclude_columns if c in columns])
    state.put(state.W_INTERSECTIONS, bool(config.intersections))
    state.put(state.W_EXPLAIN_N, int(config.explain_sample_size))
    state.put(state.W_N_BOOT, int(config.policy.n_bootstrap))
    state.put(state.W_SECTIONS, list(config.sections))
    state.put(state.W_COUNTRY, config.emissions.country_iso_code)
    state.put(state.W_SEED, int(config.seed))
    state.put(state.W_RATIO_TOL, float(config.policy.ratio_tolerance))
    state.put(state.W_DIFF_TOL, float(config.policy.difference_tolerance))


def _sanitize_choice(key: str, options: list[Any], default: Any) -> None:
    if state.get(key) not in options:
        state.put(key, default)


def _sanitize_multi(key: str, options: list[Any]) -> None:
    allowed = set(options)
    state.put(key, [v for v in (state.get(key) or []) if v in allowed])


def _protected_attributes(
    columns: list[str], frame: pd.DataFrame, base: AuditConfig | None
) -> list[ProtectedAttribute]:
    """The protected-attribute widgets (with bin edges for numeric ones)."""
    st.multiselect(
        "Protected attributes",
        [c for c in columns if c != state.get(state.W_TARGET)],
        key=state.W_PROTECTED,
        help="Columns that define the groups compared by the fairness checks (e.g. sex, race, age).",
    )
    base_attrs = {p.column: p for p in (base.protected if base else ())}
    attrs = []
    for col in state.get(state.W_PROTECTED) or []:
        numeric = pd.api.types.is_numeric_dtype(frame[col]) and not pd.api.types.is_bool_dtype(frame[col])
        bins = None
        if numeric:
            key = state.W_BINS_PREFIX + col
            st.text_input(
                f"Bin edges for '{md_escape(col)}'",  # widget labels render Markdown
                key=key,
                placeholder="e.g. 25, 60 — empty: quartiles when it has many values",
                help="Inner edges: '25, 60' gives the groups <=25, (25, 60] and >60.",
            )
            bins = services.parse_bins(state.get(key, ""), column=col)
        old = base_attrs.get(col)
        labels = old.labels if old is not None and old.bins == bins else None
        ref = old.reference_group if old is not None and old.bins == bins else None
        attrs.append(ProtectedAttribute(column=col, bins=bins, labels=labels, reference_group=ref))
    return attrs


def _validation_message(v: services.Validation) -> None:
    if not v.ok:
        st.error(md_escape(v.message))
        return
    f = v.facts
    task = md_escape(f["task"])
    label = (
        f" with positive (favourable) class **{md_escape(f['positive_label'])}**"
        if f.get("positive_label")
        else ""
    )
    groups = "; ".join(
        f"{md_escape(c)}: {len(g)} group(s)" if g else md_escape(c) for c, g in f["groups"].items()
    )
    checked = f" (checked on the first {f['checked_rows']:,} rows)" if f.get("checked_rows") else ""
    st.success(
        f"Ready: **{task}** audit{label}; {f['rows']:,} rows{checked}, {len(f['features'])} model features; "
        f"protected groups — {groups}; predictions from the {md_escape(f['prediction_source'])}."
    )
    for note in f.get("notes", []):
        st.caption(md_escape(note))


def _run(
    data: services.Upload,
    model: services.Upload | None,
    reference: services.Upload | None,
    config: AuditConfig,
    inputs: dict[str, Any],
) -> None:
    """Run the audit with one progress bar per section; a Cancel button stops it between steps."""
    state.put(state.SETUP_CANCEL, False)
    state.put(state.SETUP_RUNNING, True)
    with st.status("Running the audit…", expanded=True) as box:
        st.button(
            "Cancel",
            key="setup.btn.cancel",
            on_click=state.put,
            args=(state.SETUP_CANCEL, True),
            icon=":material/cancel:",
        )
        names = ["setup", *[n for n in SECTION_NAMES if n in config.sections]]
        bars = {
            n: st.progress(0.0, text=f"{'Load and validate' if n == 'setup' else SECTION_TITLES[n]}: waiting")
            for n in names
        }

        def progress(section: str, fraction: float, message: str) -> None:
            if state.get(state.SETUP_CANCEL):
                raise CancelledError("cancelled by the user")
            bar = bars.get(section)
            if bar is not None:
                bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

        try:
            key, result = services.run(data, model, reference, config, progress=progress)
        except CancelledError:
            state.put(state.SETUP_RUNNING, False)
            box.update(label="Audit cancelled", state="error")
            st.warning("The audit was cancelled; no result was kept.")
            return
        except Exception as exc:  # sections' errors are recorded by the runner; this is anything else
            state.put(state.SETUP_RUNNING, False)
            could_not_start = isinstance(exc, AuditInputError)
            box.update(
                label="The audit could not start" if could_not_start else "The audit failed", state="error"
            )
            guard.show_error(exc, what="running the audit")
            return
        state.put(state.SETUP_RUNNING, False)
        state.set_result(result, key=key, inputs=inputs)
        box.update(label=f"Audit finished: {result.status.value}", state="complete", expanded=False)
    state.put(
        state.SETUP_MESSAGE,
        ("success", f"The audit is ready (overall verdict: {result.status.value.upper()}). Explore it:"),
    )
    st.rerun()  # redraw the whole app (sidebar summary, landing page) with the new result


def _explore_links() -> None:
    cols = st.columns(6)
    for col, (path, label) in zip(
        cols,
        [
            ("app_pages/overview.py", "Overview"),
            ("app_pages/data_quality.py", "Data quality"),
            ("app_pages/fairness.py", "Fairness"),
            ("app_pages/explanations.py", "Explanations"),
            ("app_pages/emissions.py", "Emissions"),
            ("app_pages/model_card.py", "Model card"),
        ],
        strict=True,
    ):
        with col:
            st.page_link(path, label=label, icon=":material/arrow_forward:")


# ==============================================================================================================
st.title("Set up an audit")
st.caption("Audit a trained model on a tabular dataset: data quality, fairness, explanations and emissions.")

# A click on Cancel interrupts the running script (Streamlit reruns at the next progress update); the run never
# reached its end, so SETUP_RUNNING is still set and the page says the audit was cancelled.
if state.get(state.SETUP_CANCEL) and state.get(state.SETUP_RUNNING):
    state.put(state.SETUP_MESSAGE, ("warning", "The audit was cancelled; no result was kept."))
state.put(state.SETUP_CANCEL, False)
state.put(state.SETUP_RUNNING, False)
message = state.get(state.SETUP_MESSAGE)
if message:
    level, text = message
    getattr(st, level)(text)
    state.drop(state.SETUP_MESSAGE)

st.radio(
    "Inputs",
    ["sample", "upload"],
    format_func={"sample": "Bundled sample", "upload": "Upload my files"}.get,
    key=state.W_SOURCE,
    horizontal=True,
)

base: AuditConfig | None = None
config_note = ""
marker = None
if state.get(state.W_SOURCE, "sample") == "sample":
    st.selectbox(
        "Sample",
        list(services.SAMPLES),
        format_func=lambda k: services.SAMPLES[k].title,
        key=state.W_SAMPLE,
    )
    sample_key = state.get(state.W_SAMPLE) or services.DEMO_SAMPLE
    st.caption(services.SAMPLES[sample_key].note)
    with guard.engine_call("reading the bundled sample"):
        inputs = services.sample_inputs(sample_key)
    data, model, reference = inputs["data"], inputs["model"], inputs["reference"]
    base, config_error, config_note = services.parse_config(inputs["config"], path=inputs["config_path"])
    marker = f"sample:{sample_key}"
    described = services.describe_inputs(data, model, reference, sample=sample_key)
else:
    left, right = st.columns(2)
    with left:
        data = _uploader("data", "Dataset (CSV or Parquet)", "The rows to audit, with the label column.")
        reference = _uploader(
            "reference",
            "Reference dataset (optional)",
            "Training data or an earlier period: enables drift checks.",
        )
    with right:
        model = _uploader(
            "model", "Model (.skops or .onnx)", "A fitted scikit-learn model saved with skops.io, or ONNX."
        )
        if pickle_allowed_by_operator():
            st.warning(services.PICKLE_RISK)
        else:
            st.caption(
                "Pickle/joblib models are refused: loading one runs the code inside it. Save the model with "
                "skops.io.dump or export it to ONNX."
            )
        cfg_upload = _uploader("config", "Config YAML (optional)", "An audit.yaml: fills in the form below.")
    config_error = None
    if cfg_upload is not None:
        base, config_error, config_note = services.parse_config(cfg_upload)
        marker = f"config:{cfg_upload.sha256}"
    described = services.describe_inputs(data, model, reference) if data is not None else {}
    if data is None:
        st.info("Upload a dataset to continue, or choose a bundled sample.")
        st.stop()

if config_error:
    st.error(md_escape(config_error))
if config_note:
    st.warning(md_escape(config_note))

loaded = services.load_data(data, na_values=base.na_values if base else ("?", ""))
if not loaded.ok:
    st.error(md_escape(loaded.error))
    st.stop()
frame = loaded.value.frame
columns = [str(c) for c in frame.columns]
st.caption(f"**{md_escape(data.name)}**: {len(frame):,} rows × {len(columns)} columns.")

if base is not None and marker is not None:
    _apply_config(base, columns, marker)
elif (
    state.get(state.SETUP_APPLIED_CONFIG) != f"data:{data.sha256}"
    and state.get(state.W_TARGET) not in columns
):
    state.put(state.SETUP_APPLIED_CONFIG, f"data:{data.sha256}")
    state.put(state.W_TARGET, columns[-1])

st.subheader("What to audit")
form_left, form_right = st.columns(2)
with form_left:
    _sanitize_choice(state.W_TARGET, columns, columns[-1])
    st.selectbox("Target (label) column", columns, key=state.W_TARGET)
    target = state.get(state.W_TARGET)
    values = pd.unique(frame[target].dropna())
    label_options = [AUTO] + (sorted(map(str, values)) if len(values) <= 50 else [])
    _sanitize_choice(state.W_POSITIVE, label_options, AUTO)
    st.selectbox(
        "Positive (favourable) label",
        label_options,
        key=state.W_POSITIVE,
        help="The outcome that benefits a person (e.g. '>50K', 'good'). Automatic: the model's classes_[1].",
    )
    _sanitize_choice(state.W_TASK, list(TASKS), "auto")
    st.selectbox("Task", list(TASKS), key=state.W_TASK)
with form_right:
    _sanitize_multi(state.W_PROTECTED, [c for c in columns if c != target])
    try:
        protected = _protected_attributes(columns, frame, base)
        form_error = None
    except AuditInputError as exc:
        protected, form_error = [], str(exc)
others = [c for c in columns if c != target]
with st.expander("Features and advanced options"):
    _sanitize_multi(state.W_FEATURES, others)
    _sanitize_multi(state.W_EXCLUDE, others)
    st.multiselect(
        "Features (empty: the model's expected columns, else every other column)",
        others,
        key=state.W_FEATURES,
    )
    st.multiselect("Columns to exclude (ids, timestamps)", others, key=state.W_EXCLUDE)
    a, b, c = st.columns(3)
    with a:
        st.checkbox("Audit intersections of protected attributes", key=state.W_INTERSECTIONS)
        st.number_input("Seed", min_value=0, step=1, key=state.W_SEED)
        st.number_input(
            "Ratio tolerance",
            min_value=0.01,
            max_value=1.0,
            step=0.05,
            key=state.W_RATIO_TOL,
            help="A ratio of group rates below this fails; 0.8 is the four-fifths rule (a US EEOC heuristic).",
        )
        st.number_input(
            "Difference tolerance",
            min_value=0.0,
            max_value=1.0,
            step=0.01,
            key=state.W_DIFF_TOL,
            help="A difference of group rates above this fails.",
        )
    with b:
        st.number_input(
            "Rows explained by SHAP", min_value=50, max_value=20_000, step=50, key=state.W_EXPLAIN_N
        )
        st.number_input("Bootstrap resamples", min_value=0, max_value=10_000, step=100, key=state.W_N_BOOT)
    with c:
        st.multiselect("Sections", list(SECTION_NAMES), key=state.W_SECTIONS, format_func=SECTION_TITLES.get)
        st.text_input("Country for emissions (ISO 3166-1 alpha-3)", key=state.W_COUNTRY)

config = None
if form_error:
    st.error(md_escape(form_error))
elif not protected:
    st.warning("Choose at least one protected attribute (e.g. sex, race or age).")
else:
    # a value the config refuses is a message; the form stays usable (stop=False) without a config
    with guard.engine_call("checking the form", stop=False):
        positive = state.get(state.W_POSITIVE)
        config = services.build_config(
            base,
            target=target,
            protected=protected,
            positive_label=None if positive == AUTO else positive,
            features=state.get(state.W_FEATURES) or None,
            exclude_columns=state.get(state.W_EXCLUDE) or (),
            task=state.get(state.W_TASK, "auto"),
            intersections=state.get(state.W_INTERSECTIONS, True),
            explain_sample_size=state.get(state.W_EXPLAIN_N),
            n_bootstrap=state.get(state.W_N_BOOT),
            ratio_tolerance=state.get(state.W_RATIO_TOL),
            difference_tolerance=state.get(state.W_DIFF_TOL),
            sections=state.get(state.W_SECTIONS) or SECTION_NAMES,
            country_iso_code=state.get(state.W_COUNTRY),
            seed=state.get(state.W_SEED),
        )

validation = None
if config is not None:
    if model is None and config.prediction_column is None:
        st.error("Upload a model (.skops or .onnx), or upload a config that names a prediction column.")
    else:
        with guard.engine_call("checking the inputs"):
            validation = services.validate(data, model, reference, config)
        _validation_message(validation)

ready = validation is not None and validation.ok
run_col, cfg_col = st.columns([1, 1])
with run_col:
    clicked = st.button(
        "Run the audit", type="primary", disabled=not ready, key="setup.btn.run", icon=":material/play_arrow:"
    )
with cfg_col:
    if config is not None:
        st.download_button(
            "Download this config (YAML)",
            data=config.to_yaml(file_keys=False),  # no server paths: the file can be uploaded again
            file_name="audit.yaml",
            mime="application/x-yaml",
            key="setup.btn.config",
            on_click="ignore",
        )
if clicked and ready and config is not None:
    _run(data, model, reference, config, described)
elif state.result() is not None:
    if message and message[0] == "success":
        _explore_links()
    else:
        st.caption(
            "An audit is loaded: see Overview. Running again with the same inputs reuses the cached result."
        )
