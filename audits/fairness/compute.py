"""Per-group metrics for one group column and any task: rates with their effective sizes, or resamples.

The result of :func:`column_stats` holds, for every metric, the point value per group, the overall value and
which groups are eligible for comparisons. Rates from counts (every binary and multiclass metric but ROC AUC)
carry their effective sample sizes, from which score intervals are computed; ROC AUC carries DeLong intervals
(closed form); the regression metrics carry stratified bootstrap resamples (B, g), the overall resamples and the
BCa acceleration of each (from the closed-form jackknife) instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from audits.fairness import metrics as M
from audits.fairness.bootstrap import row_sum_bootstrap
from audits.fairness.counts import Groups, binary_cell_index, cell_counts, grouped_order
from audits.fairness.disparities import MetricValues
from audits.intervals import delong_auc_sorted, jackknife_acceleration


@dataclass(frozen=True)
class Inputs:
    """The arrays a fairness computation needs, taken from the context once."""

    task: str
    y_true: np.ndarray
    y_pred: np.ndarray
    score: np.ndarray | None
    weights: np.ndarray | None
    classes: tuple[Any, ...] = ()


@dataclass(frozen=True)
class Settings:
    """Bootstrap and safeguard settings (from the policy)."""

    n_boot: int
    level: float
    row_cap: int
    min_group_size: int
    min_group_events: int


@dataclass
class ColumnStats:
    """Everything computed for one group column."""

    column: str
    groups: Groups
    metric_names: tuple[str, ...]
    values: dict[str, MetricValues]
    positives: np.ndarray | None  # (g,) unweighted rows with the positive label (binary)
    negatives: np.ndarray | None
    exclusion: list[str]  # reason per group ("" when included everywhere)
    row_rows: dict[str, Any] = field(default_factory=dict)  # how row-based metrics were resampled, per group
    # Rates from counts: {metric: (rate (g,), effective n (g,))} and the same for everyone {metric: (rate, n)}.
    rates: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    overall_rates: dict[str, tuple[float, float]] = field(default_factory=dict)
    score_order: np.ndarray | None = None  # rows grouped, sorted by score within group (binary with scores)
    bounds: np.ndarray | None = None  # group j is score_order[bounds[j]:bounds[j + 1]]
    eligibility: dict[str, np.ndarray] = field(default_factory=dict)  # per metric: groups that take part
    # Regression: BCa acceleration of each group's MAE / everyone's MAE (the worst-group error verdict).
    mae_ratio_accel: np.ndarray | None = None


def _eligibility(
    names: tuple[str, ...],
    sizes: np.ndarray,
    pos: np.ndarray | None,
    neg: np.ndarray | None,
    s: Settings,
    *,
    class_pos: dict[str, np.ndarray] | None = None,
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Which groups each metric may use in disparities, and the reason a group is excluded."""
    big = sizes >= s.min_group_size
    reasons = [
        "" if b else f"fewer than {s.min_group_size} rows ({n}): excluded from all disparities"
        for b, n in zip(big, sizes, strict=True)
    ]
    elig: dict[str, np.ndarray] = {}
    events_ok = big.copy()
    if pos is not None and neg is not None:
        events_ok = big & (pos >= s.min_group_events) & (neg >= s.min_group_events)
        for j in range(len(sizes)):
            if big[j] and not events_ok[j]:
                reasons[j] = (
                    f"fewer than {s.min_group_events} positives or negatives ({int(pos[j])} positive, "
                    f"{int(neg[j])} negative): excluded from error-rate disparities"
                )
    for name in names:
        base = name.split("[", 1)[0]
        if base in M.LABEL_FREE_METRICS or base in ("accuracy", *M.REGRESSION_METRICS):
            elig[name] = big
        elif class_pos is not None and name in class_pos:
            elig[name] = big & class_pos[name]
        else:
            elig[name] = events_ok
    return elig, reasons


