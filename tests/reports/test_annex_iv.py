"""EU AI Act Annex IV documentation: laid out by the Annex items, measured evidence in, provider fields marked."""

from __future__ import annotations

from reports.annex_iv import PROVIDER_FIELD, build_annex_iv_document
from reports.document import Heading
from reports.markdown import blocks_to_markdown
from reports.model_card import CardInfo
from tests.reports import synthetic


def _md(info=None):
    return blocks_to_markdown(build_annex_iv_document(synthetic.full_result(n_groups=8), info))


def test_headings_follow_the_annex_items_in_order():
    doc = build_annex_iv_document(synthetic.full_result(n_groups=8))
    chapters = [b.text.split(".")[0] for b in doc.blocks if isinstance(b, Heading) and b.level == 1]
    assert chapters == [str(i) for i in range(1, 10)]


def test_unknown_items_are_marked_for_the_provider():
    md = _md()
    for key in ("provider", "human_oversight", "risk_management", "post_market_monitoring"):
        assert PROVIDER_FIELD.format(key=key).split("—")[1].strip().replace("'", "\\'")[:10] or key
        assert f"set '{key}' in the model-card YAML" in md


def test_provider_answers_replace_the_markers():
    md = _md(CardInfo(provider="ACME Bank", human_oversight="A credit officer reviews every refusal."))
    assert "ACME Bank" in md and "A credit officer reviews every refusal." in md
    assert "set 'provider'" not in md


def test_measured_evidence_and_no_compliance_claim():
    result = synthetic.full_result(n_groups=8)
    md = blocks_to_markdown(build_annex_iv_document(result))
    acc = result.section("performance").metrics["overall"]["accuracy"]
    from reports.formatting import fmt_value_ci

    assert fmt_value_ci(acc["value"], acc["ci_low"], acc["ci_high"]) in md
    assert "makes no claim that the system complies" in md
    assert "is compliant" not in md.lower() and "complies with" not in md.lower().replace(
        "no claim that the system complies with", ""
    )


def test_cli_writes_markdown_and_pdf(tmp_path):
    from reports.export import write_report

    written = write_report(synthetic.full_result(n_groups=8), tmp_path, ["annex-iv"])
    assert written["annex-iv md"].name == "annex_iv.md"
    assert written["annex-iv pdf"].read_bytes()[:4] == b"%PDF"
