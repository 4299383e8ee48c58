"""Results saved with older schemas stay readable: 1.0 upgraded to 1.1 (fairness verdicts recomputed where the
numbers allow), 1.1 to 1.2 (no row ledger, no data profile: said so, and a comparison stays independent)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from audits.errors import AuditInputError
from audits.results import SCHEMA_VERSION, AuditResult
from audits.schema_upgrade import NO_LEDGER_1_1, UPGRADE_CODE, UPGRADERS, upgrade

V1_0 = Path(__file__).parent / "data" / "result_v1_0_german.json"


@pytest.fixture(scope="module")
def old() -> dict:
    d = json.loads(V1_0.read_text(encoding="utf-8"))
    assert d["schema_version"] == "1.0"
    return d


def _fairness(d: dict) -> dict:
    return next(s for s in d["sections"] if s["name"] == "fairness")


def test_current_version_is_1_2_and_every_older_version_has_an_upgrader():
    assert SCHEMA_VERSION == "1.2"
    assert {"1.0", "1.1"} <= set(UPGRADERS)


def test_a_real_1_0_result_loads_through_the_upgraders(old):
    result = AuditResult.load_json(V1_0)
    assert result.schema_version == "1.2"
    fair = result.section("fairness")
    assert fair.summary[0].startswith("Upgraded from result schema 1.0")
    assert any(f.code == UPGRADE_CODE for f in fair.findings)
    # Other sections are untouched.
    assert result.section("performance").to_dict() == next(
        s for s in old["sections"] if s["name"] == "performance"
    )
    # The upgraded result round-trips as a 1.1 result.
    assert AuditResult.from_json(result.to_json()) == result


def test_binary_unweighted_verdicts_are_recomputed_from_the_saved_counts(old):
    new = _fairness(upgrade(old, target="1.1"))
    m = new["metrics"]
    assert m["upgrade"]["recomputed"] is True
    assert {r["metric"] for r in m["headline"]} == {"fnr", "for_"}  # assistive default: Aequitas tree
    assert all(r["method"] == "vs_reference" for r in m["headline"])
    assert m["reference_groups"]["sex"] == "male"  # the largest group
    # No zero-width interval survives: 1.0 had percentile intervals such as [1.0, 1.0].
    for col, groups in m["groups"].items():
        for g, cells in groups.items():
            for name, c in cells.items():
                if name != "roc_auc" and c.get("value") is not None:
                    assert c["ci_low"] <= c["value"] <= c["ci_high"], (col, g, name)
                    assert c["ci_low"] < c["ci_high"], (col, g, name)
    # Extreme-group rows became descriptive; signed rows are gone.
    desc = [r for r in m["disparities"] if r["method"] in ("between_groups", "to_overall")]
    assert desc and all(r["verdict"] in ("descriptive", "undefined") and r["ci_low"] is None for r in desc)
    # 300 rows: the honest answer is mostly inconclusive, and the summary says so.
    assert new["status"] in ("inconclusive", "fail", "pass")
    assert any("inconclusive is the honest answer" in s for s in new["summary"])


def test_weighted_1_0_results_withdraw_the_verdicts_and_say_why(old):
    d = copy.deepcopy(old)
    _fairness(d)["method"]["weights"] = "sample weights applied"
    new = _fairness(upgrade(d, target="1.1"))
    assert new["status"] == "inconclusive"
    assert new["metrics"]["upgrade"]["recomputed"] is False
    assert "sample weights" in new["summary"][0] and "re-run the audit" in new["summary"][0]
    assert all(r["verdict"] == "undefined" for r in new["metrics"]["headline"])


def test_the_original_dict_is_not_modified(old):
    before = json.dumps(old, sort_keys=True)
    upgrade(old, target=SCHEMA_VERSION)
    assert json.dumps(old, sort_keys=True) == before


def test_unknown_versions_are_refused_with_the_file_name(old):
    d = dict(old, schema_version="0.9")
    with pytest.raises(AuditInputError, match=r"result\.json: .*schema version '0\.9'.*Re-run the audit"):
        AuditResult.from_dict(d, source="result.json")


def test_a_1_1_result_reads_without_a_ledger_or_profile_and_says_why(old):
    d11 = upgrade(old, target="1.1")
    assert d11["schema_version"] == "1.1" and "row_ledger" not in d11
    result = AuditResult.from_dict(d11)
    assert result.schema_version == "1.2"
    assert result.row_ledger == {"status": "absent", "reason": NO_LEDGER_1_1}
    assert "independent standard error used, which is conservative" in NO_LEDGER_1_1
    assert result.data_profile["status"] == "absent" and "1.1" in result.data_profile["reason"]
    # The sections are those of the 1.1 result, untouched.
    assert [s.to_dict() for s in result.sections] == [
        s.to_dict() for s in AuditResult.from_dict(d11 | {"schema_version": "1.2"}).sections
    ]


def test_a_comparison_with_an_upgraded_1_1_result_is_independent_and_names_the_reason(old):
    from audits.compare import INDEPENDENT, compare

    result = AuditResult.from_dict(upgrade(old, target="1.1"))
    cmp = compare(result, result)
    assert cmp.method == INDEPENDENT
    assert "paired comparison not available" in cmp.method_note
    assert all(i.method == INDEPENDENT for i in cmp.items)
    assert cmp.drift == () and "same data" in cmp.drift_note
