"""Explanations, the proxy check and emissions on Spark: a seeded sample, bounded before it is collected to the
driver, on which the pandas sections run; every result states the sample, and emissions says codecarbon measured
the driver only."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.config import AuditConfig
from audits.engines import driver_sample
from audits.engines.driver_sample import DRIVER_ONLY, SampleSections, sample_size
from audits.engines.spark_engine import seeded_sample, seeded_sample_frame
from audits.explain.local import NO_MODEL
from audits.spark_audit import run_spark_audit

pytestmark = pytest.mark.filterwarnings("ignore:::pyspark")

ADULT_ROWS = 16_281


@pytest.fixture(scope="module")
def adult_parquet(tmp_path_factory, adult_paths):
    df = pd.read_csv(adult_paths["data"], na_values=["?"])
    path = tmp_path_factory.mktemp("adult_sample") / "adult_test.parquet"
    df.to_parquet(path, index=False)
    return path


def adult_config(sections, **extra) -> AuditConfig:
    return AuditConfig.from_dict(
        {
            "target": "income",
            "positive_label": ">50K",
            "protected": ["sex", "race", {"column": "age", "bins": [25, 60]}],
            "exclude_columns": ["fnlwgt", "education"],
            "seed": 0,
            "sections": sections,
            "policy": {"n_bootstrap": 50, "checks": {"DQ_PROXY": {"sample_size": 1_000}}},
            **extra,
        }
    )


def logs(n: int = 6_000, seed: int = 1) -> pd.DataFrame:
    """Predictions-only logs: a protected attribute, a numeric one binned at its quartiles, and a proxy of 'sex'."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n)
    y = rng.integers(0, 2, n)
    return pd.DataFrame(
        {
            "sex": sex,
            "age": rng.integers(18, 80, n).astype(float),
            "title": np.where(rng.random(n) < 0.9, np.where(sex == "F", "Ms", "Mr"), "Dr"),
            "x": rng.normal(size=n),
            "label": y,
            "pred": np.where(rng.random(n) < 0.8, y, 1 - y),
        }
    )


def logs_config(**extra) -> AuditConfig:
    return AuditConfig.from_dict(
        {
            "target": "label",
            "protected": ["sex", "age"],
            "prediction_column": "pred",
            "seed": 3,
            "policy": {"n_bootstrap": 50, "checks": {"DQ_PROXY": {"sample_size": 800}}},
            **extra,
        }
    )


# --- the three sections on Spark, with the model -------------------------------------------------------------------
@pytest.fixture(scope="module")
def adult_result(spark, adult_parquet, adult_paths):
    cfg = adult_config(
        ["performance", "data_quality", "fairness", "explanation", "emissions"],
        explain_sample_size=300,
        emissions={"refit_max_rows": 1_200, "inference_max_seconds": 0.5, "refit_time_budget_s": 20},
    )
    return run_spark_audit(adult_parquet, config=cfg, model=adult_paths["gbm"], spark=spark)


def _stated(section, rows: int) -> dict:
    sample = section.method["driver_sample"]
    assert sample["rows"] == rows and sample["of_rows"] == ADULT_ROWS
    assert sample["seed"] == 0 and sample["where"] == "collected to the driver"
    assert "seeded hash" in sample["method"]
    assert any(f"seeded sample of {rows:,} of the {ADULT_ROWS:,} rows" in s for s in section.summary)
    return sample


def test_explanations_run_on_the_driver_sample(adult_result):
    ex = adult_result.section("explanation")
    assert ex.status.value in ("pass", "warn")
    # one sample serves every section: the largest size asked for (emissions.refit_max_rows here)
    sample = _stated(ex, 1_200)
    assert sample["asked"] == {
        "policy.checks.DQ_PROXY.sample_size": 1_000,
        "explain_sample_size": 300,
        "emissions.refit_max_rows": 1_200,
    }
    assert ex.metrics["method"]["rows"] == 300  # SHAP's own stratified sample, drawn from the driver sample
    assert ex.metrics["method"]["sample_caps"]["driver_sample"] == 1_200
    assert ex.tables["global_importance"].data["feature"]


def test_proxy_check_runs_on_the_sample_and_merges_into_data_quality(adult_result):
    dq = adult_result.section("data_quality")
    _stated(dq, 1_200)
    # the aggregations still ran on every row
    assert sum(dq.metrics["representation"]["sex"]["count"]) == ADULT_ROWS
    assert dq.method["sample_checks"]["DQ_PROXY"]["rows"] == 1_200
    assert dq.method["run_on_driver_sample"] == ["DQ_PROXY"]
    assert {p["feature"] for p in dq.metrics["proxies"]["sex"]} >= {"relationship", "occupation"}
    assert dq.tables["proxies:sex"].note.startswith("On the driver sample of 1,200 of 16,281 rows (seed 0).")
    proxies = [f for f in dq.findings if f.code == "DQ_PROXY"]
    assert proxies and all(f.evidence["driver_sample_rows"] == 1_200 for f in proxies)
    # relationship gives sex away (AUC > 0.8): a failing proxy makes the section fail, as on pandas
    assert any(f.severity.value == "fail" for f in proxies) and dq.status.value == "fail"
    partial = next(f for f in dq.findings if f.code == "DQ_ENGINE_PARTIAL")
    assert "DQ_PROXY ran on the driver sample of 1,200 rows" in partial.message
    assert "proxy" not in dq.method["not_run"]


