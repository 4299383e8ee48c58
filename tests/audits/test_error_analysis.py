"""Error analysis: the worst cohorts are found on one half of the rows and measured on the other."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits import AuditConfig, build_context
from audits.error_analysis import error_cohorts, extend_performance, roc_pr_curves
from audits.inputs import frame_as_data
from audits.intervals import wilson
from audits.performance import run_performance


def _planted(n: int = 6000, seed: int = 0) -> pd.DataFrame:
    """Errors at 5% everywhere except age > 60 and job == 'miner', where they are at 60%."""
    rng = np.random.default_rng(seed)
    age = rng.integers(18, 80, n)
    job = rng.choice(["clerk", "miner", "teacher", "nurse"], n)
    sex = rng.choice(["F", "M"], n)
    label = rng.integers(0, 2, n)
    bad = (age > 60) & (job == "miner")
    wrong = rng.random(n) < np.where(bad, 0.6, 0.05)
    pred = np.where(wrong, 1 - label, label)
    score = np.clip(pred * 0.6 + rng.random(n) * 0.4, 0, 1)
    return pd.DataFrame({"age": age, "job": job, "sex": sex, "label": label, "pred": pred, "score": score})


def _ctx(frame: pd.DataFrame, **cfg):
    cfg = {
        "target": "label",
        "protected": ("sex",),
        "prediction_column": "pred",
        "score_column": "score",
        "exclude_columns": ("pred", "score"),
        **cfg,
    }
    return build_context(frame_as_data(frame), config=AuditConfig(**cfg))


def _halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(seed).permutation(n)
    return np.sort(perm[: n // 2]), np.sort(perm[n // 2 :])


def test_a_planted_high_error_cohort_is_found_first():
    frame = _planted()
    ea = error_cohorts(_ctx(frame))
    worst = ea["cohorts"][0]
    text = worst["cohort"]
    assert "job in {miner}" in text and "age >" in text, text
    assert worst["error_rate"] > 0.4 and worst["lift"] > 4
    assert worst["ci_low"] > ea["overall"]["error_rate"]


def test_counts_and_intervals_come_from_the_held_out_half_only():
    frame = _planted()
    ctx = _ctx(frame)
    ea = error_cohorts(ctx)
    _, held = _halves(len(frame), ctx.seed)
    wrong = (frame["pred"] != frame["label"]).to_numpy()
    assert ea["overall"]["rows"] == len(held)
    assert ea["overall"]["errors"] == int(wrong[held].sum())
    assert sum(c["rows"] for c in ea["cohorts"]) == len(held)
    assert sum(c["errors"] for c in ea["cohorts"]) == int(wrong[held].sum())
    # the worst cohort's numbers, recomputed from the held-out rows its conditions select
    worst = ea["cohorts"][0]
    sub = frame.iloc[held]
    sel = sub.query("job == 'miner'")
    low = float(worst["cohort"].split("age > ")[1].split()[0])
    sel = sel[sel["age"] > low]
    assert worst["rows"] == len(sel)
    errors = int((sel["pred"] != sel["label"]).sum())
    assert worst["errors"] == errors
    lo, hi = wilson(errors / len(sel), len(sel), 0.95)
    assert worst["ci_low"] == pytest.approx(float(lo)) and worst["ci_high"] == pytest.approx(float(hi))


def test_the_search_half_does_not_decide_the_reported_rate():
    """Errors only in the search half: the cohorts the tree finds there show no errors on the held-out half."""
    frame = _planted()
    ctx = _ctx(frame)
    fit, held = _halves(len(frame), ctx.seed)
    frame = frame.copy()
    frame.loc[frame.index[held], "pred"] = frame.loc[frame.index[held], "label"]  # held-out half: all right
    ea = error_cohorts(_ctx(frame))
    assert ea["overall"]["errors"] == 0
    assert all(c["error_rate"] == 0 for c in ea["cohorts"])
    assert max(c["search_rows"] for c in ea["cohorts"]) > 0


def test_the_split_is_seeded():
    frame = _planted()
    a = error_cohorts(_ctx(frame, seed=1))
    b = error_cohorts(_ctx(frame, seed=1))
    c = error_cohorts(_ctx(frame, seed=2))
    assert a["cohorts"] == b["cohorts"]
    assert a["overall"] != c["overall"]


def test_protected_columns_outside_the_features_are_searched_as_groups():
    frame = _planted()
    ctx = _ctx(frame, features=("age", "job"))
    ea = error_cohorts(ctx)
    assert "sex" in ea["method"]["columns"]


def test_regression_errors_are_large_errors_cut_on_the_search_half():
    rng = np.random.default_rng(0)
    n = 2000
    x = rng.normal(size=n)
    frame = pd.DataFrame({"x": x, "sex": rng.choice(["F", "M"], n), "y": x + rng.normal(size=n) * 0.1})
    frame["pred"] = frame["y"] + np.where(frame["x"] > 1, 3.0, 0.0) * rng.normal(size=n)
    ctx = _ctx(frame, target="y", task="regression", score_column=None, exclude_columns=("pred",))
    ea = error_cohorts(ctx)
    assert ea["error"] == "large error"
    assert "x >" in ea["cohorts"][0]["cohort"]


def test_roc_and_pr_curves_run_from_corner_to_corner():
    ctx = _ctx(_planted())
    curves = roc_pr_curves(ctx)
    roc, pr = curves["roc"], curves["pr"]
    assert (roc["fpr"][0], roc["tpr"][0]) == (0.0, 0.0) and (roc["fpr"][-1], roc["tpr"][-1]) == (1.0, 1.0)
    assert len(roc["fpr"]) <= 201 and len(pr["recall"]) <= 201
    assert pr["recall"][0] == 0.0 and pr["recall"][-1] == 1.0
    assert 0 < curves["pr"]["base_rate"] < 1


def test_the_performance_section_carries_the_cohorts_and_curves():
    ctx = _ctx(_planted())
    section = run_performance(ctx, prior={}, progress=lambda f, m: None)
    assert section.tables["error_cohorts"].n_rows == len(section.metrics["error_analysis"]["cohorts"])
    assert "roc" in section.metrics["curves"]
    assert (
        extend_performance(ctx, section).metrics["error_analysis"]["cohorts"]
        == section.metrics["error_analysis"]["cohorts"]
    )


def test_curve_areas_equal_scikit_learn_with_ties_and_weights():
    from sklearn.metrics import average_precision_score, roc_auc_score

    frame = _planted(3000)
    frame["score"] = (frame["score"] * 20).round() / 20  # many tied scores
    frame["w"] = np.random.default_rng(1).uniform(0.5, 2.0, len(frame))
    ctx = _ctx(frame, sample_weight_column="w", exclude_columns=("pred", "score", "w"))
    curves = roc_pr_curves(ctx)
    y, s, w = frame["label"], frame["score"], frame["w"]
    assert curves["roc"]["auc"] == pytest.approx(roc_auc_score(y, s, sample_weight=w), abs=1e-12)
    assert curves["pr"]["average_precision"] == pytest.approx(
        average_precision_score(y, s, sample_weight=w), abs=1e-12
    )
