"""Threshold curves per group and the model's own threshold."""

from __future__ import annotations

import numpy as np
import pytest

from tests.audits.fairness.conftest import audit, make_frame


@pytest.fixture(scope="module")
def result():
    f = make_frame(3000, seed=61, with_weights=True)
    return f, audit(f, score_column="score")[1]


def test_curves_have_the_grid_and_every_group(result):
    f, res = result
    curves = res.metrics["threshold_curves"]["sex"]
    assert len(curves["thresholds"]) == 101
    assert curves["thresholds"][0] == 0.0 and curves["thresholds"][-1] == 1.0
    assert set(curves["groups"]) == {"F", "M"}
    for g, c in curves["groups"].items():
        assert c["count"] == int((f["sex"] == g).sum())
        for key in ("selection_rate", "tpr", "fpr"):
            v = np.array(c[key], dtype=float)
            assert len(v) == 101
            assert v[0] == 1.0
            assert np.all(np.diff(v) <= 1e-12), (g, key)  # non-increasing in the threshold


def test_curve_at_the_model_threshold_equals_the_group_rates(result):
    f, res = result
    # pred = score >= 0.5 in the generated data, so the curve at 0.5 is the audited selection rate / TPR / FPR.
    curves = res.metrics["threshold_curves"]["sex"]
    i = curves["thresholds"].index(0.5)
    assert res.metrics["threshold"] == 0.5
    for g in ("F", "M"):
        groups = res.metrics["groups"]["sex"][g]
        c = curves["groups"][g]
        assert c["selection_rate"][i] == pytest.approx(groups["selection_rate"]["value"], abs=1e-12)
        assert c["tpr"][i] == pytest.approx(groups["tpr"]["value"], abs=1e-12)
        assert c["fpr"][i] == pytest.approx(groups["fpr"]["value"], abs=1e-12)
    assert res.metrics["threshold_agreement"]["agreement_ge"] == 1.0


def test_weighted_curves_use_the_weights():
    f = make_frame(2000, seed=62, with_weights=True)
    _, res = audit(f, score_column="score", sample_weight_column="w")
    c = res.metrics["threshold_curves"]["sex"]["groups"]["F"]
    i = 30
    t = res.metrics["threshold_curves"]["sex"]["thresholds"][i]
    sub = f[f["sex"] == "F"]
    assert c["selection_rate"][i] == pytest.approx(np.average(sub["score"] >= t, weights=sub["w"]), abs=1e-12)


def test_no_scores_no_curves():
    f = make_frame(800, seed=63)
    _, res = audit(f)
    assert "threshold_curves" not in res.metrics
    assert res.metrics["threshold"] is None


def test_calibration_per_group_matches_a_direct_computation(result):
    f, res = result
    cal = res.metrics["calibration"]["sex"]
    assert len(cal["edges"]) == 11
    sub = f[f["sex"] == "M"]
    in_bin = (sub["score"] >= 0.7) & (sub["score"] < 0.8)
    c = cal["groups"]["M"]
    assert c["count"][7] == int(in_bin.sum())
    assert c["mean_score"][7] == pytest.approx(sub.loc[in_bin, "score"].mean(), abs=1e-12)
    assert c["observed_rate"][7] == pytest.approx(sub.loc[in_bin, "label"].mean(), abs=1e-12)
    assert sum(c["count"]) == len(sub)


def test_calibration_bins_have_exact_decimal_edges():
    from audits.fairness.thresholds import calibration_by_group

    scores = np.array([0.0, 0.1, 0.3, 0.6, 0.7, 0.99, 1.0])
    out = calibration_by_group(("g",), scores, np.zeros(len(scores)), None, np.array([0, len(scores)]))
    assert out["edges"][3] == 0.3 and out["edges"][7] == 0.7
    counts = out["groups"]["g"]["count"]
    # 0.3 lands in 0.3–0.4, 0.6 in 0.6–0.7, 0.7 in 0.7–0.8; 1.0 in the last bin.
    assert counts == [1, 1, 0, 1, 0, 0, 1, 1, 0, 2]


def test_threshold_grid_is_exact_so_a_score_equal_to_a_threshold_is_selected():
    from audits.fairness.thresholds import threshold_curves

    scores = np.array([0.3, 0.3, 0.6])
    out = threshold_curves(("g",), scores, np.array([1, 0, 1]), None, np.array([0, 3]))
    assert out["thresholds"][30] == 0.3
    assert out["groups"]["g"]["selection_rate"][30] == 1.0