def binary_from_counts(
    groups: Groups,
    rows: np.ndarray,
    counts: np.ndarray,
    w2: np.ndarray | None,
    s: Settings,
    *,
    with_score: bool,
) -> ColumnStats:
    """Binary rates, effective sizes and eligibility from (g, 4) confusion counts in ``CELLS`` order.

    ``rows`` are row counts (for the safeguards), ``counts`` the (weighted) cell sums and ``w2`` the cells'
    sums of squared weights (None without weights). ROC AUC, when ``with_score``, is added by the caller.
    """
    point = M.quiet_nan(M.binary_from_counts, counts)
    overall = M.quiet_nan(M.binary_from_counts, counts.sum(axis=0))
    rates = M.quiet_nan(M.rates_from_cells, counts, M.RATE_CELLS, w2)
    overall_rates = {
        m: (float(r), float(n))
        for m, (r, n) in M.quiet_nan(
            M.rates_from_cells, counts.sum(axis=0), M.RATE_CELLS, None if w2 is None else w2.sum(axis=0)
        ).items()
    }
    pos = rows[:, 0] + rows[:, 3]
    neg = rows[:, 1] + rows[:, 2]
    names = M.BINARY_METRICS + (M.SCORE_METRICS if with_score else ())
    elig, reasons = _eligibility(names, groups.sizes, pos, neg, s)
    none = np.zeros((0, groups.n_groups))
    values = {
        m: MetricValues(m, point[m], none, float(overall[m]), np.zeros(0), elig[m]) for m in M.BINARY_METRICS
    }
    return ColumnStats(
        groups.column, groups, names, values, pos, neg, reasons, {}, rates, overall_rates, None, None, elig
    )


def _binary(
    groups: Groups, inp: Inputs, s: Settings, rng: np.random.Generator, shared: dict[str, Any]
) -> ColumnStats:
    cell = binary_cell_index(inp.y_true, inp.y_pred)
    rows = cell_counts(groups, cell, 4)
    counts = rows if inp.weights is None else cell_counts(groups, cell, 4, weights=inp.weights)
    w2 = None if inp.weights is None else cell_counts(groups, cell, 4, weights=inp.weights * inp.weights)
    cs = binary_from_counts(groups, rows, counts, w2, s, with_score=inp.score is not None)
    values, elig, names = cs.values, cs.eligibility, cs.metric_names
    row_rows: dict[str, Any] = {}
    order = bounds = None
    if inp.score is not None:
        if "score_order" not in shared:
            shared["score_order"] = np.argsort(inp.score, kind="stable")
        order, bounds = grouped_order(groups, shared["score_order"])
        values["roc_auc"] = _auc(order, bounds, inp, s, shared, elig["roc_auc"], groups.n_groups)
    return ColumnStats(
        groups.column,
        groups,
        names,
        values,
        cs.positives,
        cs.negatives,
        cs.exclusion,
        row_rows,
        cs.rates,
        cs.overall_rates,
        order,
        bounds,
    )


def auc_point(order: np.ndarray, bounds: np.ndarray, inp: Inputs) -> np.ndarray:
    """Exact (weighted) ROC AUC of each group (rows grouped and sorted by score), ties counted one half."""
    s = np.asarray(inp.score, dtype=float)[order]
    y = np.asarray(inp.y_true, dtype=float)[order]
    w = np.ones(len(y)) if inp.weights is None else np.asarray(inp.weights, dtype=float)[order]
    out = np.full(len(bounds) - 1, np.nan)
    for j in range(len(bounds) - 1):
        lo, hi = int(bounds[j]), int(bounds[j + 1])
        if hi > lo:
            out[j] = float(M.auc_from_sorted(M.tie_starts(s[lo:hi]), (y * w)[lo:hi], ((1 - y) * w)[lo:hi]))
    return out


