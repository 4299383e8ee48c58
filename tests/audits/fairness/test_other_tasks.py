"""Multiclass (one-vs-rest per class + accuracy) and regression (errors, worst group, KS) per group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import MetricFrame
from scipy.stats import ks_2samp
from sklearn import metrics as skm

from tests.audits.fairness.conftest import audit


@pytest.fixture(scope="module")
def multiclass_frame():
    rng = np.random.default_rng(51)
    n = 3000
    sex = rng.choice(["F", "M"], size=n)
    y = rng.choice(["a", "b", "c"], size=n, p=[0.5, 0.3, 0.2])
    noise = rng.random(n)
    pred = np.where(noise < 0.7, y, rng.choice(["a", "b", "c"], size=n))
    pred = np.where((sex == "F") & (noise > 0.95), "a", pred)
    return pd.DataFrame({"sex": sex, "x": rng.normal(size=n), "label": y, "pred": pred})


def test_multiclass_equals_metricframe(multiclass_frame):
    f = multiclass_frame
    ctx, res = audit(f, task="multiclass")
    assert res.metrics["task"] == "multiclass"
    groups = res.metrics["groups"]["sex"]

    def ovr(cls, what):
        def fn(y_true, y_pred):
            t, p = np.asarray(y_true) == cls, np.asarray(y_pred) == cls
            if what == "selection_rate":
                return p.mean()
            if what == "tpr":
                return (t & p).sum() / t.sum()
            return (~t & p).sum() / (~t).sum()

        return fn

    metrics = {"accuracy": skm.accuracy_score}
    for c in ("a", "b", "c"):
        for what in ("selection_rate", "tpr", "fpr"):
            metrics[f"{what}[{c}]"] = ovr(c, what)
    mf = MetricFrame(metrics=metrics, y_true=f["label"], y_pred=f["pred"], sensitive_features=f["sex"])
    for g in ("F", "M"):
        for m in metrics:
            assert groups[g][m]["value"] == pytest.approx(float(mf.by_group.loc[g, m]), abs=1e-12), (g, m)
    acc = next(
        r
        for r in res.metrics["disparities"]
        if r["metric"] == "accuracy" and r["kind"] == "difference" and r["method"] == "between_groups"
    )
    assert acc["value"] == pytest.approx(float(mf.difference()["accuracy"]), abs=1e-12)
    assert any(r["metric"] == "accuracy" for r in res.metrics["headline"])
    table = res.tables["groups:sex"]
    assert "tpr[b]_ci_low" in table.columns


@pytest.fixture(scope="module")
def regression_frame():
    rng = np.random.default_rng(52)
    n = 2500
    sex = rng.choice(["F", "M"], size=n, p=[0.4, 0.6])
    y = rng.normal(50, 10, size=n) + (sex == "M") * 5
    pred = y + rng.normal(0, np.where(sex == "F", 6.0, 3.0))
    return pd.DataFrame(
        {"sex": sex, "x": rng.normal(size=n), "label": y, "pred": pred, "w": rng.uniform(0.5, 2, n)}
    )


def test_regression_equals_sklearn_per_group(regression_frame):
    f = regression_frame
    _, res = audit(f, task="regression", sample_weight_column="w")
    assert res.metrics["task"] == "regression"
    for g in ("F", "M"):
        sub = f[f["sex"] == g]
        y, p, w = sub["label"], sub["pred"], sub["w"]
        m = res.metrics["groups"]["sex"][g]
        assert m["mae"]["value"] == pytest.approx(skm.mean_absolute_error(y, p, sample_weight=w), rel=1e-12)
        assert m["rmse"]["value"] == pytest.approx(
            skm.root_mean_squared_error(y, p, sample_weight=w), rel=1e-12
        )
        assert m["r2"]["value"] == pytest.approx(skm.r2_score(y, p, sample_weight=w), rel=1e-10)
        assert m["mean_prediction"]["value"] == pytest.approx(np.average(p, weights=w), rel=1e-12)
        assert m["ks"]["value"] == pytest.approx(ks_2samp(p, f["pred"]).statistic, abs=1e-12)
        assert m["mae"]["ci_low"] < m["mae"]["value"] < m["mae"]["ci_high"]
    worst = res.metrics["worst_group"]["mae"]
    assert (worst["attribute"], worst["group"]) == ("sex", "F")
    worst_vs_all = next(r for r in res.metrics["headline"] if r["metric"] == "mae_to_overall")
    # F's errors are about twice M's, so well above everyone's.
    assert (worst_vs_all["verdict"], worst_vs_all["group"], worst_vs_all["reference"]) == (
        "fail",
        "F",
        "overall",
    )
    assert worst_vs_all["tolerance"] == pytest.approx(1.25)
    mean = next(r for r in res.metrics["headline"] if r["metric"] == "mean_prediction")
    assert mean["kind"] == "ratio" and mean["verdict"] in ("pass", "fail", "inconclusive")
    diff = next(r for r in res.metrics["disparities"] if r["metric"] == "mae" and r["kind"] == "difference")
    assert diff["tolerance"] is None and diff["verdict"] == "descriptive"
    assert res.status.value == "fail"


def test_regression_row_cap_uses_rescaled_m_out_of_n(regression_frame):
    f = regression_frame
    _, capped = audit(f, task="regression", policy={"bootstrap_row_cap": 300})
    _, full = audit(f, task="regression")
    a = capped.metrics["groups"]["sex"]["M"]["mae"]
    b = full.metrics["groups"]["sex"]["M"]["mae"]
    assert a["value"] == b["value"]
    wa, wb = a["ci_high"] - a["ci_low"], b["ci_high"] - b["ci_low"]
    # Rescaling keeps the full-size width (a plain 300-row resample would be ~2.2x wider).
    assert wa == pytest.approx(wb, rel=0.25)
    assert capped.method["row_resampling"]["sex"]["mae"] == [300, 300]


def test_regression_ks_is_described_without_an_interval(regression_frame):
    """KS is a supremum over thresholds: a percentile interval of it would claim coverage it does not have."""
    _, res = audit(regression_frame, task="regression")
    ks = res.metrics["groups"]["sex"]["F"]["ks"]
    assert ks["value"] is not None and ks["ci_low"] is None and ks["ci_high"] is None
    assert "without an interval" in res.method["ks"]


def test_regression_group_intervals_are_bca_and_match_scipy(regression_frame):
    """Each group's MAE interval is the BCa interval scipy.stats.bootstrap gives (within Monte-Carlo error)."""
    from scipy.stats import bootstrap

    f = regression_frame
    _, res = audit(f, task="regression")
    m = res.metrics["groups"]["sex"]["F"]["mae"]
    sub = f[f["sex"] == "F"]
    err = np.abs(sub["label"].to_numpy() - sub["pred"].to_numpy())
    ref = bootstrap(
        (err,),
        np.mean,
        n_resamples=4000,
        method="BCa",
        confidence_level=0.95,
        random_state=np.random.default_rng(1),
    ).confidence_interval
    width = ref.high - ref.low
    assert m["ci_low"] == pytest.approx(ref.low, abs=0.08 * width)
    assert m["ci_high"] == pytest.approx(ref.high, abs=0.08 * width)
    assert "BCa" in res.method["interval_method"]


def test_ratio_of_mean_predictions_is_not_checked_when_predictions_can_be_negative(regression_frame):
    f = regression_frame.assign(label=lambda d: d["label"] - 50, pred=lambda d: d["pred"] - 50)
    _, res = audit(f, task="regression")
    row = next(r for r in res.metrics["reference"] if r["metric"] == "mean_prediction")
    assert row["ratio"] is None and row["verdict"] == "undefined"
    assert row["difference_ci_low"] < row["difference"] < row["difference_ci_high"]
    assert "negative" in row["note"]
    assert all(r["metric"] != "mean_prediction" for r in res.metrics["headline"])
    _, positive = audit(regression_frame, task="regression")
    assert any(r["metric"] == "mean_prediction" for r in positive.metrics["headline"])
