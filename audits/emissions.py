"""Environmental impact: energy and CO2 of a re-fit and of inference, measured with codecarbon offline.

Schema of the section result (others code against these keys)
--------------------------------------------------------------
name ``"emissions"``, title ``"Environmental impact"``.

``metrics["training"]`` (None when not measured; ``metrics["training_not_measured"]`` then holds the reason)::

    duration_s, energy_kwh, cpu_energy_kwh, gpu_energy_kwh, ram_energy_kwh, emissions_kg,
    emissions_rate_kg_per_s, country_iso_code, country_name, region, carbon_intensity_g_per_kwh,
    cpu_model, cpu_count, gpu_model, gpu_count, ram_total_gb, tracking_mode, pue,
    cpu_power_method ("measured (RAPL)" | "estimated (TDP x load)" | "constant" | ...),
    gpu_power_method, ram_power_method, overall_method ("measured" | "estimated"),
    rows, untracked_fit_s, agreement (share of rows where the re-fit and the uploaded model predict the
    same label; R² of the re-fit's predictions against the upload's for a regression), codecarbon_version
    (plus: measured_energy_share, fit_s, tracker_start_s, tracker_stop_s, cpu_tdp_w, cpu_tdp_source,
    training_source (which rows, said in words), training_origin ("training_data" | "reference" |
    "audited"), fitted_rows, extrapolated (bool), extrapolation (None, or {"label": "extrapolated from N
    rows", "curve", "a", "b", "points": [{"rows", "fit_s"}], "predicted_full_fit_s", "average_power_w",
    ...}), time_budget_s, refit_wall_s, untracked_fit_how, tracker_calibration, agreement_rows,
    agreement_note, agreement_within_tolerance (regression))

    The re-fit runs ONCE, under the tracker, on ``emissions.training_data``, else the reference dataset, else
    the audited data. ``untracked_fit_s`` is estimated from the tracker's slowdown measured once per process
    on a fixed workload. Training sets over 50,000 rows are first fitted on growing seeded samples; when the
    full re-fit would exceed ``emissions.refit_time_budget_s`` its time and energy are extrapolated.

``metrics["inference"]``::

    passes, rows_per_pass, duration_s, energy_kwh_per_1000, emissions_kg_per_1000, method
    (plus: predictions, energy_kwh, emissions_kg, call, overall_method, *_power_method, seconds_per_1000,
    relative_spread (relative standard error of the per-pass time), energy_kwh_per_1000_spread, stable)

    Prediction passes, timed in batches of >= 20 ms, run until the per-pass time is stable (at least 5
    batches and 0.5 s, relative standard error <= 5%), at most ``emissions.inference_max_seconds`` (or 0.5 s
    when that is shorter).

``metrics["imported"]``: the parsed trainer CSV (emissions_kg, energy_kwh, duration_s, country_name,
country_iso_code, region, cpu_model, cpu_count, gpu_model, gpu_count, ram_total_gb, tracking_mode, pue,
codecarbon_version, source (file name), rows, row_used, ...) or None.
``metrics["equivalents"]``: list of {"label", "value", "unit", "factor", "source"} (plus factor_unit, basis).
``metrics["country_comparison"]``: list of {"country_iso_code", "country_name", "carbon_intensity_g_per_kwh",
"emissions_kg"} for the same energy (plus region, configured, note); ``metrics["comparison_basis"]`` says
which energy it is. ``metrics["co2_eq_emissions"]``: Hugging Face model-card block {"emissions" (grams),
"source", "training_type", "geographical_location", "hardware_used"} from the trainer's CSV if given, else
from the re-fit; None when neither exists.

Tables: ``training``, ``inference``, ``equivalents``, ``countries`` and ``comparison`` ("reported by the
trainer" vs "measured here", only with an imported CSV).

Status: ``skipped`` (with the reason) when the section is disabled or the audit has no model (predictions
only). Otherwise inference is measured; training is measured when the model can be re-fit and
``emissions.refit`` is on, else ``metrics["training"]`` is None and ``training_not_measured`` says why
(ONNX, refit disabled). ``pass`` when everything that could be measured was; ``warn`` when the re-fit failed,
disagrees with the uploaded model, the imported CSV is unreadable or the country is unknown to codecarbon.
A tracker failure (``stop()`` returning None) raises, and the runner records ``error``.
"""

from __future__ import annotations

import contextlib
import contextvars
import dataclasses
import functools
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from audits.config import EmissionsConfig
from audits.context import AuditContext
from audits.emissions_equivalents import (
    DATA_SOURCE_NOTE,
    GridIntensity,
    country_comparison,
    equivalents,
    grid_intensity,
    quiet_codecarbon,
)
from audits.emissions_import import parse_codecarbon_csv
from audits.errors import AuditInputError
from audits.inputs import LoadedData, load_dataset
from audits.method import METHOD_KEY, Method
from audits.results import Finding, SectionResult, Severity, Status, Table
from audits.units import with_unit

NAME = "emissions"
TITLE = "Environmental impact"
TRACKER_CLASS = "codecarbon.OfflineEmissionsTracker"
MEASURE_POWER_SECS = (
    1.0  # short interval: audited fits last seconds, codecarbon's default (15 s) is too coarse
)
TRACKING_MODE = "machine"  # codecarbon's default, so figures compare like-for-like with a trainer's CSV
# Rows per timed inference pass: a vectorised model's cost per 1,000 predictions no longer depends on the pass size
# at thousands of rows, and passes 5x smaller than 100,000 let the stability rule stop after about a second instead
# of several on a 1,000,000-row audit (the figure per 1,000 is what the result reports).
INFERENCE_ROW_CAP = 20_000
AGREEMENT_WARN_BELOW = 0.95
DEFAULT_COUNTRY = EmissionsConfig().country_iso_code

TRACKER_RETURNED_NONE = (
    "codecarbon's tracker returned no emissions (stop() gave None) while measuring {what}; "
    "nothing was recorded. codecarbon said: {messages}"
)
REFIT_NOT_POSSIBLE_ONNX = "an ONNX graph holds no training procedure, so it cannot be re-fit"
REFIT_DISABLED = "re-fit disabled in the config (emissions.refit: false)"
TRAINING_COLUMNS_MISSING = (
    "{file}: column(s) {columns} needed to re-fit the model are not in the training data. Point "
    "emissions.training_data at the file the model was trained on."
)


class EmissionsMeasurementError(RuntimeError):
    """codecarbon could not produce a measurement (its ``stop()`` returned None)."""


class RefitError(RuntimeError):
    """The model could not be re-fit on the designated training data."""


# ------------------------------------------------------------------------------------------------------------
# Measuring one call with codecarbon
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Measurement:
    """What codecarbon measured around one call, and how.

    ``data`` is codecarbon's ``final_emissions_data`` as a dict (its field names: ``energy_consumed`` in kWh,
    ``emissions`` in kg, ...). ``methods`` says how each component's power was obtained.
    """

    value: Any
    call_s: float
    data: Mapping[str, Any]
    methods: Mapping[str, Any]
    start_overhead_s: float
    stop_overhead_s: float
    messages: tuple[str, ...]
    intensity: GridIntensity
    measure_power_secs: float
    tracking_mode: str


@functools.lru_cache(maxsize=8)
def _tdp_source(model: str) -> str:
    """Whether codecarbon found the CPU model in its power table or fell back to 4 W per thread."""
    try:
        from codecarbon.core import cpu

        with quiet_codecarbon():
            found = cpu.TDP.__new__(cpu.TDP)._get_cpu_power_from_registry(model)
    except Exception:  # codecarbon internals may change; say so rather than guess
        return "unknown (could not read codecarbon's CPU table)"
    if found:
        return f"codecarbon's CPU power table ({found:g} W per CPU for '{model}')"
    return f"codecarbon's default of 4 W per thread: '{model}' is not in its CPU power table"


