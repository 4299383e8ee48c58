"""Each group against the reference group: the reference-table rows and one verdict row per metric and group
column (rates for binary and multiclass; mean prediction and worst-group error for regression)."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from audits.fairness import DISPARITY_COLUMNS
from audits.fairness import reference as R
from audits.fairness import verdicts as V
from audits.fairness.compute import ColumnStats, Inputs, Settings
from audits.fairness.framing import Framing
from audits.intervals import bca_interval, mover_difference, mover_ratio_from_bounds, z_value
from audits.stats import value_or_none

if TYPE_CHECKING:
    from audits.context import AuditContext


def reference_index(ctx: AuditContext, cs: ColumnStats) -> int:
    """The configured reference group of the column, else its largest group (as Aequitas)."""
    ref = next((a.reference_group for a in ctx.config.protected if a.column == cs.column), None)
    names = cs.groups.names
    if ref is not None and str(ref) in names:
        return names.index(str(ref))
    return int(np.argmax(cs.groups.sizes))


def _label(metric: str) -> Callable[[str, float], str]:
    def label(kind: str, tol: float) -> str:
        return V.ratio_label(metric, tol) if kind == "ratio" else V.difference_label(tol)

    return label


def _reference_rates(cs: ColumnStats, fr: Framing) -> dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]]:
    """{metric: (rate, effective n, eligible)} of every rate the reference table compares."""
    out = {}
    for m, (p, n) in cs.rates.items():
        base = m.split("[", 1)[0]
        mv = cs.values.get(m)
        if mv is not None:
            elig = mv.eligible
        elif base == "prevalence":
            elig = cs.values["selection_rate"].eligible
        else:  # npv: an error-rate eligibility, as precision
            elig = cs.values["precision"].eligible
        out[m] = (p, n, elig)
    if "selection_rate" in cs.rates and not fr.favourable_is_positive:
        p, n = cs.rates["selection_rate"]
        out["favourable_rate"] = (1 - p, n, cs.values["selection_rate"].eligible)
    elif "selection_rate" in cs.rates:
        out["favourable_rate"] = (*cs.rates["selection_rate"], cs.values["selection_rate"].eligible)
    return out


def reference_families(
    cs: ColumnStats, ref: int, *, level: float, diff_tol: float, ratio_tol: float, fr: Framing
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Reference-table rows and one verdict row per metric for one group column (binary and multiclass)."""
    rows: list[dict[str, Any]] = []
    verdicts: list[dict[str, Any]] = []
    for m, (rate, n, elig) in _reference_rates(cs, fr).items():
        fam = R.compare_to_reference(
            cs.column,
            m,
            cs.groups.names,
            rate,
            n,
            elig,
            ref,
            level=level,
            diff_tol=diff_tol,
            ratio_tol=ratio_tol,
            label=_label(m),
        )
        rows += fam.rows
        verdicts.append(fam.verdict_row)
    return rows, verdicts


