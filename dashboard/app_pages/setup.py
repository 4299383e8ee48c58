"""Setup: choose a bundled sample or upload files, set what to audit, and start the audit as a server job.

The form has explicit state. Each upload has its own slot (dataset, model, reference, config, training data, a
trainer's codecarbon CSV) that an upload replaces and a Remove button empties. The form's choices belong to one
dataset (a sample, or an uploaded file by its SHA-256): switching to another dataset puts this one's choices
aside and gives the other its own (restored if it had some, else prefilled from its own config or columns), so
nothing is ever carried from one dataset to another. The form is checked as the user types (cached per content
and config); Run starts a job (dashboard/jobs.py) whose progress every page shows. File names, column names,
labels and messages come from the uploads and are escaped (md_escape) wherever Streamlit renders Markdown.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from audits.config import DECISIONS, SECTION_NAMES, TASKS, AuditConfig, ProtectedAttribute
from audits.errors import AuditInputError
from audits.inputs import pickle_allowed_by_operator
from audits.runner import SECTIONS
from dashboard import charts, guard, jobs, services, state
from dashboard import components as ui
from dashboard.text import md_escape

AUTO = "(automatic)"
NONE = "(none)"
SECTION_TITLES = {name: title for name, title, _ in SECTIONS}
KINDS = ("data", "model", "reference", "config", "training", "emissions_csv")
UPLOAD_KEYS = {kind: f"setup.up.{kind}" for kind in KINDS}
STORE_KEYS = {
    "data": state.SETUP_DATA,
    "model": state.SETUP_MODEL,
    "reference": state.SETUP_REFERENCE,
    "config": state.SETUP_CONFIG,
    "training": state.SETUP_TRAINING,
    "emissions_csv": state.SETUP_EMISSIONS_CSV,
}
# which upload check (audits.limits field, accepted suffixes) applies to each slot
READ_AS = {"training": "data", "emissions_csv": "emissions_csv"}
DECISION_HELP = {
    "assistive": "assistive — being selected helps the person (a loan, a job interview)",
    "punitive": "punitive — being selected harms the person (a fraud flag, a refusal)",
    "representation": "representation — who is selected at all (a shortlist, search results)",
}
# Widgets that choose the dataset rather than describe it: never part of a dataset's form.
NOT_FORM = {state.W_SOURCE, state.W_SAMPLE, state.W_TEMPLATE}
MAX_FORMS = 8  # datasets whose choices are kept aside in a session

DEFAULTS: dict[str, Any] = {
    state.W_POSITIVE: AUTO,
    state.W_FAVOURABLE: AUTO,
    state.W_DECISION: "assistive",
    state.W_TASK: "auto",
    state.W_PREDICTION: NONE,
    state.W_SCORE: NONE,
    state.W_WEIGHT: NONE,
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
    state.W_TAG: "",
}

state.keep_widgets("setup.w.")
for _key, _value in {state.W_SOURCE: "sample", state.W_SAMPLE: services.DEMO_SAMPLE}.items():
    if _key not in st.session_state:
        st.session_state[_key] = _value


# ==============================================================================================================
# Upload slots
# ==============================================================================================================
def _take_upload(kind: str, file: Any) -> None:
    """Keep an upload as bytes in its own slot (uploader widgets forget files when the page changes)."""
    err_key = f"setup.err.{kind}"
    state.drop(err_key)
    state.put(f"setup.fid.{kind}", file.file_id)
    try:
        if kind == "emissions_csv":
            services.check_upload_size(file.name, file.size, kind="config")
            if not file.name.lower().endswith(".csv"):
                raise AuditInputError(
                    f"{file.name}: a codecarbon emissions file must be a .csv (codecarbon writes emissions.csv)."
                )
            upload = services.Upload.from_bytes(file.getvalue(), name=file.name)
        else:
            upload = services.read_upload(file, kind=READ_AS.get(kind, kind))
        state.put(STORE_KEYS[kind], upload)
    except AuditInputError as exc:
        state.drop(STORE_KEYS[kind])
        state.put(err_key, str(exc))


def _remove(kind: str) -> None:
    state.drop(STORE_KEYS[kind], f"setup.err.{kind}", f"setup.fid.{kind}")


def _uploader(kind: str, label: str, help_text: str) -> services.Upload | None:
    types = ["csv"] if kind == "emissions_csv" else services.uploader_types(READ_AS.get(kind, kind))
    # The slot follows the widget's file, read every run, not an on_change callback: a run interrupted by the next
    # upload skipped the callback and the 1,000,000-row benchmark lost its dataset ("Upload a dataset to
    # continue") in 1 of 3 runs. An emptied uploader keeps the slot: its "Remove" button drops a file.
    file = st.file_uploader(label, type=types, key=UPLOAD_KEYS[kind], help=help_text)
    if file is not None and state.get(f"setup.fid.{kind}") != file.file_id:
        _take_upload(kind, file)
    if state.get(f"setup.err.{kind}"):
        st.error(md_escape(state.get(f"setup.err.{kind}")))
    kept = state.get(STORE_KEYS[kind])
    if kept is not None and st.session_state.get(UPLOAD_KEYS[kind]) is None:
        text, button = st.columns([2, 1], vertical_alignment="center")
        with text:
            st.caption(f"Using **{md_escape(kept.name)}** ({kept.size / 1e6:.1f} MB), uploaded earlier.")
        with button:
            st.button(
                "Remove",
                key=f"setup.rm.{kind}",
                on_click=_remove,
                args=(kind,),
                icon=":material/delete:",
                help=f"Stop using {kept.name}",
            )
    return kept


# ==============================================================================================================
# One form per dataset
# ==============================================================================================================
def _form_values() -> dict[str, Any]:
    return {k: v for k, v in st.session_state.items() if str(k).startswith("setup.w.") and k not in NOT_FORM}


def _switch_form(identity: str) -> bool:
    """Make the form belong to dataset ``identity``; True when it is new to this session (to be prefilled)."""
    current = state.get(state.SETUP_FORM_FOR)
    if current == identity:
        return False
    forms: dict[str, dict[str, Any]] = dict(state.get("setup.forms") or {})
    if current is not None:
        forms[current] = {**_form_values(), state.SETUP_APPLIED_CONFIG: state.get(state.SETUP_APPLIED_CONFIG)}
    for k in list(_form_values()):
        del st.session_state[k]
    restored = forms.pop(identity, None)
    if len(forms) > MAX_FORMS:
        forms = dict(list(forms.items())[-MAX_FORMS:])
    state.put("setup.forms", forms)
    state.put(state.SETUP_FORM_FOR, identity)
    state.drop(state.SETUP_APPLIED_CONFIG)
    state.drop(state.SETUP_PENDING_CONFIG)
    if restored is None:
        return True
    marker = restored.pop(state.SETUP_APPLIED_CONFIG, None)
    for k, v in restored.items():
        st.session_state[k] = v
    if marker is not None:
        state.put(state.SETUP_APPLIED_CONFIG, marker)
    return False


def _prefill_from_columns(columns: list[str], frame: pd.DataFrame, has_model: bool, data_sha: str) -> None:
    """Defaults from the dataset's own columns: a label-like target (else none: the form asks)."""
    for key, value in DEFAULTS.items():
        st.session_state[key] = list(value) if isinstance(value, list) else value
    target = services.guess_target(columns)
    if target is not None:
        state.put(state.W_TARGET, target)
    else:
        state.drop(state.W_TARGET)
    if not has_model:
        _guess_prediction_columns(columns, exclude=[target] if target else [])
    state.put(state.SETUP_APPLIED_CONFIG, f"data:{data_sha}")


