"""The Spark engine gives the pandas engine's numbers: counts, group metrics, intervals and verdicts identical;
ROC AUC within the error bound it states (Adult test split, and generated data with weights, intersections,
missing and empty groups)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audits.config import AuditConfig
from audits.engines.pandas_engine import PandasEngine
from audits.runner import run_audit
from audits.spark_audit import run_spark_audit

# pyspark warns, from its own modules, that it is not yet tested with pandas 3; nothing here depends on it
pytestmark = pytest.mark.filterwarnings("ignore:::pyspark")

SECTIONS = ["performance", "data_quality", "fairness"]


def _close(a, b, exact: bool) -> bool:
    if exact or not isinstance(a, float) or not isinstance(b, float):
        return a == b
    return b == pytest.approx(a, rel=1e-9, abs=1e-12)


def _same(a, b, exact: bool) -> bool:
    """Nested equality; floats equal to 1e-9 relative when ``exact`` is False (weight sums add in another order)."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k], exact) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y, exact) for x, y in zip(a, b, strict=True))
    return _close(a, b, exact)


def assert_same_fairness(pandas_result, spark_result, *, exact: bool = True) -> None:
    fp = pandas_result.section("fairness").metrics
    fs = spark_result.section("fairness").metrics
    assert pandas_result.section("fairness").status == spark_result.section("fairness").status
    for key in ("verdicts", "reference", "headline", "excluded", "group_counts", "reference_groups"):
        assert _same(fp[key], fs[key], exact), key
    checked = 0
    for col, groups in fp["groups"].items():
        assert fs["groups"][col].keys() == groups.keys()
        for g, metrics in groups.items():
            for m, cell in metrics.items():
                other = fs["groups"][col][g][m]
                if m != "roc_auc":
                    assert _same(cell, other, exact), (col, g, m)
                elif other["value"] is not None:
                    bound = fs["roc_auc_error_bound"][col][g]
                    assert abs(other["value"] - cell["value"]) <= bound + 1e-12, (col, g)
                    checked += 1
    assert checked > 0
    for m, cell in fp["overall"].items():
        if m != "roc_auc":
            assert _same(cell, fs["overall"][m], exact), m


def assert_same_curves(pandas_result, spark_result) -> None:
    """Threshold curves and calibration of every group that has one on Spark (groups above min_group_size)."""
    fp = pandas_result.section("fairness").metrics
    fs = spark_result.section("fairness").metrics
    n = 0
    for key in ("threshold_curves", "calibration"):
        for col, entry in fs[key].items():
            for g, curve in entry["groups"].items():
                assert _same(fp[key][col]["groups"][g], curve, exact=False), (key, col, g)
                n += 1
    assert n > 0


def assert_same_performance(pandas_result, spark_result, *, exact: bool = True) -> None:
    pp = pandas_result.section("performance").metrics
    ps = spark_result.section("performance").metrics
    assert pp["confusion"] == ps["confusion"]
    for m, row in pp["overall"].items():
        if m in ("roc_auc", "log_loss", "brier_score"):
            continue
        assert _same(row, ps["overall"][m], exact), m
    auc = ps["overall"]["roc_auc"]["value"]
    assert abs(auc - pp["overall"]["roc_auc"]["value"]) <= ps["roc_auc_error_bound"] + 1e-12
    for m in ("log_loss", "brier_score"):
        assert ps["overall"][m]["value"] == pytest.approx(pp["overall"][m]["value"], rel=1e-9)


@pytest.fixture(scope="module")
def adult_parquet(tmp_path_factory, adult_paths) -> tuple[Path, pd.DataFrame]:
    df = pd.read_csv(adult_paths["data"], na_values=["?"])
    path = tmp_path_factory.mktemp("adult") / "adult_test.parquet"
    df.to_parquet(path, index=False)
    return path, pd.read_parquet(path)


