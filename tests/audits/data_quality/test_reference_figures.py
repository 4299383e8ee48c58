"""The reference figures of CHECKS.md on all 48,842 rows of adult.csv."""

from __future__ import annotations

import pytest

from tests.audits.data_quality.conftest import codes, no_errors


def test_base_rates_by_sex_match_exactly(adult_result):
    rep = adult_result.metrics["representation"]["sex"]
    by = {g: i for i, g in enumerate(rep["group"])}
    f, m = by["Female"], by["Male"]
    assert (rep["positives"][f], rep["count"][f]) == (1769, 16192)
    assert (rep["positives"][m], rep["count"][m]) == (9918, 32650)
    assert rep["base_rate"][f] == pytest.approx(0.109251, abs=5e-7)
    assert rep["base_rate"][m] == pytest.approx(0.303767, abs=5e-7)
    gap = adult_result.metrics["base_rate_gap"]["sex"]
    assert gap["reference_group"] == "Male"
    assert gap["ratio"][f] == pytest.approx(0.359655, abs=5e-7)
    assert gap["difference"][f] == pytest.approx(0.109251 - 0.303767, abs=2e-6)


def test_base_rate_gap_is_a_warning_naming_both_groups(adult_result):
    sex = [f for f in codes(adult_result, "DQ_BASE_RATE") if f.subject == "sex"]
    assert len(sex) == 1 and sex[0].severity == "warn"
    assert "Female" in sex[0].message and "Male" in sex[0].message and "0.36" in sex[0].message


def test_strongest_proxies_for_sex(adult_result):
    rows = adult_result.metrics["proxies"]["sex"]
    by = {r["feature"]: r for r in rows}
    assert [r["feature"] for r in rows[:3]] == ["relationship", "marital_status", "occupation"]
    assert round(by["relationship"]["association"], 2) == 0.65
    assert by["relationship"]["auc"] == pytest.approx(0.87, abs=0.01)
    assert round(by["marital_status"]["association"], 2) == 0.46
    assert round(by["occupation"]["association"], 2) == 0.42
    assert all(by[f]["measure"] == "cramers_v" for f in ("relationship", "marital_status", "occupation"))
    assert by["relationship"]["severity"] == "fail"
    assert by["age"]["measure"] == "correlation_ratio"


def test_proxy_sentence_reads_plainly(adult_result):
    top = [f for f in codes(adult_result, "DQ_PROXY") if f.evidence["feature"] == "relationship"][0]
    assert top.message.startswith("relationship predicts sex with AUC 0.8")
    assert top.message.endswith("it can act as a proxy.")
    assert top.message in adult_result.summary


def test_rows_with_any_missing_by_sex(adult_result):
    mbg = adult_result.metrics["missing_by_group"]["sex"]
    by = dict(zip(mbg["groups"], mbg["any_missing"], strict=True))
    assert round(100 * by["Female"], 2) == 9.25
    assert round(100 * by["Male"], 2) == 6.50
    flagged = [f for f in codes(adult_result, "DQ_MISSING_BY_GROUP") if f.evidence["protected"] == "sex"]
    assert {f.evidence["column"] for f in flagged} >= {"(any column)", "workclass", "occupation"}


def test_adult_runs_every_check_without_error(adult_result):
    no_errors(adult_result)
    assert adult_result.status == "fail"
    info = adult_result.metrics["checks"]
    assert all(
        info[c]["applicable"]
        for c in info
        if not c.startswith(("DQ_DRIFT", "DQ_PSI"))
        and c
        not in (
            "DQ_REFERENCE_COLUMNS",
            "DQ_DATASET_DRIFT",
            "DQ_LABEL_DRIFT",
            "DQ_NEW_CATEGORIES",
            "DQ_TRAIN_TEST_OVERLAP",
            "DQ_GROUP_MIX_DRIFT",
        )
    )