def _commit_applied_config() -> None:
    """The form has been drawn to its end with the config's values: do not copy them again."""
    pending = state.get(state.SETUP_PENDING_CONFIG)
    if pending is not None:
        state.put(state.SETUP_APPLIED_CONFIG, pending)
        state.drop(state.SETUP_PENDING_CONFIG)


def _guess_prediction_columns(columns: list[str], *, exclude: list[str]) -> None:
    pred = services.guess_column(columns, services.PREDICTION_NAMES, exclude=exclude)
    score = services.guess_column(columns, services.SCORE_NAMES, exclude=[*exclude, pred or ""])
    state.put(state.W_PREDICTION, pred or NONE)
    state.put(state.W_SCORE, score or NONE)


def _apply_config(config: AuditConfig, columns: list[str], marker: str) -> None:
    """Copy a loaded config into the form's widgets, once per config and dataset."""
    if state.get(state.SETUP_APPLIED_CONFIG) == marker:
        return
    # Applied for good only once this run has drawn the whole form (_commit_applied_config): a run interrupted
    # before that (the next upload arriving) let the browser's older widget values, e.g. no protected attribute,
    # replace the config's on the next run, and the config was never copied again (1 in 3 benchmark uploads).
    state.put(state.SETUP_PENDING_CONFIG, marker)
    if config.target in columns:
        state.put(state.W_TARGET, config.target)
    state.put(state.W_TASK, config.task)
    state.put(state.W_POSITIVE, AUTO if config.positive_label is None else str(config.positive_label))
    state.put(state.W_FAVOURABLE, AUTO if config.favourable_label is None else str(config.favourable_label))
    state.put(state.W_DECISION, config.decision)
    for key, column in (
        (state.W_PREDICTION, config.prediction_column),
        (state.W_SCORE, config.score_column),
        (state.W_WEIGHT, config.sample_weight_column),
    ):
        state.put(key, column if column in columns else NONE)
    state.put(state.W_PROTECTED, [c for c in config.protected_columns if c in columns])
    for p in config.protected:
        state.put(state.W_BINS_PREFIX + p.column, services.format_bins(p.bins))
        state.put(
            state.W_REFERENCE_PREFIX + p.column, AUTO if p.reference_group is None else str(p.reference_group)
        )
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


