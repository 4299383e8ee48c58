"""The method record: the policy normalised once, the same Method keys in every section, one interval format."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audits import AuditConfig, Policy, build_context
from audits.fairness.section import run_fairness
from audits.inputs import frame_as_data
from audits.intervals import wilson
from audits.method import (
    METHOD_KEY,
    NO_RESAMPLES,
    ROW_BOOTSTRAP_RESAMPLES,
    Method,
    format_ci,
    format_estimate,
)
from audits.performance import run_performance
from tests.conftest import make_binary_frame

METHOD_KEYS = {"interval", "confidence_level", "resamples", "seed", "rows", "sample_caps"}


def _ctx(frame=None, **policy):
    frame = make_binary_frame(800, seed=5) if frame is None else frame
    config = AuditConfig(
        target="label",
        protected=("sex",),
        prediction_column="pred",
        score_column="score",
        exclude_columns=("pred", "score"),
        seed=7,
        policy=Policy(**policy),
    )
    return build_context(frame_as_data(frame), config=config)


def _perf(ctx):
    return run_performance(ctx, prior={}, progress=lambda f, m: None)


# --- Sampling: the policy read once ---------------------------------------------------------------------------
def test_sampling_reads_the_policy_once_for_every_section():
    ctx = _ctx(n_bootstrap=500, confidence_level=0.9, bootstrap_row_cap=1000)
    sp = ctx.sampling
    assert sp is ctx.sampling  # computed once per context
    assert (sp.confidence_level, sp.n_bootstrap, sp.row_cap, sp.seed) == (0.9, 500, 1000, 7)
    # row bootstraps draw min(n_bootstrap, ROW_BOOTSTRAP_RESAMPLES) resamples
    assert sp.row_resamples == min(500, ROW_BOOTSTRAP_RESAMPLES) and sp.resampling and sp.level_label == "90%"


def test_zero_resamples_means_no_resampling_not_one_resample():
    sp = _ctx(n_bootstrap=0).sampling
    assert sp.n_bootstrap == 0 and sp.row_resamples == 0 and not sp.resampling


# --- Method: one record, same keys ----------------------------------------------------------------------------
def test_method_round_trips_through_json():
    m = Method("bootstrap percentile", 0.95, 1000, 3, 250, {"row_cap": 20_000})
    d = json.loads(json.dumps(m.to_dict()))
    assert set(d) == METHOD_KEYS and Method.from_dict(d) == m


def test_performance_and_fairness_record_the_same_method_keys():
    ctx = _ctx(n_bootstrap=50)
    perf = _perf(ctx)
    fair = run_fairness(ctx, prior={}, progress=lambda f, m: None)
    for section in (perf, fair):
        rec = section.metrics[METHOD_KEY]
        assert set(rec) == METHOD_KEYS, section.name
        # binary fairness resamples nothing (rates and ROC AUC have closed-form intervals); performance's BCa
        # rows (log loss, Brier) draw n_bootstrap resamples
        resamples = 50 if section is perf else 0
        assert (rec["resamples"], rec["seed"], rec["rows"], rec["confidence_level"]) == (
            resamples,
            7,
            800,
            0.95,
        )
        assert rec["sample_caps"]["row_cap"] == ctx.sampling.row_cap


# --- one interval format --------------------------------------------------------------------------------------
def test_format_estimate_writes_level_and_bounds():
    assert format_estimate(0.3301, 0.31, 0.35, 0.95) == "0.330 (95% CI 0.310–0.350)"
    assert format_estimate(0.33, 0.31, 0.35, 0.8, ".2f") == "0.33 (80% CI 0.31–0.35)"
    assert format_estimate(0.33, None, None, 0.95, no_interval=NO_RESAMPLES) == f"0.330 ({NO_RESAMPLES})"
    assert format_ci(1.2, 3.4, "Holm-adjusted 97.5%", ".2f") == "Holm-adjusted 97.5% CI 1.20–3.40"


def test_performance_sentence_follows_the_confidence_level():
    res = _perf(_ctx(n_bootstrap=200, confidence_level=0.8))
    acc = res.metrics["overall"]["accuracy"]
    assert res.summary[0].startswith(
        f"Accuracy {format_estimate(acc['value'], acc['ci_low'], acc['ci_high'], 0.8)}"
    )
    assert "80% CI" in res.summary[0] and "95%" not in res.summary[0]
    assert "Wilson" in acc["method"]
    assert "80%" in res.metrics["overall"]["log_loss"]["method"]  # the bootstrap rows state their level


# --- n_bootstrap: 0 in performance ----------------------------------------------------------------------------
def test_no_resamples_gives_wilson_intervals_for_rates():
    frame = make_binary_frame(800, seed=5)
    res = _perf(_ctx(frame, n_bootstrap=0))
    m = res.metrics["overall"]
    y, p = frame["label"].to_numpy(), frame["pred"].to_numpy()
    lo, hi = wilson((y == p).mean(), len(y), 0.95)
    assert (m["accuracy"]["ci_low"], m["accuracy"]["ci_high"]) == pytest.approx((float(lo), float(hi)))
    lo, hi = wilson(p[y == 1].mean(), (y == 1).sum(), 0.95)
    assert (m["recall"]["ci_low"], m["recall"]["ci_high"]) == pytest.approx((float(lo), float(hi)))
    for name in ("accuracy", "precision", "recall", "specificity", "selection_rate", "balanced_accuracy"):
        assert m[name]["ci_low"] < m[name]["value"] < m[name]["ci_high"], name
        assert "Wilson" in m[name]["method"], name
    assert res.metrics[METHOD_KEY]["resamples"] == 0 and res.method["n_bootstrap"] == 0


def test_no_resamples_keeps_closed_forms_and_leaves_bootstrap_metrics_without_an_interval():
    res = _perf(_ctx(n_bootstrap=0))
    m = res.metrics["overall"]
    for name in ("f1", "roc_auc"):  # closed forms (Jaccard–Wilson, DeLong) need no resamples
        assert m[name]["ci_low"] < m[name]["value"] < m[name]["ci_high"], name
    for name in ("log_loss", "brier_score"):  # BCa only: no interval rather than a zero-width one
        assert m[name]["ci_low"] is None and m[name]["ci_high"] is None, name
        assert m[name]["method"] == NO_RESAMPLES, name
    assert "95% CI" in res.summary[0]  # accuracy keeps its closed-form interval


def test_weighted_rates_without_resamples_use_the_effective_size():
    frame = make_binary_frame(800, seed=5)
    frame["w"] = np.where(frame["sex"] == "F", 3.0, 1.0)
    config = AuditConfig(
        target="label",
        protected=("sex",),
        prediction_column="pred",
        sample_weight_column="w",
        exclude_columns=("pred", "score", "w"),
        policy=Policy(n_bootstrap=0),
    )
    res = _perf(build_context(frame_as_data(frame), config=config))
    acc = res.metrics["overall"]["accuracy"]
    w = frame["w"].to_numpy()
    lo, hi = wilson(acc["value"], w.sum() ** 2 / (w * w).sum(), 0.95)
    assert (acc["ci_low"], acc["ci_high"]) == pytest.approx((float(lo), float(hi)))
