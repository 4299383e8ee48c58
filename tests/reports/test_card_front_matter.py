"""Model-card front matter that huggingface_hub's ModelCard / ModelCardData parse and round-trip (offline)."""

from __future__ import annotations

import pytest

from audits.results import AuditResult, SectionResult, Status
from reports.model_card import CardInfo, build_model_card, hub_license
from tests.reports import synthetic

hub = pytest.importorskip("huggingface_hub")


def _card(info: CardInfo | None = None, result: AuditResult | None = None):
    return build_model_card(
        result or synthetic.full_result(n_groups=8), info or CardInfo(license="Apache-2.0")
    )


def test_front_matter_parses_and_round_trips_with_huggingface_hub():
    md = _card(CardInfo(license="Apache-2.0", datasets=("uci-adult",))).to_markdown()
    card = hub.ModelCard(md, ignore_metadata_errors=False)
    data = card.data.to_dict()
    assert data["license"] == "apache-2.0" and data["pipeline_tag"] == "tabular-classification"
    assert card.data.eval_results, "model-index must parse into EvalResult objects"
    er = card.data.eval_results[0]
    assert er.dataset_type == "uci-adult" and er.dataset_split == "test"
    again = hub.ModelCard(str(card))
    assert again.data.to_dict() == data


def test_license_is_lowercase_spdx_and_unknown_ids_become_other():
    assert hub_license("Apache-2.0") == "apache-2.0"
    assert hub_license("CC-BY-4.0") == "cc-by-4.0"
    fm = _card(CardInfo(license="Company licence v3")).front_matter()
    assert fm["license"] == "other" and fm["license_name"] == "company-licence-v3"


def test_names_have_no_folders():
    result = synthetic.full_result(n_groups=8)
    data = {**result.provenance.data, "name": "/srv/data/loans_2025.csv"}
    prov = type(result.provenance).from_dict({**result.provenance.to_dict(), "data": data, "config": {}})
    card = build_model_card(AuditResult(sections=result.sections, provenance=prov))
    fm = card.front_matter()
    dataset = fm["model-index"][0]["results"][0]["dataset"]
    assert "/" not in dataset["name"] and "/" not in dataset["type"]


def test_measured_emissions_win_over_template_blanks():
    result = synthetic.full_result(n_groups=8)
    em = result.section("emissions")
    hf = {"emissions": 1.0, "source": "codecarbon", "training_type": "re-fit", "geographical_location": "France",
          "hardware_used": "2 x Xeon"}  # fmt: skip
    em2 = SectionResult.from_dict({**em.to_dict(), "metrics": {**em.metrics, "co2_eq_emissions": hf}})
    result = synthetic.full_result(
        sections=tuple(em2 if s.name == "emissions" else s for s in result.sections)
    )
    info = CardInfo(training_type="original training run", geographical_location="", hardware_used="")
    co2 = build_model_card(result, info).front_matter().get("co2_eq_emissions")
    assert co2 is not None
    assert co2["geographical_location"] == "France" and co2["hardware_used"] == "2 x Xeon"
    assert co2["training_type"] == "re-fit"


def test_citation_and_group_mix_are_rendered():
    md = _card(CardInfo(citation="@misc{x, title={T}}")).to_markdown()
    assert "## Citation" in md and "@misc{x, title={T}}" in md


def test_card_html_format(tmp_path):
    from reports.export import write_model_card

    written = write_model_card(synthetic.full_result(n_groups=8), tmp_path, ["md", "html"])
    assert written["html"].read_text(encoding="utf-8").startswith("<!DOCTYPE html>")


def test_skipped_emissions_leave_no_co2_block():
    result = synthetic.full_result(
        sections=(SectionResult.skipped("emissions", "Environmental impact", "not selected"),)
    )
    assert "co2_eq_emissions" not in build_model_card(result).front_matter()
    assert Status.SKIPPED  # the card still builds


CODECARBON_CSV = (
    b"timestamp,project_name,run_id,duration,emissions,emissions_rate,cpu_power,gpu_power,ram_power,cpu_energy,"
    b"gpu_energy,ram_energy,energy_consumed,country_name,country_iso_code,region,cloud_provider,cloud_region,os,"
    b"python_version,codecarbon_version,cpu_count,cpu_model,gpu_count,gpu_model,longitude,latitude,ram_total_size,"
    b"tracking_mode,on_cloud,pue\n"
    b"2025-01-01T10:00:00,train,abc,3600,0.5,0.0001,40,0,10,0.04,0,0.01,0.05,France,FRA,ile-de-france,,,Linux,"
    b"3.11,2.8.0,8,Intel Xeon,0,,2.3,48.8,32,machine,N,1.0\n"
)


def test_imported_trainer_csv_fills_location_and_hardware_through_the_view():
    """Issue 13: the card read 'country' and 'hardware', which the importer never writes; it now reads the
    engine's co2_eq_emissions block (via EmissionsResult) and says the figure is the trainer's."""
    from audits.emissions import co2_eq_emissions
    from audits.emissions_import import parse_codecarbon_csv
    from audits.emissions_view import CO2_EQ_EMISSIONS, IMPORTED, EmissionsResult

    imported = parse_codecarbon_csv(CODECARBON_CSV, name="trainer.csv")
    assert "country" not in imported and "hardware" not in imported
    em = EmissionsResult.build(
        status=Status.PASS,
        title="Environmental impact",
        metrics={IMPORTED: imported, CO2_EQ_EMISSIONS: co2_eq_emissions(None, imported)},
    )
    result = synthetic.full_result(sections=(em,))
    info = CardInfo(training_type="", geographical_location="", hardware_used="")
    card = build_model_card(result, info)
    co2 = card.front_matter().get("co2_eq_emissions")
    assert co2 is not None
    assert co2["geographical_location"] == "France"
    assert co2["hardware_used"] == "8 x Intel Xeon"
    assert co2["training_type"] == "original training run (as reported)"
    assert card.emissions is not None and card.emissions["origin"] == "imported trainer CSV"
