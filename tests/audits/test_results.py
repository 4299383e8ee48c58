"""AuditResult: frozen, JSON round trip without loss, schema version check, overall verdict."""

from __future__ import annotations

import dataclasses
import json
import math
import re

import pytest

from audits import (
    AuditConfig,
    AuditInputError,
    AuditResult,
    Finding,
    SectionResult,
    Severity,
    Status,
    Table,
    run_audit,
)


@pytest.fixture(scope="module")
def german_result(german_paths):
    cfg = AuditConfig.from_yaml(german_paths["config"]).replace(sections=("performance",))
    return run_audit(german_paths["data"], model=german_paths["model"], config=cfg)


def test_json_round_trip_loses_nothing(german_result, tmp_path):
    path = german_result.save_json(tmp_path / "r.json")
    again = AuditResult.load_json(path)
    assert again == german_result
    assert again.to_dict() == german_result.to_dict()


def test_provenance_has_hashes_versions_and_timings(german_result, german_paths):
    import hashlib

    prov = german_result.provenance
    assert prov.data["sha256"] == hashlib.sha256(german_paths["data"].read_bytes()).hexdigest()
    assert prov.model["sha256"] == hashlib.sha256(german_paths["model"].read_bytes()).hexdigest()
    assert prov.versions["fairlearn"] != "not installed" and prov.versions["shap"] != "not installed"
    assert prov.seed == 0 and prov.duration_s > 0
    assert german_result.section("performance").duration_s > 0
    assert german_result.section("fairness").status == "skipped"


def test_nan_becomes_none_and_json_is_strict():
    s = SectionResult(name="x", title="X", status="pass", metrics={"rate": float("nan"), "ok": 1.5})
    assert s.metrics == {"rate": None, "ok": 1.5}
    t = Table(title="t", data={"a": [1.0, math.inf]})
    assert t.data["a"] == [1.0, None]
    json.dumps(s.to_dict(), allow_nan=False)


def test_results_are_frozen(german_result):
    with pytest.raises(dataclasses.FrozenInstanceError):
        german_result.sections[0].status = Status.FAIL  # type: ignore[misc]


def test_schema_version_mismatch_is_a_clear_error(german_result):
    d = german_result.to_dict()
    d["schema_version"] = "0.1"
    with pytest.raises(AuditInputError, match="schema version '0.1'"):
        AuditResult.from_dict(d)
    with pytest.raises(AuditInputError, match="not valid JSON"):
        AuditResult.from_json("{nope")


def test_an_errored_section_makes_the_audit_error_whatever_the_others_found(german_result):
    sec = [
        SectionResult(name="a", title="A", status=Status.PASS),
        SectionResult.errored("b", "B", "boom"),
        SectionResult.skipped("c", "C", "not asked"),
    ]
    r = dataclasses.replace(german_result, sections=tuple(sec))
    assert r.status == Status.ERROR and r.policy_status == Status.PASS and r.passed
    assert [s.name for s in r.errored_sections] == ["b"]
    sec.append(
        SectionResult(name="d", title="D", status=Status.FAIL, findings=(Finding("X", Severity.FAIL, "bad"),))
    )
    r = dataclasses.replace(german_result, sections=tuple(sec))
    assert r.status == Status.ERROR and r.policy_status == Status.FAIL and not r.passed
    assert r.findings()[0][1].code == "X"


def test_every_section_in_error_is_error_never_skipped(german_result):
    sec = [SectionResult.errored("a", "A", "boom"), SectionResult.skipped("b", "B", "not asked")]
    r = dataclasses.replace(german_result, sections=tuple(sec))
    assert r.status == Status.ERROR
    assert dataclasses.replace(german_result, sections=(sec[1],)).status == Status.SKIPPED


def test_without_errors_the_status_is_the_policy_verdict(german_result):
    sec = [SectionResult(name="a", title="A", status=Status.PASS), SectionResult.skipped("c", "C", "no")]
    r = dataclasses.replace(german_result, sections=tuple(sec))
    assert r.status == Status.PASS == r.policy_status


def test_each_audit_gets_a_random_128_bit_run_id_that_round_trips(german_result):
    run_id = german_result.provenance.run_id
    assert run_id is not None and re.fullmatch(r"\d{8}T\d{6}Z-[0-9a-f]{32}", run_id)
    assert AuditResult.from_dict(german_result.to_dict()).provenance.run_id == run_id


def test_table_columns_must_have_equal_length():
    with pytest.raises(ValueError, match="different lengths"):
        Table(title="t", data={"a": [1, 2], "b": [1]})


def test_a_result_carries_its_row_ledger_and_data_profile_through_json(german_result, tmp_path):
    from audits.row_ledger import read_ledger

    led, prof = german_result.row_ledger, german_result.data_profile
    assert led["status"] == "present" and led["rows"] == prof["rows"] == 300
    assert prof["status"] == "present" and "credit_amount" in prof["columns"]
    again = AuditResult.load_json(german_result.save_json(tmp_path / "r.json"))
    assert again.row_ledger == led and again.data_profile == prof
    decoded = read_ledger(again.row_ledger)
    assert decoded.rows == 300 and set(decoded.groups) == {"sex", "age"}


def test_no_renderer_prints_the_ledger_or_the_profile(german_result):
    from reports.export import render_report

    payload = german_result.row_ledger["payload"][:40]
    for fmt in ("md", "html"):
        text = render_report(german_result, fmt)
        text = text.decode("utf-8") if isinstance(text, bytes) else text
        assert payload not in text and "label_sha256" not in text and "quantiles" not in text