def _apply_template(name: str, columns: list[str]) -> None:
    """Preset the form from template ``name`` (column guesses made on this dataset's columns)."""
    t = services.TEMPLATES[name]
    state.put(state.W_TASK, t["task"])
    state.put(state.W_DECISION, t["decision"])
    state.put(state.W_SECTIONS, list(t["sections"]))
    target = state.get(state.W_TARGET)
    if t["predictions"]:
        _guess_prediction_columns(columns, exclude=[target] if target else [])
    else:
        state.put(state.W_PREDICTION, NONE)
        state.put(state.W_SCORE, NONE)
    state.put(state.SETUP_TEMPLATE, name)


def _sanitize_choice(key: str, options: list[Any], default: Any) -> None:
    if state.get(key) not in options:
        state.put(key, default)


def _sanitize_multi(key: str, options: list[Any]) -> None:
    allowed = set(options)
    state.put(key, [v for v in (state.get(key) or []) if v in allowed])


def _column_choice(key: str, label: str, columns: list[str], help_text: str) -> str | None:
    options = [NONE, *columns]
    _sanitize_choice(key, options, NONE)
    st.selectbox(label, options, key=key, help=help_text)
    value = state.get(key)
    return None if value == NONE else value


def _protected_attributes(
    columns: list[str], frame: pd.DataFrame, groups: dict[str, dict[str, int]], base: AuditConfig | None
) -> list[ProtectedAttribute]:
    """The protected-attribute widgets: bin edges for numeric ones, and each one's reference group."""
    st.multiselect(
        "Protected attributes",
        columns,
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
            if key not in st.session_state:
                st.session_state[key] = ""
            st.text_input(
                f"Bin edges for '{md_escape(col)}'",  # widget labels render Markdown
                key=key,
                placeholder="e.g. 25, 60 — empty: quartiles when it has many values",
                help="Inner edges: '25, 60' gives the groups <=25, (25, 60] and >60.",
            )
            bins = services.parse_bins(state.get(key, ""), column=col)
        ref_key = state.W_REFERENCE_PREFIX + col
        known = list(groups.get(col) or {})
        options = [AUTO, *known]
        if not state.get(ref_key):
            state.put(ref_key, AUTO)
        elif state.get(ref_key) not in options:
            # a group the check has not listed yet (a config's choice): kept; the audit refuses a wrong one
            options.append(state.get(ref_key))
        st.selectbox(
            f"Reference group for '{md_escape(col)}'",
            options,
            key=ref_key,
            help="Every other group is compared with this one. Automatic: the largest group (or the one "
            "with the most favourable outcomes, as the policy says).",
        )
        ref = state.get(ref_key)
        old = base_attrs.get(col)
        # the config's group names stay with the bins they name
        labels = old.labels if old is not None and old.bins == bins else None
        attrs.append(
            ProtectedAttribute(
                column=col, bins=bins, labels=labels, reference_group=None if ref in (AUTO, None) else ref
            )
        )
    return attrs


def _validation_message(v: services.Validation) -> None:
    if not v.ok:
        st.error(md_escape(v.message))
        return
    f = v.facts
    task = md_escape(f["task"])
    label = f" with positive class **{md_escape(f['positive_label'])}**" if f.get("positive_label") else ""
    groups = "; ".join(
        f"{md_escape(c)}: {len(g)} group(s)" if g else md_escape(c) for c, g in f["groups"].items()
    )
    checked = f" (checked on the first {f['checked_rows']:,} rows)" if f.get("checked_rows") else ""
    if f.get("prediction_column"):
        source = f"the column **{md_escape(f['prediction_column'])}**"
        if f.get("score_column"):
            source += f" (scores from **{md_escape(f['score_column'])}**)"
    else:
        source = f"the {md_escape(f['prediction_source'])}"
    features = f", {len(f['features'])} model features" if f.get("features") else ""
    st.success(
        f"Ready: **{task}** audit{label}; {f['rows']:,} rows{checked}{features}; "
        f"protected groups — {groups}; predictions from {source}."
    )
    for note in f.get("notes", []):
        st.caption(md_escape(note))
    if any(len(g) > 1 for g in f["groups"].values()):
        st.plotly_chart(
            _group_sizes_figure(f["groups"], f.get("checked_rows")),
            key="setup.group_sizes",
            config=ui.PLOT_CONFIG,
        )


@st.cache_data(max_entries=8, show_spinner=False)
def _group_sizes_figure(groups: dict[str, dict[str, int]], checked_rows: int | None) -> Any:
    """The group-size chart of a check's facts (built once per facts: the form reruns on every change)."""
    return charts.group_sizes(groups, checked_rows=checked_rows)


def _start(inputs: services.AuditInputs, described: dict[str, Any], tag: str) -> None:
    """Start the audit as a job of the server and follow it from this session (and the URL)."""
    with guard.engine_call("starting the audit"):
        parsed = services.parsed_inputs(inputs)  # cache hits after the live check
        previous = state.get(state.JOB)
        audit_id = services.start_audit(inputs, description=described, tag=tag or None, parsed=parsed)
    if previous and previous != audit_id:
        jobs.board().cancel(previous)  # the user asked for another audit: the older one stops
    state.open_audit(audit_id)
    st.rerun()


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

st.radio(
    "Inputs",
    ["sample", "upload"],
    format_func={"sample": "Bundled sample", "upload": "Upload my files"}.get,
    key=state.W_SOURCE,
    horizontal=True,
)

base: AuditConfig | None = None
config_error = None
config_note = ""
marker = None
training = emissions_csv = None
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
        raw = services.sample_inputs(sample_key)
    data, model, reference = raw["data"], raw["model"], raw["reference"]
    base, config_error, config_note = services.parse_config(raw["config"], path=raw["config_path"])
    identity = f"sample:{sample_key}"
    marker = identity
    config_path = raw["config_path"]
    described = services.describe_inputs(data, model, reference, sample=sample_key)
else:
    config_path = None
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
            "model",
            "Model (.skops or .onnx)",
            "A fitted scikit-learn model saved with skops.io, or ONNX. Leave empty to audit predictions "
            "stored in a column of the dataset.",
        )
        if pickle_allowed_by_operator():
            st.warning(services.PICKLE_RISK)
        else:
            st.caption(
                "Pickle/joblib models are refused: loading one runs the code inside it. Save the model with "
                "skops.io.dump or export it to ONNX."
            )
        cfg_upload = _uploader("config", "Config YAML (optional)", "An audit.yaml: fills in the form below.")
    with st.expander("Emissions inputs (optional): the training data and the trainer's codecarbon file"):
        st.caption(
            "The emissions section re-fits the model to measure training energy. Without the training data it "
            "re-fits on the reference dataset, else on the audited rows, which can be far fewer than the model "
            "was trained on. A codecarbon emissions.csv from the real training run is reported beside it."
        )
        e_left, e_right = st.columns(2)
        with e_left:
            training = _uploader(
                "training",
                "Training data (CSV or Parquet)",
                "The rows the model was trained on, with the same columns as the dataset.",
            )
        with e_right:
            emissions_csv = _uploader(
                "emissions_csv",
                "Trainer's codecarbon emissions.csv",
                "The file codecarbon wrote while the model was trained.",
            )
    if cfg_upload is not None:
        base, config_error, config_note = services.parse_config(cfg_upload)
    if data is None:
        st.info("Upload a dataset to continue, or choose a bundled sample.")
        st.stop()
    identity = f"upload:{data.sha256}"
    if cfg_upload is not None:
        marker = f"config:{cfg_upload.sha256}:{data.sha256}"
    described = services.describe_inputs(
        data, model, reference, training=training, emissions_csv=emissions_csv
    )

