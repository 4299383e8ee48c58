"""Model performance overall: the yardstick for fairness gaps and the model card.

Count-based metrics (accuracy, precision, recall, ...) get bootstrap intervals by resampling the confusion
counts (a multinomial draw, exactly a row bootstrap for these metrics); ROC AUC, log loss and regression errors
resample rows, capped at ``policy.bootstrap_row_cap`` rows per resample (stated in the result).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from audits.context import AuditContext
from audits.results import Finding, SectionResult, Severity, Status, Table
from audits.stats import (
    count_bootstrap,
    multinomial_counts,
    percentile_interval,
    rank_auc,
    safe_div,
    value_or_none,
)

NAME = "performance"
TITLE = "Model performance"
ROW_BOOTSTRAP_RESAMPLES = 200
CALIBRATION_BINS = 10


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


def _binary(
    ctx: AuditContext, level: float, n_boot: int, rng: np.random.Generator
) -> tuple[list[dict], dict, list[Table], dict]:
    yt, yp = ctx.y_true.astype(bool), ctx.y_pred.astype(bool)
    wts = ctx.sample_weight
    # cells in the order tp, fp, tn, fn
    cell = np.where(yt, np.where(yp, 0, 3), np.where(yp, 1, 2))
    counts, sums, boot = _cell_sums(cell, 4, wts, n_boot, rng)
    tp, fp, tn, fn = (int(c) for c in counts)
    n = len(yt)
    point = binary_metrics_from_counts(*sums)
    bm = binary_metrics_from_counts(boot[:, 0], boot[:, 1], boot[:, 2], boot[:, 3])
    rows = []
    count_method = (
        f"bootstrap of confusion counts ({n_boot} multinomial resamples, {level:.0%} percentile interval)"
        if wts is None
        else f"weighted: bootstrap of confusion-cell weight sums ({n_boot} multinomial resamples with a normal "
        f"approximation of each cell's resampled weight sum, {level:.0%} percentile interval)"
    )
    for name in (
        "accuracy",
        "balanced_accuracy",
        "precision",
        "recall",
        "specificity",
        "f1",
        "selection_rate",
        "base_rate",
    ):
        lo, hi = percentile_interval(bm[name], level)
        rows.append(_interval_row(name, float(point[name]), lo, hi, count_method, n))
    extra: dict[str, Any] = {}
    tables = [
        Table(
            title="Confusion matrix",
            data={
                "actual": [f"{ctx.positive_label} (positive)", "other (negative)"],
                f"predicted {ctx.positive_label}": [tp, fp],
                "predicted other": [fn, tn],
            },
            note=f"{n:,} rows; positive class {ctx.positive_label!r}.",
        )
    ]
    if ctx.y_score is not None:
        s = np.asarray(ctx.y_score, dtype=float)
        cap = ctx.policy.bootstrap_row_cap
        nb = min(n_boot, ROW_BOOTSTRAP_RESAMPLES)
        row_method = f"row bootstrap ({nb} resamples of {min(n, cap):,} rows{' (capped, deviations rescaled to n rows)' if n > cap else ''}, {level:.0%} percentile interval)"
        if wts is not None:
            row_method = "weighted " + row_method
        w_or_none = (lambda i: None) if wts is None else (lambda i: wts[i])
        auc = _weighted_auc(yt, s, wts)
        auc_boot = _row_bootstrap(
            lambda i: _weighted_auc(yt[i], s[i], w_or_none(i)), n, rng=rng, cap=cap, n_boot=nb
        )
        lo, hi = percentile_interval(auc_boot, level)
        rows.append(_interval_row("roc_auc", auc, lo, hi, row_method, n))
        eps = 1e-15
        all_rows = np.arange(n)
        for name, per_row in (
            ("log_loss", -(yt * np.log(np.clip(s, eps, 1)) + (~yt) * np.log(np.clip(1 - s, eps, 1)))),
            ("brier_score", (s - yt) ** 2),
        ):
            boot_rows = _row_bootstrap(
                lambda i, v=per_row: _weighted_mean(v, wts, i), n, rng=rng, cap=cap, n_boot=nb
            )
            lo, hi = percentile_interval(boot_rows, level)
            rows.append(_interval_row(name, _weighted_mean(per_row, wts, all_rows), lo, hi, row_method, n))
        edges = np.linspace(0, 1, CALIBRATION_BINS + 1)
        idx = np.clip(np.digitize(s, edges[1:-1], right=False), 0, CALIBRATION_BINS - 1)
        counts = np.bincount(idx, minlength=CALIBRATION_BINS)
        mean_score = safe_div(np.bincount(idx, weights=s, minlength=CALIBRATION_BINS), counts)
        observed = safe_div(np.bincount(idx, weights=yt.astype(float), minlength=CALIBRATION_BINS), counts)
        tables.append(
            Table(
                title="Calibration",
                data={
                    "bin": [f"{edges[i]:.1f}–{edges[i + 1]:.1f}" for i in range(CALIBRATION_BINS)],
                    "rows": counts.tolist(),
                    "mean_score": mean_score.tolist(),
                    "observed_rate": observed.tolist(),
                },
                note="Equal-width score bins; observed rate is the share of positive labels. Empty bins are undefined.",
            )
        )
        w = counts / max(n, 1)
        extra["expected_calibration_error"] = float(
            np.nansum(w * np.abs(np.nan_to_num(mean_score) - np.nan_to_num(observed)))
        )
    confusion = {"tp": tp, "fp": fp, "tn": tn, "fn": fn}
    return rows, confusion, tables, extra


def _multiclass(
    ctx: AuditContext, level: float, n_boot: int, rng: np.random.Generator
) -> tuple[list[dict], dict, list[Table], dict]:
    k = len(ctx.classes)
    counts, sums, flat_boot = _cell_sums(
        np.asarray(ctx.y_true) * k + np.asarray(ctx.y_pred), k * k, ctx.sample_weight, n_boot, rng
    )
    cm = counts.reshape(k, k)
    n = int(cm.sum())

    def metrics(c: np.ndarray) -> dict[str, np.ndarray]:
        # c: (..., k, k) counts
        diag = np.diagonal(c, axis1=-2, axis2=-1).astype(float)
        actual = c.sum(axis=-1).astype(float)
        predicted = c.sum(axis=-2).astype(float)
        total = c.sum(axis=(-2, -1)).astype(float)
        recall = safe_div(diag, actual)
        precision = safe_div(diag, predicted)
        f1 = safe_div(2 * diag, actual + predicted)
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            return {
                "accuracy": safe_div(diag.sum(axis=-1), total),
                "balanced_accuracy": np.nanmean(recall, axis=-1),
                "macro_precision": np.nanmean(precision, axis=-1),
                "macro_recall": np.nanmean(recall, axis=-1),
                "macro_f1": np.nanmean(f1, axis=-1),
            }

    point = metrics(sums.reshape(k, k))
    bm = metrics(flat_boot.reshape(n_boot, k, k))
    method = (
        f"bootstrap of confusion counts ({n_boot} multinomial resamples, {level:.0%} percentile interval)"
        if ctx.sample_weight is None
        else f"weighted: bootstrap of confusion-cell weight sums ({n_boot} resamples, normal approximation of "
        f"each cell's resampled weight sum, {level:.0%} percentile interval)"
    )
    rows = []
    for name in point:
        lo, hi = percentile_interval(bm[name], level)
        rows.append(_interval_row(name, float(point[name]), lo, hi, method, n))
    if ctx.y_score is not None:
        p = np.clip(np.asarray(ctx.y_score)[np.arange(n), ctx.y_true], 1e-15, 1)
        ll = _weighted_mean(-np.log(p), ctx.sample_weight, np.arange(n))
        rows.append(_interval_row("log_loss", ll, None, None, "point estimate", n))
    labels = [str(c) for c in ctx.classes]
    data: dict[str, list] = {"actual \\ predicted": labels}
    for j, lab in enumerate(labels):
        data[lab] = cm[:, j].tolist()
    return (
        rows,
        {"matrix": cm.tolist(), "labels": labels},
        [Table(title="Confusion matrix", data=data, note=f"{n:,} rows.")],
        {},
    )


def _regression(
    ctx: AuditContext, level: float, n_boot: int, rng: np.random.Generator
) -> tuple[list[dict], dict, list[Table], dict]:
    yt, yp = np.asarray(ctx.y_true, float), np.asarray(ctx.y_pred, float)
    n = len(yt)
    err = yp - yt
    cap = ctx.policy.bootstrap_row_cap
    nb = min(n_boot, ROW_BOOTSTRAP_RESAMPLES)
    method = f"row bootstrap ({nb} resamples of {min(n, cap):,} rows{' (capped, deviations rescaled to n rows)' if n > cap else ''}, {level:.0%} percentile interval)"

    wts = ctx.sample_weight
    if wts is not None:
        method = "weighted " + method

    def wmean(v: np.ndarray, i: np.ndarray) -> float:
        return _weighted_mean(v, wts, i)

    def r2(i: np.ndarray) -> float:
        ss_tot = wmean((yt - wmean(yt, i)) ** 2, i)
        return float(1 - wmean(err**2, i) / ss_tot) if ss_tot > 0 else float("nan")

    fns = {
        "mae": lambda i: wmean(np.abs(err), i),
        "rmse": lambda i: float(np.sqrt(wmean(err**2, i))),
        "r2": r2,
        "mean_prediction": lambda i: wmean(yp, i),
        "mean_target": lambda i: wmean(yt, i),
    }
    all_idx = np.arange(n)
    rows = []
    for name, fn in fns.items():
        boot = _row_bootstrap(fn, n, rng=rng, cap=cap, n_boot=nb)
        lo, hi = percentile_interval(boot, level)
        rows.append(_interval_row(name, fn(all_idx), lo, hi, method, n))
    return rows, {}, [], {}


def run_performance(
    ctx: AuditContext, *, prior: Mapping[str, SectionResult], progress: Callable[[float, str], None]
) -> SectionResult:
    """Overall model quality with bootstrap intervals."""
    level = ctx.policy.confidence_level
    n_boot = max(int(ctx.policy.n_bootstrap), 1)
    rng = np.random.default_rng(ctx.seed)
    compute = {"binary": _binary, "multiclass": _multiclass, "regression": _regression}[ctx.task]
    rows, confusion, tables, extra = compute(ctx, level, n_boot, rng)
    metric_table = Table(
        title="Overall performance",
        data={
            k: [r[k] for r in rows] for k in ("metric", "value", "ci_low", "ci_high", "n", "method", "note")
        },
        note=f"{ctx.n_rows:,} rows; predictions from the {ctx.prediction_source}; seed {ctx.seed}.",
    )
    values = {r["metric"]: r for r in rows}
    findings: list[Finding] = []
    summary: list[str] = []
    status = Status.PASS
    if ctx.task == "binary":
        acc = values["accuracy"]["value"]
        pos_share = _weighted_mean(np.asarray(ctx.y_true, float), ctx.sample_weight, np.arange(ctx.n_rows))
        majority = max(pos_share, 1 - pos_share)
        summary.append(
            f"Accuracy {acc:.3f} (95% CI {values['accuracy']['ci_low']:.3f}–{values['accuracy']['ci_high']:.3f}) on "
            f"{ctx.n_rows:,} rows; always predicting the majority class would score {majority:.3f}."
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
                            f"ROC AUC {auc['value']:.3f} is below 0.5 (interval {auc['ci_low']:.3f}–{auc['ci_high']:.3f}): "
                            f"the scores rank negatives above positives. Check that the score is the probability of "
                            f"the positive class {ctx.positive_label!r}, not of the other class."
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
    elif ctx.task == "multiclass":
        summary.append(
            f"Accuracy {values['accuracy']['value']:.3f}, balanced accuracy {values['balanced_accuracy']['value']:.3f} over {len(ctx.classes)} classes."
        )
    else:
        summary.append(
            f"MAE {values['mae']['value']:.4g}, RMSE {values['rmse']['value']:.4g}, R² {values['r2']['value']:.3f}."
        )
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
    progress(1.0, "done")
    return SectionResult(
        name=NAME,
        title=TITLE,
        status=status,
        summary=tuple(summary),
        findings=tuple(findings),
        tables={
            "overall": metric_table,
            **{("confusion" if t.title.startswith("Confusion") else "calibration"): t for t in tables},
        },
        metrics={
            "overall": values,
            **({"confusion": confusion} if confusion else {}),
            "task": ctx.task,
            **extra,
        },
        method={
            "confidence_level": level,
            "n_bootstrap": n_boot,
            "row_bootstrap_resamples": min(n_boot, ROW_BOOTSTRAP_RESAMPLES),
            "row_cap": ctx.policy.bootstrap_row_cap,
            "seed": ctx.seed,
            "rows": ctx.n_rows,
            "threshold": ctx.threshold,
            "weights": f"weighted by column '{ctx.config.sample_weight_column}'"
            if ctx.sample_weight is not None
            else "no sample weights",
        },
    )
