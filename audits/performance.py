"""Model performance overall: the yardstick for fairness gaps and the model card.

Every interval is chosen by what the quantity is, and each metric row names its method:

* rates from counts (accuracy, precision, recall, specificity, selection and base rate): Wilson score intervals
  (weighted: Kish effective size); balanced accuracy and macro recall/precision: MOVER on the Wilson intervals of
  their independent parts; F1: the Wilson interval of the Jaccard index mapped to F1 (monotone, so exact
  coverage carries over) — closed forms, no resampling, never of zero width;
* ROC AUC: DeLong's standard error on the logit scale;
* means of per-row losses and errors (log loss, Brier score, MAE, mean prediction and target), RMSE, R² and macro
  F1: the BCa bootstrap (bias-corrected and accelerated; the acceleration from the closed-form jackknife), rows
  resampled with at most ``policy.bootstrap_row_cap`` rows per resample, deviations rescaled to n rows (stated).
  A percentile interval is not used: it is biased for skewed statistics such as these.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from audits.context import AuditContext
from audits.fairness.thresholds import decimal_grid
from audits.intervals import (
    bca_interval,
    delong_auc_sorted,
    f1_interval,
    jackknife_acceleration,
    kish_n,
    mover_mean,
    wilson,
)
from audits.method import METHOD_KEY, NO_RESAMPLES, Method, Sampling, format_estimate
from audits.results import Finding, SectionResult, Severity, Status, Table
from audits.stats import (
    count_bootstrap,
    multinomial_counts,
    rank_auc,
    safe_div,
    value_or_none,
)

NAME = "performance"
TITLE = "Model performance"
CALIBRATION_BINS = 10
BINARY_COUNT_METRICS = (
    "accuracy",
    "balanced_accuracy",
    "precision",
    "recall",
    "specificity",
    "f1",
    "selection_rate",
    "base_rate",
)
# Rates with a Wilson score interval: (numerator cells, denominator cells) over the binary cells tp, fp, tn, fn.
WILSON_RATES = {
    "accuracy": ((0, 2), (0, 1, 2, 3)),
    "precision": ((0,), (0, 1)),
    "recall": ((0,), (0, 3)),
    "specificity": ((2,), (1, 2)),
    "selection_rate": ((0, 1), (0, 1, 2, 3)),
    "base_rate": ((0, 3), (0, 1, 2, 3)),
}
# Each metric row names its interval method in a few words (tables print it in every row); the section's method
# record and docs/checks.md give the full description (audits.intervals: WILSON, MOVER_SUM, F1_JACCARD, DELONG, BCA).
ROW_WILSON = "Wilson score"
ROW_MOVER = "MOVER on Wilson parts"
ROW_F1 = "Wilson on Jaccard, mapped to F1"
ROW_DELONG = "DeLong, logit scale"
COUNT_METHODS = {"balanced_accuracy": ROW_MOVER, "f1": ROW_F1, **{m: ROW_WILSON for m in WILSON_RATES}}


def binary_metrics_from_counts(tp: Any, fp: Any, tn: Any, fn: Any) -> dict[str, np.ndarray]:
    """Count-based binary metrics; NaN where a denominator is zero. Works elementwise on arrays."""
    tp, fp, tn, fn = (np.asarray(v, dtype=float) for v in (tp, fp, tn, fn))
    n = tp + fp + tn + fn
    recall = safe_div(tp, tp + fn)
    tnr = safe_div(tn, tn + fp)
    precision = safe_div(tp, tp + fp)
    return {
        "accuracy": safe_div(tp + tn, n),
        "balanced_accuracy": (recall + tnr) / 2,
        "precision": precision,
        "recall": recall,
        "specificity": tnr,
        "f1": safe_div(2 * tp, 2 * tp + fp + fn),
        "selection_rate": safe_div(tp + fp, n),
        "base_rate": safe_div(tp + fn, n),
    }


_UNDEFINED_REASON = {
    "precision": "no row was predicted positive",
    "recall": "no positive label in the data",
    "specificity": "no negative label in the data",
    "balanced_accuracy": "one of the classes is absent",
    "f1": "no positive label and no positive prediction",
    "roc_auc": "the labels hold a single class",
}


def _interval_row(
    name: str, value: float, lo: float | None, hi: float | None, method: str, n: int
) -> dict[str, Any]:
    v = value_or_none(value)
    return {
        "metric": name,
        "value": v,
        "ci_low": value_or_none(lo) if v is not None else None,
        "ci_high": value_or_none(hi) if v is not None else None,
        "n": n,
        "method": method,
        "note": "" if v is not None else f"undefined: {_UNDEFINED_REASON.get(name, 'zero denominator')}",
    }


def _row_bootstrap(
    fn: Callable[[np.ndarray], float], n: int, *, rng: np.random.Generator, cap: int, n_boot: int
) -> np.ndarray:
    """Row bootstrap of ``fn``; above ``cap`` rows each resample draws ``cap`` rows and its deviation from the
    full-data estimate is shrunk by sqrt(cap / n), so the interval keeps the width of an n-row bootstrap."""
    size = min(n, cap)
    out = np.empty(n_boot)
    for b in range(n_boot):
        idx = rng.integers(0, n, size=size)
        out[b] = fn(idx)
    if size < n:
        point = fn(np.arange(n))
        out = point + (out - point) * np.sqrt(size / n)
    return out


def _cell_sums(
    cell: np.ndarray, n_cells: int, weights: np.ndarray | None, n_boot: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Row counts, point sums (weighted when ``weights``) and (n_boot, n_cells) resampled sums per cell.

    Unweighted, a multinomial draw of the cell counts is exactly a row bootstrap. Weighted, the weight sum of the
    rows drawn from a cell is approximated by a normal with the cell's weight mean and variance (the first two
    moments of the weighted row bootstrap).
    """
    counts = np.bincount(cell, minlength=n_cells)
    if weights is None:
        return counts, counts.astype(float), multinomial_counts(counts, n_boot, rng).astype(float)
    w = np.asarray(weights, dtype=float)
    sums = np.bincount(cell, weights=w, minlength=n_cells)
    mean = safe_div(sums, counts)
    var = safe_div(np.bincount(cell, weights=w * w, minlength=n_cells), counts) - mean**2
    moments = np.stack([np.nan_to_num(mean), np.sqrt(np.clip(np.nan_to_num(var), 0, None))], axis=-1)
    boot = count_bootstrap(counts[None, :], n_boot, rng, weight_moments=moments[None])[:, 0, :]
    return counts, sums, boot


