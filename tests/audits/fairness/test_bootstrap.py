"""The count bootstrap agrees with a plain stratified row bootstrap (within Monte-Carlo error)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.fairness.bootstrap import auc_row_bootstrap
from audits.fairness.compute import Inputs, auc_point
from audits.fairness.counts import (
    binary_cell_index,
    cell_counts,
    cell_weight_moments,
    group_codes,
    grouped_order,
)
from audits.fairness.metrics import binary_from_counts
from audits.stats import count_bootstrap, percentile_interval, rank_auc
from tests.audits.fairness.conftest import audit, make_frame

B = 3000
LEVEL = 0.95


def _row_bootstrap_rates(y, p, codes, n_groups, rng, weights=None):
    """Plain stratified row bootstrap: resample rows within each group; selection rate and TPR per group."""
    sel = np.empty((B, n_groups))
    tpr = np.empty((B, n_groups))
    w = np.ones(len(y)) if weights is None else weights
    for j in range(n_groups):
        rows = np.flatnonzero(codes == j)
        idx = rows[rng.integers(0, len(rows), size=(B, len(rows)))]
        yy, pp, ww = y[idx], p[idx], w[idx]
        sel[:, j] = (pp * ww).sum(1) / ww.sum(1)
        tpr[:, j] = (pp * yy * ww).sum(1) / (yy * ww).sum(1)
    return sel, tpr


def _close(a, b, width, frac=0.12):
    assert abs(a - b) <= frac * width, (a, b, width)


@pytest.fixture(scope="module")
def data():
    f = make_frame(2400, seed=21, groups={"F": 0.25, "M": 0.75}, with_weights=True)
    g = group_codes("sex", f["sex"])
    return f, g


def test_count_bootstrap_matches_row_bootstrap_for_rates_and_ratio(data):
    f, g = data
    y, p = f["label"].to_numpy(), f["pred"].to_numpy()
    counts = cell_counts(g, binary_cell_index(y, p), 4)
    boot = binary_from_counts(count_bootstrap(counts, B, np.random.default_rng(1)))
    row_sel, row_tpr = _row_bootstrap_rates(y, p, g.codes, g.n_groups, np.random.default_rng(2))
    for ours, ref in ((boot["selection_rate"], row_sel), (boot["tpr"], row_tpr)):
        lo, hi = percentile_interval(ours, LEVEL)
        rlo, rhi = percentile_interval(ref, LEVEL)
        for j in range(g.n_groups):
            width = rhi[j] - rlo[j]
            _close(lo[j], rlo[j], width)
            _close(hi[j], rhi[j], width)
    ratio = boot["selection_rate"].min(1) / boot["selection_rate"].max(1)
    rratio = row_sel.min(1) / row_sel.max(1)
    lo, hi = percentile_interval(ratio, LEVEL)
    rlo, rhi = percentile_interval(rratio, LEVEL)
    _close(lo, rlo, rhi - rlo)
    _close(hi, rhi, rhi - rlo)


def test_weighted_count_bootstrap_matches_weighted_row_bootstrap(data):
    f, g = data
    y, p, w = f["label"].to_numpy(), f["pred"].to_numpy(), f["w"].to_numpy()
    cell = binary_cell_index(y, p)
    rows = cell_counts(g, cell, 4)
    boot = binary_from_counts(
        count_bootstrap(rows, B, np.random.default_rng(3), weight_moments=cell_weight_moments(g, cell, 4, w))
    )
    row_sel, row_tpr = _row_bootstrap_rates(y, p, g.codes, g.n_groups, np.random.default_rng(4), weights=w)
    for ours, ref in ((boot["selection_rate"], row_sel), (boot["tpr"], row_tpr)):
        lo, hi = percentile_interval(ours, LEVEL)
        rlo, rhi = percentile_interval(ref, LEVEL)
        for j in range(g.n_groups):
            width = rhi[j] - rlo[j]
            _close(lo[j], rlo[j], width, frac=0.15)
            _close(hi[j], rhi[j], width, frac=0.15)


@pytest.mark.parametrize(("max_levels", "draw_limit"), [(4096, 10**9), (64, 100)])
def test_auc_bootstrap_matches_exact_row_bootstrap(data, max_levels, draw_limit):
    """Both AUC paths (rows drawn, exact levels; Poisson counts of 64 rank bins) agree with exact resampling."""
    f, g = data
    y, s = f["label"].to_numpy(), f["score"].to_numpy()
    inp = Inputs(task="binary", y_true=y, y_pred=f["pred"].to_numpy(), score=s, weights=None)
    order, bounds = grouped_order(g, np.argsort(s, kind="stable"))
    point = auc_point(order, bounds, inp)
    ours, _ = auc_row_bootstrap(
        s[order], y[order], None, bounds, point=point, n_boot=B, rng=np.random.default_rng(5),
        max_levels=max_levels, draw_limit=draw_limit,
    )  # fmt: skip
    rng = np.random.default_rng(6)
    n_ref = 800
    for j in range(g.n_groups):
        rows = np.flatnonzero(g.codes == j)
        ref = np.array(
            [
                rank_auc(y[i], s[i])
                for i in (rows[rng.integers(0, len(rows), len(rows))] for _ in range(n_ref))
            ]
        )
        lo, hi = percentile_interval(ours[:, j], LEVEL)
        rlo, rhi = percentile_interval(ref, LEVEL)
        width = rhi - rlo
        # n_ref exact resamples: allow their Monte-Carlo error.
        _close(lo, rlo, width, frac=0.2)
        _close(hi, rhi, width, frac=0.2)
        assert point[j] == pytest.approx(rank_auc(y[rows], s[rows]), abs=1e-12)


def test_intervals_are_seeded_and_reproducible():
    f = make_frame(1200, seed=22)
    _, a = audit(f, score_column="score", seed=7)
    _, b = audit(f, score_column="score", seed=7)
    _, c = audit(f, score_column="score", seed=8)
    assert a.tables["groups:sex"] == b.tables["groups:sex"]
    assert a.metrics["disparities"] == b.metrics["disparities"]
    assert a.tables["groups:sex"] != c.tables["groups:sex"]
    assert a.method["seed"] == 7
    assert a.method["n_bootstrap"] == 1000
    assert a.method["interval_method"].startswith("Wilson score interval")
    # Rate intervals are closed-form (no resampling): the seed changes only the ROC AUC intervals.
    assert a.metrics["groups"]["sex"]["F"]["tpr"] == c.metrics["groups"]["sex"]["F"]["tpr"]
    assert a.metrics["groups"]["sex"]["F"]["roc_auc"] != c.metrics["groups"]["sex"]["F"]["roc_auc"]


def test_zero_resamples_keeps_rate_intervals_and_verdicts_but_no_auc_interval():
    f = make_frame(1200, seed=23)
    _, res = audit(f, score_column="score", policy={"n_bootstrap": 0})
    cell = res.metrics["groups"]["sex"]["F"]["selection_rate"]
    assert cell["ci_low"] < cell["value"] < cell["ci_high"]
    auc = res.metrics["groups"]["sex"]["F"]["roc_auc"]
    assert auc["value"] is not None and auc["ci_low"] is None
    assert all(r["verdict"] in ("pass", "fail", "inconclusive") for r in res.metrics["headline"])


def test_one_of_one_positive_gives_a_wide_interval_not_a_certain_one():
    f = make_frame(600, seed=24)
    small = f.iloc[:12].copy()
    small["sex"] = "M"
    small["label"] = [1] + [0] * 11
    small["pred"] = [1] + [0] * 11
    g = f.iloc[12:].assign(sex="F")
    frame = pd.concat([g, small], ignore_index=True)
    _, res = audit(frame, policy={"min_group_size": 1, "min_group_events": 0})
    tpr = res.metrics["groups"]["sex"]["M"]["tpr"]
    # 1 of 1 positive found: the Wilson interval keeps the estimate and is wide, never [1, 1].
    assert tpr["value"] == 1.0
    assert tpr["ci_high"] == 1.0 and tpr["ci_low"] == pytest.approx(0.2065, abs=1e-4)


def test_weighted_auc_poisson_path_matches_weighted_row_bootstrap(data):
    from sklearn.metrics import roc_auc_score

    f, g = data
    y, s, w = f["label"].to_numpy(), f["score"].to_numpy(), f["w"].to_numpy()
    inp = Inputs(task="binary", y_true=y, y_pred=f["pred"].to_numpy(), score=s, weights=w)
    order, bounds = grouped_order(g, np.argsort(s, kind="stable"))
    point = auc_point(order, bounds, inp)
    ours, how = auc_row_bootstrap(
        s[order], y[order], w[order], bounds, point=point, n_boot=B, rng=np.random.default_rng(7),
        max_levels=128, draw_limit=100,
    )  # fmt: skip
    assert all(h.startswith("Poisson level counts") for h in how)
    rng = np.random.default_rng(8)
    j = 1
    rows = np.flatnonzero(g.codes == j)
    assert point[j] == pytest.approx(roc_auc_score(y[rows], s[rows], sample_weight=w[rows]), abs=1e-12)
    ref = []
    for _ in range(600):
        i = rows[rng.integers(0, len(rows), len(rows))]
        ref.append(roc_auc_score(y[i], s[i], sample_weight=w[i]))
    lo, hi = percentile_interval(ours[:, j], LEVEL)
    rlo, rhi = percentile_interval(np.array(ref), LEVEL)
    _close(lo, rlo, rhi - rlo, frac=0.2)
    _close(hi, rhi, rhi - rlo, frac=0.2)