def _cpu_method(hw: Any) -> tuple[str, float | None, str | None]:
    kind = type(hw).__name__
    if kind == "AppleSiliconChip":
        return "measured (powermetrics)", None, None
    if kind == "Raspberry":
        return "measured (Raspberry Pi PMIC)", None, None
    mode = getattr(hw, "_mode", None)
    tdp = getattr(hw, "_tdp", None)
    if getattr(hw, "_is_generic_tdp", False):
        tdp_source = "codecarbon's generic constant (CPU power unknown)"
    else:
        tdp_source = _tdp_source(str(getattr(hw, "_model", "") or ""))
    if mode == "intel_rapl":
        return "measured (RAPL)", None, None
    if mode == "windows_emi":
        return "measured (Windows Energy Meter / RAPL)", None, None
    if mode == "intel_power_gadget":
        return "measured (Intel Power Gadget)", None, None
    if mode == "cpu_load":
        return "estimated (TDP x load)", tdp, tdp_source
    if mode == "constant":
        return "constant", tdp, tdp_source
    return f"unknown ({mode})", tdp, None


def power_methods(tracker: Any) -> dict[str, Any]:
    """How codecarbon obtains each component's power, read from the tracker's hardware objects.

    codecarbon decides RAPL / Power Gadget / TDP x load / constant in ``core/resource_tracker.py``; the
    chosen hardware objects carry the mode (this is also what codecarbon's own hardware cache records).
    """
    out: dict[str, Any] = {
        "cpu_power_method": "not tracked",
        "gpu_power_method": "no GPU",
        "ram_power_method": "not tracked",
        "cpu_tdp_w": None,
        "cpu_tdp_source": None,
    }
    for hw in getattr(tracker, "_hardware", []):
        kind = type(hw).__name__
        part = getattr(hw, "chip_part", None)
        if kind == "CPU" or (kind in ("AppleSiliconChip", "Raspberry") and part == "CPU"):
            method, tdp, src = _cpu_method(hw)
            out.update(cpu_power_method=method, cpu_tdp_w=tdp, cpu_tdp_source=src)
        elif kind == "GPU":
            out["gpu_power_method"] = "measured (NVML/AMD SMI energy counters)"
        elif kind == "AppleSiliconChip" and part == "GPU":
            out["gpu_power_method"] = "measured (powermetrics)"
        elif kind == "RAM":
            forced = getattr(hw, "_force_ram_power", None)
            out["ram_power_method"] = (
                f"constant (user-set {forced} W)"
                if forced is not None
                else "estimated (codecarbon RAM model)"
            )
        elif kind == "Raspberry" and part == "RAM":
            out["ram_power_method"] = "measured (Raspberry Pi PMIC)"
    return out


def _overall(methods: Mapping[str, Any], data: Mapping[str, Any]) -> tuple[str, float | None]:
    """'measured' only when every component that used energy was measured by a hardware counter."""
    parts = [
        (methods["cpu_power_method"], data.get("cpu_energy") or 0.0),
        (methods["gpu_power_method"], data.get("gpu_energy") or 0.0),
        (methods["ram_power_method"], data.get("ram_energy") or 0.0),
    ]
    total = sum(e for _, e in parts)
    measured = sum(e for m, e in parts if str(m).startswith("measured"))
    used = [m for m, e in parts if e > 0]
    overall = "measured" if used and all(str(m).startswith("measured") for m in used) else "estimated"
    return overall, (measured / total if total > 0 else None)


def _halt(tracker: Any) -> None:
    """Stop codecarbon's background threads after a failed stop(), so none keeps measuring (or logging)."""
    for name in ("_scheduler", "_scheduler_monitor_power"):
        scheduler = getattr(tracker, name, None)
        if scheduler is not None:
            # Best effort: the measurement has already failed.
            with contextlib.suppress(Exception):
                scheduler.stop()


def measure(
    fn: Callable[[], Any],
    *,
    what: str,
    country_iso_code: str = DEFAULT_COUNTRY,
    region: str | None = None,
    measure_power_secs: float = MEASURE_POWER_SECS,
    tracking_mode: str = TRACKING_MODE,
) -> Measurement:
    """Run ``fn()`` under codecarbon's offline tracker and return what it measured.

    The tracker writes only a CSV into a temporary directory created first (removed afterwards), has no
    API output, no HTTP endpoint and no Electricity Maps token: the grid carbon intensity is read from
    codecarbon's bundled data (:func:`grid_intensity`) and passed as ``force_carbon_intensity_g_co2e_kwh``,
    so a token in the user's codecarbon config or environment cannot make it go online. codecarbon's logging
    is kept out of the console; its warnings are returned in ``messages``.

    Raises
    ------
    EmissionsMeasurementError : when ``stop()`` returns None (codecarbon swallows its own errors).
    """
    from codecarbon import OfflineEmissionsTracker
    from codecarbon.output_methods.base_output import OutputMethod

    intensity = grid_intensity(country_iso_code, region=region)
    out_dir = tempfile.mkdtemp(prefix="rai-audit-codecarbon-")
    try:
        with quiet_codecarbon() as quiet:
            t0 = time.perf_counter()
            tracker = OfflineEmissionsTracker(
                country_iso_code=intensity.country_iso_code,
                region=intensity.region,
                cloud_provider=None,
                cloud_region=None,
                output_dir=out_dir,
                output_file="emissions.csv",
                output_methods=[OutputMethod.CSV],
                emissions_endpoint=None,
                electricitymaps_api_token=None,
                force_carbon_intensity_g_co2e_kwh=intensity.g_per_kwh,
                api_call_interval=-1,
                measure_power_secs=measure_power_secs,
                tracking_mode=tracking_mode,
                log_level="warning",
                allow_multiple_runs=True,  # no lock file outside the temp directory
                project_name="rai-audit",
                experiment_name=what,
            )
            tracker.start()
            t1 = time.perf_counter()
            try:
                value = fn()
            finally:
                t2 = time.perf_counter()
                emissions = tracker.stop()
                t3 = time.perf_counter()
        # Drop the notice about allow_multiple_runs: that is our choice (no lock file), not a problem.
        messages = tuple(m for m in dict.fromkeys(quiet.messages) if "Multiple instances" not in m)
        final = getattr(tracker, "final_emissions_data", None)
        if emissions is None or final is None:
            _halt(tracker)
            shown = "; ".join(messages[-5:]) or "nothing"
            raise EmissionsMeasurementError(TRACKER_RETURNED_NONE.format(what=what, messages=shown))
        data = dataclasses.asdict(final)
        methods = power_methods(tracker)
    finally:
        shutil.rmtree(out_dir, ignore_errors=True)
    return Measurement(
        value=value,
        call_s=t2 - t1,
        data=data,
        methods=methods,
        start_overhead_s=t1 - t0,
        stop_overhead_s=t3 - t2,
        messages=messages,
        intensity=intensity,
        measure_power_secs=measure_power_secs,
        tracking_mode=tracking_mode,
    )


