"""run_audit: build the context once, run the sections in order, assemble an AuditResult.

A section that raises is recorded with status ``error`` and its message; the other sections still run.
Input errors (AuditInputError) stop the audit before any section runs.
"""

from __future__ import annotations

import datetime as _dt
import platform
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any, BinaryIO, Protocol

import pandas as pd

from audits import data_quality, emissions, explain, fairness, performance
from audits.config import AuditConfig
from audits.context import AuditContext, build_context
from audits.data_profile import profile_from_context
from audits.data_quality import run_data_quality
from audits.emissions import run_emissions
from audits.explain import run_explanation
from audits.fairness.section import run_fairness
from audits.inputs import LoadedData, ModelAdapter, adapt_estimator, frame_as_data, load_dataset, load_model
from audits.limits import Limits, default_limits
from audits.performance import run_performance
from audits.results import AuditResult, Provenance, SectionResult, new_run_id
from audits.row_ledger import ledger_from_context

ProgressFn = Callable[[str, float, str], None]


class SectionFn(Protocol):
    def __call__(
        self, ctx: AuditContext, *, prior: Mapping[str, SectionResult], progress: ProgressFn
    ) -> SectionResult: ...


# The sections, in the order they run: each module declares its own NAME and TITLE, and this explicit list is
# the one place that orders them (config.SECTION_NAMES is tested equal). Later sections may read earlier results
# through ``prior`` (fairness reads data_quality's representation and base rates).
SECTION_MODULES: tuple[tuple[Any, SectionFn], ...] = (
    (performance, run_performance),
    (data_quality, run_data_quality),
    (fairness, run_fairness),
    (explain, run_explanation),
    (emissions, run_emissions),
)
SECTIONS: list[tuple[str, str, SectionFn]] = [(m.NAME, m.TITLE, fn) for m, fn in SECTION_MODULES]

VERSIONED_PACKAGES = (
    "rai-audit",
    "numpy",
    "pandas",
    "scikit-learn",
    "scipy",
    "fairlearn",
    "shap",
    "codecarbon",
    "skops",
    "onnxruntime",
)


class CancelledError(RuntimeError):
    """Raised by a progress callback to stop an audit between steps (dashboard cancel button)."""


def library_versions() -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in VERSIONED_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _no_progress(section: str, fraction: float, message: str) -> None:
    return None


def _as_data(data: Any, *, na_values: tuple[str, ...], name: str | None, limits: Limits) -> LoadedData:
    if isinstance(data, LoadedData):
        return data
    if isinstance(data, pd.DataFrame):
        return frame_as_data(data, name=name or "DataFrame")
    return load_dataset(data, name=name, na_values=na_values, limits=limits)


def _as_model(
    model: Any, *, trust_pickle: bool, name: str | None, trusted_types: Sequence[str], limits: Limits
) -> ModelAdapter | None:
    if model is None or isinstance(model, ModelAdapter):
        return model
    if isinstance(model, str | Path | bytes):
        return load_model(
            model, trust_pickle=trust_pickle, name=name, trusted_types=tuple(trusted_types), limits=limits
        )
    return adapt_estimator(model, name=name or type(model).__name__)


def run_audit(
    data: str | Path | bytes | BinaryIO | pd.DataFrame | LoadedData,
    *,
    config: AuditConfig,
    model: Any = None,
    reference: str | Path | bytes | pd.DataFrame | LoadedData | None = None,
    progress: ProgressFn | None = None,
    trust_pickle: bool = False,
    trusted_types: Sequence[str] = (),
    limits: Limits | None = None,
    data_name: str | None = None,
    model_name: str | None = None,
    reference_name: str | None = None,
    run_id: str | None = None,
) -> AuditResult:
    """Audit a model (or predictions) on a dataset.

    Parameters
    ----------
    data : dataset path, bytes, file object, DataFrame or :class:`LoadedData`; a ``pyspark.sql.DataFrame`` runs
        the audit on Spark (:func:`audits.spark_audit.run_spark_audit`).
    config : what to audit and the policy.
    model : a model path (.skops/.onnx/.pkl), a fitted estimator, a :class:`ModelAdapter`, or None for
        predictions-only mode (``config.prediction_column``).
    reference : optional reference dataset (train, or last month) for drift.
    progress : called as ``progress(section, fraction, message)``; may raise :class:`CancelledError`.
    trust_pickle : allow a pickle/joblib model file (it runs code when loaded; a warning is issued).
    trusted_types : exact type names to accept in a ``.skops`` model beyond the built-in allow list, added to
        ``config.trusted_types``.
    limits : input size caps, checked before any file is parsed (default: :func:`audits.limits.default_limits`,
        which reads ``RAI_AUDIT_*`` environment variables).

    Returns
    -------
    AuditResult

    Raises
    ------
    AuditInputError : when an input cannot be audited; nothing has run yet.
    """
    from audits.spark_audit import is_spark_frame  # pyspark itself is imported only for a Spark DataFrame

    if is_spark_frame(data):  # the data stays in Spark: aggregate there (audits.spark_audit)
        from audits.spark_audit import run_spark_audit

        return run_spark_audit(
            data, config=config, model=model, progress=progress, trust_pickle=trust_pickle,
            trusted_types=trusted_types, limits=limits, data_name=data_name, model_name=model_name, run_id=run_id,
        )  # fmt: skip
    progress = progress or _no_progress
    started = _dt.datetime.now(_dt.UTC)
    t_start = time.perf_counter()
    progress("setup", 0.0, "Loading and validating inputs")
    limits = limits or default_limits()
    loaded = _as_data(data, na_values=config.na_values, name=data_name, limits=limits)
    ref = (
        None
        if reference is None
        else _as_data(
            reference, na_values=config.na_values, name=reference_name or "reference", limits=limits
        )
    )
    adapter = _as_model(
        model,
        trust_pickle=trust_pickle,
        name=model_name,
        trusted_types=(*config.trusted_types, *trusted_types),
        limits=limits,
    )
    ctx = build_context(loaded, config=config, model=adapter, reference=ref)
    return audit_context(
        ctx, progress=progress, started=started, setup_seconds=time.perf_counter() - t_start, run_id=run_id
    )