def _group_means(cs: ColumnStats, inp: Inputs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted mean prediction, its standard deviation and the Kish effective size of each group."""
    g = cs.groups.n_groups
    w = np.ones(len(inp.y_pred)) if inp.weights is None else inp.weights
    yp = np.asarray(inp.y_pred, dtype=float)
    sw = np.bincount(cs.groups.codes, weights=w, minlength=g)
    sw2 = np.bincount(cs.groups.codes, weights=w * w, minlength=g)
    with np.errstate(all="ignore"):
        mean = np.bincount(cs.groups.codes, weights=w * yp, minlength=g) / sw
        var = np.bincount(cs.groups.codes, weights=w * (yp - mean[cs.groups.codes]) ** 2, minlength=g) / sw
        n = np.where(sw2 > 0, sw * sw / sw2, 0.0)
        # Unbiased variance of the (effective) sample.
        var = var * n / np.maximum(n - 1, 1)
    return mean, np.sqrt(var), n


def regression_families(
    cs: ColumnStats, ctx: AuditContext, s: Settings, inp: Inputs
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Mean prediction against the reference group, and each group's MAE against everyone's."""
    p = ctx.policy
    ref = reference_index(ctx, cs)
    names = cs.groups.names
    mean, sd, n = _group_means(cs, inp)
    others = np.array([j for j in range(len(names)) if j != ref], dtype=np.int64)
    positive = float(np.min(inp.y_pred)) >= 0

    def normal(level: float) -> tuple[np.ndarray, np.ndarray]:
        half = z_value(level) * sd / np.sqrt(np.maximum(n, 1))
        lo = mean - half
        return (np.clip(lo, 0, None) if positive else lo), mean + half

    def diff(level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lo, hi = normal(level)
        return mover_difference(mean[others], lo[others], hi[others], mean[ref], lo[ref], hi[ref])

    def ratio(level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        lo, hi = normal(level)
        return mover_ratio_from_bounds(mean[others], lo[others], hi[others], mean[ref], lo[ref], hi[ref])

    note = "difference in target units: described, no tolerance" + (
        "" if positive else "; predictions can be negative, so the ratio of means is not checked"
    )
    fam = R.compare_to_reference(
        cs.column,
        "mean_prediction",
        names,
        mean,
        n,
        cs.values["mean_prediction"].eligible,
        ref,
        level=s.level,
        diff_tol=None,
        ratio_tol=p.ratio_tolerance if positive else None,
        label=_label("mean_prediction"),
        bounds=(diff, ratio if positive else None),
        unit_note=note,
    )
    # Without a ratio check (predictions can be negative) the mean prediction is described, not judged.
    rows, verdicts = list(fam.rows), [fam.verdict_row] if positive else []
    mae_rows, mae_verdict = _mae_to_overall(cs, n, s.level, p.ratio_tolerance)
    return rows + mae_rows, [*verdicts, mae_verdict]


def _mae_to_overall(
    cs: ColumnStats, n: np.ndarray, level: float, tol: float
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """Worst-group error: each group's MAE over everyone's, fails above 1 / ratio tolerance."""
    names = cs.groups.names
    rows: list[dict[str, Any]] = []
    mv = cs.values["mae"]
    elig = mv.eligible & np.isfinite(mv.point)
    idx = np.flatnonzero(elig)
    if mv.boot.shape[0] > 0 and len(idx) and mv.overall > 0:
        with np.errstate(all="ignore"):
            samples = mv.boot[:, idx] / mv.overall_boot[:, None]

        v = mv.point[idx] / mv.overall
        accel = np.zeros(len(idx)) if cs.mae_ratio_accel is None else cs.mae_ratio_accel[idx]

        def to_overall(at: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            lo, hi = bca_interval(samples, v, accel, float(np.ravel(at)[0]))
            return v, np.minimum(lo, v), np.maximum(hi, v)

        k = R.judge_kind("ratio", to_overall, tol, level, band=(0.0, 1 / tol))
        compared = [names[j] for j in idx]
        verdict = R.verdict_row(
            cs.column,
            "mae_to_overall",
            "overall",
            compared,
            [k],
            R.family_verdict(k.verdicts),
            level,
            lambda kind, t: f"group error <= {1 / t:.4g}x everyone's (policy ratio {t:g})",
        )
        verdict["tolerance"] = 1 / tol
        for i, j in enumerate(idx):
            rows.append(
                {
                    "attribute": cs.column,
                    "metric": "mae_to_overall",
                    "group": names[j],
                    "reference": "overall",
                    "value": value_or_none(mv.point[j]),
                    "reference_value": value_or_none(mv.overall),
                    "n": value_or_none(n[j]),
                    "reference_n": value_or_none(float(np.sum(n))),
                    "difference": None,
                    "difference_ci_low": None,
                    "difference_ci_high": None,
                    "ratio": value_or_none(k.value[i]),
                    "ratio_ci_low": value_or_none(k.low[i]),
                    "ratio_ci_high": value_or_none(k.high[i]),
                    "verdict": k.verdicts[i],
                    "note": f"BCa row bootstrap of MAE / everyone's MAE; pass at or below {1 / tol:.4g}",
                }
            )
    else:
        verdict = {
            **{k: "" for k in DISPARITY_COLUMNS},
            "attribute": cs.column,
            "metric": "mae_to_overall",
            "kind": "ratio",
            "method": "vs_reference",
            "reference": "overall",
            "value": None,
            "ci_low": None,
            "ci_high": None,
            "tolerance": None,
            "verdict": V.UNDEFINED,
            "note": "no resamples (n_bootstrap = 0) or no group with enough data",
        }
    return rows, verdict