# ------------------------------------------------------------------------------------------------------------
# Training and inference
# ------------------------------------------------------------------------------------------------------------
# Training sets up to this size are re-fitted whole without a pilot: a pilot's fixed cost (a boosting model
# runs all its iterations even on 1,000 rows) would cost more than the re-fit's 20% allowance, and such fits
# take seconds for the usual tabular estimators. Larger sets are first fitted on growing seeded samples.
PILOT_FROM_ROWS = 50_000
FIRST_SAMPLE_ROWS = 5_000
SAMPLE_GROWTH = 4
OVERRUN_SAFETY = 1.25  # a sample fit may take this much longer than its prediction
MAX_EXPONENT = 2.5
AGREEMENT_ROW_CAP = 100_000
CALIBRATION_S = 0.1  # fixed workload timed with and without the tracker, once per process
INFERENCE_STABLE_MIN_S = 0.5
INFERENCE_MIN_PASSES = 5
# Relative standard error of the per-pass time that counts as stable: 5% keeps the figure honest (the spread is
# stated beside it) while a multi-threaded model on a 2-core machine, whose passes vary by ~20%, settles in ~10
# passes instead of running to the cap.
INFERENCE_STABLE_RSE = 0.05
INFERENCE_BATCH_S = 0.02
REGRESSION_TOLERANCE = 0.05  # relative error within which a regression re-fit "agrees" row by row


@dataclass(frozen=True)
class UploadedInputs:
    """Files a host received as uploads (the dashboard), standing in for the path options of the config."""

    training: LoadedData | None = None  # for emissions.training_data
    imported_csv: tuple[str, bytes] | None = None  # (file name, bytes) for emissions.imported_csv


_UPLOADED: contextvars.ContextVar[UploadedInputs | None] = contextvars.ContextVar(
    "rai_audit_emissions_uploads", default=None
)


@contextlib.contextmanager
def uploaded_inputs(
    *, training: LoadedData | None = None, imported_csv: tuple[str, bytes] | None = None
) -> Iterator[None]:
    """Within this block (this thread), the emissions section uses these uploads instead of server paths."""
    token = _UPLOADED.set(UploadedInputs(training, imported_csv))
    try:
        yield
    finally:
        _UPLOADED.reset(token)


@dataclass(frozen=True)
class TrainingData:
    X: pd.DataFrame
    y: pd.Series
    source: str
    origin: str  # "training_data" | "reference" | "audited"


def _needed_columns(ctx: AuditContext, frame: pd.DataFrame) -> list[str]:
    return [c for c in [*ctx.features, ctx.target] if c not in frame.columns]


def _capped(ctx: AuditContext, X: pd.DataFrame, y: pd.Series, cap: int, what: str) -> tuple:
    n = len(X)
    if 0 < cap < n:
        # an undesignated set may be far larger than a training run needs: a seeded sample stands in, stated
        idx = np.sort(np.random.default_rng(ctx.seed).choice(n, size=cap, replace=False))
        return (
            X.iloc[idx],
            y.iloc[idx],
            f"a random sample of {cap:,} of the {n:,} rows of {what} (seed {ctx.seed}; emissions.refit_max_rows)",
        )
    return X, y, f"{what} ({n:,} rows)"


def training_data(ctx: AuditContext, cfg: EmissionsConfig) -> TrainingData:
    """The rows to re-fit on: ``emissions.training_data``, else the reference dataset, else the audited data.

    Raises
    ------
    RefitError : the designated training file is unreadable or lacks a column the model needs (named).
    """
    uploaded = (_UPLOADED.get() or UploadedInputs()).training
    if cfg.training_data or uploaded is not None:
        try:
            loaded = uploaded or load_dataset(cfg.training_data, na_values=ctx.config.na_values)
        except AuditInputError as exc:
            raise RefitError(str(exc)) from exc
        frame = loaded.frame
        missing = _needed_columns(ctx, frame)
        if missing:
            raise RefitError(
                TRAINING_COLUMNS_MISSING.format(file=loaded.name, columns=", ".join(map(repr, missing[:10])))
            )
        extra = [c for c in frame.columns if c not in set(ctx.features) | {ctx.target}]
        shown = ", ".join(map(repr, extra[:5])) + (f", … (+{len(extra) - 5} more)" if len(extra) > 5 else "")
        note = f"; {len(extra)} other column(s) not used by the model ignored: {shown}" if extra else ""
        return TrainingData(
            frame[list(ctx.features)],
            frame[ctx.target],
            f"{Path(loaded.name).name} ({len(frame):,} rows; emissions.training_data{note})",
            "training_data",
        )
    cap = int(cfg.refit_max_rows)
    if ctx.reference is not None:
        ref_name = Path(ctx.reference_info.name).name if ctx.reference_info is not None else "reference"
        missing = _needed_columns(ctx, ctx.reference)
        if not missing:
            X, y, src = _capped(
                ctx,
                ctx.reference[list(ctx.features)],
                ctx.reference[ctx.target],
                cap,
                f"the reference {ref_name}",
            )
            return TrainingData(X, y, src + "; no emissions.training_data given", "reference")
        fallback = f"; the reference {ref_name} lacks {', '.join(map(repr, missing[:5]))}"
    else:
        fallback = ""
    X, y, src = _capped(ctx, ctx.X, ctx.y, cap, f"the audited data {Path(ctx.data_info.name).name}")
    return TrainingData(
        X,
        y,
        src + f"; no training data or reference given{fallback}, so the re-fit may not match the original",
        "audited",
    )


@functools.lru_cache(maxsize=8)
def tracker_calibration(country_iso_code: str, region: str | None) -> dict[str, Any]:
    """Once per process: the tracker's start and stop cost and how much it slows a fixed CPU workload.

    This replaces a second, untracked full re-fit in every audit: the slowdown of a small fixed workload is
    what the tracker adds to any call, and the untracked fit time is the tracked one divided by it.
    """
    a = np.random.default_rng(0).normal(size=20_000)

    def work() -> float:
        # The fastest of many short single-threaded operations: robust to other processes' load (a threaded
        # BLAS product waits for its slowest thread, so one busy core would skew it).
        best = float("inf")
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < CALIBRATION_S:
            t = time.perf_counter()
            np.sort(a)
            best = min(best, time.perf_counter() - t)
        return best

    plain = work()
    m = measure(work, what="tracker calibration", country_iso_code=country_iso_code, region=region)
    tracked = float(m.value)
    return {
        "slowdown": max(tracked / plain, 1.0) if plain > 0 else 1.0,
        "how": "fastest of repeated sorts of 20,000 numbers with and without the tracker",
        "start_s": m.start_overhead_s,
        "stop_s": m.stop_overhead_s,
        "workload_s": CALIBRATION_S,
    }


def _power_law(points: list[tuple[int, float]]) -> tuple[float, float]:
    """The curve ``seconds = a * rows ** b`` through the largest samples.

    ``b`` is the log-log slope between the two largest samples (the small ones carry fixed costs that flatten
    the curve), kept within [1, MAX_EXPONENT]: never cheaper than linear, so the extrapolation is conservative;
    ``a`` puts the curve through the largest sample.
    """
    (m1, t1), (m2, t2) = (points[-2] if len(points) >= 2 else points[-1]), points[-1]
    b = float(np.log(max(t2, 1e-6) / max(t1, 1e-6)) / np.log(m2 / m1)) if m2 > m1 else 1.0
    b = min(max(b, 1.0), MAX_EXPONENT)
    a = max(t2, 1e-6) / m2**b
    return a, b


@dataclass
class SamplePlan:
    """The growing seeded samples fitted before deciding between a full re-fit and an extrapolation."""

    points: list[tuple[int, float]]
    decision: str  # "full" | "extrapolate"
    last_model: Any
    reason: str