if config_error:
    st.error(md_escape(config_error))
if config_note:
    st.warning(md_escape(config_note))

loaded = services.load_data(data, na_values=base.na_values if base else ("",))
if not loaded.ok:
    st.error(md_escape(loaded.error))
    st.stop()
frame = loaded.value.frame
columns = [str(c) for c in frame.columns]
st.caption(f"**{md_escape(data.name)}**: {len(frame):,} rows × {len(columns)} columns.")

if _switch_form(identity) and (base is None or marker is None):
    _prefill_from_columns(columns, frame, model is not None, data.sha256)
for _key, _value in DEFAULTS.items():
    if _key not in st.session_state:
        st.session_state[_key] = list(_value) if isinstance(_value, list) else _value
if base is not None and marker is not None:
    _apply_config(base, columns, marker)

with st.expander("Start from a template"):
    st.caption(
        "Presets for common audits; they set the task, the decision type, the sections and, for "
        "predictions only, the prediction and score columns found in this dataset."
    )
    st.selectbox(
        "Template",
        list(services.TEMPLATES),
        format_func=lambda k: services.TEMPLATES[k]["title"],
        key=state.W_TEMPLATE,
    )
    chosen = state.get(state.W_TEMPLATE) or "model"
    st.caption(services.TEMPLATES[chosen]["note"])
    st.button(
        "Apply the template",
        key="setup.btn.template",
        on_click=_apply_template,
        args=(chosen, columns),
        icon=":material/auto_fix_high:",
    )

