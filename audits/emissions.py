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
    same label), codecarbon_version
    (plus: measured_energy_share, fit_s, tracker_start_s, tracker_stop_s, cpu_tdp_w, cpu_tdp_source,
    training_source, agreement_rows, agreement_note)

``metrics["inference"]``::

    passes, rows_per_pass, duration_s, energy_kwh_per_1000, emissions_kg_per_1000, method
    (plus: predictions, energy_kwh, emissions_kg, call, overall_method, *_power_method)

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
import dataclasses
import functools
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
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
from audits.inputs import load_dataset
from audits.results import Finding, SectionResult, Severity, Status, Table

NAME = "emissions"
TITLE = "Environmental impact"
TRACKER_CLASS = "codecarbon.OfflineEmissionsTracker"
MEASURE_POWER_SECS = (
    1.0  # short interval: audited fits last seconds, codecarbon's default (15 s) is too coarse
)
TRACKING_MODE = "machine"  # codecarbon's default, so figures compare like-for-like with a trainer's CSV
INFERENCE_ROW_CAP = 100_000
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
def _training_data(ctx: AuditContext, cfg: EmissionsConfig) -> tuple[pd.DataFrame, pd.Series, str]:
    if not cfg.training_data:
        cap = int(cfg.refit_max_rows)
        if 0 < cap < ctx.n_rows:
            # No training file was designated: re-fitting a million audited rows would take longer than the
            # rest of the audit, so a seeded random sample stands in, and the result says so.
            idx = np.sort(np.random.default_rng(ctx.seed).choice(ctx.n_rows, size=cap, replace=False))
            return (
                ctx.X.iloc[idx],
                ctx.y.iloc[idx],
                f"a random sample of {cap:,} of the {ctx.n_rows:,} audited rows ({ctx.data_info.name}, seed "
                f"{ctx.seed}; emissions.refit_max_rows) — a full re-fit would use more energy",
            )
        return ctx.X, ctx.y, f"the audited data ({ctx.data_info.name}, {ctx.n_rows:,} rows)"
    try:
        loaded = load_dataset(cfg.training_data, na_values=ctx.config.na_values)
    except AuditInputError as exc:
        raise RefitError(str(exc)) from exc
    frame = loaded.frame
    needed = [*ctx.features, ctx.target]
    missing = [c for c in needed if c not in frame.columns]
    if missing:
        raise RefitError(
            TRAINING_COLUMNS_MISSING.format(file=loaded.name, columns=", ".join(map(repr, missing[:10])))
        )
    return frame[list(ctx.features)], frame[ctx.target], f"{Path(loaded.name).name} ({len(frame):,} rows)"


def _label_agreement(ctx: AuditContext, refit: Any) -> tuple[float | None, str]:
    pred = np.asarray(refit.predict(ctx.X)).ravel()
    if ctx.task == "regression":
        uploaded = np.asarray(ctx.y_pred, dtype=float)
        diff = np.abs(pred.astype(float) - uploaded)
        scale = max(float(np.std(uploaded)), 1e-12)
        share = float(np.mean(diff <= 0.01 * scale))
        return (
            share,
            "share of rows whose re-fit prediction is within 1% of a standard deviation of the upload's",
        )
    # Compared as text: the re-fit's labels and the context's matched labels may differ only in type.
    same = pd.Series(pred).astype(str).to_numpy() == pd.Series(ctx.y_pred_labels).astype(str).to_numpy()
    note = "share of rows where the re-fit and the uploaded model predict the same label"
    return float(np.mean(same)), note


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


def measure_training(ctx: AuditContext, cfg: EmissionsConfig) -> tuple[dict[str, Any], Measurement]:
    """Re-fit a clone of the uploaded estimator untracked, then under the tracker; compare with the upload.

    The untracked fit runs first: it is the reference duration and warms caches (imports, allocators), so
    the tracked figure is not inflated by first-call costs.

    Raises
    ------
    RefitError : the training data is unusable or the estimator's ``fit`` raised.
    """
    from sklearn.base import clone

    X, y, source = _training_data(ctx, cfg)
    est = ctx.model.estimator

    def fit() -> Any:
        return clone(est).fit(X, y)

    try:
        t0 = time.perf_counter()
        fit()
        untracked = time.perf_counter() - t0
    except Exception as exc:  # the user's estimator may fail in any way
        raise RefitError(
            f"fitting a clone of the model failed: {type(exc).__name__}: {str(exc)[:300]}"
        ) from exc
    try:
        m = measure(fit, what="training re-fit", country_iso_code=cfg.country_iso_code, region=cfg.region)
    except EmissionsMeasurementError:
        raise
    except Exception as exc:
        raise RefitError(
            f"fitting a clone of the model failed: {type(exc).__name__}: {str(exc)[:300]}"
        ) from exc
    agreement, agreement_note = _label_agreement(ctx, m.value)
    record = _component_record(m)
    record.update(
        rows=int(len(X)),
        training_source=source,
        untracked_fit_s=untracked,
        fit_s=m.call_s,
        agreement=agreement,
        agreement_rows=ctx.n_rows,
        agreement_note=agreement_note,
    )
    return record, m