def _fit_growing_samples(
    fit: Callable[[np.ndarray | None], Any], n: int, budget: float, started: float, seed: int
) -> SamplePlan:
    """Fit nested seeded samples of 5,000, 20,000, ... rows until a full re-fit is predicted to fit in the
    budget (``full``) or the next sample would not (``extrapolate``)."""
    perm = np.random.default_rng(seed).permutation(n)
    points: list[tuple[int, float]] = []
    m = min(FIRST_SAMPLE_ROWS, n)
    model = None
    while True:
        t0 = time.perf_counter()
        model = fit(np.sort(perm[:m]))
        points.append((m, time.perf_counter() - t0))
        a, b = _power_law(points)
        spent = time.perf_counter() - started
        full = a * n**b if len(points) >= 2 else points[-1][1] * (n / m) ** MAX_EXPONENT
        if spent + OVERRUN_SAFETY * full <= budget:
            return SamplePlan(points, "full", model, f"a full re-fit was predicted at {full:.1f} s")
        nxt = min(m * SAMPLE_GROWTH, n)
        if nxt >= n or spent + OVERRUN_SAFETY * a * nxt**b > budget:
            return SamplePlan(
                points,
                "extrapolate",
                model,
                f"a full re-fit was predicted at {a * n**b:.1f} s, past the budget of {budget:g} s",
            )
        m = nxt


def _agreement(ctx: AuditContext, refit: Any) -> dict[str, Any]:
    """How closely the re-fit reproduces the upload, on (a seeded sample of) the audited rows."""
    n = ctx.n_rows
    idx = None
    if n > AGREEMENT_ROW_CAP:
        idx = np.sort(np.random.default_rng(ctx.seed).choice(n, size=AGREEMENT_ROW_CAP, replace=False))
    X = ctx.X if idx is None else ctx.X.iloc[idx]
    pred = np.asarray(refit.predict(X)).ravel()
    rows = len(X)
    if ctx.task == "regression":
        uploaded = np.asarray(ctx.y_pred, dtype=float)
        uploaded = uploaded if idx is None else uploaded[idx]
        pred = pred.astype(float)
        ss = float(((uploaded - uploaded.mean()) ** 2).sum())
        r2 = 1 - float(((uploaded - pred) ** 2).sum()) / ss if ss > 0 else None
        scale = np.maximum(np.abs(uploaded), float(np.mean(np.abs(uploaded))) or 1e-12)
        within = float(np.mean(np.abs(pred - uploaded) <= REGRESSION_TOLERANCE * scale))
        return {
            "agreement": r2,
            "agreement_rows": rows,
            "agreement_within_tolerance": within,
            "agreement_note": (
                "R² of the re-fit's predictions against the upload's (1 = identical); "
                f"{within:.1%} of rows within {REGRESSION_TOLERANCE:.0%} relative error"
            ),
        }
    # Compared as text: the re-fit's labels and the context's matched labels may differ only in type.
    uploaded = ctx.y_pred_labels if idx is None else np.asarray(ctx.y_pred_labels)[idx]
    same = pd.Series(pred).astype(str).to_numpy() == pd.Series(uploaded).astype(str).to_numpy()
    return {
        "agreement": float(np.mean(same)),
        "agreement_rows": rows,
        "agreement_note": "share of rows where the re-fit and the uploaded model predict the same label",
    }


def _component_record(m: Measurement) -> dict[str, Any]:
    d = m.data
    overall, share = _overall(m.methods, d)
    return {
        "duration_s": d.get("duration"),
        "energy_kwh": d.get("energy_consumed"),
        "cpu_energy_kwh": d.get("cpu_energy"),
        "gpu_energy_kwh": d.get("gpu_energy"),
        "ram_energy_kwh": d.get("ram_energy"),
        "emissions_kg": d.get("emissions"),
        "emissions_rate_kg_per_s": d.get("emissions_rate"),
        "country_iso_code": m.intensity.country_iso_code,
        "country_name": m.intensity.country_name or d.get("country_name"),
        "region": m.intensity.region,
        "carbon_intensity_g_per_kwh": m.intensity.g_per_kwh,
        "cpu_model": d.get("cpu_model"),
        "cpu_count": d.get("cpu_count"),
        "gpu_model": d.get("gpu_model") or None,
        "gpu_count": d.get("gpu_count"),
        "ram_total_gb": d.get("ram_total_size"),
        "tracking_mode": d.get("tracking_mode"),
        "pue": d.get("pue"),
        **m.methods,
        "overall_method": overall,
        "measured_energy_share": share,
        "codecarbon_version": d.get("codecarbon_version"),
        "tracker_start_s": m.start_overhead_s,
        "tracker_stop_s": m.stop_overhead_s,
    }


def _scale_record(rec: dict[str, Any], factor: float) -> None:
    """Energy and emissions of an extrapolated re-fit: the samples' average power times the predicted time."""
    for key in ("energy_kwh", "cpu_energy_kwh", "gpu_energy_kwh", "ram_energy_kwh", "emissions_kg"):
        if rec.get(key) is not None:
            rec[key] = rec[key] * factor


def measure_training(ctx: AuditContext, cfg: EmissionsConfig) -> tuple[dict[str, Any], Measurement]:
    """Re-fit a clone of the uploaded estimator once, under the tracker, on the training data.

    Up to :data:`PILOT_FROM_ROWS` rows the clone is fitted whole. Larger sets are first fitted on growing
    seeded samples (under the tracker): when a full re-fit is predicted to fit in ``refit_time_budget_s`` it
    follows; otherwise time and energy are extrapolated from the samples' curve ``seconds = a * rows ** b`` at
    the samples' average power, and the result says "extrapolated from N rows".

    Raises
    ------
    RefitError : the training data is unusable or the estimator's ``fit`` raised.
    """
    from sklearn.base import clone

    data = training_data(ctx, cfg)
    X, y = data.X, data.y
    n = len(X)
    est = ctx.model.estimator
    budget = float(cfg.refit_time_budget_s)
    calib = tracker_calibration(cfg.country_iso_code, cfg.region)

    def fit_rows(rows: np.ndarray | None) -> Any:
        if rows is None:
            return clone(est).fit(X, y)
        return clone(est).fit(X.iloc[rows], y.iloc[rows])

    def guarded(fn: Callable[[], Any]) -> Measurement:
        try:
            return measure(
                fn, what="training re-fit", country_iso_code=cfg.country_iso_code, region=cfg.region
            )
        except EmissionsMeasurementError:
            raise
        except Exception as exc:  # the user's estimator may fail in any way
            raise RefitError(
                f"fitting a clone of the model failed: {type(exc).__name__}: {str(exc)[:300]}"
            ) from exc

    started = time.perf_counter()
    plan = None
    if n > PILOT_FROM_ROWS:
        sample_m = guarded(lambda: _fit_growing_samples(fit_rows, n, budget, started, ctx.seed))
        plan = sample_m.value
    if plan is None or plan.decision == "full":
        m = guarded(lambda: fit_rows(None))
        refit, fitted_rows, fit_s = m.value, n, m.call_s
        record = _component_record(m)
        extrapolation = None
    else:
        m = sample_m
        a, b = _power_law(plan.points)
        fit_s = a * n**b
        sampled_s = sum(t for _, t in plan.points)
        factor = fit_s / sampled_s
        record = _component_record(m)
        _scale_record(record, factor)
        record["duration_s"] = fit_s
        refit, fitted_rows = plan.last_model, plan.points[-1][0]
        extrapolation = {
            "label": f"extrapolated from {fitted_rows:,} rows",
            "curve": "fit_s = a * rows ** b",
            "a": a,
            "b": b,
            "points": [{"rows": r, "fit_s": t} for r, t in plan.points],
            "average_power_w": (m.data.get("energy_consumed") or 0.0) * 3.6e6 / sampled_s
            if sampled_s
            else None,
            "measured_energy_kwh": m.data.get("energy_consumed"),
            "measured_s": sampled_s,
            "predicted_full_fit_s": fit_s,
            "energy_method": "energy of the tracked sample fits x predicted full fit time / their fit time "
            "(the samples' average power held over the predicted time)",
            "reason": plan.reason,
        }
    refit_wall = time.perf_counter() - started  # the re-fit itself: samples, tracker and fit
    agreement = _agreement(ctx, refit)
    record.update(
        rows=int(n),
        fitted_rows=int(fitted_rows),
        training_source=data.source,
        training_origin=data.origin,
        fit_s=fit_s,
        untracked_fit_s=fit_s / calib["slowdown"],
        untracked_fit_how=(
            f"tracked fit time / the tracker's slowdown ({calib['slowdown']:.3f}x), measured once per process on a "
            f"{calib['workload_s']:g} s fixed workload; no second re-fit is run"
        ),
        tracker_calibration=dict(calib),
        refit_wall_s=refit_wall,
        time_budget_s=budget,
        extrapolated=extrapolation is not None,
        extrapolation=extrapolation,
        **agreement,
    )
    if extrapolation is not None:
        record["agreement_note"] += f" (the re-fit on the largest sample, {fitted_rows:,} rows)"
    return record, m


