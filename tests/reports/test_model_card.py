"""Model card: qualitative fields from YAML (strict keys), quantitative parts from the result, HF front matter."""

from __future__ import annotations

import json

import pytest
import yaml

from audits.errors import AuditInputError
from reports.formatting import fmt_sig, fmt_value, fmt_value_ci
from reports.model_card import CardInfo, build_model_card, render_model_card_pdf
from tests.reports import synthetic
from tests.reports.conftest import pdf_text

CARD_YAML = """
version: "2.1"
developers: [Risk analytics team]
license: apache-2.0
intended_uses: Pre-screening of consumer loan applications, reviewed by a person.
out_of_scope_uses:
  - Fully automated decisions
  - Employment screening
ethical_considerations: [Region acts as a proxy for ethnicity in some markets.]
caveats_and_recommendations: [Re-audit after every retraining.]
datasets: [regional-loans-2025]
"""


@pytest.fixture()
def card_yaml(tmp_path):
    path = tmp_path / "model_card.yaml"
    path.write_text(CARD_YAML, encoding="utf-8")
    return path


def front_matter(md: str) -> dict:
    assert md.startswith("---\n")
    return yaml.safe_load(md.split("---\n")[1])


def test_card_info_from_yaml_and_round_trip(card_yaml, tmp_path):
    info = CardInfo.from_yaml(card_yaml)
    assert info.intended_uses == ("Pre-screening of consumer loan applications, reviewed by a person.",)
    assert info.out_of_scope_uses == ("Fully automated decisions", "Employment screening")
    again = CardInfo.from_yaml(info.save_yaml(tmp_path / "again.yaml"))
    assert again == info


def test_unknown_card_key_is_a_clear_error(tmp_path):
    path = tmp_path / "card.yaml"
    path.write_text("licence: mit\n", encoding="utf-8")
    with pytest.raises(AuditInputError, match=r"unknown key\(s\) 'licence'.*Known keys: model_name"):
        CardInfo.from_yaml(path)


def test_bad_card_values_are_clear_errors(tmp_path):
    with pytest.raises(AuditInputError, match="must be a text"):
        CardInfo.from_dict({"license": {"name": "mit"}})
    with pytest.raises(AuditInputError, match="does not exist"):
        CardInfo.from_yaml(tmp_path / "missing.yaml")


def test_qualitative_fields_survive_a_rerun(card_yaml):
    info = CardInfo.from_yaml(card_yaml)
    first = build_model_card(synthetic.full_result(n_groups=8), info)
    rerun = synthetic.full_result(n_groups=12)  # a new audit: new numbers, same YAML
    second = build_model_card(rerun, card_yaml)
    assert first.info == second.info
    assert second.info.license == "apache-2.0"
    assert "Fully automated decisions" in second.to_markdown()


def test_defaults_come_from_the_result(small_result):
    card = build_model_card(small_result)
    assert card.info.model_name == "Loan approval — logistic regression"
    assert card.info.date == "2026-11-25"
    assert card.info.library_name == "sklearn"
    assert "5,000 rows" in card.info.evaluation_data
    md = card.to_markdown()
    assert "Not provided — add 'intended_uses'" in md


def test_front_matter_has_model_index_and_co2_in_grams(small_result, card_yaml):
    card = build_model_card(small_result, card_yaml)
    fm = front_matter(card.to_markdown())
    assert fm["license"] == "apache-2.0"
    assert fm["datasets"] == ["regional-loans-2025"]
    metrics = {m["type"]: m["value"] for m in fm["model-index"][0]["results"][0]["metrics"]}
    acc = small_result.section("performance").metrics["overall"]["accuracy"]["value"]
    assert metrics["accuracy"] == float(fmt_value(acc))
    assert "precision" not in metrics  # undefined metrics are left out, never reported as 0
    co2 = fm["co2_eq_emissions"]
    grams = small_result.section("emissions").metrics["training"]["emissions_kg"] * 1000
    assert co2["emissions"] == float(fmt_sig(grams))
    assert co2["geographical_location"] == "France"
    assert "estimated" in co2["source"]
    assert co2["training_type"] and co2["hardware_used"]


def test_quantitative_parts_match_the_result(small_result):
    card = build_model_card(small_result)
    md = card.to_markdown()
    recall = small_result.section("performance").metrics["overall"]["recall"]
    assert fmt_value_ci(recall["value"], recall["ci_low"], recall["ci_high"]) in md
    assert "Demographic parity ratio" in md and "FAIL" in md
    assert "relationship" in md  # top explanatory feature
    assert "occupation is missing in 5.7% of rows." in md  # data-quality finding
    assert "Measured or estimated: estimated" in md


def test_card_without_emissions_says_why():
    result = synthetic.full_result(
        sections=(synthetic.performance(), synthetic.errored("emissions", "Environmental impact"))
    )
    card = build_model_card(result)
    assert "co2_eq_emissions" not in front_matter(card.to_markdown())
    assert "Not measured: The environmental impact section failed" in card.to_markdown()


def test_card_json_and_pdf(small_result, card_yaml):
    card = build_model_card(small_result, card_yaml)
    d = json.loads(card.to_json())
    assert d["info"]["version"] == "2.1"
    assert d["quantitative"]["environmental_impact"]["method"] == "estimated"
    pages = pdf_text(render_model_card_pdf(card))
    text = " ".join(" ".join(pages).split())
    assert "Model card: Loan approval — logistic regression" in " ".join(pages[0].split())
    assert "Risk analytics team" in text and "Île-de-France" in text