def adult_config(**extra) -> AuditConfig:
    return AuditConfig.from_dict(
        {
            "target": "income",
            "positive_label": ">50K",
            "protected": ["sex", "race", {"column": "age", "bins": [25, 60]}],
            "exclude_columns": ["fnlwgt", "education"],
            "intersections": True,
            "seed": 0,
            "sections": SECTIONS,
            "policy": {"n_bootstrap": 200, "min_group_size": 30, "min_group_events": 10},
            **extra,
        }
    )


def test_adult_with_the_model_scored_on_the_executors(spark, adult_parquet, adult_paths):
    """The .skops model's bytes are loaded on each executor and score there; every number matches pandas."""
    path, frame = adult_parquet
    cfg = adult_config()
    # the pandas data-quality section runs row-level checks the Spark engine does not: leave it out there
    rp = run_audit(frame, config=cfg.replace(sections=("performance", "fairness")), model=adult_paths["gbm"])
    rs = run_spark_audit(path, config=cfg, model=adult_paths["gbm"], spark=spark)
    assert rs.provenance.model["sha256"] == rp.provenance.model["sha256"]
    assert rs.provenance.platform["engine"] == "spark"
    assert_same_fairness(rp, rs)
    assert_same_curves(rp, rs)
    assert_same_performance(rp, rs)
    # the fairness section read the Spark data-quality representation, as it reads the pandas one
    assert set(rs.section("fairness").metrics["label_source"].values()) == {"data_quality"}
    assert rs.section("explanation").status.value == "skipped"


def generated(n: int = 12_000, seed: int = 3) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], n)
    race = rng.choice(np.array(["a", "b", "c", "d"], dtype=object), n, p=[0.5, 0.3, 0.15, 0.05])
    race[:25] = "tiny"  # below min_group_size, and only with sex F: 'M × tiny' is an empty intersection
    sex[:25] = "F"
    age = rng.integers(18, 80, n).astype(float)  # numeric with many values: binned at quartiles
    region = rng.choice(["north", "south", "east"], n).astype(object)
    region[rng.random(n) < 0.03] = None  # a 'missing' group
    logit = 0.02 * (age - 45) + (sex == "M") * 0.6 + rng.normal(size=n)
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    score = np.round(1 / (1 + np.exp(-(logit + rng.normal(scale=0.7, size=n)))), 4)
    score[:40] = 0.3  # scores on a threshold and calibration edge
    return pd.DataFrame(
        {
            "sex": sex,
            "race": race,
            "age": age,
            "region": region,
            "x": rng.normal(size=n),
            "label": y,
            "score": score,
            "pred": (score >= 0.5).astype(int),
            "w": rng.uniform(0.2, 3.0, n),
        }
    )


def generated_config(weighted: bool) -> AuditConfig:
    return AuditConfig.from_dict(
        {
            "target": "label",
            "protected": ["sex", "race", "age", "region"],
            "prediction_column": "pred",
            "score_column": "score",
            "sample_weight_column": "w" if weighted else None,
            "exclude_columns": ["w"],
            "intersections": True,
            "seed": 7,
            "sections": SECTIONS,
            "policy": {"n_bootstrap": 100, "min_group_size": 30, "min_group_events": 5},
        }
    )


@pytest.mark.parametrize("weighted", [False, True], ids=["unweighted", "weighted"])
def test_generated_intersections_weights_and_missing_groups(spark, tmp_path, weighted):
    frame = generated()
    path = tmp_path / "logs.parquet"
    frame.to_parquet(path, index=False)
    frame = pd.read_parquet(path)
    cfg = generated_config(weighted)
    rp = run_audit(frame, config=cfg.replace(sections=("performance", "fairness")))
    rs = run_spark_audit(path, config=cfg, spark=spark)
    fs = rs.section("fairness").metrics
    assert "missing" in fs["groups"]["region"]
    assert any(
        e["reason"] == "empty intersection: no rows" and e["group"] == "M × tiny" for e in fs["excluded"]
    )
    assert rs.provenance.platform["context"]["binning"] == rp.provenance.platform["context"]["binning"]
    assert_same_fairness(rp, rs, exact=not weighted)
    assert_same_curves(rp, rs)
    assert_same_performance(rp, rs, exact=not weighted)