def relative_standard_error(times: list[float]) -> float:
    """Standard error of the mean per-pass time, relative to the mean (1.0 when undefined)."""
    if len(times) < 2 or np.mean(times) <= 0:
        return 1.0
    return float(np.std(times, ddof=1) / np.mean(times) / np.sqrt(len(times)))


def is_stable(times: list[float]) -> bool:
    return len(times) >= INFERENCE_MIN_PASSES and relative_standard_error(times) <= INFERENCE_STABLE_RSE


def inference_done(times: list[float], elapsed: float, *, min_s: float, cap: float) -> bool:
    """Stop when the per-pass time is stable after ``min_s`` seconds, or at ``cap`` seconds regardless."""
    return (elapsed >= min_s and is_stable(times)) or (elapsed >= cap and len(times) >= 2)


def measure_inference(ctx: AuditContext, cfg: EmissionsConfig) -> tuple[dict[str, Any], Measurement]:
    """Energy per 1,000 predictions: prediction passes over the audited rows under the tracker, for as long as
    a stable per-pass time needs (at least 5 batches of >= 20 ms and 0.5 s, relative standard error <= 5%), at
    most ``emissions.inference_max_seconds`` (or 0.5 s if that is shorter)."""
    model = ctx.model
    X = ctx.X if len(ctx.X) <= INFERENCE_ROW_CAP else ctx.X.iloc[:INFERENCE_ROW_CAP]
    call = "predict_proba" if model.has_proba else "predict"
    predict = model.predict_proba if model.has_proba else model.predict
    cap = max(float(cfg.inference_max_seconds), INFERENCE_STABLE_MIN_S)
    min_s = min(float(cfg.inference_max_seconds), INFERENCE_STABLE_MIN_S)

    def loop() -> tuple[list[float], int]:
        # Passes are timed in batches of >= 20 ms, so timer noise and a stray pause do not swamp fast models.
        t0 = time.perf_counter()
        predict(X)
        first = time.perf_counter() - t0
        per_batch = max(1, int(np.ceil(INFERENCE_BATCH_S / max(first, 1e-6))))
        batches: list[float] = []
        while True:
            t = time.perf_counter()
            for _ in range(per_batch):
                predict(X)
            batches.append((time.perf_counter() - t) / per_batch)
            if inference_done(batches, time.perf_counter() - t0, min_s=min_s, cap=cap):
                return batches, 1 + per_batch * len(batches)

    m = measure(loop, what="inference", country_iso_code=cfg.country_iso_code, region=cfg.region)
    times, passes = m.value
    spread = relative_standard_error(times)
    stable = is_stable(times)
    n_pred = passes * len(X)
    d = m.data
    energy = d.get("energy_consumed")
    emissions = d.get("emissions")
    per_1000 = None if energy is None else energy / n_pred * 1000
    overall, share = _overall(m.methods, d)
    record = {
        "passes": passes,
        "rows_per_pass": int(len(X)),
        "predictions": n_pred,
        "duration_s": m.call_s,
        "tracked_s": d.get("duration"),
        "energy_kwh": energy,
        "emissions_kg": emissions,
        "energy_kwh_per_1000": per_1000,
        "emissions_kg_per_1000": None if emissions is None else emissions / n_pred * 1000,
        "seconds_per_1000": float(np.mean(times)) / len(X) * 1000,
        "relative_spread": spread,
        "energy_kwh_per_1000_spread": None if per_1000 is None else per_1000 * spread,
        "stable": stable,
        "call": call,
        "method": (
            f"{passes} pass(es) of {call} on {len(X):,} rows ({m.call_s:.2f} s) under {TRACKER_CLASS}, timed in "
            f"{len(times)} batches of >= {INFERENCE_BATCH_S * 1000:g} ms, stopped "
            + (
                f"once the per-pass time was stable (relative standard error {spread:.1%} <= "
                f"{INFERENCE_STABLE_RSE:.0%}, at least {INFERENCE_MIN_PASSES} batches and {min_s:g} s)"
                if stable
                else f"at the {cap:g} s limit before the per-pass time settled (relative standard error {spread:.1%})"
            )
            + f"; energy divided by {n_pred:,} predictions, spread ±{spread:.1%} (from the per-pass times, at "
            f"constant power); power {overall} (CPU {m.methods['cpu_power_method']}, RAM "
            f"{m.methods['ram_power_method']}, GPU {m.methods['gpu_power_method']})"
        ),
        **m.methods,
        "overall_method": overall,
        "measured_energy_share": share,
        "tracker_start_s": m.start_overhead_s,
        "tracker_stop_s": m.stop_overhead_s,
    }
    return record, m


# ------------------------------------------------------------------------------------------------------------
# Tables and text
# ------------------------------------------------------------------------------------------------------------
def _agreement_text(t: Mapping[str, Any]) -> str:
    if t["agreement"] is None:
        return "undefined"
    if "R²" in t["agreement_note"]:
        return f"R² {t['agreement']:.3f}"
    return f"{t['agreement']:.1%} of rows"


def _g(kg: float | None) -> str:
    return "n/a" if kg is None else with_unit(kg * 1000, "g") + " CO2eq"


def _kwh(kwh: float | None) -> str:
    return "n/a" if kwh is None else with_unit(kwh, "kWh")