def _weighted_mean(values: np.ndarray, weights: np.ndarray | None, idx: np.ndarray) -> float:
    if weights is None:
        return float(values[idx].mean())
    w = weights[idx]
    total = w.sum()
    return float((values[idx] * w).sum() / total) if total > 0 else float("nan")


def _weighted_auc(y: np.ndarray, s: np.ndarray, w: np.ndarray | None) -> float:
    if w is None:
        return rank_auc(y, s)
    from sklearn.metrics import roc_auc_score

    if y.all() or not y.any():
        return float("nan")
    return float(roc_auc_score(y, s, sample_weight=w))


@dataclass(frozen=True)
class Numbers:
    """What the computation found: metric rows, the confusion counts, tables and extra figures."""

    rows: list[dict[str, Any]]
    confusion: dict[str, Any]
    tables: list[Table]
    extra: dict[str, Any]


def _row_method(sp: Sampling, n: int, weighted: bool) -> str:
    if not sp.resampling:
        return NO_RESAMPLES
    capped = ", rescaled to n" if n > sp.row_cap else ""
    method = f"BCa, {sp.row_resamples:,} resamples of {min(n, sp.row_cap):,} rows{capped}, {sp.confidence_level:.0%}"
    return "weighted " + method if weighted else method


def _closed_form(name: str, sums: np.ndarray, squares: np.ndarray, level: float) -> tuple[float, float]:
    """Closed-form interval of a binary count metric: Wilson (rates), MOVER (balanced accuracy) or the Jaccard
    map (F1). ``sums`` and ``squares`` are the cells' (weighted) sums and sums of squared weights: weighted rates
    use the Kish effective size of their denominator rows."""

    def rate(num: tuple[int, ...], den: tuple[int, ...]) -> tuple[float, float]:
        d = float(sums[list(den)].sum())
        return (float(sums[list(num)].sum()) / d if d > 0 else float("nan")), float(
            kish_n(d, squares[list(den)].sum())
        )

    if name in WILSON_RATES:
        lo, hi = wilson(*rate(*WILSON_RATES[name]), level)
    elif name == "balanced_accuracy":
        _, lo, hi = mover_mean([rate(*WILSON_RATES["recall"]), rate(*WILSON_RATES["specificity"])], level)
    else:  # f1: rows positive in the label or the prediction are tp, fp and fn
        _, n_eff = rate((0,), (0, 1, 3))
        _, lo, hi = f1_interval(sums[0], sums[1] + sums[3], n_eff, level)
    return float(lo), float(hi)