st.subheader("What to audit")
form_left, form_right = st.columns(2)
with form_left:
    if state.get(state.W_TARGET) not in columns:
        state.drop(state.W_TARGET)
    # no preselection unless the dataset or its config named one (index=None beside a set value would warn)
    unset = {} if state.get(state.W_TARGET) in columns else {"index": None}
    st.selectbox(
        "Target (label) column",
        columns,
        **unset,
        key=state.W_TARGET,
        placeholder="Choose the column with the true outcome",
        help="The true outcome of each row. Prefilled only when a column is named like a label (target, "
        "label, y, outcome, class, income, default, credit_risk, ...).",
    )
    target = state.get(state.W_TARGET)
    others = [c for c in columns if c != target]
    prediction = _column_choice(
        state.W_PREDICTION,
        "Prediction column",
        others,
        "Audit the predictions stored in this column instead of (or without) a model file.",
    )
    score = _column_choice(
        state.W_SCORE,
        "Score column (optional)",
        [c for c in others if c != prediction],
        "The predicted probability of the positive class, for threshold and ranking metrics.",
    )
    weight = _column_choice(
        state.W_WEIGHT,
        "Sample-weight column (optional)",
        [c for c in others if c not in (prediction, score)],
        "Rows count with these weights in every metric.",
    )
    label_options = [AUTO]
    if target is not None:
        values = pd.unique(frame[target].dropna())
        label_options += sorted(map(str, values)) if len(values) <= 50 else []
    _sanitize_choice(state.W_POSITIVE, label_options, AUTO)
    _sanitize_choice(state.W_FAVOURABLE, label_options, AUTO)
    st.selectbox(
        "Positive class",
        label_options,
        key=state.W_POSITIVE,
        help="The class the model's score is the probability of. Automatic: the model's classes_[1].",
    )
    st.selectbox(
        "Favourable outcome",
        label_options,
        key=state.W_FAVOURABLE,
        help="The outcome that benefits a person (e.g. '>50K', 'good'). Automatic: the positive class.",
    )
    _sanitize_choice(state.W_DECISION, list(DECISIONS), "assistive")
    st.selectbox("Decision type", list(DECISIONS), key=state.W_DECISION, format_func=DECISION_HELP.get)
    _sanitize_choice(state.W_TASK, list(TASKS), "auto")
    st.selectbox("Task", list(TASKS), key=state.W_TASK)

