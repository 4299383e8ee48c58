"""The dashboard's single door to the engine and the renderers, and its only cache.

Pages call these functions and never ``audits``' computations directly. Every cached value is keyed by content
hashes (SHA-256 of the uploaded bytes) plus the config's YAML, never by file objects, so moving between pages, or
re-uploading the same file, recomputes nothing:

- ``st.cache_resource`` holds parsed datasets, loaded models, validated contexts and audit results: large,
  read-only objects shared without copying (an AuditResult is frozen).
- ``st.cache_data`` holds rendered bytes (reports, model cards) and row explanations: small, copied per call.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import logging
import os
import secrets
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import streamlit as st
import yaml

from audits import errors as E
from audits.config import SECTION_NAMES, AuditConfig, ProtectedAttribute, parse_yaml_mapping
from audits.context import AuditContext, build_context
from audits.emissions import uploaded_inputs
from audits.emissions_import import parse_codecarbon_csv
from audits.errors import AuditInputError
from audits.fairness.view import FairnessResult
from audits.inputs import (
    DATA_SUFFIXES,
    ONNX_SUFFIXES,
    PICKLE_SUFFIXES,
    SKOPS_SUFFIXES,
    LoadedData,
    ModelAdapter,
    load_dataset,
    load_model,
    pickle_allowed_by_operator,
    sha256_bytes,
)
from audits.limits import MB, Limits, check_bytes, dashboard_limits
from audits.results import AuditResult
from audits.runner import SECTIONS, CancelledError
from audits.runner import audit_context as run_sections  # services.audit_context is an audit's context
from audits.samples import require_samples, samples_dir
from dashboard import jobs
from dashboard.store import BoundedStore, new_token

log = logging.getLogger("rai_audit.dashboard")

REPO_ROOT = Path(__file__).resolve().parents[1]
SAMPLE_DIR = samples_dir()  # not in a wheel: require_samples says where to find them

DEMO_ENV_VAR = "RAI_AUDIT_DEMO"
VALIDATE_ROW_CAP = 200_000  # the live form check reads at most this many rows; the audit checks all of them
CONFIG_SUFFIXES = {".yaml", ".yml"}
# Which limit of audits.limits.Limits caps an upload of each kind (.streamlit/config.toml's maxUploadSize is the
# outer cap: keep it equal to audits.limits.DASHBOARD_MAX_UPLOAD_MB).
UPLOAD_LIMIT_FIELD = {
    "data": "max_data_bytes",
    "reference": "max_data_bytes",
    "model": "max_model_bytes",
    "config": "max_config_bytes",
}
# The audits kept in memory for every session together (results with the uploads they were computed from).
AUDIT_STORE_ITEMS_ENV = "RAI_AUDIT_DASHBOARD_AUDITS"
AUDIT_STORE_MB_ENV = "RAI_AUDIT_DASHBOARD_STORE_MB"
AUDIT_STORE_MAX_ITEMS = 8
AUDIT_STORE_MAX_MB = 1536
# Rendered reports and model cards (PDF, HTML, Markdown, JSON) kept for re-download.
REPORT_STORE_MAX_ITEMS = 32
REPORT_STORE_MAX_MB = 256

UNEXPECTED = (
    "{file}: could not {what} the file. Check that it is a valid file of its type; if it is, give the operator "
    "the reference {ref} (the details are in the server log)."
)
UPLOAD_EMPTY = "{file}: the file is empty. Choose a file with content."
UPLOAD_WRONG_TYPE = "{file}: a {kind} must be one of {allowed}; got '{suffix}'."
CONFIG_TRUSTS_TYPES = (
    "{file}: 'trusted_types' widens what a model file may load, which only the server's operator may do; an "
    "uploaded config may not set it. Remove the key, or ask the operator."
)
PICKLE_RISK = (
    "Pickle/joblib models are enabled by the operator (RAI_AUDIT_ALLOW_PICKLE). Loading one runs any code it "
    "contains with this server's rights: upload only files you created or fully trust. Prefer .skops or .onnx."
)


# ------------------------------------------------------------------------------------------------------------
# Uploads and samples
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Upload:
    """An input file as bytes, with its name and SHA-256 (the cache key)."""

    name: str
    sha256: str
    data: bytes = field(repr=False)

    @property
    def size(self) -> int:
        return len(self.data)

    @classmethod
    def from_bytes(cls, data: bytes, *, name: str) -> Upload:
        return cls(name=name, sha256=sha256_bytes(data), data=bytes(data))


def limits() -> Limits:
    """The dashboard's input limits (``audits.limits.dashboard_limits``: 250 MB uploads by default, raised with
    the ``RAI_AUDIT_MAX_*`` environment variables)."""
    return dashboard_limits()


def _unexpected(exc: BaseException, *, file: str, what: str) -> str:
    """A message for an exception the loaders did not anticipate; its text (which may quote server paths or
    data) goes to the server log only."""
    ref = secrets.token_hex(4)
    log.error("%s: could not %s the file (reference %s)", file, what, ref, exc_info=exc)
    return UNEXPECTED.format(file=file, what=what, ref=ref)


def allowed_suffixes(kind: str) -> list[str]:
    """File suffixes (without dot) the uploader of ``kind`` accepts: data, reference, model or config."""
    if kind in ("data", "reference"):
        suffixes = set(DATA_SUFFIXES)
    elif kind == "model":
        suffixes = SKOPS_SUFFIXES | ONNX_SUFFIXES
        if pickle_allowed_by_operator():
            suffixes |= PICKLE_SUFFIXES
    elif kind == "config":
        suffixes = CONFIG_SUFFIXES
    else:
        raise ValueError(
            f"The 'kind' parameter of allowed_suffixes must be data, reference, model or config. Got {kind!r}."
        )
    return sorted(s.lstrip(".") for s in suffixes)


def check_upload_size(name: str, size: int, *, kind: str) -> None:
    """Refuse an upload of ``kind`` (data, reference, model, config) larger than the dashboard's limit.

    Raises
    ------
    AuditInputError : names the file, the limit and the environment variable that raises it.
    """
    if kind not in UPLOAD_LIMIT_FIELD:
        raise ValueError(f"The 'kind' parameter must be data, reference, model or config. Got {kind!r}.")
    check_bytes(name, int(size), field=UPLOAD_LIMIT_FIELD[kind], limits=limits())


def read_upload(file: Any, *, kind: str) -> Upload:
    """Turn an uploaded file (Streamlit ``UploadedFile`` or ``(name, bytes)``) into an :class:`Upload`.

    Raises
    ------
    AuditInputError : too large, empty, wrong suffix, or a pickle model that the operator has not enabled.
    """
    # The size is checked before the bytes are copied or parsed (an UploadedFile knows its size).
    if isinstance(file, tuple):
        name, size = str(file[0]), len(file[1])
    else:
        name, size = str(file.name), int(file.size)
    check_upload_size(name, size, kind=kind)
    data = bytes(file[1]) if isinstance(file, tuple) else bytes(file.getvalue())
    suffix = Path(name).suffix.lower()
    if not data:
        raise AuditInputError(UPLOAD_EMPTY.format(file=name))
    if kind == "model" and suffix in PICKLE_SUFFIXES and not pickle_allowed_by_operator():
        raise AuditInputError(E.PICKLE_NOT_TRUSTED.format(file=name))
    allowed = allowed_suffixes(kind)
    if suffix.lstrip(".") not in allowed:
        label = {"data": "dataset", "reference": "reference dataset", "model": "model", "config": "config"}[
            kind
        ]
        raise AuditInputError(
            UPLOAD_WRONG_TYPE.format(
                file=name, kind=label, allowed=", ".join(f".{s}" for s in allowed), suffix=suffix or "(none)"
            )
        )
    return Upload.from_bytes(data, name=name)


@dataclass(frozen=True)
class Sample:
    """A bundled audit: files relative to ``sample_data/``."""

    title: str
    data: str
    model: str
    config: str
    reference: str | None = None
    note: str = ""
    card: str | None = None  # the qualitative model-card fields bundled with the sample (YAML)


SAMPLES: dict[str, Sample] = {
    "adult_gbm": Sample(
        title="Adult income — gradient boosting (.skops)",
        data="adult/adult_test.csv",
        model="adult/adult_gbm.skops",
        reference="adult/adult_train.csv",
        config="adult/audit.yaml",
        note="UCI Adult test split, 16,281 rows; train split as drift reference.",
        card="adult/model_card.yaml",
    ),
    "adult_logreg": Sample(
        title="Adult income — logistic regression (.skops)",
        data="adult/adult_test.csv",
        model="adult/adult_logreg.skops",
        reference="adult/adult_train.csv",
        config="adult/audit.yaml",
        note="UCI Adult test split, 16,281 rows; train split as drift reference.",
    ),
    "adult_onnx": Sample(
        title="Adult income — logistic regression (.onnx)",
        data="adult/adult_test.csv",
        model="adult/adult_logreg.onnx",
        reference="adult/adult_train.csv",
        config="adult/audit.yaml",
        note="The same logistic regression exported to ONNX (SHAP uses a model-agnostic explainer).",
    ),
    "german_credit": Sample(
        title="German credit — logistic regression (.skops)",
        data="german_credit/german_credit_test.csv",
        model="german_credit/german_logreg.skops",
        config="german_credit/audit.yaml",
        note="Statlog German credit, 300-row test split; no reference dataset.",
    ),
}
DEMO_SAMPLE = "adult_gbm"


@st.cache_resource(show_spinner=False, max_entries=16)
def _file_upload(path: str) -> Upload:
    p = Path(path)
    return Upload.from_bytes(p.read_bytes(), name=p.name)


def sample_inputs(key: str) -> dict[str, Any]:
    """The uploads and config of bundled sample ``key``: ``{"data", "model", "reference", "config"}``."""
    s = SAMPLES[key]
    require_samples(SAMPLE_DIR, Path(s.data).parts[0])
    return {
        "data": _file_upload(str(SAMPLE_DIR / s.data)),
        "model": _file_upload(str(SAMPLE_DIR / s.model)),
        "reference": None if s.reference is None else _file_upload(str(SAMPLE_DIR / s.reference)),
        "config": _file_upload(str(SAMPLE_DIR / s.config)),
        "config_path": str(SAMPLE_DIR / s.config),
    }


def demo_requested(argv: Sequence[str] | None = None) -> bool:
    """True when the app was started with ``-- --demo`` or ``RAI_AUDIT_DEMO=1``."""
    argv = sys.argv[1:] if argv is None else argv
    env = os.environ.get(DEMO_ENV_VAR, "").strip().lower() in {"1", "true", "yes"}
    return env or "--demo" in argv


# ------------------------------------------------------------------------------------------------------------
# Parsing, cached by content hash
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Outcome:
    """A cached value or the user-facing message of why there is none (errors are cached too)."""

    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


@st.cache_resource(show_spinner="Reading the dataset…", max_entries=4)
def _load_data(sha256: str, name: str, na_values: tuple[str, ...], _raw: bytes) -> Outcome:
    try:
        return Outcome(load_dataset(_raw, name=name, na_values=na_values, limits=limits()))
    except AuditInputError as exc:
        return Outcome(error=str(exc))
    except (
        Exception
    ) as exc:  # a parser failure the loader did not anticipate: still a message, not a traceback
        return Outcome(error=_unexpected(exc, file=name, what="read"))


def load_data(upload: Upload, *, na_values: Sequence[str] = ("",)) -> Outcome:
    """Parse a dataset upload once per content (Outcome of :class:`~audits.inputs.LoadedData`)."""
    return _load_data(upload.sha256, upload.name, tuple(na_values), upload.data)


@st.cache_resource(show_spinner="Loading the model…", max_entries=4)
def _load_model(sha256: str, name: str, trust_pickle: bool, _raw: bytes) -> Outcome:
    try:
        # trusted_types stays at the engine's allow-list: an uploaded config may not widen it (parse_config)
        return Outcome(load_model(_raw, name=name, trust_pickle=trust_pickle, limits=limits()))
    except AuditInputError as exc:
        return Outcome(error=str(exc))
    except Exception as exc:  # e.g. a library error inside an unusual model file
        return Outcome(error=_unexpected(exc, file=name, what="load"))


def load_model_upload(upload: Upload) -> Outcome:
    """Load a model upload once per content; pickle only when the operator enabled it."""
    return _load_model(upload.sha256, upload.name, pickle_allowed_by_operator(), upload.data)


def parse_config(upload: Upload, *, path: str | None = None) -> tuple[AuditConfig | None, str | None, str]:
    """A config as ``(config, error, note)``.

    ``path`` is given for bundled samples only: then relative file paths inside the config resolve next to it.
    An upload is parsed by ``AuditConfig.from_upload`` (strict YAML, typed values), which refuses any key that
    names a server file whatever the YAML shape, so nothing in an upload can make the server open a path; an
    upload may not set ``trusted_types`` either. ``note`` is reserved for remarks that are not errors.
    """
    if path is not None:
        try:
            return AuditConfig.from_yaml(path, limits=limits()), None, ""
        except AuditInputError as exc:
            return None, str(exc), ""
    try:
        config = AuditConfig.from_upload(upload.data, upload.name, limits=limits())
    except AuditInputError as exc:
        return None, str(exc), ""
    except Exception as exc:  # the strict parser should leave nothing else; still a message
        return None, _unexpected(exc, file=upload.name, what="read"), ""
    if config.trusted_types:
        return None, CONFIG_TRUSTS_TYPES.format(file=upload.name), ""
    return config, None, ""


def build_config(
    base: AuditConfig | None,
    *,
    target: str,
    protected: Sequence[ProtectedAttribute],
    positive_label: Any = None,
    features: Sequence[str] | None = None,
    exclude_columns: Sequence[str] = (),
    task: str = "auto",
    intersections: bool = True,
    explain_sample_size: int | None = None,
    n_bootstrap: int | None = None,
    ratio_tolerance: float | None = None,
    difference_tolerance: float | None = None,
    sections: Sequence[str] = SECTION_NAMES,
    country_iso_code: str | None = None,
    seed: int | None = None,
) -> AuditConfig:
    """The form's choices on top of ``base`` (a loaded config keeps its other settings, e.g. policy)."""
    base = base or AuditConfig(target=target, protected=tuple(protected))
    policy = base.policy
    changes: dict[str, Any] = {}
    if n_bootstrap is not None:
        changes["n_bootstrap"] = int(n_bootstrap)
    if ratio_tolerance is not None:
        changes["ratio_tolerance"] = float(ratio_tolerance)
    if difference_tolerance is not None:
        changes["difference_tolerance"] = float(difference_tolerance)
    policy = dataclasses.replace(policy, **changes)  # Policy validates the values
    emissions = base.emissions
    if country_iso_code:
        emissions = dataclasses.replace(emissions, country_iso_code=country_iso_code.strip().upper())
    ordered = tuple(s for s in SECTION_NAMES if s in set(sections))
    return dataclasses.replace(
        base,
        target=target,
        protected=tuple(protected),
        positive_label=positive_label,
        features=tuple(features) if features else None,
        exclude_columns=tuple(exclude_columns),
        task=task,
        intersections=bool(intersections),
        explain_sample_size=int(explain_sample_size or base.explain_sample_size),
        sections=ordered,
        seed=base.seed if seed is None else int(seed),
        policy=policy,
        emissions=emissions,
    )