def binary_count_rows_from_cells(
    counts: np.ndarray,
    sums: np.ndarray | None,
    squares: np.ndarray | None,
    sp: Sampling,
) -> tuple[list[dict[str, Any]], dict[str, int]]:
    """Count-metric rows from the cells tp, fp, tn, fn: row counts, and (weighted) sums and sums of squared
    weights (None when unweighted). The engine seam: an engine that aggregates the cells elsewhere (Spark) gets
    the same rows and intervals as :func:`_binary_count_rows`. Every interval is closed form."""
    counts = np.asarray(counts, dtype=np.int64)
    sums_f = counts.astype(float) if sums is None else np.asarray(sums, dtype=float)
    squares_f = sums_f if squares is None else np.asarray(squares, dtype=float)
    n = int(counts.sum())
    point = binary_metrics_from_counts(*sums_f)
    rows = []
    for name in BINARY_COUNT_METRICS:
        lo, hi = _closed_form(name, sums_f, squares_f, sp.confidence_level)
        method = COUNT_METHODS[name] + (", weighted (Kish effective n)" if sums is not None else "")
        rows.append(_interval_row(name, float(point[name]), lo, hi, method, n))
    tp, fp, tn, fn = (int(c) for c in counts)
    return rows, {"tp": tp, "fp": fp, "tn": tn, "fn": fn}


def _binary_count_rows(ctx: AuditContext, sp: Sampling) -> tuple[list[dict[str, Any]], dict[str, int]]:
    yt, yp = ctx.y_true.astype(bool), ctx.y_pred.astype(bool)
    wts = ctx.sample_weight
    # cells in the order tp, fp, tn, fn
    cell = np.where(yt, np.where(yp, 0, 3), np.where(yp, 1, 2))
    counts = np.bincount(cell, minlength=4)
    if wts is None:
        return binary_count_rows_from_cells(counts, None, None, sp)
    w = np.asarray(wts, dtype=float)
    sums = np.bincount(cell, weights=w, minlength=4)
    return binary_count_rows_from_cells(counts, sums, np.bincount(cell, weights=w * w, minlength=4), sp)


def mean_loo(values: np.ndarray, weights: np.ndarray | None) -> np.ndarray:
    """Leave-one-out (weighted) means of ``values``, in closed form (the jackknife of a mean)."""
    v = np.asarray(values, dtype=float)
    w = np.ones(len(v)) if weights is None else np.asarray(weights, dtype=float)
    with np.errstate(all="ignore"):
        return (np.sum(w * v) - w * v) / (np.sum(w) - w)


