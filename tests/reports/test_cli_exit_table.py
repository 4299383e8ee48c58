"""The documented exit-code table (2 input error > 3 incomplete > 1 failed verdict > 0), case by case, and the
new run flags (--trust-type, --favourable-label, --decision, --reference-group, --categorical)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pandas as pd
import pytest

from audits import runner
from audits.results import AuditResult, SectionResult, Status
from reports import cli
from reports.cli import exit_code_for, main
from tests.reports import synthetic


def _cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reports.cli", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **(env or {})},
    )


def _section(name: str, status: Status) -> SectionResult:
    if status == Status.ERROR:
        return SectionResult.errored(name, name.title(), f"The {name} section failed: ValueError: boom")
    if status == Status.SKIPPED:
        return SectionResult.skipped(name, name.title(), "not selected")
    return SectionResult(name=name, title=name.title(), status=status, summary=(f"{name} {status.value}",))


def _result(*statuses: Status) -> AuditResult:
    names = ("performance", "data_quality", "fairness", "explanation", "emissions")
    return AuditResult(
        sections=tuple(_section(n, s) for n, s in zip(names, statuses, strict=False)),
        provenance=synthetic.provenance(),
    )


P, W, F, INC, E, S = Status.PASS, Status.WARN, Status.FAIL, Status.INCONCLUSIVE, Status.ERROR, Status.SKIPPED


@pytest.mark.parametrize(
    ("statuses", "strict", "code"),
    [
        ((P, P, P), False, 0),
        ((P, W, S), False, 0),
        ((P, INC), False, 0),  # inconclusive is reported, not failed, without --strict
        ((P, INC), True, 1),
        ((P, W), True, 0),
        ((F, P), False, 1),
        ((F, E), False, 3),  # an incomplete audit wins over a failed verdict
        ((E, E, E), False, 3),  # every selected section errored: never a pass
        ((E, INC), True, 3),
        ((S, S), False, 0),
    ],
)
def test_exit_code_table(statuses, strict, code):
    assert exit_code_for(_result(*statuses), strict=strict) == code


def test_help_documents_the_table(capsys):
    with pytest.raises(SystemExit):
        main(["run", "--help"])
    out = capsys.readouterr().out
    assert "exit codes" in out and out.index("  2  input error") < out.index("  3  the audit is incomplete")
    assert "  1  a policy verdict failed" in out and "  0  otherwise" in out
    assert "2     Input error" in cli.__doc__ and "3     The audit is incomplete" in cli.__doc__


# --- run / demo against a stubbed audit: what the CLI does with each result ---------------------------


@pytest.fixture
def stub_audit(monkeypatch):
    """Replace run_audit in the CLI; returns the calls it received and lets a test choose the result."""
    calls: list[dict] = []
    box = {"result": _result(P)}

    def fake(data, **kwargs):
        calls.append({"data": data, **kwargs})
        if isinstance(box["result"], BaseException):
            raise box["result"]
        return box["result"]

    monkeypatch.setattr(cli, "run_audit", fake)
    return calls, box


def _run_args(german_paths, out, *extra: str) -> list[str]:
    return [
        "run", "--data", str(german_paths["data"]), "--model", str(german_paths["model"]),
        "--target", "credit_risk", "--protected", "sex", "--protected", "age", "--out", str(out), "--quiet",
        *extra,
    ]  # fmt: skip


def test_section_error_exits_3_and_summary_names_the_section(stub_audit, german_paths, tmp_path, capsys):
    calls, box = stub_audit
    box["result"] = _result(F, P, E)
    assert main(_run_args(german_paths, tmp_path)) == 3
    out = capsys.readouterr().out
    assert "ERROR        Fairness" in out and "The fairness section failed: ValueError: boom" in out
    assert "Overall: ERROR — the audit is incomplete: Fairness errored" in out
    saved = json.loads((tmp_path / "audit_report.json").read_text())
    assert saved["status"] in ("error", "fail")  # the lead's AuditResult.status decides the stored field


def test_internal_error_exits_3_without_traceback(stub_audit, german_paths, tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("RAI_AUDIT_DEBUG", raising=False)
    _, box = stub_audit
    box["result"] = RuntimeError("a bug")
    assert main(_run_args(german_paths, tmp_path)) == 3
    err = capsys.readouterr().err
    assert "internal error (RuntimeError: a bug)" in err and "Traceback" not in err


def test_new_flags_reach_the_config_and_run_audit(stub_audit, german_paths, tmp_path, capsys):
    calls, _ = stub_audit
    args = _run_args(
        german_paths, tmp_path,
        "--trust-type", "sklearn.linear_model._logistic.LogisticRegression", "--trust-type", "numpy.dtype",
        "--favourable-label", "good", "--decision", "punitive", "--reference-group", "sex=male",
        "--categorical", "installment_rate", "--categorical", "residence_since",
    )  # fmt: skip
    assert main(args) == 0
    capsys.readouterr()
    (call,) = calls
    cfg = call["config"]
    assert call["trusted_types"] == ("sklearn.linear_model._logistic.LogisticRegression", "numpy.dtype")
    assert set(call["trusted_types"]) <= set(cfg.trusted_types)
    assert cfg.favourable_label == "good" and cfg.decision == "punitive"
    assert tuple(cfg.categorical) == ("installment_rate", "residence_since")
    groups = {p.column: p.reference_group for p in cfg.protected}
    assert groups == {"sex": "male", "age": None}


def test_unknown_reference_group_attribute_is_an_input_error(stub_audit, german_paths, tmp_path, capsys):
    calls, _ = stub_audit
    assert main(_run_args(german_paths, tmp_path, "--reference-group", "race=white")) == 2
    err = capsys.readouterr().err
    assert "'race' is not a protected attribute" in err and "'sex', 'age'" in err
    assert not calls  # nothing ran


def test_malformed_reference_group_is_an_input_error(stub_audit, german_paths, tmp_path, capsys):
    assert main(_run_args(german_paths, tmp_path, "--reference-group", "sex")) == 2
    assert "expected ATTR=VALUE" in capsys.readouterr().err


def test_trusting_pickle_prints_a_warning(stub_audit, german_paths, tmp_path, capsys):
    calls, _ = stub_audit
    assert main(_run_args(german_paths, tmp_path, "--trust-pickle")) == 0
    assert "warning: --trust-pickle" in capsys.readouterr().err
    assert calls[0]["trust_pickle"] is True


def test_no_pickle_warning_without_the_flag(stub_audit, german_paths, tmp_path, capsys):
    assert main(_run_args(german_paths, tmp_path)) == 0
    assert "warning" not in capsys.readouterr().err


# --- input errors: exit 2, a message, no traceback ------------------------------------------------------


def test_wrongly_typed_config_value_exits_2_without_traceback(german_paths, tmp_path):
    cfg = tmp_path / "audit.yaml"
    cfg.write_text("target: credit_risk\nprotected: [sex]\nseed: abc\n")
    proc = _cli(
        "run", "--config", str(cfg), "--data", str(german_paths["data"]), "--model", str(german_paths["model"]),
        "--out", str(tmp_path / "out"), "--quiet",
    )  # fmt: skip
    assert proc.returncode == 2, proc.stderr
    assert "seed" in proc.stderr and "Traceback" not in proc.stderr
    assert len(proc.stderr.strip().splitlines()) <= 2


def test_invalid_yaml_exits_2(german_paths, tmp_path, capsys):
    cfg = tmp_path / "audit.yaml"
    cfg.write_text("target: [unclosed\n")
    code = main(
        ["run", "--config", str(cfg), "--data", str(german_paths["data"]), "--model", str(german_paths["model"]),
         "--out", str(tmp_path / "out"), "--quiet"]
    )  # fmt: skip
    assert code == 2 and str(cfg) in capsys.readouterr().err


def test_unreadable_data_file_exits_2(german_paths, tmp_path, capsys):
    folder = tmp_path / "data.csv"
    folder.mkdir()  # a folder where a file is expected: the read fails with an OSError
    code = main(
        ["run", "--data", str(folder), "--model", str(german_paths["model"]), "--target", "credit_risk",
         "--protected", "sex", "--out", str(tmp_path / "out"), "--quiet"]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "data.csv" in err and "Traceback" not in err


MALFORMED_RESULTS = {
    "not_json": "{not json",
    "a_list": "[1, 2, 3]",
    "sections_not_a_list": json.dumps({"schema_version": "1.0", "sections": 5, "provenance": {}}),
    "section_missing_keys": json.dumps({"schema_version": "1.0", "sections": [{"x": 1}], "provenance": {}}),
    "no_provenance": json.dumps({"schema_version": "1.0", "sections": []}),
    "deeply_nested": '{"schema_version": "1.0", "sections": ' + "[" * 100_000 + "]" * 100_000 + "}",
}


@pytest.mark.parametrize("case", sorted(MALFORMED_RESULTS))
def test_malformed_result_json_exits_2(case, tmp_path, capsys):
    path = tmp_path / "result.json"
    path.write_text(MALFORMED_RESULTS[case])
    for command in ("report", "card"):
        assert main([command, str(path), "--out", str(tmp_path / "out"), "--format", "md"]) == 2
        err = capsys.readouterr().err
        assert str(path) in err and "Traceback" not in err
    assert not (tmp_path / "out").exists()


def test_result_of_a_newer_schema_exits_2(small_result, tmp_path):
    d = small_result.to_dict()
    d["schema_version"] = "2.0"
    path = tmp_path / "result.json"
    path.write_text(json.dumps(d))
    proc = _cli("report", str(path), "--out", str(tmp_path / "out"), "--format", "md")
    assert proc.returncode == 2
    assert "schema version '2.0'" in proc.stderr and "Traceback" not in proc.stderr


def test_oversized_result_json_exits_2_before_reading(small_result, tmp_path):
    path = small_result.save_json(tmp_path / "result.json")
    proc = _cli(
        "report", str(path), "--out", str(tmp_path / "out"), env={"RAI_AUDIT_MAX_RESULT_BYTES": "100"}
    )
    assert proc.returncode == 2 and "RAI_AUDIT_MAX_RESULT_BYTES" in proc.stderr


# --- end to end on the German-credit sample --------------------------------------------------------------


def _unfair_predictions(tmp_path) -> str:
    n = 2000
    df = pd.DataFrame({"sex": ["F", "M"] * (n // 2), "x": range(n)})
    df["label"] = (df["x"] % 3 == 0).astype(int)
    df["pred"] = (df["sex"] == "M").astype(int)
    path = tmp_path / "d.csv"
    df.to_csv(path, index=False)
    return str(path)


def _predictions_args(data: str, out) -> list[str]:
    return [
        "run", "--data", data, "--prediction", "pred", "--target", "label", "--protected", "sex",
        "--out", str(out), "--sections", "performance,fairness", "--quiet",
    ]  # fmt: skip


def test_real_section_error_beats_a_failed_verdict(tmp_path, monkeypatch, capsys):
    data = _unfair_predictions(tmp_path)
    assert main(_predictions_args(data, tmp_path / "a")) == 1  # the fairness verdict fails
    capsys.readouterr()

    def broken(ctx, *, prior, progress):
        raise ValueError("predict_proba returned 3 columns")

    sections = [(n, t, broken if n == "performance" else fn) for n, t, fn in runner.SECTIONS]
    monkeypatch.setattr(runner, "SECTIONS", sections)
    assert main(_predictions_args(data, tmp_path / "b")) == 3
    out = capsys.readouterr().out
    assert "Model performance" in out and "predict_proba returned 3 columns" in out
    assert "FAIL         Fairness" in out