def content_key(
    data: Upload,
    model: Upload | None,
    reference: Upload | None,
    config: AuditConfig,
    *,
    training: Upload | None = None,
    emissions_csv: Upload | None = None,
) -> str:
    """The cache key of a deterministic computation on these inputs (parsing, validation, the context):
    hashes of every input, the config and the pickle setting. Never an audit's id: see :func:`run`.

    ``training`` and ``emissions_csv`` (the emissions section's uploads) change the audit, not the validated
    context: the live check leaves them out so that its context is the audit's."""
    h = hashlib.sha256()
    for up in (data, model, reference):
        # names too: they are part of the result's provenance
        h.update(f"{up.sha256}:{up.name}|".encode() if up is not None else b"-|")
    for up in (training, emissions_csv):
        if up is not None:
            h.update(f"+{up.sha256}:{up.name}|".encode())
    h.update(config.to_yaml().encode())
    h.update(str(pickle_allowed_by_operator()).encode())
    return h.hexdigest()


# ------------------------------------------------------------------------------------------------------------
# Validation as the user types
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Validation:
    """What the live check of the Setup form found."""

    ok: bool
    message: str
    facts: Mapping[str, Any] = field(default_factory=dict)


# Validated contexts by content key, shared by the live check (page threads), the audit (the job worker) and
# the row explanations, so one audit costs one prediction pass. A plain locked LRU rather than st.cache_resource:
# the job worker has no script run to draw a spinner into.
CONTEXT_CACHE_ITEMS = 4
_CONTEXTS: BoundedStore[str, Outcome] = BoundedStore(
    max_items=CONTEXT_CACHE_ITEMS, max_bytes=CONTEXT_CACHE_ITEMS, size=lambda _o: 1
)