def _training_table(t: Mapping[str, Any] | None, reason: str | None) -> Table:
    if t is None:
        return Table(
            title="Training (re-fit) energy",
            data={"quantity": ["training"], "value": [f"not measured: {reason}"], "unit": [""], "how": [""]},
        )
    cm = t["cpu_power_method"]
    rows = [
        ("training rows", t["rows"], "rows", t["training_source"]),
        (
            "rows fitted",
            t["fitted_rows"],
            "rows",
            t["extrapolation"]["label"] if t["extrapolated"] else "the whole training set",
        ),
        (
            "duration (tracked)",
            t["duration_s"],
            "s",
            "extrapolated fit time" if t["extrapolated"] else "codecarbon tracker wall time, start to stop",
        ),
        (
            "fit time (tracked)",
            t["fit_s"],
            "s",
            f"curve {t['extrapolation']['curve']}, a = {t['extrapolation']['a']:.3g}, b = {t['extrapolation']['b']:.2f}"
            if t["extrapolated"]
            else "perf_counter around fit() under the tracker",
        ),
        ("fit time (untracked, estimated)", t["untracked_fit_s"], "s", t["untracked_fit_how"]),
        (
            "time budget",
            t["time_budget_s"],
            "s",
            f"emissions.refit_time_budget_s; re-fit wall time {t['refit_wall_s']:.2f} s",
        ),
        (
            "energy",
            t["energy_kwh"],
            "kWh",
            f"sum of components x PUE {t['pue']}; overall {t['overall_method']}",
        ),
        ("CPU energy", t["cpu_energy_kwh"], "kWh", cm),
        ("GPU energy", t["gpu_energy_kwh"], "kWh", t["gpu_power_method"]),
        ("RAM energy", t["ram_energy_kwh"], "kWh", t["ram_power_method"]),
        ("emissions", t["emissions_kg"], "kg CO2eq", "energy x carbon intensity"),
        ("emissions rate", t["emissions_rate_kg_per_s"], "kg CO2eq/s", "emissions / tracked duration"),
        ("carbon intensity", t["carbon_intensity_g_per_kwh"], "g CO2eq/kWh", DATA_SOURCE_NOTE),
        ("country", t["country_name"], t["country_iso_code"], f"region: {t['region'] or 'none'}"),
        ("CPU", t["cpu_model"], f"{t['cpu_count']} logical CPU(s)", cm),
        ("CPU TDP used", t["cpu_tdp_w"], "W", t["cpu_tdp_source"] or "not used (hardware counter)"),
        ("GPU", t["gpu_model"] or "none", f"{t['gpu_count']} GPU(s)", t["gpu_power_method"]),
        ("RAM", t["ram_total_gb"], "GB", "total memory of the machine"),
        (
            "tracking mode",
            t["tracking_mode"],
            "",
            "machine: whole-machine power (other processes' load included) attributed to the fit",
        ),
        ("agreement with the upload", t["agreement"], "share", t["agreement_note"]),
        ("tracker start", t["tracker_start_s"], "s", "construct + start() overhead"),
        ("tracker stop", t["tracker_stop_s"], "s", "stop() overhead"),
    ]
    return Table(
        title="Training (re-fit) energy",
        data={
            "quantity": [r[0] for r in rows],
            "value": [r[1] for r in rows],
            "unit": [r[2] for r in rows],
            "how": [r[3] for r in rows],
        },
        note=f"Measured with {TRACKER_CLASS} (codecarbon {t['codecarbon_version']}), offline; figures are "
        f"{t['overall_method'].upper()}.",
    )


def _inference_table(i: Mapping[str, Any]) -> Table:
    rows = [
        ("passes", i["passes"], "", f"repeated {i['call']} calls"),
        (
            "rows per pass",
            i["rows_per_pass"],
            "rows",
            "audited rows" + (" (capped)" if i["rows_per_pass"] == INFERENCE_ROW_CAP else ""),
        ),
        ("predictions", i["predictions"], "", "passes x rows"),
        ("duration", i["duration_s"], "s", "perf_counter around the passes"),
        ("energy", i["energy_kwh"], "kWh", i["overall_method"]),
        ("energy per 1,000 predictions", i["energy_kwh_per_1000"], "kWh", "energy / predictions x 1,000"),
        (
            "emissions per 1,000 predictions",
            i["emissions_kg_per_1000"],
            "kg CO2eq",
            "energy x carbon intensity",
        ),
        ("CPU power", i["cpu_power_method"], "", ""),
        ("RAM power", i["ram_power_method"], "", ""),
        ("GPU power", i["gpu_power_method"], "", ""),
    ]
    return Table(
        title="Inference energy",
        data={k: [r[j] for r in rows] for j, k in enumerate(("quantity", "value", "unit", "how"))},
        note=i["method"],
    )


def _comparison_table(imp: Mapping[str, Any], t: Mapping[str, Any] | None) -> Table:
    t = t or {}
    keys = [
        ("duration (s)", "duration_s"),
        ("energy (kWh)", "energy_kwh"),
        ("CPU energy (kWh)", "cpu_energy_kwh"),
        ("GPU energy (kWh)", "gpu_energy_kwh"),
        ("RAM energy (kWh)", "ram_energy_kwh"),
        ("emissions (kg CO2eq)", "emissions_kg"),
        ("carbon intensity (g CO2eq/kWh)", "carbon_intensity_g_per_kwh"),
        ("country", "country_iso_code"),
        ("region", "region"),
        ("CPU model", "cpu_model"),
        ("CPU count", "cpu_count"),
        ("GPU model", "gpu_model"),
        ("GPU count", "gpu_count"),
        ("RAM (GB)", "ram_total_gb"),
        ("tracking mode", "tracking_mode"),
        ("PUE", "pue"),
        ("codecarbon version", "codecarbon_version"),
    ]
    ratio = []
    for _, k in keys:
        a, b = imp.get(k), t.get(k)
        ok = isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool)
        ratio.append(a / b if ok and b else None)
    return Table(
        title="Reported by the trainer vs measured here",
        data={
            "quantity": [q for q, _ in keys],
            "reported by the trainer": [imp.get(k) for _, k in keys],
            "measured here": [t.get(k) if t else None for _, k in keys],
            "ratio (trainer / here)": ratio,
        },
        note=f"Trainer figures from {imp['source']} ({imp['rows']} row(s); {imp['row_used']} row used). The "
        "trainer's run may differ in data size, hyper-parameter search, hardware and grid; a ratio far from 1 "
        "is expected when the original training did more work than one re-fit.",
    )


def _hardware(rec: Mapping[str, Any]) -> str:
    cpu = f"{rec.get('cpu_count')} x {rec.get('cpu_model')}" if rec.get("cpu_model") else "unknown CPU"
    gpu = f", {rec.get('gpu_model')}" if rec.get("gpu_model") else ""
    return cpu + gpu


def co2_eq_emissions(
    training: Mapping[str, Any] | None, imported: Mapping[str, Any] | None
) -> dict[str, Any] | None:
    """Hugging Face model-card ``co2_eq_emissions`` (grams). The trainer's own figure is preferred, being the
    original training; else the re-fit measured here. None when neither exists."""
    if imported is not None:
        place = imported.get("country_name") or imported.get("country_iso_code")
        return {
            "emissions": imported["emissions_kg"] * 1000.0,
            "source": f"codecarbon {imported.get('codecarbon_version') or ''}".strip()
            + f", reported by the trainer ({imported['source']})",
            "training_type": "original training run (as reported)",
            "geographical_location": place,
            "hardware_used": _hardware(imported),
        }
    if training is not None:
        place = training["country_name"] + (f", {training['region']}" if training.get("region") else "")
        return {
            "emissions": training["emissions_kg"] * 1000.0,
            "source": f"codecarbon {training['codecarbon_version']}, one re-fit measured by RAI Audit "
            f"({training['overall_method']})",
            "training_type": "re-fit of the final model (no hyper-parameter search)",
            "geographical_location": place,
            "hardware_used": _hardware(training),
        }
    return None


# ------------------------------------------------------------------------------------------------------------
# Section
# ------------------------------------------------------------------------------------------------------------
@dataclass
class _Figures:
    """Everything the section computed, handed from the compute steps to the assemble steps."""

    cfg: EmissionsConfig
    intensity: GridIntensity
    country_origin: str
    findings: list[Finding]
    imported: dict[str, Any] | None
    training: dict[str, Any] | None
    not_measured: str | None
    train_m: Measurement | None
    inference: dict[str, Any]
    inf_m: Measurement
    basis: str
    basis_kwh: float | None
    basis_kg: float | None
    equiv: list[dict[str, Any]]
    countries: list[dict[str, Any]]

    @property
    def main(self) -> dict[str, Any]:
        return self.training or self.inference

    @property
    def estimated(self) -> bool:
        return self.main["overall_method"] != "measured"

    @property
    def place(self) -> str:
        return f"{self.intensity.country_name or self.intensity.country_iso_code}" + (
            f", {self.intensity.region}" if self.intensity.region else ""
        )


def _country_origin(cfg: EmissionsConfig) -> str:
    if cfg.country_iso_code.strip().upper() == DEFAULT_COUNTRY:
        return (
            f"{DEFAULT_COUNTRY}, which is also the default when none is configured; set "
            "emissions.country_iso_code to where the model is trained and served"
        )
    return "set in the config (emissions.country_iso_code)"


