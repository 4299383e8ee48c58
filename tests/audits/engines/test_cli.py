"""`rai-audit run --engine spark`: the CLI dispatches to the Spark engine and writes the same report files."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest

from reports.cli import main

pytestmark = pytest.mark.filterwarnings("ignore:::pyspark")


def test_run_with_the_spark_engine_writes_the_report(spark, tmp_path):
    rng = np.random.default_rng(2)
    n = 2_000
    y = rng.integers(0, 2, n)
    frame = pd.DataFrame(
        {"grp": rng.choice(["a", "b"], n), "label": y, "pred": np.where(rng.random(n) < 0.8, y, 1 - y)}
    )
    data = tmp_path / "logs.parquet"
    frame.to_parquet(data, index=False)
    out = tmp_path / "out"
    code = main(
        [
            "run", "--engine", "spark", "--spark-master", "local[2]", "--data", str(data), "--target", "label",
            "--protected", "grp", "--prediction", "pred", "--out", str(out), "--format", "json", "--quiet",
        ]
    )  # fmt: skip
    assert code in (0, 1)
    report = json.loads((out / "audit_report.json").read_text())
    assert report["provenance"]["platform"]["engine"] == "spark"
    statuses = {s["name"]: s["status"] for s in report["sections"]}
    assert statuses["explanation"] == "skipped" and statuses["fairness"] in ("pass", "fail", "inconclusive")


def test_reference_data_is_refused_with_the_spark_engine(spark, tmp_path, capsys):
    data = tmp_path / "d.parquet"
    pd.DataFrame({"grp": ["a", "b"], "label": [0, 1], "pred": [0, 1]}).to_parquet(data, index=False)
    code = main(
        [
            "run", "--engine", "spark", "--data", str(data), "--reference", str(data), "--target", "label",
            "--protected", "grp", "--prediction", "pred", "--out", str(tmp_path / "o"), "--quiet",
        ]
    )  # fmt: skip
    assert code == 2
    assert "--reference" in capsys.readouterr().err
