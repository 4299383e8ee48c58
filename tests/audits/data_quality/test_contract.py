"""The schema other parts code against: keys and shapes of metrics and tables, registry, status, config."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from audits.config import Policy
from audits.data_quality import CHECKS, CODES, NAME, TITLE, check_by_code
from audits.results import SectionResult
from tests.audits.data_quality.conftest import codes, make_ctx, no_errors, run

CONTRACT_CODES = {
    "DQ_MISSING", "DQ_MIXED_NULLS", "DQ_CONSTANT", "DQ_IDENTIFIER", "DQ_HIGH_CARDINALITY", "DQ_DOMINANT_CATEGORY",
    "DQ_LABEL_IMBALANCE", "DQ_ZEROS_INFINITE", "DQ_SKEW", "DQ_DUPLICATES", "DQ_CONFLICTING_LABELS",
    "DQ_STRING_MISMATCH", "DQ_MIXED_TYPES", "DQ_OUTLIERS", "DQ_CORRELATION", "DQ_LEAKAGE", "DQ_DRIFT", "DQ_PSI",
    "DQ_DATASET_DRIFT", "DQ_LABEL_DRIFT", "DQ_NEW_CATEGORIES", "DQ_TRAIN_TEST_OVERLAP", "DQ_GROUP_MIX_DRIFT",
    "DQ_REFERENCE_COLUMNS", "DQ_REPRESENTATION", "DQ_BASE_RATE", "DQ_PROXY", "DQ_MISSING_BY_GROUP",
    "DQ_NULL_TOKENS", "DQ_SENTINEL", "DQ_NUMERIC_CODES", "DQ_ALLOWED_VALUES", "DQ_POST_OUTCOME_NAME",
}  # fmt: skip


def test_registry_is_one_list_with_the_contract_codes():
    assert set(CODES) == CONTRACT_CODES
    assert len(CODES) == len(set(CODES)) == len(CHECKS)
    assert {c.scope for c in CHECKS} == {"data", "reference", "groups"}
    with pytest.raises(KeyError, match="Known checks"):
        check_by_code("DQ_NOPE")


def test_name_title_and_json_round_trip(adult_result):
    assert (adult_result.name, adult_result.title) == (NAME, TITLE) == ("data_quality", "Data quality")
    d = adult_result.to_dict()
    again = SectionResult.from_dict(json.loads(json.dumps(d, allow_nan=False)))
    assert again == adult_result


def test_representation_shape_for_every_group_column(adult_ctx, adult_result):
    rep = adult_result.metrics["representation"]
    assert list(rep) == list(adult_ctx.group_columns) == ["sex", "race", "sex × race"]
    for gc, e in rep.items():
        assert set(e) == {"group", "count", "share", "positives", "negatives", "base_rate"}
        k = len(e["group"])
        assert all(len(e[key]) == k for key in e)
        assert sum(e["count"]) == adult_ctx.n_rows
        assert sum(e["share"]) == pytest.approx(1.0)
        assert [p + q for p, q in zip(e["positives"], e["negatives"], strict=True)] == e["count"]
        assert e["count"] == sorted(e["count"], reverse=True)
        gap = adult_result.metrics["base_rate_gap"][gc]
        assert {"reference_group", "difference", "ratio"} <= set(gap)
        assert len(gap["difference"]) == len(gap["ratio"]) == k


def test_proxy_entries_and_sort_order(adult_result):
    for pc, rows in adult_result.metrics["proxies"].items():
        assert rows, pc
        for r in rows:
            assert set(r) == {"feature", "association", "measure", "auc", "auc_method", "severity"}
            assert r["measure"] in ("cramers_v", "correlation_ratio")
            assert "stratified" in r["auc_method"] and "seed" in r["auc_method"]
        strength = [max(r["association"] or 0, 2 * ((r["auc"] or 0.5) - 0.5)) for r in rows]
        assert strength == sorted(strength, reverse=True)


def test_tables_have_the_agreed_columns(adult_result):
    t = adult_result.tables
    assert t["findings"].columns == ["rank", "code", "severity", "subject", "message"]
    assert t["findings"].data["rank"] == list(range(1, t["findings"].n_rows + 1))
    assert t["columns"].columns == [
        "column",
        "dtype",
        "missing_share",
        "distinct",
        "score",
        "grade",
        "issues",
    ]
    assert set(t["columns"].data["grade"]) <= set("ABCDF")
    assert all(0 <= s <= 100 for s in t["columns"].data["score"])
    for key in ("representation:sex", "representation:sex × race", "proxies:sex", "missing_by_group:race"):
        assert key in t, key
    assert t["missing_by_group:sex"].data["column"][0] == "(any column)"
    assert "drift" not in t and "group_mix_drift" not in t  # no reference given


def test_findings_are_ranked_fail_then_warn_then_info(adult_result):
    ranks = [f.rank for f in adult_result.findings]
    assert ranks == sorted(ranks, reverse=True)
    assert (
        adult_result.tables["findings"].data["code"][0] == "DQ_PROXY"
    )  # leakage/proxies lead their severity


def test_status_follows_the_worst_finding(base_frame):
    clean = run(make_ctx(base_frame))
    no_errors(clean)
    assert clean.status == "pass", [f.message for f in clean.findings if f.severity != "info"]
    df = base_frame.copy()
    df.loc[:9, "x1"] = None  # 2.5% missing: warn
    assert run(make_ctx(df)).status == "warn"
    df.loc[:39, "x1"] = None  # 10% missing: fail
    assert run(make_ctx(df)).status == "fail"


def test_policy_switches_checks_off_and_changes_tolerances(base_frame):
    df = base_frame.copy()
    df.loc[:9, "x1"] = None
    off = run(make_ctx(df, policy=Policy(checks={"DQ_MISSING": {"enabled": False}})))
    assert not codes(off, "DQ_MISSING")
    assert off.metrics["checks"]["DQ_MISSING"]["enabled"] is False
    strict = run(make_ctx(df, policy=Policy(checks={"DQ_MISSING": {"fail": 0.02}})))
    assert codes(strict, "DQ_MISSING")[0].severity == "fail"
    assert strict.method["checks"]["DQ_MISSING"]["options"] == {"warn": 0.01, "fail": 0.02}


def test_policy_typos_are_input_errors_not_ignored(base_frame):
    from audits.errors import AuditInputError

    with pytest.raises(AuditInputError, match="unknown data-quality check 'DQ_PROXI'"):
        make_ctx(base_frame, policy=Policy(checks={"DQ_PROXI": {"warn_auc": 0.6}}))
    with pytest.raises(AuditInputError, match="policy.checks.DQ_PROXY: unknown option"):
        make_ctx(base_frame, policy=Policy(checks={"DQ_PROXY": {"warn_au": 1}}))


def test_representation_is_published_even_when_its_check_is_off(base_frame):
    res = run(
        make_ctx(
            base_frame,
            policy=Policy(
                checks={"DQ_REPRESENTATION": {"enabled": False}, "DQ_BASE_RATE": {"enabled": False}}
            ),
        )
    )
    assert res.metrics["representation"]["g"]["count"] == base_frame["g"].value_counts().tolist()
    assert "g" in res.metrics["base_rate_gap"]


def test_progress_is_reported_from_zero_to_one(base_frame):
    seen: list[float] = []
    from audits.data_quality import run_data_quality

    run_data_quality(make_ctx(base_frame), prior={}, progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


def test_method_states_sample_and_seed(adult_result):
    m = adult_result.method
    assert m["seed"] == 0 and m["rows"] == 48842
    assert "20,000" in m["checks"]["DQ_PROXY"]["method"]
    assert "20,000" in m["checks"]["DQ_LEAKAGE"]["method"]
    assert set(m["timings_s"]) == set(CODES)


def test_non_string_column_names_are_handled():
    df = pd.DataFrame({"y": [0, 1] * 50, "g": ["a", "b", "b", "a"] * 25, 3: range(100)})
    res = run(make_ctx(df))
    no_errors(res)
    assert "3" in res.metrics["columns"]
