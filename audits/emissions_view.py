"""Typed view of the emissions section's result (``audits.emissions``): its keys and accessors."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from audits.results import Table
from audits.section_view import SectionView, TableSpec, as_rows

TRAINING = "training"
INFERENCE = "inference"
IMPORTED = "imported"
EQUIVALENTS = "equivalents"
COUNTRY_COMPARISON = "country_comparison"
COMPARISON_BASIS = "comparison_basis"
CO2_EQ_EMISSIONS = "co2_eq_emissions"
TRAINING_NOT_MEASURED = "training_not_measured"
COUNTRIES = "countries"
COMPARISON = "comparison"

QUANTITY_COLUMNS = ("quantity", "value", "unit", "how")
EQUIVALENT_COLUMNS = ("equivalent", "value", "unit", "factor", "factor unit", "source")
COUNTRY_COLUMNS = ("country", "name", "carbon intensity (g CO2eq/kWh)", "emissions (kg CO2eq)", "note")
COMPARISON_COLUMNS = ("quantity", "reported by the trainer", "measured here", "ratio (trainer / here)")
# Keys of a training / imported / country record, shown humanized where a reader lists them.
RECORD_KEYS = (
    "emissions_kg", "emissions_g", "energy_kwh", "duration_s", "country_iso_code", "country_name",
    "carbon_intensity_g_per_kwh", "source",
)  # fmt: skip


class EmissionsResult(SectionView):
    NAME = "emissions"
    METRICS = (
        TRAINING, INFERENCE, IMPORTED, EQUIVALENTS, COUNTRY_COMPARISON, COMPARISON_BASIS, CO2_EQ_EMISSIONS,
        TRAINING_NOT_MEASURED,
    )  # fmt: skip
    OPTIONAL_METRICS = frozenset()  # every key is written; training / imported are None when not measured
    TABLES = (
        TableSpec(TRAINING, QUANTITY_COLUMNS),
        TableSpec(INFERENCE, QUANTITY_COLUMNS),
        TableSpec(EQUIVALENTS, EQUIVALENT_COLUMNS),
        TableSpec(COUNTRIES, COUNTRY_COLUMNS),
        TableSpec(COMPARISON, COMPARISON_COLUMNS, optional=True),  # only with an imported trainer CSV
    )

    @property
    def training(self) -> Mapping[str, Any]:
        """The re-fit measured by the audit; empty when not measured (see :attr:`training_not_measured`)."""
        return self.metrics_mapping(TRAINING)

    @property
    def inference(self) -> Mapping[str, Any]:
        return self.metrics_mapping(INFERENCE)

    @property
    def imported(self) -> Mapping[str, Any]:
        """The trainer's codecarbon CSV as imported; empty when none was given."""
        return self.metrics_mapping(IMPORTED)

    @property
    def co2_eq_emissions(self) -> Mapping[str, Any]:
        """Hugging Face block: emissions (grams), source, training_type, geographical_location, hardware_used;
        from the trainer's CSV when imported, else from the audit's re-fit."""
        return self.metrics_mapping(CO2_EQ_EMISSIONS)

    @property
    def training_not_measured(self) -> str:
        return str(self.metric(TRAINING_NOT_MEASURED) or "")

    @property
    def equivalents(self) -> list[Mapping[str, Any]]:
        return self.metrics_rows(EQUIVALENTS)

    @property
    def country_comparison(self) -> list[Mapping[str, Any]]:
        return as_rows(self.metric(COUNTRY_COMPARISON))

    @property
    def refit_on_audited_data(self) -> bool:
        """True when the training figure is a re-fit on the audited (test) rows, not the model's training cost."""
        return str(self.training.get("training_origin") or "").startswith("audited")

    def comparison_table(self) -> Table | None:
        return self.table(COMPARISON)

    def appendix_tables(self) -> list[Table]:
        """The exhaustive tables a report keeps out of its chapter: every quantity of the tracked re-fit (the
        chapter's sentences carry its key figures), the country comparison and the trainer-CSV comparison."""
        return [
            t for t in (self.table(TRAINING), self.table(COUNTRIES), self.table(COMPARISON)) if t is not None
        ]
