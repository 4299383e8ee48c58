"""Ranking of findings, per-column scores and the plain-language summary."""

from __future__ import annotations

import pandas as pd

from audits.data_quality.base import DatasetProfile
from audits.data_quality.summary import column_scores, grade, rank_findings, summary_sentences
from audits.results import Finding


def f(code, severity, subject="", **evidence):
    return Finding(
        code=code, severity=severity, message=f"{code} {subject}", subject=subject, evidence=evidence
    )


def test_rank_by_severity_then_priority_then_strength():
    findings = [
        f("DQ_SKEW", "info", "a"),
        f("DQ_MISSING", "warn", "a", share=0.02),
        f("DQ_PROXY", "warn", "x → g", auc=0.72, feature="x"),
        f("DQ_MISSING", "warn", "b", share=0.04),
        f("DQ_DUPLICATES", "fail"),
        f("DQ_PROXY", "warn", "y → g", auc=0.75, feature="y"),
    ]
    ranked = [(x.code, x.subject) for x in rank_findings(findings)]
    assert ranked == [
        ("DQ_DUPLICATES", ""),
        ("DQ_PROXY", "y → g"),
        ("DQ_PROXY", "x → g"),
        ("DQ_MISSING", "b"),
        ("DQ_MISSING", "a"),
        ("DQ_SKEW", "a"),
    ]


def test_column_scores_and_grades():
    df = pd.DataFrame({"a": [1, None, 3, 4], "b": ["x", "y", "z", "w"], "c": [0, 0, 1, 1]})
    prof = DatasetProfile(df)
    findings = [
        f("DQ_MISSING", "fail", "a"),
        f("DQ_PROXY", "warn", "b → g", feature="b"),
        f("DQ_DUPLICATES", "fail"),
        f("DQ_NOT_APPLICABLE", "info", "DQ_SKEW"),
    ]
    per, overall = column_scores(prof, ["a", "b", "c"], findings)
    assert per["a"]["score"] == 100 - 25 - 5 and per["a"]["issues"] == ["DQ_MISSING"]
    assert per["b"]["score"] == 90 and per["b"]["grade"] == "A"
    assert per["c"]["score"] == 100
    assert overall["overall"] == round((70 + 90 + 100) / 3 - 5)
    assert [grade(s) for s in (95, 80, 65, 45, 10)] == list("ABCDF")


def test_summary_headline_and_sentences():
    ranked = rank_findings([f("DQ_PROXY", "fail", "x → g"), f("DQ_SKEW", "info", "a")])
    lines = summary_sentences(ranked, n_rows=1000, n_columns=5, score={"overall": 80, "grade": "B"})
    assert lines[0].startswith("1,000 rows × 5 columns: 1 failing and 0 warning")
    assert lines[1:] == ["DQ_PROXY x → g"]
    clean = summary_sentences([], n_rows=10, n_columns=2, score={"overall": 100, "grade": "A"})
    assert "No check exceeded its tolerance." in clean[0]
