"""Bad input on the Spark engine: each is refused with a message naming what is wrong and what to do."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from audits.config import AuditConfig
from audits.errors import AuditInputError
from audits.spark_audit import run_spark_audit

# pyspark warns, from its own modules, that it is not yet tested with pandas 3; nothing here depends on it
pytestmark = pytest.mark.filterwarnings("ignore:::pyspark")


def _config(**extra) -> AuditConfig:
    return AuditConfig.from_dict(
        {
            "target": "label",
            "protected": ["grp"],
            "prediction_column": "pred",
            "seed": 0,
            "sections": ["performance", "fairness"],
            "policy": {"n_bootstrap": 50, "min_group_size": 30},
            **extra,
        }
    )


def _frame(n: int, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    return pd.DataFrame({"grp": rng.choice(["a", "b"], n), "x": rng.normal(size=n), "label": y, "pred": y})


def test_parquet_folder_with_mixed_schemas_names_files_and_columns(spark, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    _frame(50).to_parquet(folder / "part-0.parquet", index=False)
    _frame(50).rename(columns={"x": "x_renamed"}).to_parquet(folder / "part-1.parquet", index=False)
    with pytest.raises(AuditInputError) as err:
        run_spark_audit(folder, config=_config(), spark=spark)
    msg = str(err.value)
    assert "part-1.parquet" in msg and "part-0.parquet" in msg
    assert "x_renamed" in msg and "different schemas" in msg


def test_parquet_folder_with_a_changed_column_type_is_refused(spark, tmp_path):
    folder = tmp_path / "logs"
    folder.mkdir()
    _frame(50).to_parquet(folder / "a.parquet", index=False)
    _frame(50).astype({"label": str}).to_parquet(folder / "b.parquet", index=False)
    with pytest.raises(AuditInputError, match=r"types differ for label"):
        run_spark_audit(folder, config=_config(), spark=spark)


def test_spark_that_cannot_start_names_java(tmp_path):
    """A JAVA_HOME that points nowhere: a clear error naming Java, in a fresh process (no running JVM)."""
    code = textwrap.dedent(
        """
        from audits.errors import AuditInputError
        from audits.spark_audit import spark_session
        try:
            spark_session("local[1]")
        except AuditInputError as exc:
            print("REFUSED:", exc)
        """
    )
    env = {"JAVA_HOME": str(tmp_path / "no-such-jdk"), "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    assert "REFUSED:" in out.stdout, out.stderr[-2000:]
    assert "Java" in out.stdout and "no-such-jdk" in out.stdout


def test_model_library_missing_on_the_executors(spark, tmp_path, monkeypatch):
    """The driver can import the model's library, the executors cannot: the audit says so, naming the module."""
    import joblib

    lib = tmp_path / "driver_only"
    lib.mkdir()
    (lib / "driver_only_lib.py").write_text(
        textwrap.dedent(
            """
            import numpy as np

            class Model:
                classes_ = np.array([0, 1])
                feature_names_in_ = np.array(["x"])

                def predict(self, X):
                    return (X["x"].to_numpy() > 0).astype(int)
            """
        )
    )
    monkeypatch.syspath_prepend(str(lib))
    import driver_only_lib

    path = tmp_path / "model.pkl"
    joblib.dump(driver_only_lib.Model(), path)
    data = tmp_path / "d.parquet"
    _frame(200).drop(columns=["pred"]).to_parquet(data, index=False)
    cfg = _config(prediction_column=None)
    with pytest.warns(UserWarning, match="pickle"), pytest.raises(AuditInputError) as err:
        run_spark_audit(data, config=cfg, model=path, spark=spark, trust_pickle=True)
    msg = str(err.value)
    assert "executors" in msg and "driver_only_lib" in msg


def test_attribute_with_ten_thousand_groups_is_bounded(spark, tmp_path):
    """10^4 groups of 3 rows: every group is counted, none reaches a histogram (small-group rule first)."""
    from audits.engines.sections import eligible_groups
    from audits.engines.spark_engine import SparkEngine
    from audits.spark_audit import _prepare

    rng = np.random.default_rng(1)
    n = 30_000
    frame = pd.DataFrame(
        {
            "grp": [f"id{i:05d}" for i in range(10_000)] * 3,
            "label": rng.integers(0, 2, n),
            "score": rng.random(n),
        }
    )
    frame["pred"] = (frame["score"] >= 0.5).astype(int)
    frame.loc[:99, "grp"] = "big"  # one group above min_group_size (ids 0-99 keep their other 2 rows)
    cfg = _config(score_column="score")
    prepared, actx, cols, _ = _prepare(
        spark.createDataFrame(frame), cfg, None, None, "frame", trust_pickle=False, trusted_types=()
    )
    engine = SparkEngine(prepared, cols, weighted=False, with_score=True, n_rows=n)
    counts = engine.confusion_counts(["grp"])
    assert len(counts["grp"].names) == 10_001
    hists = engine.score_histograms(eligible_groups(counts, 30))
    assert hists["grp"].names == ("big",)
    result = run_spark_audit(spark.createDataFrame(frame), config=cfg, spark=spark)
    fairness = result.section("fairness")
    assert len(fairness.metrics["excluded"]) == 10_000
    assert set(fairness.metrics["threshold_curves"]["grp"]["groups"]) == {"big"}


def test_non_binary_task_is_refused_with_the_way_out(spark):
    frame = _frame(100)
    frame["label"] = np.arange(100) % 3
    with pytest.raises(AuditInputError, match=r"binary classification only.*--engine pandas"):
        run_spark_audit(spark.createDataFrame(frame), config=_config(), spark=spark)


def test_unknown_table_name_is_refused(spark):
    with pytest.raises(AuditInputError, match=r"neither a Parquet file or folder nor a table"):
        run_spark_audit("no_such_table_rai", config=_config(), spark=spark)