def test_run_audit_dispatches_a_spark_dataframe(spark):
    frame = generated(3_000, seed=5)
    cfg = generated_config(False).replace(sections=("fairness",))
    rs = run_audit(spark.createDataFrame(frame), config=cfg)
    assert rs.provenance.data["format"] == "spark DataFrame"
    assert rs.provenance.data["rows"] == 3_000
    assert_same_fairness(run_audit(frame, config=cfg), rs)


@pytest.mark.parametrize("joint", [True, False], ids=["joint-groupby", "grouping-sets"])
def test_aggregates_match_the_pandas_engine_and_state_their_bounds(spark, joint):
    """Counts and histograms equal (by either aggregation plan); approximate quantiles and distinct counts
    within their stated error."""
    from audits.context import build_context
    from audits.engines.sections import eligible_groups
    from audits.engines.spark_engine import SparkEngine
    from audits.inputs import frame_as_data
    from audits.spark_audit import _prepare

    frame = generated(6_000, seed=11)
    cfg = generated_config(True)
    pe = PandasEngine(build_context(frame_as_data(frame), config=cfg))
    prepared, actx, cols, flags = _prepare(
        spark.createDataFrame(frame), cfg, None, None, "frame", trust_pickle=False, trusted_types=()
    )
    se = SparkEngine(
        prepared,
        cols,
        weighted=True,
        with_score=True,
        n_rows=actx.n_rows,
        parts=flags["parts"] if joint else None,
        combinations=flags["combinations"] if joint else None,
    )
    assert (se._joint(10**6) is not None) is joint
    sample = se.sample(500, seed=4)
    assert 0 < len(sample) <= 500
    assert se.sample(500, seed=4)["x"].tolist() == sample["x"].tolist()  # seeded: the same rows again
    columns = list(actx.group_columns)
    pc, sc = pe.confusion_counts(columns), se.confusion_counts(columns)
    for col in columns:
        assert pc[col].names == sc[col].names
        np.testing.assert_array_equal(pc[col].rows, sc[col].rows)
        np.testing.assert_allclose(pc[col].sums, sc[col].sums, rtol=1e-12)
    elig = eligible_groups(sc, 30)
    ph, sh = pe.score_histograms(elig), se.score_histograms(elig)
    assert ph.keys() == sh.keys()
    for col in ph:
        assert ph[col].names == sh[col].names
        np.testing.assert_array_equal(ph[col].rows, sh[col].rows)
        np.testing.assert_allclose(ph[col].score_sums, sh[col].score_sums, rtol=1e-9)
    numeric = ["age", "x", "score", "w"]
    sp = se.column_profiles(numeric, group_columns=["sex"])
    for c in numeric:
        prof = sp[c]
        values = np.sort(frame[c].to_numpy(dtype=float))
        n = len(values)
        for p, q in prof.quantiles.items():
            # approxQuantile's guarantee: the returned value's rank lies within err × n of p × n
            lo = np.searchsorted(values, q, side="left")
            hi = np.searchsorted(values, q, side="right")
            assert lo - prof.quantile_rank_error * n - 1 <= p * n <= hi + prof.quantile_rank_error * n + 1, (
                c,
                p,
            )
        exact = frame[c].nunique()
        assert abs(prof.distinct - exact) <= 3 * prof.distinct_rsd * exact + 1, (c, prof.distinct, exact)
        assert prof.missing == int(frame[c].isna().sum())
    region = se.column_profiles(["region"], group_columns=["sex", "race × age"])["region"]
    assert region.missing == int(frame["region"].isna().sum())
    for gcol in ("sex", "race × age"):
        by_group = frame["region"].isna().groupby(pe.ctx.sensitive[gcol], observed=True).sum()
        assert region.missing_by_group[gcol] == {str(k): int(v) for k, v in by_group.items()}
