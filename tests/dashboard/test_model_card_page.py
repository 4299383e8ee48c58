"""Model card & export page: edit the qualitative fields, preview the card, render every download."""

from __future__ import annotations

import json

import pytest

from dashboard import services, state
from tests.dashboard.conftest import new_app, no_exception, open_page


@pytest.fixture()
def card_page(german_result):
    at = new_app(result=german_result, key="german-real")
    at.run()
    return open_page(at, "model_card")


def _open_group(at, group: str):
    """Open a collapsed group of fields (its fields are built only while it is open), as a click does."""
    at.session_state[f"card.group.{group}"] = True
    return at.run()


def test_the_form_is_prefilled_from_the_result_and_edits_save_as_typed(card_page):
    at = card_page
    no_exception(at)
    _open_group(at, "Model details")
    assert (
        at.text_input(key=state.CARD_FIELD_PREFIX + "model_name").value
        == "German credit — logistic regression (sample)"
    )
    assert not at.get("form")  # no separate Save step to forget
    at.text_area(key=state.CARD_FIELD_PREFIX + "intended_uses").set_value(
        "Teaching fairness audits\nNot for lending"
    ).run()
    no_exception(at)
    assert services.card_draft("german-real")["intended_uses"] == [
        "Teaching fairness audits",
        "Not for lending",
    ]
    assert at.session_state[state.CARD_INFO]["intended_uses"] == [
        "Teaching fairness audits",
        "Not for lending",
    ]
    assert any("Teaching fairness audits" in m.value for m in at.markdown)


def test_collapsed_groups_are_built_when_opened_and_keep_their_fields_meanwhile(card_page):
    at = card_page
    model_name = state.CARD_FIELD_PREFIX + "model_name"
    assert model_name not in [w.key for w in at.text_input]  # "Model details" is collapsed: not drawn
    at.text_area(key=state.CARD_FIELD_PREFIX + "intended_uses").set_value("Teaching").run()
    no_exception(at)
    # saving one field kept the prefilled fields of the groups never opened
    assert services.card_draft("german-real")["model_name"] == "German credit — logistic regression (sample)"
    _open_group(at, "Model details")
    assert at.text_input(key=model_name).value == "German credit — logistic regression (sample)"


def test_there_is_a_download_per_report_and_card_format(card_page):
    labels = [b.label for b in card_page.get("download_button")]
    assert labels == [
        "Download the fields (YAML)",
        "Audit report (PDF)",
        "Audit report (Markdown)",
        "Audit report (HTML)",
        "Audit report (JSON)",
        "Model card (Markdown)",
        "Model card (JSON)",
        "Model card (PDF)",
    ]


@pytest.mark.parametrize("fmt", list(services.REPORT_FORMATS))
def test_reports_render_in_every_format(german_result, fmt):
    out = services.render_report(german_result, fmt, key="german-real", card={"intended_uses": ["Teaching"]})
    assert out.ok, out.error
    head = {"pdf": b"%PDF-", "md": b"#", "html": b"<!", "json": b"{"}[fmt]
    assert out.value.lstrip()[: len(head)].lower() == head.lower()
    if fmt == "json":
        assert json.loads(out.value)["schema_version"] == german_result.schema_version


@pytest.mark.parametrize("fmt", list(services.CARD_FORMATS))
def test_model_card_renders_in_every_format_with_the_edited_fields(german_result, fmt):
    out = services.render_card(
        german_result, fmt, key="german-real", card={"intended_uses": ["Teaching fairness audits"]}
    )
    assert out.ok, out.error
    if fmt == "pdf":
        assert out.value[:5] == b"%PDF-"
    else:
        assert "Teaching fairness audits" in out.value.decode("utf-8")


def test_a_card_yaml_fills_the_form_and_a_bad_one_names_the_key(card_page):
    at = card_page
    at.file_uploader(key="card.upload").upload(
        "card.yaml", b"license: apache-2.0\nintended_uses: [Teaching]\n"
    )
    at.run()
    no_exception(at)
    _open_group(at, "Model details")
    assert at.text_input(key=state.CARD_FIELD_PREFIX + "license").value == "apache-2.0"
    assert at.session_state[state.CARD_INFO]["intended_uses"] == ["Teaching"]
    at.file_uploader(key="card.upload").set_value(("card.yaml", b"licence: mit\n", "application/x-yaml"))
    at.run()
    no_exception(at)
    assert any("'licence'" in e.value for e in at.error)


def test_the_card_fields_round_trip_through_yaml(german_result):
    card = {"license": "mit", "intended_uses": ["Teaching"]}
    text = services.card_yaml(card)
    back = services.parse_card_yaml(text.encode(), name="card.yaml")
    assert back.ok and back.value["license"] == "mit" and back.value["intended_uses"] == ["Teaching"]