def _context(
    key: str, data: LoadedData, model: ModelAdapter | None, ref: LoadedData | None, config: AuditConfig
) -> Outcome:
    """The validated context of these inputs (predictions made once per content key)."""
    found = _CONTEXTS.get(key)
    if found is not None:
        return found
    try:
        out = Outcome(build_context(data, config=config, model=model, reference=ref))
    except AuditInputError as exc:
        out = Outcome(error=str(exc))
    except Exception as exc:  # the check must never show a traceback
        out = Outcome(error=_unexpected(exc, file=data.name, what="check"))
    _CONTEXTS.put(key, out)
    return out


@st.cache_resource(show_spinner="Checking the inputs…", max_entries=16)
def _validate(
    key: str, _data: LoadedData, _model: ModelAdapter | None, _ref: LoadedData | None, _config: AuditConfig
) -> Validation:
    n = len(_data.frame)
    if n > VALIDATE_ROW_CAP:
        # a large upload is checked on its first rows only; the audit then validates all of them
        data = dataclasses.replace(_data, frame=_data.frame.iloc[:VALIDATE_ROW_CAP])
        checked = _context(f"{key}:head", data, _model, _ref, _config)
    else:
        checked = _context(key, _data, _model, _ref, _config)
    if not checked.ok:
        return Validation(False, checked.error or "")
    ctx = checked.value
    facts = describe_context(ctx)
    facts["rows"] = n
    if n > VALIDATE_ROW_CAP:
        facts["checked_rows"] = VALIDATE_ROW_CAP
    return Validation(True, "ready", facts)


def describe_context(ctx: AuditContext) -> dict[str, Any]:
    """Plain facts about a validated context for the form: task, classes, groups per attribute."""
    groups = {col: ctx.sensitive[col].value_counts().to_dict() for col in ctx.protected_columns}
    config = ctx.config
    return {
        "task": ctx.task,
        "positive_label": None if ctx.positive_label is None else str(ctx.positive_label),
        "classes": [str(c) for c in ctx.classes],
        "features": list(ctx.features),
        "groups": {c: {str(k): int(v) for k, v in g.items()} for c, g in groups.items()},
        "intersections": list(ctx.intersection_columns),
        "prediction_source": ctx.prediction_source,
        "prediction_column": config.prediction_column,
        "score_column": config.score_column,
        "notes": list(ctx.notes),
    }


def _facts_from_result(result: AuditResult) -> dict[str, Any]:
    facts = dict((result.provenance.platform or {}).get("context") or {})
    groups: dict[str, dict[str, int]] = {}
    fair = FairnessResult.from_section(result.section("fairness"))
    for col in facts.get("protected", []):
        table = fair.groups(col)
        if table is not None and "group" in table.data and "count" in table.data:
            groups[col] = {
                str(g): int(c or 0) for g, c in zip(table.data["group"], table.data["count"], strict=True)
            }
        else:
            groups[col] = {}
    facts["groups"] = groups
    facts.setdefault("features", [])
    facts.setdefault("prediction_source", "model")
    config = result.provenance.config or {}
    facts.setdefault("prediction_column", config.get("prediction_column"))
    facts.setdefault("score_column", config.get("score_column"))
    return facts


def validate(data: Upload, model: Upload | None, reference: Upload | None, config: AuditConfig) -> Validation:
    """Check the inputs and config as the audit would (cached per content and config)."""
    done = audits().find(content_key(data, model, reference, config))
    if (
        done is not None
    ):  # these exact inputs were audited: they are valid, and the result says what was found
        return Validation(True, "ready", _facts_from_result(done[1].result))
    config = validation_config(config)
    ckey = content_key(data, model, reference, config)
    loaded = load_data(data, na_values=config.na_values)
    if not loaded.ok:
        return Validation(False, loaded.error or "")
    adapter = None
    if model is not None:
        m = load_model_upload(model)
        if not m.ok:
            return Validation(False, m.error or "")
        adapter = m.value
    ref = None
    if reference is not None:
        r = load_data(reference, na_values=config.na_values)
        if not r.ok:
            return Validation(False, r.error or "")
        ref = r.value
    return _validate(ckey, loaded.value, adapter, ref, config)


def check_emissions_uploads(
    training: Upload | None, emissions_csv: Upload | None, config: AuditConfig
) -> str | None:
    """A message when the training data or the trainer's codecarbon CSV cannot be read (else None)."""
    if training is not None:
        loaded = load_data(training, na_values=config.na_values)
        if not loaded.ok:
            return loaded.error
        missing = [c for c in (config.target,) if c not in loaded.value.frame.columns]
        if missing:
            return (
                f"{training.name}: the training data has no column '{missing[0]}' (the target). Upload the "
                "rows the model was trained on, with the same columns as the audited data."
            )
    if emissions_csv is not None:
        try:
            parse_codecarbon_csv(emissions_csv.data, name=emissions_csv.name)
        except AuditInputError as exc:
            return str(exc)
    return None


# ------------------------------------------------------------------------------------------------------------
# The audits kept on the server: bounded, locked, named by random ids; the audit store behind them when set
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditRecord:
    """One audit kept for every session: its result and the uploads and config it was computed from (the row
    explanations re-read them). An audit read back from the audit store has its result only (``data`` None)."""

    result: AuditResult
    data: Upload | None = field(repr=False)
    model: Upload | None = field(repr=False)
    reference: Upload | None = field(repr=False)
    config: AuditConfig | None = field(repr=False)
    content_key: str = ""
    nbytes: int = 0
    context_key: str = ""  # the key of its validated context (the content key without emissions uploads)
    training: Upload | None = field(default=None, repr=False)
    emissions_csv: Upload | None = field(default=None, repr=False)

    @property
    def uploads(self) -> tuple[Upload | None, ...]:
        return (self.data, self.model, self.reference, self.training, self.emissions_csv)


def _record_bytes(result: AuditResult, *uploads: Upload | None) -> int:
    # the uploads dominate; the result is counted at its JSON size (aggregates, a few MB at most)
    return sum(u.size for u in uploads if u is not None) + len(result.to_json())


def _env_int(name: str, default: int) -> int:
    try:
        value = int(float(os.environ.get(name, default)))
    except ValueError:
        return default
    return value if value > 0 else default