def bca_row(
    name: str,
    fn: Callable[[np.ndarray], float],
    loo: np.ndarray,
    n: int,
    sp: Sampling,
    rng: np.random.Generator,
    method: str,
) -> dict[str, Any]:
    """A metric row with its BCa interval: ``fn`` of row indices, ``loo`` its leave-one-out values."""
    point = fn(np.arange(n))
    if not sp.resampling:
        return _interval_row(name, point, None, None, NO_RESAMPLES, n)
    boot = _row_bootstrap(fn, n, rng=rng, cap=sp.row_cap, n_boot=sp.row_resamples)
    lo, hi = bca_interval(boot, point, jackknife_acceleration(loo)[0], sp.confidence_level)
    return _interval_row(name, point, float(lo), float(hi), method, n)


def auc_row(y: np.ndarray, score: np.ndarray, weights: np.ndarray | None, level: float) -> dict[str, Any]:
    """ROC AUC with its DeLong (logit) interval, from exact tie levels of the scores."""
    order = np.argsort(score, kind="stable")
    w = None if weights is None else np.asarray(weights, dtype=float)[order]
    auc, lo, hi, _ = delong_auc_sorted(np.asarray(score)[order], np.asarray(y, dtype=float)[order], w, level)
    method = ROW_DELONG + ("" if weights is None else ", weighted (Kish effective n)")
    return _interval_row("roc_auc", auc, lo, hi, method, len(order))


def _score_rows(ctx: AuditContext, sp: Sampling, rng: np.random.Generator) -> list[dict[str, Any]]:
    """ROC AUC (DeLong interval), log loss and Brier score (BCa intervals)."""
    yt = ctx.y_true.astype(bool)
    wts = ctx.sample_weight
    s = np.asarray(ctx.y_score, dtype=float)
    n = len(yt)
    method = _row_method(sp, n, wts is not None)
    rows = [auc_row(yt, s, wts, sp.confidence_level)]
    eps = 1e-15
    for name, per_row in (
        ("log_loss", -(yt * np.log(np.clip(s, eps, 1)) + (~yt) * np.log(np.clip(1 - s, eps, 1)))),
        ("brier_score", (s - yt) ** 2),
    ):
        rows.append(
            bca_row(
                name,
                lambda i, v=per_row: _weighted_mean(v, wts, i),
                mean_loo(per_row, wts),
                n,
                sp,
                rng,
                method,
            )
        )
    return rows


def _calibration(ctx: AuditContext) -> tuple[Table, float]:
    """Equal-width calibration table and the expected calibration error."""
    yt = ctx.y_true.astype(bool)
    s = np.asarray(ctx.y_score, dtype=float)
    # Exact decimal edges, closed on the left: a score of 0.3 lands in 0.3–0.4 (linspace's 0.30000000000000004
    # would put it in the bin below); the same rule as the fairness section's calibration by group.
    edges = decimal_grid(CALIBRATION_BINS + 1)
    idx = np.clip(np.searchsorted(edges, s, side="right") - 1, 0, CALIBRATION_BINS - 1)
    counts = np.bincount(idx, minlength=CALIBRATION_BINS)
    mean_score = safe_div(np.bincount(idx, weights=s, minlength=CALIBRATION_BINS), counts)
    observed = safe_div(np.bincount(idx, weights=yt.astype(float), minlength=CALIBRATION_BINS), counts)
    table = Table(
        title="Calibration",
        data={
            "bin": [f"{edges[i]:.1f}–{edges[i + 1]:.1f}" for i in range(CALIBRATION_BINS)],
            "rows": counts.tolist(),
            "mean_score": mean_score.tolist(),
            "observed_rate": observed.tolist(),
        },
        note="Equal-width score bins with exact decimal edges, closed on the left (0.3 lands in 0.3–0.4; 1.0 in the "
        "last bin); observed rate is the share of positive labels. Empty bins are undefined.",
    )
    w = counts / max(len(yt), 1)
    ece = float(np.nansum(w * np.abs(np.nan_to_num(mean_score) - np.nan_to_num(observed))))
    return table, ece


