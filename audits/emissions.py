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

``metrics["inference"]``::

    passes, rows_per_pass, duration_s, energy_kwh_per_1000, emissions_kg_per_1000, method

``metrics["imported"]``: the parsed trainer CSV (emissions_kg, energy_kwh, duration_s, country, hardware,
codecarbon_version, source file name, ...) or None.
``metrics["equivalents"]``: list of {"label", "value", "unit", "factor", "source"}.
``metrics["country_comparison"]``: list of {"country_iso_code", "country_name", "carbon_intensity_g_per_kwh",
"emissions_kg"} for the same energy.

Tables: ``training``, ``inference``, ``equivalents``, ``countries`` and ``comparison`` ("reported by the
trainer" vs "measured here", only with an imported CSV).

Status: pass when measured; skipped (with the reason) for predictions-only / refit disabled; an ONNX model has
its inference measured (status pass) and training marked "not measured: <reason>". Errors only via the runner.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

from audits.context import AuditContext
from audits.results import SectionResult


def run_emissions(
    ctx: AuditContext, *, prior: Mapping[str, SectionResult], progress: Callable[[float, str], None]
) -> SectionResult:
    return SectionResult.skipped("emissions", "Environmental impact", "This section is not implemented yet.")