class AuditStore:
    """Audits by random 128-bit id, at most ``max_items`` and ``max_bytes`` for all sessions together.

    An index from content key to id lets the same inputs reuse their audit; evicting an audit drops its uploads,
    its index entry, its cached context and its rendered reports.
    """

    def __init__(self, *, max_items: int, max_bytes: int) -> None:
        # Re-entrant: add() holds it while the store evicts, and eviction calls back into _evicted (same thread).
        # Lock order is always index lock, then the store's own lock, never the reverse.
        self._lock = threading.RLock()
        self._by_content: dict[str, str] = {}
        self.store: BoundedStore[str, AuditRecord] = BoundedStore(
            max_items=max_items, max_bytes=max_bytes, size=lambda r: r.nbytes, on_evict=self._evicted
        )

    def add(self, record: AuditRecord, *, token: str | None = None) -> str:
        """Keep ``record`` under ``token`` (default: a new random token) and return the id.

        Kept nowhere when it alone exceeds the bound. ``token`` is given by the job that computed it (the id
        already in the user's URL) or by the audit store (its run id)."""
        token = token or new_token()
        with self._lock:
            if self.store.put(token, record) and record.content_key:
                self._by_content[record.content_key] = token
        return token

    def get(self, token: str) -> AuditRecord | None:
        return self.store.get(token)

    def find(self, ckey: str) -> tuple[str, AuditRecord] | None:
        """The id and record of an audit of exactly these inputs, if one is kept."""
        with self._lock:
            token = self._by_content.get(ckey)
        record = self.store.get(token) if token is not None else None
        return None if record is None else (token, record)

    def __len__(self) -> int:
        return len(self.store)

    def _evicted(self, token: str, record: AuditRecord) -> None:
        # BoundedStore calls this outside its own lock; the index has its own.
        with self._lock:
            if self._by_content.get(record.content_key) == token:
                del self._by_content[record.content_key]
        _forget_audit(token, record)


@st.cache_resource(show_spinner=False)
def audits() -> AuditStore:
    """The server's audit store (one per process, shared by every session)."""
    return AuditStore(
        max_items=_env_int(AUDIT_STORE_ITEMS_ENV, AUDIT_STORE_MAX_ITEMS),
        max_bytes=_env_int(AUDIT_STORE_MB_ENV, AUDIT_STORE_MAX_MB) * MB,
    )


def _forget_audit(token: str, record: AuditRecord) -> None:
    """Drop what the server derived from an evicted audit, so its uploads can be freed."""
    _audit_context.clear(token)
    _shap_engine.clear(token)
    if record.context_key:
        _CONTEXTS.pop(record.context_key)
    if record.config is not None:
        for up in (record.data, record.reference, record.training):
            if up is not None:
                _load_data.clear(up.sha256, up.name, tuple(record.config.na_values), None)
    if record.model is not None:
        _load_model.clear(record.model.sha256, record.model.name, pickle_allowed_by_operator(), None)
    reports().forget(token)


# --- the audit store (audits.store), when the operator sets one ----------------------------------------------
PERSIST_ENV = "RAI_AUDIT_STORE"  # the same variable as `rai-audit --store`
PERSIST_SECRET = "store_url"  # or store_url = "..." in .streamlit/secrets.toml
KEEP_UPLOADS_ENV = "RAI_AUDIT_KEEP_UPLOADS"  # a folder: uploads are kept there by SHA-256 (off by default)
_persistent_lock = threading.Lock()
_persistent: dict[str, Any] = {}


def store_url() -> str | None:
    """The audit store URL the operator configured (environment first, then secrets), else None."""
    url = os.environ.get(PERSIST_ENV, "").strip()
    if url:
        return url
    try:
        value = st.secrets.get(PERSIST_SECRET)
    except (FileNotFoundError, KeyError):  # no secrets file
        value = None
    return str(value).strip() or None if value else None


def persistent_store() -> Any:
    """The :class:`audits.store.AuditStore` the dashboard saves audits in, or None when none is configured.

    Opened once per URL and process. Raises AuditInputError (from the store) when the URL cannot be opened."""
    url = store_url()
    if url is None:
        return None
    with _persistent_lock:
        if url not in _persistent:
            from audits.store import AuditStore as Persistent

            _persistent[url] = Persistent(url)
        return _persistent[url]


def keep_uploads_dir() -> Path | None:
    """Where uploads are kept beside the audit store (``RAI_AUDIT_KEEP_UPLOADS``), else None: by default the
    store keeps results only, which record the uploads' SHA-256."""
    folder = os.environ.get(KEEP_UPLOADS_ENV, "").strip()
    return Path(folder).expanduser() if folder else None


def _keep_uploads(record: AuditRecord) -> None:
    folder = keep_uploads_dir()
    if folder is None:
        return
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    for up in record.uploads:
        if up is not None and not (folder / up.sha256).exists():
            # content-addressed: the name is the hash, so no uploaded name reaches the file system
            (folder / up.sha256).write_bytes(up.data)


def _persist(record: AuditRecord, *, tag: str | None) -> str | None:
    """Save the result in the audit store; its run id, or None when no store is configured or it failed."""
    try:
        store = persistent_store()
        if store is None:
            return None
        run_id = store.save(record.result, tag=tag or None)
        _keep_uploads(record)
        return run_id
    except Exception:  # the audit is still kept in memory; the operator sees why in the log
        log.exception("the audit could not be saved in the audit store")
        return None


def lookup(token: str) -> AuditRecord | None:
    """The audit with id ``token``: kept in memory, else read back from the audit store (result only)."""
    record = audits().get(token)
    if record is not None:
        return record
    if not token or len(token) > 64:
        return None
    try:
        store = persistent_store()
        if store is None:
            return None
        result = store.load(token)
    except AuditInputError:  # unknown id, or a row this version cannot read: the page says it is gone
        return None
    except Exception:
        log.exception("the audit store could not be read")
        return None
    record = AuditRecord(
        result=result, data=None, model=None, reference=None, config=None, nbytes=len(result.to_json())
    )
    audits().add(record, token=token)
    return record


def cached_result(token: str) -> AuditResult | None:
    """The result of the audit with id ``token``, if the server holds it (in memory or in the audit store)."""
    record = lookup(token)
    return None if record is None else record.result


def find_audit(
    data: Upload, model: Upload | None, reference: Upload | None, config: AuditConfig
) -> tuple[str, AuditResult] | None:
    """The id and result of an audit of exactly these inputs, if the server still holds one."""
    found = audits().find(content_key(data, model, reference, config))
    return None if found is None else (found[0], found[1].result)


# ------------------------------------------------------------------------------------------------------------
# Running audits: in the job worker (start_audit), or in the caller's thread (run)
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditInputs:
    """Everything an audit is computed from, as uploads (bytes and hashes), and the config."""

    data: Upload
    model: Upload | None
    reference: Upload | None
    config: AuditConfig
    training: Upload | None = None
    emissions_csv: Upload | None = None
    config_path: str | None = None  # bundled samples only

    @property
    def context_key(self) -> str:
        return content_key(self.data, self.model, self.reference, validation_config(self.config))

    @property
    def audit_key(self) -> str:
        return content_key(
            self.data,
            self.model,
            self.reference,
            self.config,
            training=self.training,
            emissions_csv=self.emissions_csv,
        )


def _load_plain(inputs: AuditInputs) -> tuple[LoadedData, ModelAdapter | None, LoadedData | None]:
    """Parse the uploads with the engine's loaders directly (in the job worker: no page cache to draw into)."""
    na = inputs.config.na_values
    data = load_dataset(inputs.data.data, name=inputs.data.name, na_values=na, limits=limits())
    model = None
    if inputs.model is not None:
        model = load_model(
            inputs.model.data,
            name=inputs.model.name,
            trust_pickle=pickle_allowed_by_operator(),
            limits=limits(),
        )
    ref = None
    if inputs.reference is not None:
        ref = load_dataset(inputs.reference.data, name=inputs.reference.name, na_values=na, limits=limits())
    return data, model, ref


def _audit_work(inputs: AuditInputs, parsed: tuple | None = None) -> Callable[[Callable], AuditResult]:
    """The audit as a function of a progress callback: parse (unless ``parsed``), validate, run the sections."""

    def work(progress: Callable[[str, float, str], None]) -> AuditResult:
        progress("setup", 0.02, f"Reading {inputs.data.name}")
        data, model, ref = parsed if parsed is not None else _load_plain(inputs)
        progress("setup", 0.3, f"Validating {len(data.frame):,} rows and making predictions")
        ctx = _context(inputs.context_key, data, model, ref, validation_config(inputs.config))
        if not ctx.ok:
            raise AuditInputError(ctx.error)
        checked = _with_config(ctx.value, inputs.config)
        training = None
        if inputs.training is not None:
            training = load_dataset(
                inputs.training.data,
                name=inputs.training.name,
                na_values=inputs.config.na_values,
                limits=limits(),
            )
        csv = None if inputs.emissions_csv is None else (inputs.emissions_csv.name, inputs.emissions_csv.data)
        with uploaded_inputs(training=training, imported_csv=csv):
            return run_sections(checked, progress=progress)

    return work