def confusion_table(confusion: Mapping[str, int], positive_label: Any, n_rows: int) -> Table:
    """The binary confusion matrix as the result shows it (every engine)."""
    return Table(
        title="Confusion matrix",
        data={
            "actual": [f"{positive_label} (positive)", "other (negative)"],
            f"predicted {positive_label}": [confusion["tp"], confusion["fp"]],
            "predicted other": [confusion["fn"], confusion["tn"]],
        },
        note=f"{n_rows:,} rows; positive class {positive_label!r}.",
    )


def _binary(ctx: AuditContext, sp: Sampling, rng: np.random.Generator) -> Numbers:
    rows, confusion = _binary_count_rows(ctx, sp)
    tables = [confusion_table(confusion, ctx.positive_label, ctx.n_rows)]
    extra: dict[str, Any] = {}
    if ctx.y_score is not None:
        rows += _score_rows(ctx, sp, rng)
        table, extra["expected_calibration_error"] = _calibration(ctx)
        tables.append(table)
    return Numbers(rows, confusion, tables, extra)


def _multiclass_metrics(c: np.ndarray) -> dict[str, np.ndarray]:
    """Count-based multiclass metrics of (..., k, k) confusion counts (rows: actual, columns: predicted)."""
    diag = np.diagonal(c, axis1=-2, axis2=-1).astype(float)
    actual = c.sum(axis=-1).astype(float)
    predicted = c.sum(axis=-2).astype(float)
    total = c.sum(axis=(-2, -1)).astype(float)
    recall = safe_div(diag, actual)
    precision = safe_div(diag, predicted)
    f1 = safe_div(2 * diag, actual + predicted)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        return {
            "accuracy": safe_div(diag.sum(axis=-1), total),
            "balanced_accuracy": np.nanmean(recall, axis=-1),
            "macro_precision": np.nanmean(precision, axis=-1),
            "macro_recall": np.nanmean(recall, axis=-1),
            "macro_f1": np.nanmean(f1, axis=-1),
        }


def _class_parts(
    diag: np.ndarray, totals: np.ndarray, sq_totals: np.ndarray, ok: np.ndarray
) -> list[tuple[float, float]]:
    """(rate, Kish effective size) of each defined per-class rate: the parts of a MOVER mean."""
    return [(float(diag[j] / totals[j]), float(kish_n(totals[j], sq_totals[j]))) for j in np.flatnonzero(ok)]


def _macro_f1_interval(
    sums: np.ndarray, counts: np.ndarray, boot: np.ndarray, point: float, level: float
) -> tuple[float, float]:
    """BCa interval of macro F1 from the resampled confusion cells; the jackknife removes one row of each cell
    (its mean weight when weighted), each value standing for the cell's rows."""
    k = sums.shape[0]
    flat, c = sums.ravel(), counts.ravel()
    loo = np.full(k * k, np.nan)
    for cell in np.flatnonzero(c):
        left = flat.copy()
        left[cell] -= flat[cell] / c[cell]
        loo[cell] = float(_multiclass_metrics(left.reshape(k, k))["macro_f1"])
    a = jackknife_acceleration(loo, multiplicity=c)[0]
    lo, hi = bca_interval(boot, point, a, level)
    return float(lo), float(hi)