def audit_context(
    ctx: AuditContext,
    *,
    progress: ProgressFn | None = None,
    started: _dt.datetime | None = None,
    setup_seconds: float = 0.0,
    run_id: str | None = None,
) -> AuditResult:
    """Run the sections on an already validated context.

    For hosts that built the context themselves (the dashboard validates inputs as the user types): reusing it
    keeps the audit at one prediction pass. ``run_audit`` is ``build_context`` followed by this.

    Parameters
    ----------
    ctx : the context returned by :func:`audits.context.build_context`.
    progress : called as ``progress(section, fraction, message)``; may raise :class:`CancelledError`.
    started, setup_seconds : when the audit started and how long loading and validation took (provenance).
    run_id : the id of this audit (default: a new :func:`audits.results.new_run_id`).
    """
    progress = progress or _no_progress
    started = started or _dt.datetime.now(_dt.UTC)
    t_start = time.perf_counter() - setup_seconds
    config = ctx.config
    progress("setup", 1.0, f"Validated {ctx.n_rows:,} rows; predictions from the {ctx.prediction_source}")

    results: dict[str, SectionResult] = {}
    for name, title, fn in SECTIONS:
        if name not in config.sections:
            results[name] = SectionResult.skipped(
                name, title, f"The {title.lower()} section was not selected in the config."
            )
            continue
        progress(name, 0.0, f"{title}: starting")
        t0 = time.perf_counter()
        try:
            res = fn(ctx, prior=dict(results), progress=lambda f, m, _n=name: progress(_n, f, m))
        except CancelledError:
            raise
        except Exception as exc:  # a failing section must not sink the audit
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            res = SectionResult.errored(name, title, f"The {title.lower()} section failed: {detail}")
        results[name] = res.with_duration(time.perf_counter() - t0)
        progress(name, 1.0, f"{title}: {results[name].status.value}")

    provenance = Provenance(
        started_at=started.isoformat(timespec="seconds"),
        duration_s=time.perf_counter() - t_start,
        data=ctx.data_info.provenance(),
        model=ctx.model.provenance()
        if ctx.model is not None
        else {
            "name": None,
            "kind": "predictions only",
            "column": config.prediction_column,
            "score_column": config.score_column,
        },
        reference=None if ctx.reference_info is None else ctx.reference_info.provenance(),
        config=config.to_dict(),
        versions=library_versions(),
        seed=config.seed,
        platform={
            "system": platform.system(),
            "machine": platform.machine(),
            "python": platform.python_version(),
            "context": ctx.describe(),
        },
        prediction_seconds=ctx.prediction_seconds,
        run_id=run_id or new_run_id(),
    )
    return AuditResult(
        sections=tuple(results[name] for name, _, _ in SECTIONS),
        provenance=provenance,
        row_ledger=_kept("row ledger", ledger_from_context, ctx),
        data_profile=_kept("data profile", profile_from_context, ctx),
    )


def _kept(what: str, build: Callable[[AuditContext], dict[str, Any]], ctx: AuditContext) -> dict[str, Any]:
    """What a comparison needs from this audit (:mod:`audits.row_ledger`, :mod:`audits.data_profile`); a failure
    here must not sink the audit, it only makes a later comparison less precise, and the result says why."""
    try:
        return build(ctx)
    except Exception as exc:  # noqa: BLE001 - recorded in the result
        return {"status": "absent", "reason": f"the {what} could not be built ({type(exc).__name__}: {exc})"}
