"""Where the model errs most: cohorts (feature ranges and groups) with the highest error rate, and the ROC and
precision-recall curves of the performance section.

The cohorts are the leaves of a shallow decision tree fitted to "did the model err on this row" over the features
and the protected groups. Searching for the worst cohorts and measuring them on the same rows would overstate their
error rate (the search picks the rows where the errors happened to fall), so the rows are split in two halves with
the audit's seed: the tree is fitted on one half, and every number reported (rows, errors, rate and its Wilson
interval) comes from the other half only.

An error is a misclassified row (binary, multiclass) or, for regression, an absolute error above the 75th
percentile of the search half's absolute errors ("large error").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from audits.intervals import WILSON, kish_n, wilson
from audits.results import SectionResult, Table

if TYPE_CHECKING:
    from audits.context import AuditContext

MAX_DEPTH = 3
FIT_ROW_CAP = (
    200_000  # rows of the search half the tree is fitted on (a subsample costs the held-out numbers nothing)
)
MIN_LEAF_SHARE = 0.01  # a cohort holds at least 1% of the fitted rows ...
MIN_LEAF_ROWS = 30  # ... and at least this many
LARGE_ERROR_QUANTILE = 0.75
MAX_LISTED_CATEGORIES = 4
MAX_CURVE_POINTS = 201
MIN_ROWS = 40  # fewer rows give halves too small to say anything

COHORT_COLUMNS = (
    "cohort", "rows", "errors", "error_rate", "ci_low", "ci_high", "error_share", "lift", "search_rows",
)  # fmt: skip


@dataclass(frozen=True)
class _Column:
    """One input column of the tree: numeric values, or categories ordered by their search-half error rate."""

    name: str
    values: np.ndarray  # float; NaN for a missing numeric value
    categories: list[str] | None = None  # categorical: rank -> category (ranks are the values)
    has_missing: bool = False


def _errors(ctx: AuditContext, fit: np.ndarray) -> tuple[np.ndarray, str, dict[str, Any]]:
    """The per-row error indicator, its name, and how it was defined (the regression cut uses the search half)."""
    if ctx.task == "regression":
        err = np.abs(np.asarray(ctx.y_pred, dtype=float) - np.asarray(ctx.y_true, dtype=float))
        cut = float(np.quantile(err[fit], LARGE_ERROR_QUANTILE))
        definition = {
            "error": "large error",
            "rule": f"absolute error above {cut:.4g} (the {LARGE_ERROR_QUANTILE:.0%} quantile of the search half)",
            "cut": cut,
        }
        return err > cut, "large error", definition
    wrong = np.asarray(ctx.y_pred) != np.asarray(ctx.y_true)
    return (
        wrong,
        "misclassified",
        {"error": "misclassified", "rule": "predicted label differs from the label"},
    )


def _category_column(name: str, s: pd.Series, err: np.ndarray, w: np.ndarray, fit: np.ndarray) -> _Column:
    """Categories ranked by their error rate in the search half: a split on the rank then cuts the categories into
    the most- and least-erring sets (the best binary split of a category for a 0/1 target)."""
    if isinstance(s.dtype, pd.CategoricalDtype):
        codes, uniques = s.cat.codes.to_numpy(), s.cat.categories
    else:  # factorized as stored (Arrow strings stay Arrow: no million-row object copy)
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    codes = np.asarray(codes, dtype=np.int64)
    labels = [str(u) for u in uniques]
    has_missing = bool((codes < 0).any())
    if has_missing:
        codes = np.where(codes < 0, len(labels), codes)
        labels.append("missing")
    k = len(labels)
    wsum = np.bincount(codes[fit], weights=w[fit], minlength=k)
    esum = np.bincount(codes[fit], weights=w[fit] * err[fit], minlength=k)
    overall = float(esum.sum() / wsum.sum()) if wsum.sum() > 0 else 0.0
    rate = np.where(
        wsum > 0, esum / np.maximum(wsum, 1e-300), overall
    )  # unseen in the search half: the overall rate
    order = np.argsort(rate, kind="stable")
    rank = np.empty(k, dtype=float)
    rank[order] = np.arange(k)
    return _Column(name, rank[codes], [labels[i] for i in order], has_missing)


def _columns(ctx: AuditContext, err: np.ndarray, w: np.ndarray, fit: np.ndarray) -> list[_Column]:
    """The model's features, then the protected columns the model does not use (as their audited groups)."""
    cols: list[_Column] = []
    for name in ctx.features:
        s = ctx.X[name]
        if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
            v = s.to_numpy(dtype=float, na_value=np.nan)
            cols.append(_Column(name, v, None, bool(np.isnan(v).any())))
        else:
            cols.append(_category_column(name, s, err, w, fit))
    for name in ctx.protected_columns:
        if name not in ctx.features:
            cols.append(_category_column(name, ctx.sensitive[name], err, w, fit))
    return cols