def measure_inference(ctx: AuditContext, cfg: EmissionsConfig) -> tuple[dict[str, Any], Measurement]:
    """Energy per 1,000 predictions: repeated prediction passes over the audited rows, for at least
    ``cfg.inference_min_seconds``, under the tracker."""
    model = ctx.model
    X = ctx.X if len(ctx.X) <= INFERENCE_ROW_CAP else ctx.X.iloc[:INFERENCE_ROW_CAP]
    call = "predict_proba" if model.has_proba else "predict"
    predict = model.predict_proba if model.has_proba else model.predict
    min_s = max(float(cfg.inference_min_seconds), 0.0)

    def loop() -> int:
        passes = 0
        t0 = time.perf_counter()
        while True:
            predict(X)
            passes += 1
            if time.perf_counter() - t0 >= min_s:
                return passes

    m = measure(loop, what="inference", country_iso_code=cfg.country_iso_code, region=cfg.region)
    passes = int(m.value)
    n_pred = passes * len(X)
    d = m.data
    energy = d.get("energy_consumed")
    emissions = d.get("emissions")
    overall, share = _overall(m.methods, d)
    record = {
        "passes": passes,
        "rows_per_pass": int(len(X)),
        "predictions": n_pred,
        "duration_s": m.call_s,
        "tracked_s": d.get("duration"),
        "energy_kwh": energy,
        "emissions_kg": emissions,
        "energy_kwh_per_1000": None if energy is None else energy / n_pred * 1000,
        "emissions_kg_per_1000": None if emissions is None else emissions / n_pred * 1000,
        "call": call,
        "method": (
            f"{passes} pass(es) of {call} on {len(X):,} rows ({m.call_s:.2f} s, at least {min_s:g} s) under "
            f"{TRACKER_CLASS}; energy divided by {n_pred:,} predictions; power {overall} "
            f"(CPU {m.methods['cpu_power_method']}, RAM {m.methods['ram_power_method']}, "
            f"GPU {m.methods['gpu_power_method']})"
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
def _g(kg: float | None) -> str:
    return "n/a" if kg is None else f"{kg * 1000:.3g} g CO2eq"


def _kwh(kwh: float | None) -> str:
    return "n/a" if kwh is None else f"{kwh:.3g} kWh"


def _training_table(t: Mapping[str, Any] | None, reason: str | None) -> Table:
    if t is None:
        return Table(
            title="Training (re-fit) energy",
            data={"quantity": ["training"], "value": [f"not measured: {reason}"], "unit": [""], "how": [""]},
        )
    cm = t["cpu_power_method"]
    rows = [
        ("rows re-fitted", t["rows"], "rows", t["training_source"]),
        ("duration (tracked)", t["duration_s"], "s", "codecarbon tracker wall time, start to stop"),
        ("fit time (tracked)", t["fit_s"], "s", "perf_counter around fit() under the tracker"),
        ("fit time (untracked)", t["untracked_fit_s"], "s", "perf_counter around the same fit, no tracker"),
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

    findings: list[Finding] = []
    intensity = grid_intensity(cfg.country_iso_code, region=cfg.region)
    country_origin = (
        f"{DEFAULT_COUNTRY}, which is also the default when none is configured; set "
        "emissions.country_iso_code to where the model is trained and served"
        if cfg.country_iso_code.strip().upper() == DEFAULT_COUNTRY
        else "set in the config (emissions.country_iso_code)"
    )
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

    # --- imported trainer figures ------------------------------------------------------------------------
    imported = None
    if cfg.imported_csv:
        try:
            imported = parse_codecarbon_csv(cfg.imported_csv)
        except AuditInputError as exc:
            findings.append(
                Finding(
                    code="EMIS_IMPORT_INVALID",
                    severity=Severity.WARN,
                    subject=str(cfg.imported_csv),
                    message=f"The trainer's codecarbon file could not be used: {exc}",
                )
            )

    # --- training -----------------------------------------------------------------------------------------
    training: dict[str, Any] | None = None
    not_measured: str | None = None
    train_m: Measurement | None = None
    if not cfg.refit:
        not_measured = REFIT_DISABLED
    elif not ctx.model.is_refittable:
        not_measured = (
            REFIT_NOT_POSSIBLE_ONNX
            if ctx.model.kind == "onnx"
            else f"the model ({ctx.model.description}) has no scikit-learn fit/get_params to re-fit a clone"
        )
    else:
        progress(0.05, "Re-fitting the model (untracked, then under codecarbon)")
        try:
            training, train_m = measure_training(ctx, cfg)
        except RefitError as exc:
            not_measured = f"the re-fit failed: {exc}"
            findings.append(
                Finding(
                    code="EMIS_REFIT_FAILED",
                    severity=Severity.WARN,
                    message=f"Training energy not measured: {exc}",
                )
            )
    if training is None:
        findings.append(
            Finding(
                code="EMIS_TRAINING_NOT_MEASURED",
                severity=Severity.INFO,
                message=f"Training energy was not measured: {not_measured}.",
            )
        )
    elif training["agreement"] is not None and training["agreement"] < AGREEMENT_WARN_BELOW:
        findings.append(
            Finding(
                code="EMIS_REFIT_DISAGREES",
                severity=Severity.WARN,
                message=(
                    f"The re-fitted model agrees with the uploaded one on only {training['agreement']:.1%} of "
                    f"{training['agreement_rows']:,} rows (below {AGREEMENT_WARN_BELOW:.0%}): the re-fit may not "
                    "reproduce the original training (other data, other random seed, or a different procedure), "
                    "so its energy may not represent what training the upload cost."
                ),
                evidence={"agreement": training["agreement"], "training_source": training["training_source"]},
            )
        )

    # --- inference ----------------------------------------------------------------------------------------
    progress(0.55, f"Measuring inference (at least {cfg.inference_min_seconds:g} s of predictions)")
    inference, inf_m = measure_inference(ctx, cfg)

    # --- context for humans -------------------------------------------------------------------------------
    progress(0.9, "Equivalents and country comparison")
    if training is not None:
        basis_kwh, basis_kg = training["energy_kwh"], training["emissions_kg"]
        basis = "the energy of one training re-fit"
    else:
        basis_kwh, basis_kg = inference["energy_kwh_per_1000"], inference["emissions_kg_per_1000"]
        basis = "the energy of 1,000 predictions"
    equiv = equivalents(emissions_kg=basis_kg or 0.0, energy_kwh=basis_kwh or 0.0)
    countries = country_comparison(basis_kwh or 0.0, cfg.compare_countries, configured=intensity)
    main = training or inference
    estimated = main["overall_method"] != "measured"
    if estimated:
        findings.append(
            Finding(
                code="EMIS_ESTIMATED",
                severity=Severity.INFO,
                message=(
                    "Energy figures are ESTIMATES, not measurements: "
                    f"CPU power {main['cpu_power_method']}, RAM power {main['ram_power_method']}, "
                    f"GPU {main['gpu_power_method']}. No hardware energy counter covered every component."
                ),
                evidence={"measured_energy_share": main["measured_energy_share"]},
            )
        )

    # --- summary ------------------------------------------------------------------------------------------
    place = f"{intensity.country_name or intensity.country_iso_code}" + (
        f", {intensity.region}" if intensity.region else ""
    )
    summary = []
    if training is not None:
        summary.append(
            f"Re-fitting the model on {training['training_source'] if 'sample' in training['training_source'] else format(training['rows'], ',') + ' rows'} "
            f"took {training['fit_s']:.2f} s "
            f"(untracked: {training['untracked_fit_s']:.2f} s) and used {_kwh(training['energy_kwh'])}, "
            f"i.e. {_g(training['emissions_kg'])} at {intensity.g_per_kwh:.0f} g CO2eq/kWh ({place})."
        )
    else:
        summary.append(f"Training energy was not measured: {not_measured}.")
    summary.append(
        f"Inference: {_kwh(inference['energy_kwh_per_1000'])} and {_g(inference['emissions_kg_per_1000'])} per "
        f"1,000 predictions ({inference['passes']} pass(es) over {inference['rows_per_pass']:,} rows)."
    )
    if estimated:
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
        summary.append(
            f"The re-fitted model agrees with the uploaded one on {training['agreement']:.1%} of rows."
        )
    if imported is not None:
        ratio = (
            imported["energy_kwh"] / training["energy_kwh"]
            if training is not None and training["energy_kwh"]
            else None
        )
        summary.append(
            f"The trainer's codecarbon file ({imported['source']}) reports {_kwh(imported['energy_kwh'])} and "
            f"{_g(imported['emissions_kg'])} over {imported['duration_s']:.1f} s"
            + (f", {ratio:.3g}x the energy measured here." if ratio is not None else ".")
        )
    summary.append(
        f"Carbon intensity for {place}: {intensity.g_per_kwh:.0f} g CO2eq/kWh from codecarbon's bundled data; "
        f"the country is {country_origin}."
    )

    # --- tables -------------------------------------------------------------------------------------------
    tables = {
        "training": _training_table(training, not_measured),
        "inference": _inference_table(inference),
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
            note=f"Based on {basis}: {_kwh(basis_kwh)}, {_g(basis_kg)}.",
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
            note=f"Based on {basis} ({_kwh(basis_kwh)}); {DATA_SOURCE_NOTE}.",
        ),
    }
    if imported is not None:
        tables["comparison"] = _comparison_table(imported, training)

    status = Status.WARN if any(f.severity == Severity.WARN for f in findings) else Status.PASS
    ref = train_m or inf_m
    how = {
        "duration_s": "time.perf_counter and codecarbon's tracked wall time",
        "cpu_energy_kwh": main["cpu_power_method"],
        "gpu_energy_kwh": main["gpu_power_method"],
        "ram_energy_kwh": main["ram_power_method"],
        "energy_kwh": f"codecarbon: sum of CPU, GPU and RAM energy x PUE ({ref.data.get('pue')})",
        "emissions_kg": "energy_kwh x carbon_intensity_g_per_kwh / 1000",
        "carbon_intensity_g_per_kwh": f"{DATA_SOURCE_NOTE}; {intensity.note}",
        "agreement": "re-fit.predict on the audited rows vs the upload's predictions",
        "tracking_mode": "machine: codecarbon attributes the whole machine's power during the call to it, "
        "including other processes' load",
        "inference": inference["method"],
        "equivalents": "value = emissions or energy / factor (see each source)",
        "country_comparison": "same energy x each country's national average intensity",
    }
    progress(1.0, "done")
    return SectionResult(
        name=NAME,
        title=TITLE,
        status=status,
        summary=tuple(summary),
        findings=tuple(findings),
        tables=tables,
        metrics={
            "training": training,
            "training_not_measured": not_measured,
            "inference": inference,
            "imported": imported,
            "equivalents": equiv,
            "country_comparison": countries,
            "comparison_basis": basis,
            "co2_eq_emissions": co2_eq_emissions(training, imported),
        },
        method={
            "codecarbon_version": codecarbon.__version__,
            "tracker": TRACKER_CLASS,
            "offline": True,
            "network": "none: offline tracker, CSV output in a temporary directory only, no API/HTTP output, "
            "no Electricity Maps token (carbon intensity passed from codecarbon's bundled data)",
            "country_iso_code": intensity.country_iso_code,
            "country_name": intensity.country_name,
            "country_source": country_origin,
            "region": intensity.region,
            "carbon_intensity_g_per_kwh": intensity.g_per_kwh,
            "carbon_intensity_source": f"{DATA_SOURCE_NOTE}; {intensity.note}",
            "measure_power_secs": MEASURE_POWER_SECS,
            "tracking_mode": TRACKING_MODE,
            "pue": ref.data.get("pue"),
            "overall_method": main["overall_method"],
            "how_obtained": how,
            "inference_min_seconds": cfg.inference_min_seconds,
            "agreement_warn_below": AGREEMENT_WARN_BELOW,
            "codecarbon_messages": list(
                dict.fromkeys([*(train_m.messages if train_m else ()), *inf_m.messages])
            )[:20],
        },
    )
