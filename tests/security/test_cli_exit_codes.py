"""Exit codes a CI gate can trust: 2 input error, 3 a selected section errored (wins over 1), 1 policy fail, 0."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest

from audits.errors import AuditInputError
from audits.results import AuditResult, SectionResult, Status
from reports import cli
from tests.reports import synthetic
from tests.security import payloads as P
from tests.security.conftest import (
    EXIT_FAIL,
    EXIT_PASS,
    EXIT_SECTION_ERROR,
    GERMAN_DATA,
    GERMAN_MODEL,
    assert_cli_refused,
    run_cli,
    write,
)


def _with_statuses(*statuses: Status):
    base = synthetic.full_result(n_groups=4)
    sections = []
    for section, status in zip(base.sections, statuses, strict=False):
        if status == Status.ERROR:
            sections.append(SectionResult.errored(section.name, section.title, "it failed"))
        elif status == Status.SKIPPED:
            sections.append(SectionResult.skipped(section.name, section.title, "not selected"))
        else:
            sections.append(dataclasses.replace(section, status=status))
    sections += [
        SectionResult.skipped(s.name, s.title, "not selected") for s in base.sections[len(statuses) :]
    ]
    return dataclasses.replace(base, sections=tuple(sections))


@pytest.mark.parametrize(
    ("statuses", "strict", "code"),
    [
        ((Status.PASS, Status.PASS), False, EXIT_PASS),
        ((Status.PASS, Status.WARN), False, EXIT_PASS),
        ((Status.PASS, Status.INCONCLUSIVE), False, EXIT_PASS),
        ((Status.PASS, Status.INCONCLUSIVE), True, EXIT_FAIL),
        ((Status.PASS, Status.FAIL), False, EXIT_FAIL),
        ((Status.FAIL, Status.ERROR), False, EXIT_SECTION_ERROR),
        ((Status.ERROR, Status.ERROR), False, EXIT_SECTION_ERROR),
        ((Status.ERROR, Status.SKIPPED), True, EXIT_SECTION_ERROR),
    ],
)
def test_the_exit_code_table(statuses: tuple[Status, ...], strict: bool, code: int) -> None:
    assert cli.exit_code_for(_with_statuses(*statuses), strict=strict) == code


def test_an_audit_whose_every_section_errored_reads_error_not_skipped() -> None:
    result = _with_statuses(Status.ERROR, Status.ERROR)
    assert result.status == Status.ERROR


@pytest.mark.slow  # the explanation section imports SHAP before the model fails (about 15 s)
def test_a_section_that_errors_at_run_time_exits_3(tmp_path: Path) -> None:
    import joblib
    import pandas as pd

    from audits import load_model

    frame = pd.read_csv(GERMAN_DATA).head(120)
    data = write(tmp_path / "credit.csv", frame.to_csv(index=False))
    model = tmp_path / "whole_only.joblib"
    joblib.dump(P.FailsOnSamples(load_model(GERMAN_MODEL).estimator, len(frame)), model)
    cfg = write(tmp_path / "cfg.yaml", "target: credit_risk\nprotected: [sex]\nexplain_sample_size: 50\n")
    proc = run_cli(
        "run", "--data", data, "--model", model, "--trust-pickle", "--config", cfg,
        "--sections", "performance,explanation", "--out", tmp_path / "out", "--quiet",
    )  # fmt: skip
    assert "Traceback" not in proc.stdout + proc.stderr
    assert proc.returncode == EXIT_SECTION_ERROR, proc.stdout[-2000:] + proc.stderr[-2000:]
    saved = json.loads((tmp_path / "out" / "audit_report.json").read_text())
    assert saved["status"] == "error"


# --- rai-audit report / card given a malformed result -----------------------------------------------------------------
MALFORMED_RESULTS = {
    "not-json": "this is not json {",
    "json-list": "[1, 2, 3]",
    "missing-keys": '{"schema_version": "1"}',
    "wrong-types": '{"schema_version": 1, "sections": "none", "provenance": 5, "status": []}',
    "deep-nesting": "[" * 100_000 + "]" * 100_000,
    "binary": "\x00\x01\x02",
}


@pytest.mark.parametrize("case", sorted(MALFORMED_RESULTS))
def test_loading_a_malformed_result_is_an_input_error(case: str, tmp_path: Path) -> None:
    path = write(tmp_path / "result.json", MALFORMED_RESULTS[case])
    with pytest.raises(AuditInputError, match="result.json"):
        AuditResult.load_json(path)


@pytest.mark.parametrize("case", ["not-json", "wrong-types", "deep-nesting"])
def test_report_on_a_malformed_result_exits_2_without_a_traceback(case: str, tmp_path: Path) -> None:
    path = write(tmp_path / "result.json", MALFORMED_RESULTS[case])
    proc = run_cli("report", path, "--out", tmp_path / "out", "--format", "md")
    assert_cli_refused(proc, "result.json")


def test_card_on_a_malformed_result_exits_2(tmp_path: Path) -> None:
    path = write(tmp_path / "result.json", MALFORMED_RESULTS["wrong-types"])
    proc = run_cli("card", path, "--out", tmp_path / "out")
    assert_cli_refused(proc, "result.json")


def test_an_unknown_format_exits_2(tmp_path: Path) -> None:
    proc = run_cli(
        "run", "--data", GERMAN_DATA, "--model", GERMAN_MODEL, "--target", "credit_risk", "--protected", "sex",
        "--format", "json,exe", "--out", tmp_path / "out",
    )  # fmt: skip
    assert_cli_refused(proc, "exe")


def test_a_missing_protected_column_exits_2(tmp_path: Path) -> None:
    proc = run_cli(
        "run", "--data", GERMAN_DATA, "--model", GERMAN_MODEL, "--target", "credit_risk", "--protected",
        "religion", "--sections", "performance", "--out", tmp_path / "out",
    )  # fmt: skip
    assert_cli_refused(proc, "religion")