def _with_config(ctx: AuditContext, config: AuditConfig) -> AuditContext:
    """The checked context under the audit's full config (see :func:`validation_config`); the one check the
    shared context skipped, the reference groups, is made here."""
    for attr in config.protected:
        if attr.reference_group is None:
            continue
        groups = sorted(map(str, ctx.sensitive[attr.column].unique()))
        if str(attr.reference_group) not in groups:
            raise AuditInputError(
                f"reference_group {attr.reference_group!r} of protected column '{attr.column}' is not one of its "
                f"groups ({', '.join(groups[:20])}). Choose one of them as the reference group."
            )
    return dataclasses.replace(ctx, config=config)


def _record(inputs: AuditInputs, result: AuditResult) -> AuditRecord:
    return AuditRecord(
        result=result,
        data=inputs.data,
        model=inputs.model,
        reference=inputs.reference,
        config=inputs.config,
        content_key=inputs.audit_key,
        context_key=inputs.context_key,
        training=inputs.training,
        emissions_csv=inputs.emissions_csv,
        nbytes=_record_bytes(result, inputs.data, inputs.model, inputs.reference, inputs.training),
    )


def parsed_inputs(inputs: AuditInputs) -> tuple[LoadedData, ModelAdapter | None, LoadedData | None]:
    """The uploads parsed through the page caches (hits after the live check). Raises AuditInputError."""
    loaded = load_data(inputs.data, na_values=inputs.config.na_values)
    if not loaded.ok:
        raise AuditInputError(loaded.error)
    adapter = None
    if inputs.model is not None:
        m = load_model_upload(inputs.model)
        if not m.ok:
            raise AuditInputError(m.error)
        adapter = m.value
    ref = None
    if inputs.reference is not None:
        r = load_data(inputs.reference, na_values=inputs.config.na_values)
        if not r.ok:
            raise AuditInputError(r.error)
        ref = r.value
    return loaded.value, adapter, ref


def job_steps(config: AuditConfig) -> list[tuple[str, str]]:
    """The steps a job of ``config`` reports: loading and validating, then each selected section."""
    titles = {name: title for name, title, _ in SECTIONS}
    return [("setup", "Load and validate"), *[(n, titles[n]) for n in SECTION_NAMES if n in config.sections]]


def start_audit(
    inputs: AuditInputs,
    *,
    description: Mapping[str, Any],
    tag: str | None = None,
    parsed: tuple | None = None,
) -> str:
    """Start the audit of ``inputs`` in the server's job worker; returns the id the user's URL carries.

    The id names a job until the audit is done, then the kept audit (the job remembers where it went). The same
    inputs audited before, or being audited now, give that audit's or that job's id instead of a new run.
    """
    found = audits().find(inputs.audit_key)
    if found is not None:
        return found[0]

    def done(job: jobs.Job, result: AuditResult) -> str:
        record = _record(inputs, result)
        run_id = _persist(record, tag=tag)
        return audits().add(record, token=run_id or job.id)

    def failed(exc: BaseException) -> str:
        from dashboard.guard import error_message

        return error_message(exc, what="running the audit")

    return jobs.board().submit(
        new_token(),
        _audit_work(inputs, parsed),
        label=f"Auditing {inputs.data.name}",
        steps=job_steps(inputs.config),
        content_key=inputs.audit_key,
        inputs=dict(description),
        on_done=done,
        on_error=failed,
    )


def run(
    data: Upload,
    model: Upload | None,
    reference: Upload | None,
    config: AuditConfig,
    *,
    progress: Callable[[str, float, str], None] | None = None,
) -> tuple[str, AuditResult]:
    """Run (or fetch) the audit of these inputs in this thread; returns ``(audit id, result)``.

    The id is a random 128-bit token, never derived from the content, so it names the audit without revealing or
    being guessable from its inputs.

    Raises
    ------
    AuditInputError : the inputs cannot be audited (message for the user).
    CancelledError : the progress callback cancelled the run.
    """
    inputs = AuditInputs(data, model, reference, config)
    found = audits().find(inputs.audit_key)
    if found is not None:
        return found[0], found[1].result
    result = _audit_work(inputs, parsed_inputs(inputs))(progress or (lambda *_: None))
    return audits().add(_record(inputs, result)), result


def run_audit_inputs(
    inputs: AuditInputs, *, progress: Callable[[str, float, str], None] | None = None
) -> AuditResult:
    """Audit ``inputs`` in this thread, parsing them with the engine's loaders (no page cache involved)."""
    return _audit_work(inputs)(progress or (lambda *_: None))


def sample_audit_inputs(key: str) -> AuditInputs:
    """The bundled sample ``key`` as audit inputs (its config read from its path: it may name its own files)."""
    raw = sample_inputs(key)
    config, error, _ = parse_config(raw["config"], path=raw["config_path"])
    if config is None:
        raise AuditInputError(error)
    return AuditInputs(raw["data"], raw["model"], raw["reference"], config, config_path=raw["config_path"])


def run_sample(
    key: str, *, progress: Callable[[str, float, str], None] | None = None
) -> tuple[str, AuditResult, dict[str, Any]]:
    """Audit bundled sample ``key`` with its config; returns ``(audit id, result, inputs description)``."""
    inputs = sample_audit_inputs(key)
    akey, result = run(inputs.data, inputs.model, inputs.reference, inputs.config, progress=progress)
    return akey, result, describe_inputs(inputs.data, inputs.model, inputs.reference, sample=key)


# --- the demo: computed before the server starts (dashboard.prebuild), else as a job ---------------------------
DEMO_CACHE_ENV = "RAI_AUDIT_DEMO_CACHE"
DEMO_CACHE_DIR = REPO_ROOT / "artifacts" / "demo_cache"


def demo_cache_dir() -> Path:
    folder = os.environ.get(DEMO_CACHE_ENV, "").strip()
    return Path(folder).expanduser() if folder else DEMO_CACHE_DIR


@functools.cache
def code_fingerprint() -> str:
    """SHA-256 of the engine's source: a cached demo result is reused only by the code that computed it."""
    h = hashlib.sha256()
    for path in sorted((REPO_ROOT / "audits").rglob("*.py")):
        h.update(path.relative_to(REPO_ROOT).as_posix().encode())
        h.update(path.read_bytes())
    return h.hexdigest()[:16]


def demo_cache_path(inputs: AuditInputs) -> Path:
    return demo_cache_dir() / f"demo-{inputs.audit_key[:24]}-{code_fingerprint()}.json"


def load_prebuilt(key: str) -> str | None:
    """Keep the prebuilt result of sample ``key`` (``python -m dashboard.prebuild``) and return its id, if the
    cache folder holds one computed from these inputs by this code."""
    inputs = sample_audit_inputs(key)
    found = audits().find(inputs.audit_key)
    if found is not None:
        return found[0]
    path = demo_cache_path(inputs)
    if not path.is_file():
        return None
    try:
        result = AuditResult.load_json(path)
    except Exception:  # a damaged cache file: audit again rather than fail
        log.warning("the prebuilt demo result %s could not be read; auditing again", path, exc_info=True)
        return None
    return audits().add(_record(inputs, result))


def start_sample(key: str) -> str:
    """The id of sample ``key``'s audit: prebuilt, kept, running, or started now as a job."""
    prebuilt = load_prebuilt(key)
    if prebuilt is not None:
        return prebuilt
    inputs = sample_audit_inputs(key)
    return start_audit(
        inputs, description=describe_inputs(inputs.data, inputs.model, inputs.reference, sample=key)
    )