def _imported_figures(cfg: EmissionsConfig, findings: list[Finding]) -> dict[str, Any] | None:
    """The trainer's own codecarbon figures (uploaded or from the config), or None; a bad file is a finding."""
    csv_upload = (_UPLOADED.get() or UploadedInputs()).imported_csv
    if not (cfg.imported_csv or csv_upload is not None):
        return None
    try:
        if csv_upload is not None:
            return parse_codecarbon_csv(csv_upload[1], name=csv_upload[0])
        return parse_codecarbon_csv(cfg.imported_csv)
    except AuditInputError as exc:
        findings.append(
            Finding(
                code="EMIS_IMPORT_INVALID",
                severity=Severity.WARN,
                subject=str(csv_upload[0] if csv_upload is not None else cfg.imported_csv),
                message=f"The trainer's codecarbon file could not be used: {exc}",
            )
        )
        return None


def _cannot_refit(ctx: AuditContext, cfg: EmissionsConfig) -> str | None:
    """Why the model is not re-fitted, or None when it can be."""
    if not cfg.refit:
        return REFIT_DISABLED
    if not ctx.model.is_refittable:
        return (
            REFIT_NOT_POSSIBLE_ONNX
            if ctx.model.kind == "onnx"
            else f"the model ({ctx.model.description}) has no scikit-learn fit/get_params to re-fit a clone"
        )
    return None


def _training_part(
    ctx: AuditContext,
    cfg: EmissionsConfig,
    progress: Callable[[float, str], None],
    findings: list[Finding],
) -> tuple[dict[str, Any] | None, str | None, Measurement | None]:
    """Re-fit under codecarbon when possible: (training record, why not measured, measurement)."""
    not_measured = _cannot_refit(ctx, cfg)
    if not_measured is not None:
        return None, not_measured, None
    progress(0.05, "Re-fitting the model under codecarbon")
    try:
        training, train_m = measure_training(ctx, cfg)
    except RefitError as exc:
        findings.append(
            Finding(
                code="EMIS_REFIT_FAILED",
                severity=Severity.WARN,
                message=f"Training energy not measured: {exc}",
            )
        )
        return None, f"the re-fit failed: {exc}", None
    return training, None, train_m


def _training_findings(training: Mapping[str, Any] | None, not_measured: str | None) -> list[Finding]:
    if training is None:
        return [
            Finding(
                code="EMIS_TRAINING_NOT_MEASURED",
                severity=Severity.INFO,
                message=f"Training energy was not measured: {not_measured}.",
            )
        ]
    out = []
    if training["extrapolated"]:
        ex = training["extrapolation"]
        out.append(
            Finding(
                code="EMIS_EXTRAPOLATED",
                severity=Severity.INFO,
                message=(
                    f"Training energy {ex['label']}: {ex['reason']}, so the clone was fitted on seeded samples of "
                    f"{', '.join(format(p['rows'], ',') for p in ex['points'])} rows and the time curve "
                    f"fit_s = {ex['a']:.3g} x rows^{ex['b']:.2f} was extrapolated to {training['rows']:,} rows "
                    f"({ex['predicted_full_fit_s']:.1f} s) at the samples' average power."
                ),
                evidence={k: ex[k] for k in ("a", "b", "points", "predicted_full_fit_s", "label")},
            )
        )
    if training["agreement"] is not None and training["agreement"] < AGREEMENT_WARN_BELOW:
        out.append(
            Finding(
                code="EMIS_REFIT_DISAGREES",
                severity=Severity.WARN,
                message=(
                    f"The re-fitted model agrees with the uploaded one at only {_agreement_text(training)} on "
                    f"{training['agreement_rows']:,} rows (below {AGREEMENT_WARN_BELOW:.0%}): the re-fit may not "
                    "reproduce the original training (other data, other random seed, or a different procedure), "
                    "so its energy may not represent what training the upload cost."
                ),
                evidence={"agreement": training["agreement"], "training_source": training["training_source"]},
            )
        )
    return out


def _estimated_finding(main: Mapping[str, Any]) -> Finding:
    return Finding(
        code="EMIS_ESTIMATED",
        severity=Severity.INFO,
        message=(
            "Energy figures are ESTIMATES, not measurements: "
            f"CPU power {main['cpu_power_method']}, RAM power {main['ram_power_method']}, "
            f"GPU {main['gpu_power_method']}. No hardware energy counter covered every component."
        ),
        evidence={"measured_energy_share": main["measured_energy_share"]},
    )


def _compute(ctx: AuditContext, cfg: EmissionsConfig, progress: Callable[[float, str], None]) -> _Figures:
    """Measure training and inference and put them in context; findings are collected in order."""
    findings: list[Finding] = []
    intensity = grid_intensity(cfg.country_iso_code, region=cfg.region)
    if not intensity.known_country:
        findings.append(
            Finding(
                code="EMIS_COUNTRY_UNKNOWN",
                severity=Severity.WARN,
                subject=intensity.country_iso_code,
                message=intensity.note,
                evidence={"carbon_intensity_g_per_kwh": intensity.g_per_kwh},
            )
        )
    imported = _imported_figures(cfg, findings)
    training, not_measured, train_m = _training_part(ctx, cfg, progress, findings)
    findings.extend(_training_findings(training, not_measured))

    progress(0.55, "Measuring inference until the time per prediction is stable")
    inference, inf_m = measure_inference(ctx, cfg)

    # Context for humans: the training re-fit when there is one, else 1,000 predictions.
    progress(0.9, "Equivalents and country comparison")
    if training is not None:
        basis_kwh, basis_kg = training["energy_kwh"], training["emissions_kg"]
        basis = "the energy of one training re-fit"
    else:
        basis_kwh, basis_kg = inference["energy_kwh_per_1000"], inference["emissions_kg_per_1000"]
        basis = "the energy of 1,000 predictions"
    figures = _Figures(
        cfg=cfg,
        intensity=intensity,
        country_origin=_country_origin(cfg),
        findings=findings,
        imported=imported,
        training=training,
        not_measured=not_measured,
        train_m=train_m,
        inference=inference,
        inf_m=inf_m,
        basis=basis,
        basis_kwh=basis_kwh,
        basis_kg=basis_kg,
        equiv=equivalents(emissions_kg=basis_kg or 0.0, energy_kwh=basis_kwh or 0.0),
        countries=country_comparison(basis_kwh or 0.0, cfg.compare_countries, configured=intensity),
    )
    if figures.estimated:
        findings.append(_estimated_finding(figures.main))
    return figures


def _summary(f: _Figures) -> list[str]:
    training, inference, main, imported = f.training, f.inference, f.main, f.imported
    summary = []
    if training is not None:
        how = (
            f"is {training['extrapolation']['label']} to {training['fit_s']:.1f} s"
            if training["extrapolated"]
            else f"took {training['fit_s']:.2f} s"
        )
        summary.append(
            f"Re-fitting the model on {training['training_source']} {how} and used "
            f"{_kwh(training['energy_kwh'])}, i.e. {_g(training['emissions_kg'])} at {f.intensity.g_per_kwh:.0f} g "
            f"CO2eq/kWh ({f.place})."
        )
    else:
        summary.append(f"Training energy was not measured: {f.not_measured}.")
    summary.append(
        f"Inference: {_kwh(inference['energy_kwh_per_1000'])} (±{inference['relative_spread']:.1%}) and "
        f"{_g(inference['emissions_kg_per_1000'])} per 1,000 predictions ({inference['passes']} pass(es) over "
        f"{inference['rows_per_pass']:,} rows)."
    )
    if f.estimated:
        summary.append(
            f"These figures are ESTIMATED, not measured: CPU power {main['cpu_power_method']}"
            + (f" with a TDP of {main['cpu_tdp_w']} W" if main.get("cpu_tdp_w") else "")
            + f", RAM power {main['ram_power_method']}; no RAPL/NVML counter covered every component."
        )
    else:
        summary.append(
            f"These figures are MEASURED by hardware energy counters (CPU {main['cpu_power_method']}, "
            f"GPU {main['gpu_power_method']}, RAM {main['ram_power_method']})."
        )
    if training is not None and training["agreement"] is not None:
        summary.append(f"The re-fitted model agrees with the uploaded one: {_agreement_text(training)}.")
    if imported is not None:
        summary.append(_imported_sentence(imported, training))
    summary.append(
        f"Carbon intensity for {f.place}: {f.intensity.g_per_kwh:.0f} g CO2eq/kWh from codecarbon's bundled data; "
        f"the country is {f.country_origin}."
    )
    return summary


