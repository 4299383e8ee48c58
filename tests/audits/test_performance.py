"""Performance section: values equal scikit-learn, intervals cover them, undefined metrics are None."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn import metrics as skm

from audits import AuditConfig, build_context
from audits.inputs import frame_as_data
from audits.performance import run_performance
from tests.conftest import make_binary_frame


def _run(frame, **cfg):
    cfg = {
        "target": "label",
        "protected": ("sex",),
        "prediction_column": "pred",
        "exclude_columns": ("pred", "score"),
        **cfg,
    }
    ctx = build_context(frame_as_data(frame), config=AuditConfig(**cfg))
    return ctx, run_performance(ctx, prior={}, progress=lambda f, m: None)


def test_binary_metrics_equal_sklearn_and_sit_in_their_intervals():
    f = make_binary_frame(2000, seed=3)
    ctx, res = _run(f, score_column="score")
    m = res.metrics["overall"]
    y, p, s = f["label"], f["pred"], f["score"]
    assert m["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y, p), abs=1e-12)
    assert m["balanced_accuracy"]["value"] == pytest.approx(skm.balanced_accuracy_score(y, p), abs=1e-12)
    assert m["precision"]["value"] == pytest.approx(skm.precision_score(y, p), abs=1e-12)
    assert m["recall"]["value"] == pytest.approx(skm.recall_score(y, p), abs=1e-12)
    assert m["f1"]["value"] == pytest.approx(skm.f1_score(y, p), abs=1e-12)
    assert m["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(y, s), abs=1e-12)
    assert m["log_loss"]["value"] == pytest.approx(skm.log_loss(y, s), abs=1e-9)
    for name, row in m.items():
        assert row["ci_low"] <= row["value"] <= row["ci_high"], name
    assert res.tables["calibration"].n_rows == 10
    # each interval named by what the quantity is (issue 12): no percentile interval anywhere
    assert "Wilson" in m["accuracy"]["method"] and "Jaccard" in m["f1"]["method"]
    assert "MOVER" in m["balanced_accuracy"]["method"] and "DeLong" in m["roc_auc"]["method"]
    assert "BCa" in m["log_loss"]["method"] and "BCa" in m["brier_score"]["method"]
    assert not any("percentile" in row["method"] for row in m.values())


def test_precision_is_undefined_not_zero_when_nothing_is_predicted_positive():
    f = make_binary_frame(300).assign(pred=0)
    _, res = _run(f)
    prec = res.metrics["overall"]["precision"]
    assert prec["value"] is None and prec["ci_low"] is None
    assert "no row was predicted positive" in prec["note"]
    assert any(x.code == "PERF_UNDEFINED" and x.subject == "precision" for x in res.findings)


def test_below_majority_baseline_warns():
    f = make_binary_frame(500)
    f = f.assign(pred=1 - f["label"])
    _, res = _run(f)
    assert res.status == "warn" and res.findings[0].code == "PERF_BELOW_BASELINE"


def test_multiclass_and_regression():
    f = make_binary_frame(900)
    rng = np.random.default_rng(1)
    lab = rng.integers(0, 3, len(f))
    pred = np.where(rng.random(len(f)) < 0.7, lab, rng.integers(0, 3, len(f)))
    _, res = _run(f.assign(label=lab, pred=pred))
    assert res.metrics["overall"]["accuracy"]["value"] == pytest.approx((lab == pred).mean())
    assert res.metrics["overall"]["macro_f1"]["value"] == pytest.approx(
        skm.f1_score(lab, pred, average="macro")
    )
    y = f["x1"] * 3.3
    yp = y + rng.normal(size=len(f))
    _, res = _run(f.assign(label=y, pred=yp))
    assert res.metrics["overall"]["mae"]["value"] == pytest.approx(skm.mean_absolute_error(y, yp))
    assert res.metrics["overall"]["r2"]["value"] == pytest.approx(skm.r2_score(y, yp))


def test_seeded_intervals_are_reproducible():
    f = make_binary_frame(400)
    _, a = _run(f)
    _, b = _run(f)
    assert a.metrics == b.metrics


def test_scores_of_the_other_class_are_flagged():
    f = make_binary_frame(1500, seed=5)
    _, res = _run(f.assign(score=1 - f["score"]), score_column="score")
    assert res.status == "warn"
    assert any(x.code == "PERF_SCORE_INVERTED" for x in res.findings)


def test_weighted_metrics_equal_sklearn_with_sample_weight():
    f = make_binary_frame(2000, seed=8)
    w = np.random.default_rng(2).uniform(0.2, 3.0, len(f))
    _, res = _run(
        f.assign(w=w), sample_weight_column="w", score_column="score", exclude_columns=("pred", "score", "w")
    )
    m = res.metrics["overall"]
    y, p, s = f["label"], f["pred"], f["score"]
    assert m["accuracy"]["value"] == pytest.approx(skm.accuracy_score(y, p, sample_weight=w), abs=1e-12)
    assert m["precision"]["value"] == pytest.approx(skm.precision_score(y, p, sample_weight=w), abs=1e-12)
    assert m["recall"]["value"] == pytest.approx(skm.recall_score(y, p, sample_weight=w), abs=1e-12)
    assert m["f1"]["value"] == pytest.approx(skm.f1_score(y, p, sample_weight=w), abs=1e-12)
    assert m["roc_auc"]["value"] == pytest.approx(skm.roc_auc_score(y, s, sample_weight=w), abs=1e-12)
    assert m["log_loss"]["value"] == pytest.approx(skm.log_loss(y, s, sample_weight=w), abs=1e-9)
    assert m["accuracy"]["value"] != pytest.approx(skm.accuracy_score(y, p), abs=1e-6)
    for name, row in m.items():
        assert row["ci_low"] <= row["value"] <= row["ci_high"], name
    assert "weighted" in m["accuracy"]["method"] and "weighted" in res.method["weights"]


def test_weighted_regression_and_multiclass_equal_sklearn():
    f = make_binary_frame(900, seed=9)
    rng = np.random.default_rng(3)
    w = rng.uniform(0.5, 2.0, len(f))
    y = f["x1"] * 3.3
    yp = y + rng.normal(size=len(f))
    _, res = _run(
        f.assign(label=y, pred=yp, w=w), sample_weight_column="w", exclude_columns=("pred", "score", "w")
    )
    m = res.metrics["overall"]
    assert m["mae"]["value"] == pytest.approx(skm.mean_absolute_error(y, yp, sample_weight=w))
    assert m["rmse"]["value"] == pytest.approx(np.sqrt(skm.mean_squared_error(y, yp, sample_weight=w)))
    assert m["r2"]["value"] == pytest.approx(skm.r2_score(y, yp, sample_weight=w))
    lab = rng.integers(0, 3, len(f))
    pred = np.where(rng.random(len(f)) < 0.7, lab, rng.integers(0, 3, len(f)))
    _, res = _run(
        f.assign(label=lab, pred=pred, w=w), sample_weight_column="w", exclude_columns=("pred", "score", "w")
    )
    m = res.metrics["overall"]
    assert m["accuracy"]["value"] == pytest.approx(skm.accuracy_score(lab, pred, sample_weight=w))
    assert m["balanced_accuracy"]["value"] == pytest.approx(
        skm.balanced_accuracy_score(lab, pred, sample_weight=w)
    )


def test_calibration_bins_have_exact_decimal_edges():
    f = make_binary_frame(400, seed=5)
    f["score"] = np.resize([0.3, 0.6, 0.7, 1.0, 0.0], len(f))
    f["pred"] = (f["score"] >= 0.5).astype(int)
    _, res = _run(f, score_column="score")
    table = res.tables["calibration"].to_frame().set_index("bin")
    assert table.loc["0.3–0.4", "rows"] == table.loc["0.6–0.7", "rows"] == table.loc["0.7–0.8", "rows"] == 80
    assert table.loc["0.2–0.3", "rows"] == table.loc["0.5–0.6", "rows"] == 0
    assert table.loc["0.9–1.0", "rows"] == 80  # 1.0 closes the last bin