def describe_inputs(
    data: Upload,
    model: Upload | None,
    reference: Upload | None,
    *,
    sample: str | None = None,
    training: Upload | None = None,
    emissions_csv: Upload | None = None,
) -> dict[str, Any]:
    return {
        "data": data.name,
        "model": model.name if model else None,
        "reference": reference.name if reference else None,
        "sample": SAMPLES[sample].title if sample else None,
        "training": training.name if training else None,
        "emissions_csv": emissions_csv.name if emissions_csv else None,
    }


def describe_record(record: AuditRecord) -> dict[str, Any]:
    """What the sidebar and Overview say about a kept audit's inputs (from the result when no uploads are kept)."""
    if record.data is not None:
        sample = next(
            (
                k
                for k in SAMPLES
                if record.config is not None
                and record.data.name == Path(SAMPLES[k].data).name
                and record.model is not None
                and record.model.name == Path(SAMPLES[k].model).name
            ),
            None,
        )
        return describe_inputs(
            record.data,
            record.model,
            record.reference,
            sample=sample,
            training=record.training,
            emissions_csv=record.emissions_csv,
        )
    prov = record.result.provenance
    return {
        "data": prov.data.get("name"),
        "model": (prov.model or {}).get("name"),
        "reference": (prov.reference or {}).get("name") if prov.reference else None,
        "sample": None,
        "training": None,
        "emissions_csv": None,
    }


@st.cache_resource(show_spinner="Preparing the data for row explanations…", max_entries=2)
def _audit_context(key: str) -> Outcome:
    record = lookup(key)
    if record is None:
        return Outcome(error="The inputs of this audit are no longer on the server; run the audit again.")
    if record.data is None or record.config is None:
        return Outcome(
            error="This audit was read back from the audit store, which keeps results, not uploaded files; "
            "run the audit again to explain other rows."
        )
    config = record.config
    loaded = load_data(record.data, na_values=config.na_values)
    if not loaded.ok:
        return loaded
    adapter = None
    if record.model is not None:
        m = load_model_upload(record.model)
        if not m.ok:
            return m
        adapter = m.value
    ref = None
    if record.reference is not None:
        r = load_data(record.reference, na_values=config.na_values)
        if not r.ok:
            return r
        ref = r.value
    # the audit's own context while it is still cached, under the audit's full config
    ctx = _context(record.context_key, loaded.value, adapter, ref, validation_config(config))
    if not ctx.ok:
        return ctx
    try:
        return Outcome(_with_config(ctx.value, config))
    except AuditInputError as exc:
        return Outcome(error=str(exc))


@st.cache_resource(show_spinner="Preparing the explainer…", max_entries=2)
def _shap_engine(key: str) -> Any:
    """The audit's SHAP explainer, built once per audit so each picked row costs one small explain call."""
    ctx = _audit_context(key)
    if not ctx.ok or ctx.value.model is None:
        return None
    try:
        from audits.explain import ShapEngine, choose_explainer
    except ImportError:  # engine reuse is an optimisation; explain_rows builds its own otherwise
        return None
    c = ctx.value
    return ShapEngine.build(c, choose_explainer(c.model, c.features, override=c.config.explainer))


@st.cache_data(show_spinner="Explaining the row…", max_entries=64)
def _explain_rows(key: str, rows: tuple[int, ...]) -> Outcome:
    try:
        from audits.explain import explain_rows
    except ImportError:
        return Outcome(error="Row explanations are not available in this version.")
    ctx = _audit_context(key)
    if not ctx.ok:
        return ctx
    try:
        return Outcome(explain_rows(ctx.value, list(rows), engine=_shap_engine(key)))
    except ValueError as exc:  # row out of range, no model: messages written for users
        return Outcome(error=str(exc))


def explain_rows(key: str, rows: Sequence[int]) -> Outcome:
    """SHAP explanations of chosen rows (positions in the audited data), shaped like ``metrics["local"]``."""
    return _explain_rows(key, tuple(int(r) for r in rows))


def n_rows(result: AuditResult) -> int:
    return int(result.provenance.data.get("rows") or 0)


# ------------------------------------------------------------------------------------------------------------
# Reports and model card
# ------------------------------------------------------------------------------------------------------------
REPORT_FORMATS = {
    "pdf": ("PDF", "application/pdf"),
    "md": ("Markdown", "text/markdown"),
    "html": ("HTML", "text/html"),
    "json": ("JSON", "application/json"),
}
CARD_FORMATS = {
    "md": ("Markdown", "text/markdown"),
    "json": ("JSON", "application/json"),
    "pdf": ("PDF", "application/pdf"),
}
EXPORT_UNAVAILABLE = "Export in this format is not available in this installation ({detail})."


CARD_GROUPS = {
    "Intended use": ("intended_uses", "intended_users", "out_of_scope_uses"),
    "Ethical considerations and caveats": ("ethical_considerations", "caveats_and_recommendations"),
    "Model details": (
        "model_name",
        "version",
        "date",
        "model_type",
        "parameters",
        "developers",
        "owners",
        "license",
        "contact",
        "citation",
    ),
    "Data": ("training_data", "evaluation_data"),
    "Hugging Face metadata": (
        "library_name",
        "language",
        "tags",
        "datasets",
        "training_type",
        "geographical_location",
        "hardware_used",
    ),
}


LONG_CARD_FIELDS = {"parameters", "citation", "training_data", "evaluation_data"}


def card_fields() -> list[tuple[str, str, bool]]:
    """The model card's qualitative fields as ``(name, group, is_list)``, from ``reports.model_card.CardInfo``.

    Empty when the model card renderer is not installed.
    """
    try:
        from reports.model_card import CardInfo
    except ImportError:
        return []
    group_of = {name: group for group, names in CARD_GROUPS.items() for name in names}
    out = []
    for f in dataclasses.fields(CardInfo):
        out.append((f.name, group_of.get(f.name, "Other"), "tuple" in str(f.type)))
    return out


def parse_card_yaml(raw: bytes, *, name: str) -> Outcome:
    """A model-card YAML upload as a dict of fields (Outcome), with unknown keys named."""
    try:
        from reports.model_card import CardInfo
    except ImportError as exc:
        return Outcome(error=EXPORT_UNAVAILABLE.format(detail=exc))
    try:
        # the strict parser: size-capped, no aliases (no expansion bomb), no duplicate keys
        d = parse_yaml_mapping(raw, source=name, limits=limits())
        info = CardInfo.from_dict(d, source=name)
    except AuditInputError as exc:
        return Outcome(error=str(exc))
    except Exception as exc:  # a card value of a shape CardInfo did not anticipate
        return Outcome(error=_unexpected(exc, file=name, what="read"))
    return Outcome({k: v for k, v in info.to_dict().items() if v})


def card_yaml(card: Mapping[str, Any]) -> str:
    """The card's fields as the YAML ``rai-audit`` reads (every key written, so all are discoverable)."""
    try:
        from reports.model_card import CardInfo
    except ImportError:
        return ""
    return CardInfo.from_dict(dict(card)).to_yaml()


def split_front_matter(markdown: str) -> tuple[str, str]:
    """``(front matter YAML, body)`` of a Markdown document that starts with a ``---`` block."""
    if markdown.startswith("---\n"):
        end = markdown.find("\n---", 4)
        if end != -1:
            return markdown[4:end].strip(), markdown[end + 4 :].lstrip("-\n")
    return "", markdown


def demote_headings(markdown: str, *, levels: int = 1) -> str:
    """Headings ``#`` -> ``###`` (for ``levels=2``) so a document previews inside a page at a smaller size."""
    out = []
    fence = False
    for line in markdown.splitlines():
        if line.startswith("```"):
            fence = not fence
        if not fence and line.startswith("#"):
            line = "#" * levels + line
        out.append(line)
    return "\n".join(out)


def _card_info(card: Mapping[str, Any] | None) -> Any:
    if not card:
        return None
    from reports.model_card import CardInfo

    return CardInfo.from_dict(dict(card))


