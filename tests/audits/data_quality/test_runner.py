"""The section inside run_audit: wired in the runner, with a model and a reference dataset."""

from __future__ import annotations

import pytest

from audits import AuditConfig, run_audit
from tests.audits.data_quality.conftest import GERMAN


@pytest.fixture(scope="module")
def audit():
    cfg = AuditConfig.from_yaml(GERMAN / "audit.yaml").replace(sections=("data_quality",))
    return run_audit(
        GERMAN / "german_credit_test.csv",
        model=GERMAN / "german_logreg.skops",
        config=cfg,
        reference=GERMAN / "german_credit.csv",
    )


def test_section_runs_in_the_audit(audit):
    dq = audit.section("data_quality")
    assert dq.status in ("warn", "fail") and dq.duration_s is not None
    assert not [f for f in dq.findings if f.code == "DQ_CHECK_ERROR"]
    assert audit.section("fairness").status == "skipped"


def test_reference_that_contains_the_test_rows_is_caught(audit):
    dq = audit.section("data_quality")
    overlap = [f for f in dq.findings if f.code == "DQ_TRAIN_TEST_OVERLAP"]
    assert overlap and overlap[0].severity == "fail" and overlap[0].evidence["share"] > 0.95
    assert dq.metrics["drift"]["n_columns"] > 10
    assert set(dq.metrics["group_mix_drift"]) == {"sex", "age"}
    assert dq.metrics["group_mix_drift"]["age"]["group"] == ["25 and under", "over 25"]


def test_result_survives_json(audit):
    from audits.results import AuditResult

    again = AuditResult.from_json(audit.to_json())
    assert again.section("data_quality") == audit.section("data_quality")
