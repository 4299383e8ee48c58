"""Report structure: executive summary first, findings that matter most, appendix of provenance and gaps."""

from __future__ import annotations

from audits.results import Finding, SectionResult, Severity, Status
from reports.document import Heading, TableBlock
from reports.report import build_report_document, not_measured, top_findings
from tests.reports import synthetic


def _section(name: str, n_fail: int, n_warn: int = 0) -> SectionResult:
    findings = [
        Finding(code=f"{name}_F{i}", severity=Severity.FAIL, message=f"{name} fail {i}")
        for i in range(n_fail)
    ]
    findings += [
        Finding(code=f"{name}_W{i}", severity=Severity.WARN, message=f"{name} warn {i}")
        for i in range(n_warn)
    ]
    return SectionResult(name=name, title=name.title(), status=Status.FAIL, findings=tuple(findings))


def test_top_findings_rank_failures_first_and_do_not_repeat_a_fact():
    result = synthetic.full_result(sections=(_section("data_quality", 10, 3), _section("fairness", 2, 1)))
    top = top_findings(result, limit=6)
    assert len(top) == 6 and all(f.severity == "fail" for f in top)  # fails before any warning
    assert len({(f.section, f.title) for f in top}) == 6


def test_document_order_verdicts_sections_card_appendix(small_result):
    doc = build_report_document(small_result)
    chapters = [b.text for b in doc.blocks if isinstance(b, Heading) and b.level == 1]
    assert chapters[0] == "Verdicts"
    assert set(chapters[1 : 1 + len(small_result.sections)]) == {s.title for s in small_result.sections}
    assert chapters[-2:] == ["Model card", "Appendix"]
    verdicts = next(
        b for b in doc.blocks if isinstance(b, TableBlock) and b.table.title == "Verdict by section"
    )
    assert [r[1] for r in verdicts.table.rows] == [s.status.value.upper() for s in small_result.sections]


def test_appendix_has_provenance(small_result):
    from reports.markdown import blocks_to_markdown

    md = blocks_to_markdown(build_report_document(small_result))
    appendix = md[md.index("## Appendix") :]
    assert small_result.provenance.data["sha256"] in appendix
    assert small_result.provenance.model["sha256"] in appendix
    assert "fairlearn" in appendix and "0.15.0" in appendix
    assert "Seed: 7" in appendix


def test_not_measured_lists_skips_errors_and_gaps():
    fair = synthetic.fairness(8)
    fair = SectionResult.from_dict(
        {**fair.to_dict(), "metrics": {**fair.metrics, "excluded": [{"group": "x"}]}}
    )
    result = synthetic.full_result(
        sections=(
            fair,
            synthetic.emissions(),
            synthetic.errored(),
            SectionResult.skipped("data_quality", "Data quality", "not selected"),
        )
    )
    items = not_measured(result)
    assert any(i.startswith("Fairness: 1 small group(s)") for i in items)
    assert any("original training run were not imported" in i for i in items)
    assert any(i.startswith("Explanations: failed") for i in items)
    assert any(i.startswith("Data quality: skipped — not selected") for i in items)