used = {target, prediction, score, weight}
protected_options = [c for c in columns if c not in used]
config = None
form_error = None
validation = None
with form_right:
    _sanitize_multi(state.W_PROTECTED, protected_options)
    # the groups of the last check of this dataset name the reference-group choices
    last_groups = (
        dict(state.get("setup.last_groups") or {}) if state.get("setup.groups_for") == identity else {}
    )
    try:
        protected = _protected_attributes(protected_options, frame, last_groups, base)
    except AuditInputError as exc:
        protected, form_error = [], str(exc)
with st.expander("Features and advanced options"):
    feature_options = [c for c in columns if c not in used]
    _sanitize_multi(state.W_FEATURES, feature_options)
    _sanitize_multi(state.W_EXCLUDE, feature_options)
    st.multiselect(
        "Features (empty: the model's expected columns, else every other column)",
        feature_options,
        key=state.W_FEATURES,
    )
    st.multiselect("Columns to exclude (ids, timestamps)", feature_options, key=state.W_EXCLUDE)
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
        st.text_input(
            "Tag (optional)",
            key=state.W_TAG,
            max_chars=100,
            help="A name for this audit in the history (e.g. v2, 2026-05), when the server keeps one.",
        )
    with c:
        st.multiselect("Sections", list(SECTION_NAMES), key=state.W_SECTIONS, format_func=SECTION_TITLES.get)
        st.text_input("Country for emissions (ISO 3166-1 alpha-3)", key=state.W_COUNTRY)
_commit_applied_config()

if target is None:
    st.warning("Choose the target column: no column is named like a label (target, label, y, outcome, ...).")
elif form_error:
    st.error(md_escape(form_error))
elif not protected:
    st.warning("Choose at least one protected attribute (e.g. sex, race or age).")
else:
    # a value the config refuses is a message; the form stays usable (stop=False) without a config
    with guard.engine_call("checking the form", stop=False):
        positive = state.get(state.W_POSITIVE)
        favourable = state.get(state.W_FAVOURABLE)
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
        ).replace(
            favourable_label=None if favourable == AUTO else favourable,
            decision=state.get(state.W_DECISION) or "assistive",
            prediction_column=prediction,
            score_column=score,
            sample_weight_column=weight,
        )

if config is not None:
    if model is None and config.prediction_column is None:
        st.error("Upload a model (.skops or .onnx), or choose the prediction column of the dataset.")
    else:
        with guard.engine_call("checking the inputs"):
            validation = services.validate(data, model, reference, config)
            extra_error = services.check_emissions_uploads(training, emissions_csv, config)
        _validation_message(validation)
        if validation.ok:
            state.put("setup.last_groups", dict(validation.facts.get("groups") or {}))
            state.put("setup.groups_for", identity)
            if not last_groups and any(
                state.get(state.W_REFERENCE_PREFIX + p.column) not in (AUTO, None) for p in protected
            ):
                st.rerun()  # the reference-group choices now know the groups
        if extra_error:
            st.error(md_escape(extra_error))
            validation = services.Validation(False, extra_error)

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
    _start(
        services.AuditInputs(
            data,
            model,
            reference,
            config,
            training=training,
            emissions_csv=emissions_csv,
            config_path=config_path,
        ),
        described,
        str(state.get(state.W_TAG) or "").strip(),
    )
elif state.result() is not None:
    _explore_links()