def _multiclass(ctx: AuditContext, sp: Sampling, rng: np.random.Generator) -> Numbers:
    k = len(ctx.classes)
    yt, yp = np.asarray(ctx.y_true), np.asarray(ctx.y_pred)
    cell = yt * k + yp
    counts, sums, flat_boot = _cell_sums(cell, k * k, ctx.sample_weight, sp.n_bootstrap, rng)
    cm = counts.reshape(k, k)
    n = int(cm.sum())
    point = _multiclass_metrics(sums.reshape(k, k))
    w = np.ones(n) if ctx.sample_weight is None else np.asarray(ctx.sample_weight, dtype=float)
    sq = np.bincount(cell, weights=w * w, minlength=k * k).reshape(k, k)
    s2 = sums.reshape(k, k)
    diag = np.diagonal(s2)
    actual, predicted = s2.sum(axis=1), s2.sum(axis=0)
    level = sp.confidence_level
    # Recalls are rates over disjoint rows (by actual class), precisions too (by predicted class): independent
    # parts, so their mean takes the MOVER interval of their Wilson intervals.
    recall_parts = _class_parts(diag, actual, sq.sum(axis=1), actual > 0)
    precision_parts = _class_parts(diag, predicted, sq.sum(axis=0), predicted > 0)
    rows = []
    for name in point:
        value = float(point[name])
        if name == "accuracy":
            lo, hi = wilson(value, kish_n(w.sum(), (w * w).sum()), level)
            rows.append(_interval_row(name, value, float(lo), float(hi), ROW_WILSON, n))
        elif name in ("balanced_accuracy", "macro_recall", "macro_precision"):
            parts = precision_parts if name == "macro_precision" else recall_parts
            _, lo, hi = mover_mean(parts, level) if parts else (None, np.nan, np.nan)
            rows.append(_interval_row(name, value, float(lo), float(hi), ROW_MOVER, n))
        elif sp.resampling:  # macro F1: no closed form (the classes' F1 share rows)
            boot = _multiclass_metrics(flat_boot.reshape(sp.n_bootstrap, k, k))["macro_f1"]
            lo, hi = _macro_f1_interval(s2, cm, boot, value, level)
            rows.append(_interval_row(name, value, lo, hi, f"BCa, {sp.n_bootstrap:,} count resamples", n))
        else:
            rows.append(_interval_row(name, value, None, None, NO_RESAMPLES, n))
    if ctx.y_score is not None:
        loss = -np.log(np.clip(np.asarray(ctx.y_score)[np.arange(n), yt], 1e-15, 1))
        rows.append(
            bca_row(
                "log_loss",
                lambda i: _weighted_mean(loss, ctx.sample_weight, i),
                mean_loo(loss, ctx.sample_weight),
                n,
                sp,
                rng,
                _row_method(sp, n, ctx.sample_weight is not None),
            )
        )
    labels = [str(c) for c in ctx.classes]
    data: dict[str, list] = {"actual \\ predicted": labels}
    for j, lab in enumerate(labels):
        data[lab] = cm[:, j].tolist()
    table = Table(title="Confusion matrix", data=data, note=f"{n:,} rows.")
    return Numbers(rows, {"matrix": cm.tolist(), "labels": labels}, [table], {})