def _num(x: float) -> str:
    return f"{x:.4g}"


def _condition(col: _Column, low: float, high: float, missing: bool) -> str | None:
    """One column's constraint along a path as text; None when the path does not constrain it."""
    if col.categories is not None:
        keep = [c for i, c in enumerate(col.categories) if low < i <= high]
        if len(keep) == len(col.categories):
            return None
        drop = [c for c in col.categories if c not in keep]
        listed, word = (keep, "in") if len(keep) <= len(drop) else (drop, "not in")
        names = ", ".join(listed[:MAX_LISTED_CATEGORIES])
        more = len(listed) - MAX_LISTED_CATEGORIES
        return f"{col.name} {word} {{{names}{f', +{more} more' if more > 0 else ''}}}"
    parts = []
    if np.isfinite(low) and np.isfinite(high):
        parts.append(f"{_num(low)} < {col.name} ≤ {_num(high)}")
    elif np.isfinite(low):
        parts.append(f"{col.name} > {_num(low)}")
    elif np.isfinite(high):
        parts.append(f"{col.name} ≤ {_num(high)}")
    if col.has_missing:
        if not parts:
            return None if missing else f"{col.name} not missing"
        return parts[0] + (" or missing" if missing else "")
    return parts[0] if parts else None


def _leaf_rules(tree: Any, cols: list[_Column]) -> dict[int, list[str]]:
    """Each leaf's conditions, one per constrained column (ranges merged along the path)."""
    t = tree.tree_
    missing_left = getattr(t, "missing_go_to_left", np.zeros(t.node_count, dtype=bool))
    out: dict[int, list[str]] = {}
    start = {j: (-np.inf, np.inf, True) for j in range(len(cols))}
    stack: list[tuple[int, dict[int, tuple[float, float, bool]]]] = [(0, start)]
    while stack:
        node, bounds = stack.pop()
        left, right = int(t.children_left[node]), int(t.children_right[node])
        if left < 0:
            text = [_condition(cols[j], *bounds[j]) for j in range(len(cols))]
            out[node] = [c for c in text if c]
            continue
        j, thr = int(t.feature[node]), float(t.threshold[node])
        lo, hi, miss = bounds[j]
        go_left = bool(missing_left[node])
        stack.append((left, {**bounds, j: (lo, min(hi, thr), miss and go_left)}))
        stack.append((right, {**bounds, j: (max(lo, thr), hi, miss and not go_left)}))
    return out


def _rate(err: np.ndarray, w: np.ndarray, idx: np.ndarray, level: float) -> dict[str, Any]:
    sw = float(w[idx].sum())
    rate = float((w[idx] * err[idx]).sum() / sw) if sw > 0 else float("nan")
    n_eff = float(kish_n(sw, float((w[idx] ** 2).sum())))
    lo, hi = wilson(rate, n_eff, level)
    return {
        "rows": int(len(idx)),
        "errors": int(err[idx].sum()),
        "error_rate": rate,
        "ci_low": float(lo),
        "ci_high": float(hi),
    }