def _freeze(card: Mapping[str, Any] | None) -> str:
    return yaml.safe_dump(dict(card or {}), sort_keys=True, allow_unicode=True)


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class ReportStore:
    """Rendered reports and model cards by ``(audit id, kind, format, card hash)``, bounded in count and bytes
    for all sessions together, and dropped with their audit."""

    def __init__(self, *, max_items: int, max_bytes: int) -> None:
        self.store: BoundedStore[tuple[str, str, str, str], Outcome] = BoundedStore(
            max_items=max_items,
            max_bytes=max_bytes,
            size=lambda o: len(o.value) if o.ok and isinstance(o.value, bytes) else len(o.error or ""),
        )

    def get_or_render(self, key: tuple[str, str, str, str], render: Callable[[], Outcome]) -> Outcome:
        found = self.store.get(key)
        if found is not None:
            return found
        try:
            found = render()
        except Exception as exc:  # a renderer bug: a message for the download, the details in the log
            return Outcome(error=_unexpected(exc, file=f"{key[1]}.{key[2]}", what="render"))
        self.store.put(key, found)  # one that alone exceeds the bound is returned but not kept
        return found

    def forget(self, token: str) -> None:
        for k in self.store.key_list():
            if k[0] == token:
                self.store.pop(k)


@st.cache_resource(show_spinner=False)
def reports() -> ReportStore:
    """The server's store of rendered reports (one per process, shared by every session)."""
    return ReportStore(max_items=REPORT_STORE_MAX_ITEMS, max_bytes=REPORT_STORE_MAX_MB * MB)


def _render_report(key: str, fmt: str, card_yaml: str, _result: AuditResult) -> Outcome:
    card = yaml.safe_load(card_yaml) or None
    if fmt not in REPORT_FORMATS:
        raise ValueError(
            f"The 'fmt' parameter of render_report must be one of {list(REPORT_FORMATS)}. Got {fmt!r}."
        )
    try:
        from reports.export import render_report

        return Outcome(render_report(_result, fmt, card_info=_card_info(card)))
    except ImportError as exc:
        return Outcome(error=EXPORT_UNAVAILABLE.format(detail=exc))


def render_report(
    result: AuditResult, fmt: str, *, key: str, card: Mapping[str, Any] | None = None
) -> Outcome:
    """The audit report as bytes in ``fmt`` (pdf, md, html, json), cached per audit, format and card fields."""
    frozen = _freeze(card)
    return reports().get_or_render(
        (key, "report", fmt, _digest(frozen)), lambda: _render_report(key, fmt, frozen, result)
    )


def _render_card(key: str, fmt: str, card_yaml: str, _result: AuditResult) -> Outcome:
    card = yaml.safe_load(card_yaml) or {}
    try:
        from reports.model_card import CardInfo, build_model_card, render_model_card_pdf
    except ImportError as exc:
        return Outcome(error=EXPORT_UNAVAILABLE.format(detail=exc))
    mc = build_model_card(_result, CardInfo.from_dict(card))
    if fmt == "md":
        return Outcome(mc.to_markdown().encode("utf-8"))
    if fmt == "json":
        text = mc.to_json()
        return Outcome(text.encode("utf-8") if isinstance(text, str) else bytes(text))
    if fmt == "pdf":
        return Outcome(bytes(render_model_card_pdf(mc)))
    raise ValueError(f"The 'fmt' parameter of render_card must be one of {list(CARD_FORMATS)}. Got {fmt!r}.")


def render_card(result: AuditResult, fmt: str, *, key: str, card: Mapping[str, Any] | None = None) -> Outcome:
    """The model card as bytes in ``fmt`` (md, json, pdf), cached per audit, format and card fields."""
    frozen = _freeze(card)
    return reports().get_or_render(
        (key, "card", fmt, _digest(frozen)), lambda: _render_card(key, fmt, frozen, result)
    )


@st.cache_data(show_spinner=False)
def _sample_card_fields(path: str) -> dict[str, Any]:
    from reports.model_card import CardInfo

    return {k: v for k, v in CardInfo.from_yaml(path).to_dict().items() if v}


def sample_card(inputs: Mapping[str, Any] | None) -> dict[str, Any]:
    """The card fields bundled with the audited sample (e.g. sample_data/adult/model_card.yaml), else {}."""
    title = (inputs or {}).get("sample")
    sample = next((s for s in SAMPLES.values() if s.title == title), None)
    if sample is None or sample.card is None:
        return {}
    return dict(_sample_card_fields(str(SAMPLE_DIR / sample.card)))


def card_defaults(result: AuditResult) -> dict[str, Any]:
    """What the result already says for the card (model name, date, type, data), to prefill the edit form."""
    try:
        from reports.model_card import CardInfo
    except ImportError:
        return {}
    return {k: v for k, v in CardInfo.defaults_from(result).to_dict().items() if v}


__all__ = [
    "DEMO_SAMPLE",
    "TEMPLATES",
    "AuditInputs",
    "HistoryRow",
    "card_draft",
    "compare_audits",
    "guess_target",
    "history",
    "lookup",
    "persistent_store",
    "save_card_draft",
    "start_audit",
    "start_sample",
    "validation_config",
    "PICKLE_RISK",
    "SAMPLES",
    "CancelledError",
    "Outcome",
    "Upload",
    "Validation",
    "allowed_suffixes",
    "audits",
    "build_config",
    "cached_result",
    "content_key",
    "demo_requested",
    "explain_rows",
    "find_audit",
    "load_data",
    "load_model_upload",
    "parse_config",
    "read_upload",
    "render_card",
    "render_report",
    "reports",
    "run",
    "run_sample",
    "sample_card",
    "sample_inputs",
    "validate",
]


def uploader_types(kind: str) -> list[str]:
    """Suffixes the uploader widget lets through. Pickle models pass the widget so that ``read_upload`` can
    explain why they are refused, instead of the browser silently greying them out."""
    types = allowed_suffixes(kind)
    if kind == "model":
        types = sorted({*types, *(s.lstrip(".") for s in PICKLE_SUFFIXES)})
    return types


BINS_NOT_NUMBERS = "Bin edges for '{column}' must be numbers separated by commas (e.g. 25, 60); got {text!r}."


def parse_bins(text: str, *, column: str) -> tuple[float, ...] | None:
    """``"25, 60"`` -> ``(25.0, 60.0)``; empty -> None (automatic quartile bins).

    Raises
    ------
    AuditInputError : when an entry is not a number.
    """
    parts = [p.strip() for p in str(text or "").replace(";", ",").split(",") if p.strip()]
    if not parts:
        return None
    try:
        return tuple(float(p) for p in parts)
    except ValueError as exc:
        raise AuditInputError(BINS_NOT_NUMBERS.format(column=column, text=text)) from exc


def format_bins(bins: Sequence[float] | None) -> str:
    if not bins:
        return ""
    return ", ".join(str(int(b)) if float(b).is_integer() else f"{b:g}" for b in bins)


# ------------------------------------------------------------------------------------------------------------
# Picking from the result (no computation beyond reading stored curves)
# ------------------------------------------------------------------------------------------------------------
def threshold_snapshot(curves: Mapping[str, Any], threshold: float) -> tuple[float, list[dict[str, Any]]]:
    """Per-group selection rate, TPR and FPR at the stored threshold nearest to ``threshold``.

    Reads ``metrics["threshold_curves"][col]`` of the fairness section; returns ``(threshold used, rows)``.
    Values are None where the section recorded them as undefined.
    """
    ths = list(curves.get("thresholds") or [])
    if not ths:
        return float(threshold), []
    i = min(range(len(ths)), key=lambda k: abs(float(ths[k]) - float(threshold)))
    rows = []
    for group, c in dict(curves.get("groups") or {}).items():
        row: dict[str, Any] = {"group": str(group), "count": c.get("count")}
        for metric in ("selection_rate", "tpr", "fpr"):
            values = c.get(metric) or []
            row[metric] = values[i] if i < len(values) else None
        rows.append(row)
    return float(ths[i]), rows


def group_columns(result: AuditResult) -> list[str]:
    """Protected attributes and intersections that have a group table in the fairness section."""
    return list(FairnessResult.from_section(result.section("fairness")).group_tables())


