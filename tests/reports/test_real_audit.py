"""A real audit of the bundled German-credit model rendered in every format (whatever sections exist)."""

from __future__ import annotations

from reports.export import write_model_card, write_report
from reports.formatting import fmt_status, fmt_value_ci
from tests.reports.conftest import pdf_text


def test_real_audit_renders_and_figures_agree(german_result, tmp_path):
    written = write_report(german_result, tmp_path, ["md", "html", "pdf", "json"])
    md = written["md"].read_text(encoding="utf-8")
    pdf = " ".join(" ".join(pdf_text(written["pdf"].read_bytes())).split())
    acc = german_result.section("performance").metrics["overall"]["accuracy"]
    figure = fmt_value_ci(acc["value"], acc["ci_low"], acc["ci_high"])
    assert figure in md and figure in pdf
    for section in german_result.sections:
        assert section.title in pdf
        assert f"Status: {fmt_status(section.status)}" in pdf
    fair = german_result.section("fairness")
    if fair is not None and fair.table("groups:sex") is not None:
        t = fair.table("groups:sex")
        i = t.data["group"].index("female")
        rate = fmt_value_ci(
            t.data["selection_rate"][i],
            t.data["selection_rate_ci_low"][i],
            t.data["selection_rate_ci_high"][i],
        )
        assert rate in md and rate in pdf


def test_real_audit_model_card(german_result, tmp_path):
    written = write_model_card(german_result, tmp_path)
    md = written["md"].read_text(encoding="utf-8")
    assert md.startswith("---\n") and "model-index" in md
    assert "German credit — logistic regression (sample)" in md