def delong_per_group(
    order: np.ndarray, bounds: np.ndarray, inp: Inputs, level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(auc, low, high) per group (rows grouped and sorted by score within group): DeLong logit intervals from
    the exact tie levels of each group's scores."""
    score = np.asarray(inp.score, dtype=float)[order]
    y = np.asarray(inp.y_true, dtype=float)[order]
    w = None if inp.weights is None else np.asarray(inp.weights, dtype=float)[order]
    g = len(bounds) - 1
    out = np.full((3, g), np.nan)
    for j in range(g):
        lo, hi = int(bounds[j]), int(bounds[j + 1])
        if hi > lo:
            out[:, j] = delong_auc_sorted(score[lo:hi], y[lo:hi], None if w is None else w[lo:hi], level)[:3]
    return out[0], out[1], out[2]


def _auc(
    order: np.ndarray,
    bounds: np.ndarray,
    inp: Inputs,
    s: Settings,
    shared: dict[str, Any],
    eligible: np.ndarray,
    n_groups: int,
) -> MetricValues:
    """ROC AUC per group and overall with DeLong intervals (no resampling)."""
    # The point is the exact AUC (fairlearn-equal to 1e-12); the interval is DeLong's, widened to contain it.
    point = M.quiet_nan(auc_point, order, bounds, inp)
    _, lo, hi = delong_per_group(order, bounds, inp, s.level)
    lo, hi = np.fmin(lo, point), np.fmax(hi, point)
    if "overall_auc" not in shared:  # the same for every group column: computed once
        whole = np.array([0, len(inp.y_true)])
        o_pt = float(M.quiet_nan(auc_point, shared["score_order"], whole, inp)[0])
        _, o_lo, o_hi = delong_per_group(shared["score_order"], whole, inp, s.level)
        shared["overall_auc"] = (o_pt, (float(min(o_lo[0], o_pt)), float(max(o_hi[0], o_pt))))
    overall, overall_ci = shared["overall_auc"]
    none = np.zeros((0, n_groups))
    return MetricValues(
        "roc_auc",
        point,
        none,
        overall,
        np.zeros(0),
        eligible,
        closed_ci=(lo, hi),
        overall_closed_ci=overall_ci,
    )


def _multiclass(
    groups: Groups, inp: Inputs, s: Settings, rng: np.random.Generator, shared: dict[str, Any]
) -> ColumnStats:
    k = len(inp.classes)
    cell = np.asarray(inp.y_true, dtype=np.int64) * k + np.asarray(inp.y_pred, dtype=np.int64)
    rows = cell_counts(groups, cell, k * k)
    counts = rows if inp.weights is None else cell_counts(groups, cell, k * k, weights=inp.weights)
    w2 = None if inp.weights is None else cell_counts(groups, cell, k * k, weights=inp.weights * inp.weights)
    shape = (groups.n_groups, k, k)
    point = M.quiet_nan(M.multiclass_from_counts, counts.reshape(shape), inp.classes)
    overall = M.quiet_nan(M.multiclass_from_counts, counts.sum(axis=0).reshape(k, k), inp.classes)
    cells = M.multiclass_rate_cells(k, inp.classes)
    rates = M.quiet_nan(M.rates_from_cells, counts, cells, w2)
    overall_rates = {
        m: (float(r), float(n))
        for m, (r, n) in M.quiet_nan(
            M.rates_from_cells, counts.sum(axis=0), cells, None if w2 is None else w2.sum(axis=0)
        ).items()
    }
    names = M.multiclass_metric_names(inp.classes)
    cm = rows.reshape(shape)
    actual = cm.sum(axis=2)
    class_ok: dict[str, np.ndarray] = {}
    for j, c in enumerate(inp.classes):
        ok = (actual[:, j] >= s.min_group_events) & (groups.sizes - actual[:, j] >= s.min_group_events)
        class_ok[f"tpr[{c}]"] = ok
        class_ok[f"fpr[{c}]"] = ok
    elig, reasons = _eligibility(names, groups.sizes, None, None, s, class_pos=class_ok)
    for j in range(groups.n_groups):
        thin = [str(c) for i, c in enumerate(inp.classes) if not class_ok[f"tpr[{c}]"][j]]
        if not reasons[j] and thin:
            reasons[j] = (
                f"fewer than {s.min_group_events} rows in or out of class(es) {', '.join(thin)}: excluded from "
                "those classes' error-rate disparities"
            )
    none = np.zeros((0, groups.n_groups))
    values = {m: MetricValues(m, point[m], none, float(overall[m]), np.zeros(0), elig[m]) for m in names}
    return ColumnStats(groups.column, groups, names, values, None, None, reasons, {}, rates, overall_rates)


def _regression(
    groups: Groups, inp: Inputs, s: Settings, rng: np.random.Generator, shared: dict[str, Any]
) -> ColumnStats:
    yt = np.asarray(inp.y_true, dtype=float)
    yp = np.asarray(inp.y_pred, dtype=float)
    w = np.ones(len(yt)) if inp.weights is None else np.asarray(inp.weights, dtype=float)
    e = yt - yp
    feats = np.column_stack([w, w * yp, w * yt, w * np.abs(e), w * e * e, w * yt * yt])
    g = groups.n_groups
    sums_pt = np.zeros((g, feats.shape[1]))
    for i in range(feats.shape[1]):
        sums_pt[:, i] = np.bincount(groups.codes, weights=feats[:, i], minlength=g)
    sums_b, rows, scale = row_sum_bootstrap(feats, groups.codes, g, n_boot=s.n_boot, cap=s.row_cap, rng=rng)
    # m-out-of-n: shrink the deviations of capped groups' sums so intervals keep an n-row width.
    sums_b = sums_pt + scale[:, None] * (sums_b - sums_pt)
    bm = M.quiet_nan(M.regression_from_sums, sums_b)
    overall_b = M.quiet_nan(M.regression_from_sums, sums_b.sum(axis=1))
    weights = None if inp.weights is None else w
    per = [
        M.regression_point(
            yt[groups.codes == j], yp[groups.codes == j], None if weights is None else w[groups.codes == j]
        )
        for j in range(g)
    ]
    overall = M.regression_point(yt, yp, weights)
    names = M.REGRESSION_METRICS
    elig, reasons = _eligibility(names, groups.sizes, None, None, s)
    # Closed-form jackknife (each row left out of its group's sums, and of everyone's) for the BCa acceleration.
    loo = M.quiet_nan(M.regression_from_sums, sums_pt[groups.codes] - feats)
    loo_all = M.quiet_nan(M.regression_from_sums, sums_pt.sum(axis=0) - feats)
    values: dict[str, MetricValues] = {}
    for m in names[:-1]:
        point = np.array([p[m] for p in per])
        values[m] = MetricValues(
            m, point, bm[m], float(overall[m]), overall_b[m], elig[m],
            accel=jackknife_acceleration(loo[m], groups.codes, g),
            overall_accel=float(jackknife_acceleration(loo_all[m])[0]),
        )  # fmt: skip
    ks = np.array([M.ks_distance(yp[groups.codes == j], yp) for j in range(g)])
    # A supremum over thresholds: described without resamples or an interval (accel None).
    values["ks"] = MetricValues("ks", ks, np.zeros((0, g)), 0.0, np.zeros(0), elig["ks"])
    return ColumnStats(
        groups.column,
        groups,
        names,
        values,
        None,
        None,
        reasons,
        {m: rows.tolist() for m in names[:-1]},
        mae_ratio_accel=_mae_ratio_accel(loo["mae"], loo_all["mae"], values["mae"].point, groups.codes, g),
    )


def _mae_ratio_accel(
    loo_group: np.ndarray, loo_all: np.ndarray, point: np.ndarray, codes: np.ndarray, g: int
) -> np.ndarray:
    """Jackknife acceleration of MAE_j / MAE_all per group: leaving a row out changes everyone's MAE, and the
    group's own MAE only for the group's rows."""
    out = np.zeros(g)
    for j in range(g):
        num = np.where(codes == j, loo_group, point[j])
        with np.errstate(all="ignore"):
            out[j] = jackknife_acceleration(num / loo_all)[0]
    return out


def column_stats(
    groups: Groups,
    inp: Inputs,
    s: Settings,
    rng: np.random.Generator,
    *,
    shared: dict[str, Any] | None = None,
) -> ColumnStats:
    """Group metrics and their resamples for one group column.

    ``shared`` caches what every group column needs once (the overall ROC AUC resamples; ``shared["seed"]``
    seeds them).
    """
    fn = {"binary": _binary, "multiclass": _multiclass, "regression": _regression}[inp.task]
    return fn(groups, inp, s, rng, {} if shared is None else shared)