def _imported_sentence(imported: Mapping[str, Any], training: Mapping[str, Any] | None) -> str:
    ratio = (
        imported["energy_kwh"] / training["energy_kwh"]
        if training is not None and training["energy_kwh"]
        else None
    )
    return (
        f"The trainer's codecarbon file ({imported['source']}) reports {_kwh(imported['energy_kwh'])} and "
        f"{_g(imported['emissions_kg'])} over {imported['duration_s']:.1f} s"
        + (f", {ratio:.3g}x the energy measured here." if ratio is not None else ".")
    )


def _tables(f: _Figures) -> dict[str, Table]:
    equiv, countries = f.equiv, f.countries
    tables = {
        "training": _training_table(f.training, f.not_measured),
        "inference": _inference_table(f.inference),
        "equivalents": Table(
            title="Everyday equivalents",
            data={
                "equivalent": [e["label"] for e in equiv],
                "value": [e["value"] for e in equiv],
                "unit": [e["unit"] for e in equiv],
                "factor": [e["factor"] for e in equiv],
                "factor unit": [e["factor_unit"] for e in equiv],
                "source": [e["source"] for e in equiv],
            },
            note=f"Based on {f.basis}: {_kwh(f.basis_kwh)}, {_g(f.basis_kg)}.",
        ),
        "countries": Table(
            title="The same energy on other grids",
            data={
                "country": [c["country_iso_code"] for c in countries],
                "name": [c["country_name"] for c in countries],
                "carbon intensity (g CO2eq/kWh)": [c["carbon_intensity_g_per_kwh"] for c in countries],
                "emissions (kg CO2eq)": [c["emissions_kg"] for c in countries],
                "note": [("configured; " if c["configured"] else "") + c["note"] for c in countries],
            },
            note=f"Based on {f.basis} ({_kwh(f.basis_kwh)}); {DATA_SOURCE_NOTE}.",
        ),
    }
    if f.imported is not None:
        tables["comparison"] = _comparison_table(f.imported, f.training)
    return tables


def _metrics(ctx: AuditContext, f: _Figures) -> dict[str, Any]:
    return {
        "training": f.training,
        "training_not_measured": f.not_measured,
        "inference": f.inference,
        "imported": f.imported,
        "equivalents": f.equiv,
        "country_comparison": f.countries,
        "comparison_basis": f.basis,
        "co2_eq_emissions": co2_eq_emissions(f.training, f.imported),
        METHOD_KEY: Method(
            interval="none (measurements; the inference figure states its relative spread)",
            confidence_level=None,
            resamples=0,
            seed=ctx.seed,
            rows=int((f.training or {}).get("fitted_rows") or 0),
            sample_caps={"refit_max_rows": int(f.cfg.refit_max_rows)},
        ).to_dict(),
    }


def _how_obtained(f: _Figures, ref: Measurement) -> dict[str, Any]:
    main = f.main
    return {
        "duration_s": "time.perf_counter and codecarbon's tracked wall time",
        "cpu_energy_kwh": main["cpu_power_method"],
        "gpu_energy_kwh": main["gpu_power_method"],
        "ram_energy_kwh": main["ram_power_method"],
        "energy_kwh": f"codecarbon: sum of CPU, GPU and RAM energy x PUE ({ref.data.get('pue')})",
        "emissions_kg": "energy_kwh x carbon_intensity_g_per_kwh / 1000",
        "carbon_intensity_g_per_kwh": f"{DATA_SOURCE_NOTE}; {f.intensity.note}",
        "agreement": "re-fit.predict on the audited rows vs the upload's predictions (label share, or R² for "
        "a regression)",
        "untracked_fit_s": f.training["untracked_fit_how"] if f.training else "not measured",
        "training_source": "emissions.training_data, else the reference dataset, else the audited data",
        "tracking_mode": "machine: codecarbon attributes the whole machine's power during the call to it, "
        "including other processes' load",
        "inference": f.inference["method"],
        "equivalents": "value = emissions or energy / factor (see each source)",
        "country_comparison": "same energy x each country's national average intensity",
    }


def _method(f: _Figures, codecarbon_version: str) -> dict[str, Any]:
    intensity, cfg = f.intensity, f.cfg
    ref = f.train_m or f.inf_m
    return {
        "codecarbon_version": codecarbon_version,
        "tracker": TRACKER_CLASS,
        "offline": True,
        "network": "none: offline tracker, CSV output in a temporary directory only, no API/HTTP output, "
        "no Electricity Maps token (carbon intensity passed from codecarbon's bundled data)",
        "country_iso_code": intensity.country_iso_code,
        "country_name": intensity.country_name,
        "country_source": f.country_origin,
        "region": intensity.region,
        "carbon_intensity_g_per_kwh": intensity.g_per_kwh,
        "carbon_intensity_source": f"{DATA_SOURCE_NOTE}; {intensity.note}",
        "measure_power_secs": MEASURE_POWER_SECS,
        "tracking_mode": TRACKING_MODE,
        "pue": ref.data.get("pue"),
        "overall_method": f.main["overall_method"],
        "how_obtained": _how_obtained(f, ref),
        "inference_max_seconds": cfg.inference_max_seconds,
        "refit_time_budget_s": cfg.refit_time_budget_s,
        "pilot_from_rows": PILOT_FROM_ROWS,
        "agreement_warn_below": AGREEMENT_WARN_BELOW,
        "codecarbon_messages": list(
            dict.fromkeys([*(f.train_m.messages if f.train_m else ()), *f.inf_m.messages])
        )[:20],
    }


def run_emissions(
    ctx: AuditContext, *, prior: Mapping[str, SectionResult], progress: Callable[[float, str], None]
) -> SectionResult:
    """Energy and CO2 of re-fitting the model and of inference, measured with codecarbon offline.

    See the module docstring for the result schema and the status rules.
    """
    cfg = ctx.config.emissions
    if not cfg.enabled:
        return SectionResult.skipped(
            NAME, TITLE, "Emissions measurement is disabled (emissions.enabled: false)."
        )
    if ctx.model is None:
        return SectionResult.skipped(
            NAME,
            TITLE,
            "Predictions-only audit: there is no model to re-fit or run, so no energy was measured. "
            "Provide the model file to measure training and inference energy.",
        )
    import codecarbon

    f = _compute(ctx, cfg, progress)
    summary = _summary(f)
    tables = _tables(f)
    status = Status.WARN if any(x.severity == Severity.WARN for x in f.findings) else Status.PASS
    progress(1.0, "done")
    return SectionResult(
        name=NAME,
        title=TITLE,
        status=status,
        summary=tuple(summary),
        findings=tuple(f.findings),
        tables=tables,
        metrics=_metrics(ctx, f),
        method=_method(f, codecarbon.__version__),
    )