def error_cohorts(
    ctx: AuditContext, *, max_depth: int = MAX_DEPTH, fit_row_cap: int = FIT_ROW_CAP
) -> dict[str, Any] | None:
    """The cohorts of a shallow tree on the search half, measured on the held-out half, worst first.

    Returns ``None`` when there are too few rows to split. The dict holds ``cohorts`` (one per leaf, with
    ``conditions``, held-out ``rows``, ``errors``, ``error_rate`` and its Wilson interval, ``error_share``,
    ``lift`` over the held-out overall rate and ``search_rows``), ``overall`` (held-out) and ``method``.
    """
    from sklearn.tree import DecisionTreeClassifier

    n = ctx.n_rows
    if n < MIN_ROWS:
        return None
    level = float(ctx.sampling.confidence_level)
    rng = np.random.default_rng(ctx.seed)
    perm = rng.permutation(n)
    fit, held = np.sort(perm[: n // 2]), np.sort(perm[n // 2 :])
    w = np.ones(n) if ctx.sample_weight is None else np.asarray(ctx.sample_weight, dtype=float)
    err_b, what, definition = _errors(ctx, fit)
    err = err_b.astype(float)
    cols = _columns(ctx, err, w, fit)
    if not cols:
        return None
    X = np.column_stack([c.values for c in cols])
    fit_rows = fit if len(fit) <= fit_row_cap else np.sort(rng.choice(fit, fit_row_cap, replace=False))
    min_leaf = max(MIN_LEAF_ROWS, int(MIN_LEAF_SHARE * len(fit_rows)))
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_leaf, random_state=ctx.seed)
    tree.fit(X[fit_rows], err_b[fit_rows], sample_weight=w[fit_rows])
    rules = _leaf_rules(tree, cols)
    leaf_fit = tree.apply(X[fit_rows])
    leaf_held = tree.apply(X[held])
    overall = _rate(err, w, held, level)
    total_errors = max(overall["errors"], 1)
    cohorts = []
    for leaf, conditions in rules.items():
        idx = held[leaf_held == leaf]
        if not len(idx):
            continue
        row = _rate(err, w, idx, level)
        row.update(
            cohort=" and ".join(conditions) or "all rows",
            conditions=conditions,
            error_share=row["errors"] / total_errors,
            lift=row["error_rate"] / overall["error_rate"] if overall["error_rate"] > 0 else None,
            search_rows=int((leaf_fit == leaf).sum()),
        )
        cohorts.append(row)
    cohorts.sort(key=lambda r: (-r["error_rate"], -r["rows"]))
    return {
        "error": what,
        "definition": definition,
        "overall": overall,
        "cohorts": cohorts,
        "method": {
            "search": f"decision tree (depth ≤ {max_depth}, ≥ {min_leaf:,} rows per cohort) fitted on "
            f"{len(fit_rows):,} rows of a seeded half ({len(fit):,} rows, seed {ctx.seed})",
            "measure": f"every count, rate and interval from the other {len(held):,} rows, which the search did "
            f"not see ({WILSON}, {level:.0%})",
            "columns": [c.name for c in cols],
            "weights": "weighted error rates, Kish effective sizes"
            if ctx.sample_weight is not None
            else "none",
            "seed": ctx.seed,
        },
    }


def _thin(*arrays: np.ndarray, points: int = MAX_CURVE_POINTS) -> list[list[float]]:
    """At most ``points`` evenly spaced points of each array (first and last kept), as JSON-safe lists."""
    n = len(arrays[0])
    idx = np.unique(np.linspace(0, n - 1, min(n, points)).round().astype(int)) if n else np.array([], int)
    return [[float(x) for x in np.asarray(a, dtype=float)[idx]] for a in arrays]


def _counts_at_thresholds(y: np.ndarray, s: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, ...]:
    """Weighted true and false positives at each distinct score, highest first (one sort; sklearn's
    ``roc_curve``, ``precision_recall_curve`` and the two scores would sort the million scores four times)."""
    order = np.argsort(-s, kind="stable")
    s, y, w = s[order], y[order], w[order]
    last = np.r_[np.flatnonzero(np.diff(s)), len(s) - 1]  # the last row of each distinct score
    tps = np.cumsum(w * y)[last]
    fps = np.cumsum(w * ~y)[last]
    return tps, fps, s[last]


def roc_pr_curves(ctx: AuditContext) -> dict[str, Any] | None:
    """ROC and precision-recall curves of a binary model with scores (thinned to at most 201 points each), with
    the ROC AUC and the average precision computed on every point (as scikit-learn computes them)."""
    if ctx.task != "binary" or ctx.y_score is None:
        return None
    y = np.asarray(ctx.y_true).astype(bool)
    w = np.ones(len(y)) if ctx.sample_weight is None else np.asarray(ctx.sample_weight, dtype=float)
    s = np.asarray(ctx.y_score, dtype=float)
    tps, fps, thr = _counts_at_thresholds(y, s, w)
    if tps[-1] <= 0 or fps[-1] <= 0:
        return None  # one class only: neither curve is defined
    tpr = np.r_[0.0, tps / tps[-1]]
    fpr = np.r_[0.0, fps / fps[-1]]
    precision = tps / (tps + fps)
    recall = tps / tps[-1]
    auc = float(np.trapezoid(tpr, fpr))
    ap = float(np.sum(np.diff(np.r_[0.0, recall]) * precision))
    roc_t = np.r_[np.nan, thr]  # the (0, 0) corner has no threshold
    roc = dict(zip(("fpr", "tpr", "threshold"), _thin(fpr, tpr, roc_t), strict=True))
    pr = dict(
        zip(
            ("recall", "precision", "threshold"),
            _thin(np.r_[0.0, recall], np.r_[1.0, precision], np.r_[np.nan, thr]),
            strict=True,
        )
    )
    return {
        "roc": {**roc, "auc": auc},
        "pr": {**pr, "average_precision": ap, "base_rate": float(tps[-1] / (tps[-1] + fps[-1]))},
        "positive_label": ctx.positive_label_str,
        "rule": "positive when score >= threshold",
    }


def cohort_table(analysis: Mapping[str, Any]) -> Table:
    rows = analysis["cohorts"]
    level = analysis["method"]["measure"]
    return Table(
        title="Cohorts with the highest error rate",
        data={k: [r.get(k) for r in rows] for k in COHORT_COLUMNS},
        note=f"Error: {analysis['definition']['rule']}. Cohorts found on one half of the rows, {level}. "
        f"Held-out overall error rate {analysis['overall']['error_rate']:.1%} on {analysis['overall']['rows']:,} "
        "rows; lift = cohort rate / overall rate; search_rows = rows of the cohort in the search half.",
    )


def extend_performance(ctx: AuditContext, section: SectionResult) -> SectionResult:
    """The performance section with the error-analysis cohorts and the ROC / PR curves added (no verdict: the
    cohorts describe where errors concentrate; no policy rule judges them)."""
    from audits.results import Status

    if section.status in (Status.SKIPPED, Status.ERROR):
        return section
    metrics = dict(section.metrics)
    tables = dict(section.tables)
    analysis = error_cohorts(ctx)
    if analysis is not None:
        metrics["error_analysis"] = analysis
        tables["error_cohorts"] = cohort_table(analysis)
    curves = roc_pr_curves(ctx)
    if curves is not None:
        metrics["curves"] = curves
    d = section.to_dict()
    d["metrics"] = metrics
    d["tables"] = {k: t.to_dict() for k, t in tables.items()}
    return SectionResult.from_dict(d)
