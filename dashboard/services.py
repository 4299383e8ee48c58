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
import hashlib
import logging
import os
import secrets
import sys
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import streamlit as st
import yaml

from audits import errors as E
from audits.config import SECTION_NAMES, AuditConfig, ProtectedAttribute, parse_yaml_mapping
from audits.context import AuditContext, build_context
from audits.errors import AuditInputError
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
from audits.runner import CancelledError, audit_context
from audits.samples import require_samples, samples_dir
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


def load_data(upload: Upload, *, na_values: Sequence[str] = ("?", "")) -> Outcome:
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


def content_key(data: Upload, model: Upload | None, reference: Upload | None, config: AuditConfig) -> str:
    """The cache key of a deterministic computation on these inputs (parsing, validation, the context):
    hashes of every input, the config and the pickle setting. Never an audit's id: see :func:`run`."""
    h = hashlib.sha256()
    for up in (data, model, reference):
        # names too: they are part of the result's provenance
        h.update(f"{up.sha256}:{up.name}|".encode() if up is not None else b"-|")
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


@st.cache_resource(show_spinner="Checking the inputs…", max_entries=4)
def _context(
    key: str, _data: LoadedData, _model: ModelAdapter | None, _ref: LoadedData | None, _config: AuditConfig
) -> Outcome:
    """The validated context of these inputs (predictions made once), shared by the live check, the audit and
    the row explanations, so one audit costs one prediction pass."""
    try:
        return Outcome(build_context(_data, config=_config, model=_model, reference=_ref))
    except AuditInputError as exc:
        return Outcome(error=str(exc))
    except Exception as exc:  # the check must never show a traceback
        return Outcome(error=_unexpected(exc, file=_data.name, what="check"))


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
    return {
        "task": ctx.task,
        "positive_label": None if ctx.positive_label is None else str(ctx.positive_label),
        "classes": [str(c) for c in ctx.classes],
        "features": list(ctx.features),
        "groups": {c: {str(k): int(v) for k, v in g.items()} for c, g in groups.items()},
        "intersections": list(ctx.intersection_columns),
        "prediction_source": ctx.prediction_source,
        "notes": list(ctx.notes),
    }


def _facts_from_result(result: AuditResult) -> dict[str, Any]:
    facts = dict((result.provenance.platform or {}).get("context") or {})
    groups: dict[str, dict[str, int]] = {}
    fair = result.section("fairness")
    for col in facts.get("protected", []):
        table = fair.tables.get(f"groups:{col}") if fair is not None else None
        if table is not None and "group" in table.data and "count" in table.data:
            groups[col] = {
                str(g): int(c or 0) for g, c in zip(table.data["group"], table.data["count"], strict=True)
            }
        else:
            groups[col] = {}
    facts["groups"] = groups
    facts.setdefault("features", [])
    facts.setdefault("prediction_source", "model")
    return facts


def validate(data: Upload, model: Upload | None, reference: Upload | None, config: AuditConfig) -> Validation:
    """Check the inputs and config as the audit would (cached per content and config)."""
    ckey = content_key(data, model, reference, config)
    done = audits().find(ckey)
    if (
        done is not None
    ):  # these exact inputs were audited: they are valid, and the result says what was found
        return Validation(True, "ready", _facts_from_result(done[1].result))
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


# ------------------------------------------------------------------------------------------------------------
# The audits kept on the server: bounded, locked, named by random ids
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class AuditRecord:
    """One audit kept for every session: its result and the uploads and config it was computed from (the row
    explanations re-read them)."""

    result: AuditResult
    data: Upload = field(repr=False)
    model: Upload | None = field(repr=False)
    reference: Upload | None = field(repr=False)
    config: AuditConfig = field(repr=False)
    content_key: str = ""
    nbytes: int = 0


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

    def add(self, record: AuditRecord) -> str:
        """Keep ``record`` and return its new id (a random token; kept nowhere when it alone exceeds the bound)."""
        token = new_token()
        with self._lock:
            if self.store.put(token, record):
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
    for up in (record.data, record.reference):
        if up is not None:
            _load_data.clear(up.sha256, up.name, tuple(record.config.na_values), None)
    if record.model is not None:
        _load_model.clear(record.model.sha256, record.model.name, pickle_allowed_by_operator(), None)
    reports().forget(token)


