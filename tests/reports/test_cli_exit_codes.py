"""The rai-audit CLI end to end: exit codes 0 / 1 / 2, written files, no traceback on input errors.

The whole exit-code table (including 3) is in test_cli_exit_table.py."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd
import pytest

from audits.results import SCHEMA_VERSION
from reports.cli import main


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "reports.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_run_on_german_sample_writes_json_and_prints_summary(german_paths, tmp_path, capsys):
    code = main(
        [
            "run",
            "--config",
            str(german_paths["config"]),
            "--data",
            str(german_paths["data"]),
            "--model",
            str(german_paths["model"]),
            "--out",
            str(tmp_path),
            "--sections",
            "performance",
            "--quiet",
        ]
    )
    out = capsys.readouterr().out
    assert code == 0
    assert "Model performance" in out and "positive class 'good'" in out
    result = json.loads((tmp_path / "audit_report.json").read_text())
    assert result["schema_version"] == SCHEMA_VERSION
    assert result["provenance"]["data"]["rows"] == 300


def test_input_error_exits_2_with_message_only(german_paths, tmp_path):
    proc = _cli(
        "run",
        "--data",
        str(german_paths["data"]),
        "--model",
        str(german_paths["model"]),
        "--target",
        "credit_risk",
        "--protected",
        "gender",
        "--out",
        str(tmp_path),
    )
    assert proc.returncode == 2
    assert "column 'gender' (protected attribute) is not in the data" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_pickle_without_trust_exits_2(tmp_path, german_paths):
    import pickle

    from sklearn.dummy import DummyClassifier

    p = tmp_path / "m.pkl"
    p.write_bytes(pickle.dumps(DummyClassifier().fit([[0], [1]], [0, 1])))
    proc = _cli(
        "run",
        "--data",
        str(german_paths["data"]),
        "--model",
        str(p),
        "--target",
        "credit_risk",
        "--protected",
        "sex",
        "--out",
        str(tmp_path),
    )
    assert proc.returncode == 2 and "--trust-pickle" in proc.stderr and "Traceback" not in proc.stderr


@pytest.mark.parametrize(("fair", "expected"), [(True, 0), (False, 1)])
def test_exit_code_follows_the_fairness_verdict(tmp_path, fair, expected, capsys):
    # predictions-only mode: a fair predictor vs one that only ever selects men
    n = 4000
    df = pd.DataFrame({"sex": ["F", "M"] * (n // 2), "x": range(n)})
    df["label"] = (df["x"] % 3 == 0).astype(int)
    df["pred"] = df["label"] if fair else (df["sex"] == "M").astype(int)
    data = tmp_path / "d.csv"
    df.to_csv(data, index=False)
    code = main(
        [
            "run",
            "--data",
            str(data),
            "--prediction",
            "pred",
            "--target",
            "label",
            "--protected",
            "sex",
            "--out",
            str(tmp_path / "o"),
            "--sections",
            "performance,fairness",
            "--quiet",
        ]
    )
    capsys.readouterr()
    assert code == expected


def test_report_rerenders_a_saved_result_and_rejects_other_schema(german_paths, tmp_path):
    main(
        [
            "run",
            "--config",
            str(german_paths["config"]),
            "--data",
            str(german_paths["data"]),
            "--model",
            str(german_paths["model"]),
            "--out",
            str(tmp_path),
            "--sections",
            "performance",
            "--quiet",
        ]
    )
    saved = tmp_path / "audit_report.json"
    assert main(["report", str(saved), "--out", str(tmp_path / "again"), "--format", "json"]) == 0
    again = json.loads((tmp_path / "again" / "audit_report.json").read_text())
    first = json.loads(saved.read_text())
    # A re-render carries the audit's own run id: the files and the JSON name the same audit.
    assert again == first
    d = json.loads(saved.read_text())
    d["schema_version"] = "0.9"
    old = tmp_path / "old.json"
    old.write_text(json.dumps(d))
    assert main(["report", str(old), "--out", str(tmp_path), "--format", "json"]) == 2


def test_unknown_format_is_an_input_error(german_paths, tmp_path):
    assert (
        main(
            [
                "run",
                "--config",
                str(german_paths["config"]),
                "--data",
                str(german_paths["data"]),
                "--model",
                str(german_paths["model"]),
                "--out",
                str(tmp_path),
                "--format",
                "docx",
                "--quiet",
            ]
        )
        == 2
    )


def test_emissions_options_from_flags(german_paths, tmp_path, capsys, samples):
    code = main(
        [
            "run", "--config", str(german_paths["config"]), "--data", str(german_paths["data"]),
            "--model", str(german_paths["model"]), "--out", str(tmp_path), "--sections", "emissions", "--quiet",
            "--country", "fra", "--emissions-csv", str(samples / "adult" / "emissions_reported.csv"),
        ]
    )  # fmt: skip
    capsys.readouterr()
    assert code == 0
    res = json.loads((tmp_path / "audit_report.json").read_text())
    em = next(s for s in res["sections"] if s["name"] == "emissions")
    assert em["status"] == "pass"
    assert em["metrics"]["training"]["country_iso_code"] == "FRA"
    assert em["metrics"]["imported"]["source"].endswith("emissions_reported.csv")


def test_missing_training_data_file_is_an_input_error(german_paths, tmp_path, capsys):
    code = main(
        [
            "run", "--config", str(german_paths["config"]), "--data", str(german_paths["data"]),
            "--model", str(german_paths["model"]), "--out", str(tmp_path), "--quiet",
            "--training-data", str(tmp_path / "nope.csv"),
        ]
    )  # fmt: skip
    assert code == 2
    assert "emissions.training_data" in capsys.readouterr().err


def test_flags_complete_a_config_without_target_or_protected(tmp_path, german_paths, capsys):
    cfg = tmp_path / "partial.yaml"
    cfg.write_text("positive_label: good\nseed: 3\n")
    code = main(
        [
            "run", "--config", str(cfg), "--data", str(german_paths["data"]), "--model", str(german_paths["model"]),
            "--target", "credit_risk", "--protected", "sex", "--out", str(tmp_path / "o"),
            "--sections", "performance", "--quiet",
        ]
    )  # fmt: skip
    capsys.readouterr()
    assert code == 0
    saved = json.loads((tmp_path / "o" / "audit_report.json").read_text())
    assert saved["provenance"]["seed"] == 3


def test_out_naming_a_file_is_an_input_error(tmp_path, german_paths, capsys):
    target = tmp_path / "afile"
    target.write_text("")
    code = main(
        [
            "run", "--config", str(german_paths["config"]), "--data", str(german_paths["data"]),
            "--model", str(german_paths["model"]), "--out", str(target), "--sections", "performance", "--quiet",
        ]
    )  # fmt: skip
    err = capsys.readouterr().err
    assert code == 2 and "Choose another --out folder" in err and "Traceback" not in err
