"""The first page decides: findings ranked by severity, effect and evidence, one per attribute and metric family."""

from __future__ import annotations

from audits.results import AuditResult, Finding, SectionResult, Severity, Status, Table
from reports.ranking import section_sentence, top_findings
from reports.report import build_report_document
from tests.reports import synthetic


def _row(attribute, group, reference, metric, value, lo, hi, verdict, kind="ratio", tol=0.8):
    return {
        "attribute": attribute, "metric": metric, "kind": kind, "method": "vs_reference", "group": group,
        "reference": reference, "value": value, "ci_low": lo, "ci_high": hi, "tolerance": tol, "verdict": verdict,
    }  # fmt: skip


def _fairness(headline, findings=()):
    return SectionResult(
        name="fairness", title="Fairness", status=Status.FAIL, summary=("s",), findings=tuple(findings),
        metrics={"headline": headline, "metric_titles": {"for_": "false omission rate", "fnr": "false negative rate"}},
        tables={"reference_groups": Table(title="r", data={"attribute": [], "metric": [], "group": []})},
    )  # fmt: skip


def _dq(n):
    return SectionResult(
        name="data_quality", title="Data quality", status=Status.FAIL,
        findings=tuple(Finding(code="DQ_MISSING", severity=Severity.FAIL, message=f"c{i} missing", subject=f"c{i}") for i in range(n)),
    )  # fmt: skip


HEADLINE = [
    _row("sex", "Female", "Male", "for_", 0.36, 0.32, 0.41, "fail"),
    _row("age", "25 and under", "26-60", "for_", 0.09, 0.07, 0.13, "fail"),
    _row("sex × age", "Female × 25 and under", "Male × 26-60", "for_", 0.04, 0.02, 0.09, "fail"),
    _row("age", "25 and under", "26-60", "fnr", 0.39, 0.24, 0.50, "fail", kind="difference", tol=0.1),
    _row("race", "Black", "White", "fnr", 1.3, 0.7, 2.0, "inconclusive"),
]


def _result(headline=HEADLINE, dq=10):
    return synthetic.full_result(sections=(_fairness(headline), _dq(dq)))


def test_fairness_failures_rank_by_effect_before_data_quality():
    top = top_findings(_result(), k=5)
    assert [f.subject for f in top[:3]] == ["age", "sex", "age"]  # 0.09x, then 0.36x, then the fnr gap
    assert top[3].section == "data_quality"  # an effect at the tolerance ranks below larger fairness effects
    assert all(f.severity == "fail" for f in top)  # every fail before the inconclusive verdict


def test_intersection_repeating_a_single_attribute_fact_is_dropped():
    top = top_findings(_result(dq=0), k=5)
    assert not any("×" in f.subject for f in top)
    assert sum(1 for f in top if f.subject == "age" and f.family == "predictive values") == 1


def test_each_finding_names_groups_interval_and_action():
    f = top_findings(_result(), k=1)[0]
    assert f.groups.startswith("25 and under vs 26-60")
    assert "0.090 [0.070, 0.130]" in f.interval and "Holm-adjusted" in f.interval
    assert f.action and "beyond the tolerance" in f.evidence


def test_k_limits_and_inconclusive_follows_failures():
    top = top_findings(_result(dq=0), k=10)
    assert [f.severity for f in top][-1] == "inconclusive"
    assert len(top_findings(_result(), k=3)) == 3


def test_first_page_blocks_hold_the_ranked_findings(small_result):
    doc = build_report_document(_result())
    text = " ".join(getattr(b, "text", "") for b in doc.first_page)
    assert "1. [FAIL] False omission rate by age: 25 and under vs 26-60" in text
    assert "What to do:" in text


def test_section_sentence_matches_the_status():
    s = SectionResult(
        name="fairness", title="Fairness", status=Status.FAIL, summary=("By sex, x is inconclusive.",),
        findings=(Finding(code="X", severity=Severity.FAIL, message="By age, y fails."),),
    )  # fmt: skip
    assert section_sentence(s) == "By age, y fails."


def test_real_adult_like_result_roundtrips_through_json():
    r = _result()
    assert [f.title for f in top_findings(AuditResult.from_json(r.to_json()))] == [
        f.title for f in top_findings(r)
    ]