def test_emissions_measure_the_driver_only_and_say_so(adult_result):
    em = adult_result.section("emissions")
    assert em.status.value in ("pass", "warn")
    _stated(em, 1_200)
    assert em.method["measured"] == DRIVER_ONLY
    assert DRIVER_ONLY in em.summary
    assert any(f.code == "EMIS_DRIVER_ONLY" for f in em.findings)
    training = em.metrics["training"]
    assert training["fitted_rows"] <= 1_200 and "driver sample" in training["training_source"]
    assert em.metrics["inference"]["rows_per_pass"] <= 1_200


# --- the sample: seeded, bounded before collecting -------------------------------------------------------------
def test_the_same_seed_gives_the_same_explanations(spark, adult_parquet, adult_paths):
    cfg = adult_config(["explanation"], explain_sample_size=400)
    a, b = (
        run_spark_audit(adult_parquet, config=cfg, model=adult_paths["gbm"], spark=spark) for _ in range(2)
    )
    ea, eb = a.section("explanation"), b.section("explanation")
    assert ea.method["driver_sample"]["rows"] == 400
    assert ea.tables["global_importance"].data == eb.tables["global_importance"].data
    assert ea.metrics["local"] == eb.metrics["local"]


def test_the_same_seed_gives_the_same_rows_whatever_the_partitioning(spark):
    frame = spark.createDataFrame(logs(5_000))
    one = seeded_sample(frame, 300, seed=5, n_rows=5_000)
    again = seeded_sample(frame.repartition(7), 300, seed=5, n_rows=5_000)
    other = seeded_sample(frame, 300, seed=6, n_rows=5_000)
    pd.testing.assert_frame_equal(one, again)
    assert len(one) == 300 and list(one.columns) == list(frame.columns)
    assert not one.equals(other)


def test_the_sample_is_bounded_before_it_is_collected(spark, tmp_path):
    logs(5_000).to_parquet(tmp_path / "logs.parquet", index=False)
    frame = spark.read.parquet(str(tmp_path / "logs.parquet"))
    plan = (
        seeded_sample_frame(frame, 250, seed=0, n_rows=5_000)._jdf.queryExecution().executedPlan().toString()
    )
    # an ordered limit (each partition sends at most 250 rows) after a filter on the hash, on the executors
    assert "TakeOrderedAndProject(limit=250" in plan and "Filter" in plan
    assert len(seeded_sample(frame, 250, seed=0, n_rows=5_000)) == 250
    assert len(seeded_sample(frame, 9_000, seed=0, n_rows=5_000)) == 5_000  # fewer rows than the bound: all


def test_the_driver_sample_never_exceeds_its_cap(spark, monkeypatch):
    monkeypatch.setattr(driver_sample, "DRIVER_SAMPLE_CAP", 700)
    cfg = logs_config(sections=["data_quality"], policy={"checks": {"DQ_PROXY": {"sample_size": 5_000}}})
    dq = run_spark_audit(spark.createDataFrame(logs()), config=cfg, spark=spark).section("data_quality")
    sample = dq.method["driver_sample"]
    assert sample["rows"] == 700 and sample["bound"] == 700 and sample["capped"] is True


def test_no_sample_is_collected_when_no_section_needs_one(spark):
    cfg = logs_config(
        sections=["performance", "data_quality", "fairness"],
        policy={"checks": {"DQ_PROXY": {"enabled": False}}},
    )
    assert sample_size(cfg, None).rows == 0
    dq = run_spark_audit(spark.createDataFrame(logs()), config=cfg, spark=spark).section("data_quality")
    assert "driver_sample" not in dq.method and "proxies" not in dq.metrics


def test_automatic_bins_of_all_rows_are_kept_on_the_sample(spark):
    """age is binned at the quartiles of all rows; the sample's context uses those edges, not its own."""
    cfg = logs_config(sections=["data_quality"])
    result = run_spark_audit(spark.createDataFrame(logs()), config=cfg, spark=spark)
    edges = result.provenance.platform["context"]["binning"]["age"]["edges"]
    groups = set(result.section("data_quality").metrics["representation"]["age"]["group"])
    sections = SampleSections(
        spark.createDataFrame(logs()),
        cfg,
        None,
        positive=1,
        binning={"age": {"edges": edges, "how": "quartiles (automatic)"}},
        file="logs",
        population=6_000,
    )
    ctx = sections.context()
    assert ctx.config.protected[1].bins == tuple(edges)
    assert set(ctx.sensitive["age"].astype(str)) <= groups


# --- predictions only --------------------------------------------------------------------------------------------
def test_predictions_only_skips_explanations_and_emissions_with_the_reason(spark):
    result = run_spark_audit(spark.createDataFrame(logs()), config=logs_config(), spark=spark)
    ex, em = result.section("explanation"), result.section("emissions")
    assert ex.status.value == "skipped" and ex.reason == NO_MODEL
    assert em.status.value == "skipped" and "no model" in em.reason
    # the proxy check still runs on the sample: 'title' gives 'sex' away
    dq = result.section("data_quality")
    assert dq.method["driver_sample"]["rows"] == 800
    assert dq.metrics["proxies"]["sex"][0]["feature"] == "title"