# ------------------------------------------------------------------------------------------------------------
# Model-card drafts: saved as they are typed, by audit id, for every session (a reload keeps them)
# ------------------------------------------------------------------------------------------------------------
CARD_DRAFT_ITEMS = 256
CARD_DRAFT_MAX_BYTES = 8 * MB


def _draft_bytes(card: Mapping[str, Any]) -> int:
    return len(_freeze(card).encode("utf-8"))


@st.cache_resource(show_spinner=False)
def card_drafts() -> BoundedStore[str, dict[str, Any]]:
    """The model-card fields edited for each audit (bounded like the other stores)."""
    return BoundedStore(max_items=CARD_DRAFT_ITEMS, max_bytes=CARD_DRAFT_MAX_BYTES, size=_draft_bytes)


def card_draft(audit_id: str | None) -> dict[str, Any] | None:
    """The fields edited for audit ``audit_id`` so far, or None when it was never edited."""
    if not audit_id:
        return None
    found = card_drafts().get(audit_id)
    return None if found is None else dict(found)


def save_card_draft(audit_id: str | None, card: Mapping[str, Any]) -> None:
    if audit_id:
        card_drafts().put(audit_id, dict(card))


# ------------------------------------------------------------------------------------------------------------
# The Setup form: what it guesses from a dataset's own columns, and its templates
# ------------------------------------------------------------------------------------------------------------
# Names of a label column, most specific first (compared without case, spaces, "-" or "_").
LABEL_NAMES = (
    "target",
    "label",
    "y",
    "ytrue",
    "outcome",
    "class",
    "income",
    "default",
    "creditrisk",
    "risk",
    "churn",
    "approved",
    "response",
    "result",
    "survived",
    "fraud",
)
PREDICTION_NAMES = ("pred", "prediction", "predicted", "ypred", "yhat", "predictedlabel")
SCORE_NAMES = ("score", "proba", "probability", "yscore", "yproba", "prob", "predictedprobability")
WEIGHT_NAMES = ("sampleweight", "weight", "weights")


def _norm(name: str) -> str:
    return "".join(ch for ch in str(name).lower() if ch.isalnum())


def guess_column(columns: Sequence[str], names: Sequence[str], *, exclude: Sequence[str] = ()) -> str | None:
    """The first column whose name matches one of ``names`` (in their order), ignoring case and separators."""
    by_norm: dict[str, str] = {}
    for c in columns:
        if c not in exclude:
            by_norm.setdefault(_norm(c), c)
    return next((by_norm[n] for n in names if n in by_norm), None)


def guess_target(columns: Sequence[str]) -> str | None:
    """The column named like a label (target, label, y, outcome, class, income, default, credit_risk, ...), or
    None: then the form asks instead of picking the last column (which is often a prediction)."""
    return guess_column(columns, LABEL_NAMES)


# Form presets. Each names the widget values it sets; column guesses are made on the dataset's own columns.
TEMPLATES: dict[str, dict[str, Any]] = {
    "model": {
        "title": "A classifier with its model file",
        "note": "Every section; the model predicts. Favourable outcome: the positive class.",
        "task": "auto",
        "decision": "assistive",
        "sections": list(SECTION_NAMES),
        "predictions": False,
    },
    "predictions": {
        "title": "Predictions only (prediction and score columns in the data)",
        "note": "No model file: performance, data quality and fairness from the columns you pick.",
        "task": "auto",
        "decision": "assistive",
        "sections": ["performance", "data_quality", "fairness"],
        "predictions": True,
    },
    "punitive": {
        "title": "A punitive decision (a fraud flag, a refusal)",
        "note": "Being selected harms the person: false positives are what fairness compares first.",
        "task": "binary",
        "decision": "punitive",
        "sections": list(SECTION_NAMES),
        "predictions": False,
    },
    "regression": {
        "title": "A regression model",
        "note": "A numeric target; errors are compared between groups.",
        "task": "regression",
        "decision": "assistive",
        "sections": list(SECTION_NAMES),
        "predictions": False,
    },
}


def validation_config(config: AuditConfig) -> AuditConfig:
    """``config`` without the settings the live check does not depend on (resamples, tolerances, seed, rows
    explained, reference groups), so changing them on the form re-checks nothing: the context is shared and the
    audit runs it under the full config."""
    default = AuditConfig(target=config.target, protected=config.protected)
    policy = dataclasses.replace(
        config.policy,
        n_bootstrap=default.policy.n_bootstrap,
        ratio_tolerance=default.policy.ratio_tolerance,
        difference_tolerance=default.policy.difference_tolerance,
    )
    protected = tuple(dataclasses.replace(p, reference_group=None) for p in config.protected)
    return dataclasses.replace(
        config,
        protected=protected,
        policy=policy,
        seed=default.seed,
        explain_sample_size=default.explain_sample_size,
    )


# ------------------------------------------------------------------------------------------------------------
# History: the audit store's listing, or the audits this session ran or opened when no store is set
# ------------------------------------------------------------------------------------------------------------
HISTORY_LIMIT = 200


@dataclass(frozen=True)
class HistoryRow:
    """One past audit as the History page lists it."""

    run_id: str
    started_at: datetime | None
    model: str
    dataset: str
    tag: str | None
    status: str
    headline: tuple[tuple[str, str, float | None], ...] = ()  # (kind, key, value): metrics and disparities


def _started(text: Any) -> datetime | None:
    try:
        t = datetime.fromisoformat(str(text))
    except (TypeError, ValueError):
        return None
    return t if t.tzinfo is not None else t.replace(tzinfo=UTC)


def _row_from_result(run_id: str, result: AuditResult) -> HistoryRow:
    from audits.compare import read_items

    prov = result.provenance
    items = read_items(result, headline_only=True).values()
    return HistoryRow(
        run_id=run_id,
        started_at=_started(prov.started_at),
        model=str((prov.model or {}).get("name") or "predictions only"),
        dataset=str(prov.data.get("name") or ""),
        tag=None,
        status=result.status.value,
        headline=tuple((i.kind, i.key, i.value) for i in items if i.headline),
    )


def history(
    *, model: str | None = None, tag: str | None = None, session_ids: Sequence[str] = ()
) -> tuple[list[HistoryRow], str]:
    """Past audits, newest first, and where they come from (the store's URL, or "this session").

    Raises AuditInputError when the configured store cannot be read."""
    store = persistent_store()
    if store is not None:
        rows = [
            HistoryRow(
                run_id=s.run_id,
                started_at=s.started_at or s.created_at,
                model=s.model_name or s.model_display_name,
                dataset=s.dataset_name,
                tag=s.tag,
                status=s.status,
                headline=tuple((h.kind, h.key, h.value) for h in s.headline),
            )
            for s in store.list(model=model or None, tag=tag or None, limit=HISTORY_LIMIT)
        ]
        return rows, store.url
    rows = []
    for run_id in session_ids:
        record = audits().get(run_id)
        if record is None:
            continue
        row = _row_from_result(run_id, record.result)
        if (model and row.model != model) or tag:
            continue
        rows.append(row)
    rows.sort(key=lambda r: r.started_at or datetime.min.replace(tzinfo=UTC), reverse=True)
    return rows, "this session"


def compare_audits(a: str, b: str) -> Any:
    """:func:`audits.compare.compare` of two kept audits (B against the baseline A). Raises AuditInputError when
    one is gone or they are not comparable (different targets or tasks)."""
    from audits.compare import compare

    ra, rb = lookup(a), lookup(b)
    missing = [i for i, r in ((a, ra), (b, rb)) if r is None]
    if missing:
        raise AuditInputError(f"The audit {missing[0]} is no longer on the server or in the audit store.")
    return compare(ra.result, rb.result, labels=(a[:8], b[:8]))


def audit_context(key: str) -> Outcome:
    """The validated context of audit ``key`` while the server keeps its inputs (what-if, drift distributions)."""
    return _audit_context(key)


def shap_engine(key: str) -> Any:
    """The SHAP explainer of audit ``key`` (built once per audit), or None without a model."""
    return _shap_engine(key)
