"""The count bootstrap agrees with a plain stratified row bootstrap (within Monte-Carlo error)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.fairness.compute import Inputs
from audits.fairness.counts import (
    binary_cell_index,
    cell_counts,
    cell_weight_moments,
    group_codes,
    grouped_order,
)
from audits.fairness.metrics import binary_from_counts
from audits.stats import count_bootstrap, percentile_interval
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


def _naive_delong(y: np.ndarray, s: np.ndarray) -> tuple[float, float]:
    """AUC and DeLong standard error from all positive x negative pairs (the textbook O(P·N) definition)."""
    pos, neg = s[y == 1], s[y == 0]
    psi = (pos[:, None] > neg[None, :]) + 0.5 * (pos[:, None] == neg[None, :])
    v10, v01 = psi.mean(axis=1), psi.mean(axis=0)
    auc = psi.mean()
    return float(auc), float(np.sqrt(v10.var(ddof=1) / len(pos) + v01.var(ddof=1) / len(neg)))


def test_group_auc_intervals_are_delong_on_the_logit_scale(data):
    """Each group's interval equals DeLong's standard error from all pairs, on the logit scale."""
    from scipy.stats import norm

    from audits.fairness.compute import delong_per_group

    f, g = data
    y, s = f["label"].to_numpy(), np.round(f["score"].to_numpy(), 2)  # ties on purpose
    inp = Inputs(task="binary", y_true=y, y_pred=f["pred"].to_numpy(), score=s, weights=None)
    order, bounds = grouped_order(g, np.argsort(s, kind="stable"))
    point, lo, hi = delong_per_group(order, bounds, inp, LEVEL)
    z = norm.ppf(0.5 + LEVEL / 2)
    for j in range(g.n_groups):
        rows = np.flatnonzero(g.codes == j)
        auc, se = _naive_delong(y[rows], s[rows])
        assert point[j] == pytest.approx(auc, abs=1e-12)
        logit, half = np.log(auc / (1 - auc)), z * se / (auc * (1 - auc))
        assert lo[j] == pytest.approx(1 / (1 + np.exp(-(logit - half))), abs=1e-9)
        assert hi[j] == pytest.approx(1 / (1 + np.exp(-(logit + half))), abs=1e-9)


def test_weighted_group_auc_interval_is_close_to_the_weighted_row_bootstrap(data):
    from sklearn.metrics import roc_auc_score

    from audits.fairness.compute import delong_per_group

    f, g = data
    y, s, w = f["label"].to_numpy(), f["score"].to_numpy(), f["w"].to_numpy()
    inp = Inputs(task="binary", y_true=y, y_pred=f["pred"].to_numpy(), score=s, weights=w)
    order, bounds = grouped_order(g, np.argsort(s, kind="stable"))
    point, lo, hi = delong_per_group(order, bounds, inp, LEVEL)
    rng = np.random.default_rng(8)
    j = 1
    rows = np.flatnonzero(g.codes == j)
    assert point[j] == pytest.approx(roc_auc_score(y[rows], s[rows], sample_weight=w[rows]), abs=1e-12)
    ref = []
    for _ in range(600):
        i = rows[rng.integers(0, len(rows), len(rows))]
        ref.append(roc_auc_score(y[i], s[i], sample_weight=w[i]))
    rlo, rhi = percentile_interval(np.array(ref), LEVEL)
    # Kish effective sizes make the weighted DeLong width match the weighted bootstrap's to within 25%.
    assert (hi[j] - lo[j]) == pytest.approx(rhi - rlo, rel=0.25)
    assert lo[j] <= point[j] <= hi[j]


def test_intervals_are_seeded_and_reproducible():
    f = make_frame(1200, seed=22)
    _, a = audit(f, score_column="score", seed=7)
    _, b = audit(f, score_column="score", seed=7)
    _, c = audit(f, score_column="score", seed=8)
    assert a.tables["groups:sex"] == b.tables["groups:sex"]
    assert a.metrics["disparities"] == b.metrics["disparities"]
    # binary: every interval is closed form, so another seed changes nothing
    assert a.tables["groups:sex"] == c.tables["groups:sex"]
    assert a.method["seed"] == 7
    assert a.method["n_bootstrap"] == 1000
    assert a.method["interval_method"].startswith("Wilson score interval")
    # Rate and ROC AUC intervals are closed-form (no resampling): the seed does not change them.
    assert a.metrics["groups"]["sex"]["F"]["tpr"] == c.metrics["groups"]["sex"]["F"]["tpr"]
    assert a.metrics["groups"]["sex"]["F"]["roc_auc"] == c.metrics["groups"]["sex"]["F"]["roc_auc"]


def test_zero_resamples_keeps_the_closed_form_intervals_and_verdicts():
    f = make_frame(1200, seed=23)
    _, res = audit(f, score_column="score", policy={"n_bootstrap": 0})
    cell = res.metrics["groups"]["sex"]["F"]["selection_rate"]
    assert cell["ci_low"] < cell["value"] < cell["ci_high"]
    auc = res.metrics["groups"]["sex"]["F"]["roc_auc"]
    assert auc["ci_low"] < auc["value"] < auc["ci_high"]  # DeLong needs no resamples
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
