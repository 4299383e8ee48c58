"""End-to-end user scenarios through `rai-audit run` (in process) and `audits.run_audit`.

Small generated data; only the fast sections unless a scenario is about another one.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import make_column_transformer
from sklearn.ensemble import GradientBoostingRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

from audits import AuditConfig, AuditInputError, Status, run_audit
from reports.cli import main

FAST = "performance,data_quality,fairness"
FEATURES = ["x1", "x2", "sex", "age"]


def _pipe(estimator):
    ct = make_column_transformer(
        (OneHotEncoder(handle_unknown="ignore"), ["sex"]), (StandardScaler(), ["x1", "x2", "age"])
    )
    return make_pipeline(ct, estimator)


@pytest.fixture(scope="module")
def d(tmp_path_factory) -> Path:
    """Generated files: predictions-only, binary/multiclass/regression models, bad inputs."""
    root = tmp_path_factory.mktemp("user_scenarios")
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "sex": rng.choice(["F", "M"], size=n),
            "age": rng.integers(18, 80, size=n),
            "w": rng.uniform(0.5, 2, size=n),
        }
    )
    p = 1 / (1 + np.exp(-(df.x1 + 0.5 * df.x2)))
    preds = pd.DataFrame(
        {
            "y": np.where(rng.uniform(size=n) < p, "yes", "no"),
            "pred": np.where(p > 0.5, "yes", "no"),
            "proba": p,
            "sex": df.sex,
            "age": df.age,
            "w": df.w,
        }
    )
    preds.to_csv(root / "preds.csv", index=False)
    preds.to_parquet(root / "preds.parquet", index=False)
    nan = preds.copy()
    nan["race"] = rng.choice(["A", "B"], size=n).astype(object)
    nan.loc[:19, "race"] = np.nan
    nan.loc[20:22, "race"] = "C"
    nan.to_csv(root / "preds_nan.csv", index=False)

    X = df[FEATURES]
    ymc = np.select([df.x1 < -0.5, df.x1 < 0.5], ["a", "b"], "c")
    sio.dump(_pipe(LogisticRegression(max_iter=500)).fit(X, ymc), root / "mc.skops")
    X.assign(y=ymc).to_csv(root / "mc.csv", index=False)

    yr = 3 * df.x1 + df.x2 + (df.sex == "M") * 0.5 + rng.normal(size=n) * 0.3
    sio.dump(_pipe(GradientBoostingRegressor(n_estimators=30)).fit(X, yr), root / "gbr.skops")
    sio.dump(_pipe(LinearRegression()).fit(X, yr), root / "linreg.skops")
    X.assign(y=yr).to_csv(root / "reg.csv", index=False)
    X.assign(y=yr).to_parquet(root / "reg.parquet", index=False)

    yb = np.where(p > rng.uniform(size=n), "yes", "no")
    sio.dump(_pipe(LogisticRegression()).fit(X, yb), root / "bin.skops")
    b = X.assign(y=yb, w=df.w)
    b.to_csv(root / "bin.csv", index=False)
    b.to_csv(root / "bin_semicolon.csv", index=False, sep=";")
    b.assign(x2=np.nan).to_csv(root / "bin_nanfeat.csv", index=False)
    bt = b.copy()
    bt.loc[:9, "y"] = np.nan
    bt.to_csv(root / "bin_nantarget.csv", index=False)
    b.rename(columns={"x2": "z2"}).to_csv(root / "bin_othercols.csv", index=False)
    (root / "bin.pkl").write_bytes(b"not really a pickle")
    (root / "empty.csv").write_text("")
    b.iloc[:0].to_csv(root / "header_only.csv", index=False)
    (root / "typo.yaml").write_text("target: y\nprotected: [sex]\npositve_label: yes\n")
    (root / "age.yaml").write_text(
        "target: y\nprotected:\n  - column: age\n    bins: [30, 50]\n"
        '    labels: ["<=30", "31-50", ">50"]\n    reference_group: "31-50"\n'
    )
    (root / "weights.yaml").write_text("target: y\nprotected: [sex]\nsample_weight_column: w\n")
    return root


def _run(args: list[str]) -> int:
    try:
        return main(["run", *args, "--quiet"])
    except SystemExit as exc:  # argparse errors
        return int(exc.code)


def _check_outputs(out: Path, formats=("json", "md", "html", "pdf")) -> dict:
    for fmt in formats:
        f = out / f"audit_report.{fmt}"
        assert f.is_file() and f.stat().st_size > 0, f
    text = (out / "audit_report.json").read_text()
    assert not re.search(r"[:\[,]\s*(NaN|-?Infinity)\b", text), "bare NaN/Infinity in the JSON"
    data = json.loads(text)
    errors = [s["name"] for s in data["sections"] if s.get("status") == "error"]
    assert errors == [], errors
    # Re-render from the JSON alone.
    assert main(["report", str(out / "audit_report.json"), "--format", "md", "--out", str(out / "re")]) == 0
    md = (out / "re" / "audit_report.md").read_text()
    assert "Traceback" not in md
    assert not re.search(r"\|\s*nan\s*\|", md, flags=re.IGNORECASE), "a 'nan' cell in the Markdown"
    return data


ALL = "json,md,html,pdf"


@pytest.mark.parametrize(
    "name,args,codes",
    [
        (
            "preds_strings",
            [
                "--data",
                "preds.csv",
                "--prediction",
                "pred",
                "--score",
                "proba",
                "--target",
                "y",
                "--protected",
                "sex",
            ],
            (0, 1),
        ),
        (
            "preds_parquet",
            [
                "--data",
                "preds.parquet",
                "--prediction",
                "pred",
                "--score",
                "proba",
                "--target",
                "y",
                "--protected",
                "sex",
                "--positive-label",
                "yes",
            ],
            (0, 1),
        ),
        (
            "multiclass",
            ["--data", "mc.csv", "--model", "mc.skops", "--target", "y", "--protected", "sex"],
            (0, 1),
        ),
        (
            "regression_gbr",
            ["--data", "reg.csv", "--model", "gbr.skops", "--target", "y", "--protected", "sex"],
            (0, 1),
        ),
        (
            "regression_linear_parquet",
            ["--data", "reg.parquet", "--model", "linreg.skops", "--target", "y", "--protected", "sex"],
            (0, 1),
        ),
        (
            "nan_and_tiny_group",
            [
                "--data",
                "preds_nan.csv",
                "--prediction",
                "pred",
                "--score",
                "proba",
                "--target",
                "y",
                "--protected",
                "race",
                "--protected",
                "sex",
            ],
            (0, 1),
        ),
        (
            "numeric_age_auto_bins",
            [
                "--data",
                "preds.csv",
                "--prediction",
                "pred",
                "--score",
                "proba",
                "--target",
                "y",
                "--protected",
                "age",
            ],
            (0, 1),
        ),
        (
            "numeric_age_config_bins",
            ["--data", "preds.csv", "--prediction", "pred", "--score", "proba", "--config", "age.yaml"],
            (0, 1),
        ),
        (
            "weights_binary",
            ["--data", "preds.csv", "--prediction", "pred", "--score", "proba", "--config", "weights.yaml"],
            (0, 1),
        ),
        (
            "semicolon_csv",
            ["--data", "bin_semicolon.csv", "--model", "bin.skops", "--target", "y", "--protected", "sex"],
            (0, 1),
        ),
    ],
)
def test_scenario_writes_all_formats(d, tmp_path, name, args, codes):
    args = [str(d / a) if (d / a).is_file() else a for a in args]
    out = tmp_path / name
    rc = _run([*args, "--format", ALL, "--sections", FAST, "--out", str(out)])
    assert rc in codes
    data = _check_outputs(out)
    assert data["status"] in {"pass", "warn", "fail", "inconclusive"}


@pytest.mark.parametrize(
    "args,needle",
    [
        (
            ["--data", "bin_nantarget.csv", "--model", "bin.skops", "--target", "y", "--protected", "sex"],
            "10 missing value",
        ),
        (["--data", "bin.csv", "--model", "bin.skops", "--config", "typo.yaml"], "positve_label"),
        (
            [
                "--data",
                "bin.csv",
                "--model",
                "bin.skops",
                "--target",
                "y",
                "--protected",
                "sex",
                "--format",
                "docx",
            ],
            "docx",
        ),
        (
            [
                "--data",
                "bin.csv",
                "--model",
                "bin.skops",
                "--target",
                "y",
                "--protected",
                "sex",
                "--sections",
                "performance,fairnes",
            ],
            "fairnes",
        ),
        (
            ["--data", "bin_othercols.csv", "--model", "bin.skops", "--target", "y", "--protected", "sex"],
            "'x2'",
        ),
        (
            ["--data", "bin.csv", "--model", "bin.pkl", "--target", "y", "--protected", "sex"],
            "--trust-pickle",
        ),
        (["--data", "empty.csv", "--model", "bin.skops", "--target", "y", "--protected", "sex"], "empty"),
        (
            ["--data", "header_only.csv", "--model", "bin.skops", "--target", "y", "--protected", "sex"],
            "no data rows",
        ),
        (
            ["--data", "missing.csv", "--model", "bin.skops", "--target", "y", "--protected", "sex"],
            "does not exist",
        ),
        (["--data", "bin.csv", "--model", "bin.skops", "--target", "nope", "--protected", "sex"], "'nope'"),
        (["--data", "bin.csv", "--model", "bin.skops", "--target", "y", "--protected", "nope"], "'nope'"),
        (
            [
                "--data",
                "bin.csv",
                "--model",
                "bin.skops",
                "--target",
                "y",
                "--protected",
                "sex",
                "--positive-label",
                "maybe",
            ],
            "'maybe'",
        ),
        (["--data", "bin.csv", "--model", "mc.skops", "--target", "y", "--protected", "sex"], "labels"),
        (["--data", "bin_nanfeat.csv", "--model", "bin.skops", "--target", "y", "--protected", "sex"], "NaN"),
    ],
)
def test_bad_input_exits_2_without_traceback(d, tmp_path, capsys, args, needle):
    args = [str(d / a) if a.endswith((".csv", ".skops", ".pkl", ".yaml")) else a for a in args]
    rc = _run(["--sections", FAST, *args, "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2
    assert "Traceback" not in err
    assert needle in err
    assert not (tmp_path / "o" / "audit_report.json").exists()


def test_api_dataframe_and_age_bins(d):
    df = pd.read_csv(d / "bin.csv")
    cfg = AuditConfig(
        target="y",
        protected=[{"column": "age", "bins": [40], "labels": ["young", "old"], "reference_group": "old"}],
        sections=["performance", "data_quality", "fairness"],
    )
    r = run_audit(df, model=str(d / "bin.skops"), config=cfg)
    assert r.status in {Status.PASS, Status.WARN, Status.FAIL, Status.INCONCLUSIVE}
    assert all(s.status != Status.ERROR for s in r.sections)
    groups = set(r.section("fairness").tables["disparities"].to_frame()["group"].dropna())
    assert groups <= {"young", "old", ""}


def test_api_bad_reference_group_is_input_error(d):
    df = pd.read_csv(d / "bin.csv")
    cfg = AuditConfig(
        target="y",
        protected=[{"column": "age", "bins": [40], "labels": ["young", "old"], "reference_group": "middle"}],
        sections=["fairness"],
    )
    with pytest.raises(AuditInputError, match="middle"):
        run_audit(df, model=str(d / "bin.skops"), config=cfg)


def test_api_negative_weights_refused(d):
    df = pd.read_csv(d / "bin.csv").assign(w=-1.0)
    cfg = AuditConfig(target="y", protected=["sex"], sample_weight_column="w", sections=["fairness"])
    with pytest.raises(AuditInputError, match="non-negative"):
        run_audit(df, model=str(d / "bin.skops"), config=cfg)


def test_german_credit_config_fast_sections(german_paths, tmp_path):
    out = tmp_path / "german"
    rc = _run(
        [
            "--data",
            str(german_paths["data"]),
            "--model",
            str(german_paths["model"]),
            "--config",
            str(german_paths["config"]),
            "--format",
            ALL,
            "--sections",
            FAST,
            "--out",
            str(out),
        ]
    )
    assert rc in (0, 1)
    _check_outputs(out)
