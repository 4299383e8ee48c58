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