def cached_result(token: str) -> AuditResult | None:
    """The result of the audit with id ``token``, if the server still holds it."""
    record = audits().get(token)
    return None if record is None else record.result


def find_audit(
    data: Upload, model: Upload | None, reference: Upload | None, config: AuditConfig
) -> tuple[str, AuditResult] | None:
    """The id and result of an audit of exactly these inputs, if the server still holds one."""
    found = audits().find(content_key(data, model, reference, config))
    return None if found is None else (found[0], found[1].result)


def run(
    data: Upload,
    model: Upload | None,
    reference: Upload | None,
    config: AuditConfig,
    *,
    progress: Callable[[str, float, str], None] | None = None,
) -> tuple[str, AuditResult]:
    """Run (or fetch) the audit of these inputs; returns ``(audit id, result)``.

    The id is a random 128-bit token, never derived from the content, so it names the audit without revealing or
    being guessable from its inputs.

    Raises
    ------
    AuditInputError : the inputs cannot be audited (message for the user).
    CancelledError : the progress callback cancelled the run.
    """
    ckey = content_key(data, model, reference, config)
    found = audits().find(ckey)
    if found is not None:
        return found[0], found[1].result
    loaded = load_data(data, na_values=config.na_values)
    if not loaded.ok:
        raise AuditInputError(loaded.error)
    adapter = None
    if model is not None:
        m = load_model_upload(model)
        if not m.ok:
            raise AuditInputError(m.error)
        adapter = m.value
    ref = None
    if reference is not None:
        r = load_data(reference, na_values=config.na_values)
        if not r.ok:
            raise AuditInputError(r.error)
        ref = r.value
    ctx = _context(ckey, loaded.value, adapter, ref, config)
    if not ctx.ok:
        raise AuditInputError(ctx.error)
    result = audit_context(ctx.value, progress=progress)
    record = AuditRecord(
        result=result,
        data=data,
        model=model,
        reference=reference,
        config=config,
        content_key=ckey,
        nbytes=_record_bytes(result, data, model, reference),
    )
    return audits().add(record), result


def run_sample(
    key: str, *, progress: Callable[[str, float, str], None] | None = None
) -> tuple[str, AuditResult, dict[str, Any]]:
    """Audit bundled sample ``key`` with its config; returns ``(audit id, result, inputs description)``."""
    inputs = sample_inputs(key)
    config, error, _ = parse_config(inputs["config"], path=inputs["config_path"])
    if config is None:
        raise AuditInputError(error)
    akey, result = run(inputs["data"], inputs["model"], inputs["reference"], config, progress=progress)
    return akey, result, describe_inputs(inputs["data"], inputs["model"], inputs["reference"], sample=key)


def describe_inputs(
    data: Upload, model: Upload | None, reference: Upload | None, *, sample: str | None = None
) -> dict[str, Any]:
    return {
        "data": data.name,
        "model": model.name if model else None,
        "reference": reference.name if reference else None,
        "sample": SAMPLES[sample].title if sample else None,
    }


@st.cache_resource(show_spinner="Preparing the data for row explanations…", max_entries=2)
def _audit_context(key: str) -> Outcome:
    record = audits().get(key)
    if record is None:
        return Outcome(error="The inputs of this audit are no longer on the server; run the audit again.")
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
    # the audit's own context while it is still cached
    return _context(record.content_key, loaded.value, adapter, ref, config)


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
    try:
        if fmt == "json":
            return Outcome(_result.to_json().encode("utf-8"))
        if fmt == "md":
            from reports.markdown import render_markdown

            return Outcome(render_markdown(_result, card_info=_card_info(card)).encode("utf-8"))
        if fmt == "html":
            from reports.html import render_html

            return Outcome(render_html(_result, card_info=_card_info(card)).encode("utf-8"))
        if fmt == "pdf":
            from reports.pdf import render_pdf

            return Outcome(bytes(render_pdf(_result, card_info=_card_info(card))))
    except ImportError as exc:
        return Outcome(error=EXPORT_UNAVAILABLE.format(detail=exc))
    raise ValueError(
        f"The 'fmt' parameter of render_report must be one of {list(REPORT_FORMATS)}. Got {fmt!r}."
    )


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
    fair = result.section("fairness")
    if fair is None:
        return []
    return [k.split(":", 1)[1] for k in fair.tables if k.startswith("groups:")]