def r2_loo(yt: np.ndarray, err: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Leave-one-out R² of every row in closed form: 1 − MSE / (population) variance of the target."""
    with np.errstate(all="ignore"):
        rest = np.sum(w) - w
        mse = (np.sum(w * err**2) - w * err**2) / rest
        mean = (np.sum(w * yt) - w * yt) / rest
        var = (np.sum(w * yt**2) - w * yt**2) / rest - mean**2
        return np.where(var > 0, 1 - mse / var, np.nan)


def _regression(ctx: AuditContext, sp: Sampling, rng: np.random.Generator) -> Numbers:
    yt, yp = np.asarray(ctx.y_true, float), np.asarray(ctx.y_pred, float)
    n = len(yt)
    err = yp - yt
    wts = ctx.sample_weight
    w = np.ones(n) if wts is None else np.asarray(wts, dtype=float)
    method = _row_method(sp, n, wts is not None)

    def wmean(v: np.ndarray, i: np.ndarray) -> float:
        return _weighted_mean(v, wts, i)

    def r2(i: np.ndarray) -> float:
        ss_tot = wmean((yt - wmean(yt, i)) ** 2, i)
        return float(1 - wmean(err**2, i) / ss_tot) if ss_tot > 0 else float("nan")

    # (metric, function of row indices, leave-one-out values for the BCa acceleration)
    fns = (
        ("mae", lambda i: wmean(np.abs(err), i), mean_loo(np.abs(err), wts)),
        # BCa is transformation-respecting: RMSE's interval is the square root of MSE's
        ("rmse", lambda i: float(np.sqrt(wmean(err**2, i))), np.sqrt(mean_loo(err**2, wts))),
        ("r2", r2, r2_loo(yt, err, w)),
        ("mean_prediction", lambda i: wmean(yp, i), mean_loo(yp, wts)),
        ("mean_target", lambda i: wmean(yt, i), mean_loo(yt, wts)),
    )
    rows = [bca_row(name, fn, loo, n, sp, rng, method) for name, fn, loo in fns]
    return Numbers(rows, {}, [], {})


def compute_performance(ctx: AuditContext) -> Numbers:
    """Every metric of the task with its interval (the seeded draws happen here, in a fixed order)."""
    compute = {"binary": _binary, "multiclass": _multiclass, "regression": _regression}[ctx.task]
    return compute(ctx, ctx.sampling, np.random.default_rng(ctx.sampling.seed))


def _binary_verdict(
    ctx: AuditContext, values: dict[str, dict[str, Any]]
) -> tuple[Status, list[str], list[Finding]]:
    """Accuracy against the majority-class baseline and a check that the scores are not inverted."""
    level = ctx.sampling.confidence_level
    status, summary, findings = Status.PASS, [], []
    acc_row = values["accuracy"]
    acc = acc_row["value"]
    # the (weighted) share of positive labels, from the counts: an engine without rows gets the same baseline
    pos_share = values["base_rate"]["value"]
    majority = max(pos_share, 1 - pos_share)
    summary.append(
        f"Accuracy {format_estimate(acc, acc_row['ci_low'], acc_row['ci_high'], level, no_interval=NO_RESAMPLES)} "
        f"on {ctx.n_rows:,} rows; always predicting the majority class would score {majority:.3f}."
    )
    auc = values.get("roc_auc", {})
    if auc.get("value") is not None:
        summary.append(f"ROC AUC {auc['value']:.3f}.")
        if auc["ci_high"] is not None and auc["ci_high"] < 0.5:
            status = Status.WARN
            findings.append(
                Finding(
                    code="PERF_SCORE_INVERTED",
                    severity=Severity.WARN,
                    subject="roc_auc",
                    message=(
                        f"ROC AUC {format_estimate(auc['value'], auc['ci_low'], auc['ci_high'], level)} is below "
                        "0.5: the scores rank negatives above positives. Check that the score is the probability "
                        f"of the positive class {ctx.positive_label!r}, not of the other class."
                    ),
                    evidence={"roc_auc": auc["value"], "ci_high": auc["ci_high"]},
                )
            )
    if acc is not None and acc <= majority:
        status = Status.WARN
        findings.append(
            Finding(
                code="PERF_BELOW_BASELINE",
                severity=Severity.WARN,
                message=f"Accuracy {acc:.3f} is no better than always predicting the majority class ({majority:.3f}).",
                evidence={"accuracy": acc, "majority_rate": majority},
            )
        )
    return status, summary, findings


def _verdict(ctx: AuditContext, rows: list[dict[str, Any]]) -> tuple[Status, list[str], list[Finding]]:
    values = {r["metric"]: r for r in rows}
    if ctx.task == "binary":
        status, summary, findings = _binary_verdict(ctx, values)
    elif ctx.task == "multiclass":
        status, findings = Status.PASS, []
        summary = [
            f"Accuracy {values['accuracy']['value']:.3f}, balanced accuracy {values['balanced_accuracy']['value']:.3f} over {len(ctx.classes)} classes."
        ]
    else:
        status, findings = Status.PASS, []
        summary = [
            f"MAE {values['mae']['value']:.4g}, RMSE {values['rmse']['value']:.4g}, R² {values['r2']['value']:.3f}."
        ]
    if ctx.sample_weight is not None:
        summary.append(
            f"Weighted by column '{ctx.config.sample_weight_column}' (row counts in the confusion matrix are unweighted)."
        )
    for r in rows:
        if r["value"] is None:
            findings.append(
                Finding(
                    code="PERF_UNDEFINED",
                    severity=Severity.INFO,
                    subject=r["metric"],
                    message=f"{r['metric']} is undefined: {r['note'].removeprefix('undefined: ')}.",
                )
            )
    return status, summary, findings


def method_record(ctx: AuditContext) -> Method:
    """The section's :class:`~audits.method.Method`: closed-form intervals for counts and ROC AUC, BCa row
    bootstraps (capped) for the rest."""
    sp = ctx.sampling
    return Method(
        interval="Wilson score (rates), MOVER (means of rates), Jaccard–Wilson (F1), DeLong logit (ROC AUC), "
        "BCa bootstrap (means of per-row losses and errors, RMSE, R², macro F1)"
        if sp.resampling
        else "closed form where one exists (Wilson, MOVER, Jaccard–Wilson, DeLong), else none",
        confidence_level=sp.confidence_level,
        resamples=sp.n_bootstrap,
        seed=sp.seed,
        rows=ctx.n_rows,
        sample_caps={"row_cap": sp.row_cap, "row_resamples": sp.row_resamples},
    )


def assemble_performance(ctx: AuditContext, numbers: Numbers) -> SectionResult:
    """The section result of computed numbers: tables, verdict, sentences and the method."""
    sp = ctx.sampling
    rows = numbers.rows
    metric_table = Table(
        title="Overall performance",
        data={
            k: [r[k] for r in rows] for k in ("metric", "value", "ci_low", "ci_high", "n", "method", "note")
        },
        note=f"{ctx.n_rows:,} rows; predictions from the {ctx.prediction_source}; seed {ctx.seed}.",
    )
    status, summary, findings = _verdict(ctx, rows)
    return SectionResult(
        name=NAME,
        title=TITLE,
        status=status,
        summary=tuple(summary),
        findings=tuple(findings),
        tables={
            "overall": metric_table,
            **{
                ("confusion" if t.title.startswith("Confusion") else "calibration"): t for t in numbers.tables
            },
        },
        metrics={
            "overall": {r["metric"]: r for r in rows},
            **({"confusion": numbers.confusion} if numbers.confusion else {}),
            "task": ctx.task,
            **numbers.extra,
            METHOD_KEY: method_record(ctx).to_dict(),
        },
        method={
            "confidence_level": sp.confidence_level,
            "n_bootstrap": sp.n_bootstrap,
            "row_bootstrap_resamples": sp.row_resamples,
            "row_cap": sp.row_cap,
            "seed": ctx.seed,
            "rows": ctx.n_rows,
            "threshold": ctx.threshold,
            "weights": f"weighted by column '{ctx.config.sample_weight_column}'"
            if ctx.sample_weight is not None
            else "no sample weights",
        },
    )


def run_performance(
    ctx: AuditContext, *, prior: Mapping[str, SectionResult], progress: Callable[[float, str], None]
) -> SectionResult:
    """Overall model quality with bootstrap intervals (closed-form ones where they exist when
    ``n_bootstrap: 0``)."""
    result = assemble_performance(ctx, compute_performance(ctx))
    progress(0.8, "error analysis and ROC / PR curves")
    from audits.error_analysis import extend_performance  # cohorts where errors concentrate (issue 15)

    result = extend_performance(ctx, result)
    progress(1.0, "done")
    return result
