"""Disparities between groups, as fairlearn's ``MetricFrame.difference/ratio`` define them, with intervals.

``between_groups``: difference = max − min, ratio = min / max over groups. ``to_overall``: difference =
max |group − overall|, ratio = min over groups of min(group / overall, overall / group). ``signed`` (AIF360):
unprivileged − privileged and unprivileged / privileged for a chosen reference (privileged) group.

Every function works on point values (g,) and on resamples (B, g) alike; only groups eligible for a metric
(small-group safeguard) take part. A disparity needs at least two eligible groups with a defined value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from audits.fairness import verdicts as V
from audits.fairness.bootstrap import interval
from audits.fairness.metrics import quiet_nan
from audits.stats import value_or_none

TOO_FEW_GROUPS = "fewer than two groups with enough data and a defined {metric}"


@dataclass(frozen=True)
class MetricValues:
    """One group metric of one group column: point values, resamples and the eligible groups."""

    name: str
    point: np.ndarray  # (g,)
    boot: np.ndarray  # (B, g)
    overall: float
    overall_boot: np.ndarray  # (B,)
    eligible: np.ndarray  # (g,) bool


def _masked(values: np.ndarray, eligible: np.ndarray) -> np.ndarray:
    return np.where(eligible, values, np.nan)


def _enough(values: np.ndarray) -> np.ndarray:
    return np.sum(np.isfinite(values), axis=-1) >= 2


def between_groups(values: np.ndarray, eligible: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(difference, ratio) = (max − min, min / max) over eligible groups; NaN when fewer than two."""
    v = _masked(np.asarray(values, dtype=float), eligible)
    ok = _enough(v)
    hi = quiet_nan(np.nanmax, v, axis=-1)
    lo = quiet_nan(np.nanmin, v, axis=-1)
    diff = np.where(ok, hi - lo, np.nan)
    ratio = np.where(ok & (hi != 0), quiet_nan(np.divide, lo, hi), np.nan)
    return diff, ratio


def to_overall(
    values: np.ndarray, overall: np.ndarray, eligible: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(max |group − overall|, min over groups of min(group/overall, overall/group)); NaN when undefined."""
    v = _masked(np.asarray(values, dtype=float), eligible)
    o = np.asarray(overall, dtype=float)[..., None]
    ok = _enough(v)
    diff = np.where(ok, quiet_nan(np.nanmax, np.abs(v - o), axis=-1), np.nan)
    r = quiet_nan(np.divide, v, o)
    r = np.where(r > 1, quiet_nan(np.divide, 1.0, r), r)
    ratio = np.where(ok & (o[..., 0] != 0), quiet_nan(np.nanmin, r, axis=-1), np.nan)
    return diff, ratio


def _row(
    attribute: str,
    metric: str,
    kind: str,
    method: str,
    value: float,
    samples: np.ndarray,
    *,
    tolerance: float | None,
    level: float,
    label: str,
    note: str = "",
    group: str = "",
    reference: str = "",
    band: tuple[float, float] | None = None,
) -> dict[str, Any]:
    v = value_or_none(value)
    lo = hi = None
    if v is not None and samples.shape[0] > 0:
        lo_a, hi_a = interval(samples[:, None], level)
        lo, hi = value_or_none(lo_a[0]), value_or_none(hi_a[0])
    if v is None or tolerance is None:
        verdict = V.UNDEFINED
    elif band is not None:
        verdict = V.verdict_band(v, lo, hi, *band)
    elif kind == "ratio":
        verdict = V.verdict_ratio(v, lo, hi, tolerance)
    else:
        verdict = V.verdict_difference(v, lo, hi, tolerance)
    if v is not None and samples.shape[0] == 0:
        note = (note + "; " if note else "") + "no resamples: verdict from the point estimate"
    return {
        "attribute": attribute,
        "metric": metric,
        "kind": kind,
        "method": method,
        "group": group,
        "reference": reference,
        "value": v,
        "ci_low": lo,
        "ci_high": hi,
        "tolerance": tolerance,
        "verdict": verdict,
        "label": label,
        "note": note,
    }


def pair_rows(
    attribute: str,
    metric: str,
    diff: tuple[np.ndarray, np.ndarray],
    ratio: tuple[np.ndarray, np.ndarray],
    method: str,
    *,
    diff_tol: float | None,
    ratio_tol: float | None,
    level: float,
    note: str,
) -> list[dict[str, Any]]:
    """The difference row and the ratio row of one disparity; each of diff/ratio is (point, samples)."""
    rows = []
    for kind, (pt, smp), tol in (("difference", diff, diff_tol), ("ratio", ratio, ratio_tol)):
        value = float(pt)
        label = (
            ""
            if tol is None
            else (V.difference_label(tol) if kind == "difference" else V.ratio_label(metric, tol))
        )
        row_note = note if np.isfinite(value) else (note or "undefined")
        rows.append(
            _row(
                attribute,
                metric,
                kind,
                method,
                value,
                smp,
                tolerance=tol,
                level=level,
                label=label,
                note=row_note,
            )
        )
    return rows


def metric_disparities(
    attribute: str,
    metric: str,
    mv: MetricValues,
    *,
    diff_tol: float | None,
    ratio_tol: float | None,
    level: float,
    note: str = "",
) -> list[dict[str, Any]]:
    """between_groups and to_overall differences and ratios of one group metric."""
    rows = []
    undefined_note = TOO_FEW_GROUPS.format(metric=mv.name)
    for method, (d_pt, r_pt), (d_bs, r_bs) in (
        ("between_groups", between_groups(mv.point, mv.eligible), between_groups(mv.boot, mv.eligible)),
        (
            "to_overall",
            to_overall(mv.point, np.asarray(mv.overall), mv.eligible),
            to_overall(mv.boot, mv.overall_boot, mv.eligible),
        ),
    ):
        rows += pair_rows(
            attribute,
            metric,
            (d_pt, d_bs),
            (r_pt, r_bs),
            method,
            diff_tol=diff_tol,
            ratio_tol=ratio_tol,
            level=level,
            note=note if np.isfinite(d_pt) else undefined_note,
        )
    return rows


def odds_disparities(
    attribute: str, tpr: MetricValues, fpr: MetricValues, *, diff_tol: float, ratio_tol: float, level: float
) -> list[dict[str, Any]]:
    """Equalized odds (worst of the TPR and FPR gaps) and average odds (their mean), as fairlearn's ``agg``."""
    eligible = tpr.eligible & fpr.eligible
    rows = []
    for method in ("between_groups", "to_overall"):
        parts = []
        for mv in (tpr, fpr):
            if method == "between_groups":
                parts.append((between_groups(mv.point, eligible), between_groups(mv.boot, eligible)))
            else:
                parts.append(
                    (
                        to_overall(mv.point, np.asarray(mv.overall), eligible),
                        to_overall(mv.boot, mv.overall_boot, eligible),
                    )
                )
        (tp_pt, tp_bs), (fp_pt, fp_bs) = parts
        # NaN-propagating max/min: undefined when either rate is undefined.
        worst_d = (np.maximum(tp_pt[0], fp_pt[0]), np.maximum(tp_bs[0], fp_bs[0]))
        worst_r = (np.minimum(tp_pt[1], fp_pt[1]), np.minimum(tp_bs[1], fp_bs[1]))
        mean_d = ((tp_pt[0] + fp_pt[0]) / 2, (tp_bs[0] + fp_bs[0]) / 2)
        mean_r = ((tp_pt[1] + fp_pt[1]) / 2, (tp_bs[1] + fp_bs[1]) / 2)
        und = TOO_FEW_GROUPS.format(metric="true and false positive rate")
        rows += pair_rows(
            attribute,
            "equalized_odds",
            worst_d,
            worst_r,
            method,
            diff_tol=diff_tol,
            ratio_tol=ratio_tol,
            level=level,
            note="" if np.isfinite(worst_d[0]) else und,
        )
        rows += pair_rows(
            attribute,
            "average_odds",
            mean_d,
            mean_r,
            method,
            diff_tol=diff_tol,
            ratio_tol=ratio_tol,
            level=level,
            note="" if np.isfinite(mean_d[0]) else und,
        )
    return rows


def signed_disparities(
    attribute: str,
    metric: str,
    mv: MetricValues,
    names: tuple[str, ...],
    reference: str,
    *,
    diff_tol: float,
    ratio_tol: float | None,
    level: float,
    companion: MetricValues | None = None,
) -> list[dict[str, Any]]:
    """AIF360 signed rows, one per unprivileged group: u − ref and u / ref (``ratio_tol=None``: no ratio).

    With ``companion`` the value is the mean of the two metrics' signed differences (average odds).
    """
    rows: list[dict[str, Any]] = []
    if reference not in names:
        return [
            _row(
                attribute,
                metric,
                "difference",
                "signed",
                float("nan"),
                np.zeros(0),
                tolerance=diff_tol,
                level=level,
                label="",
                reference=reference,
                note=f"reference group {reference!r} has no rows in '{attribute}'",
            )
        ]
    r = names.index(reference)
    elig = mv.eligible if companion is None else mv.eligible & companion.eligible
    for u, name in enumerate(names):
        if u == r:
            continue
        ok = bool(elig[u] and elig[r])
        why = "" if ok else f"group {name!r} or {reference!r} is excluded (too little data)"
        d_pt = mv.point[u] - mv.point[r]
        d_bs = mv.boot[:, u] - mv.boot[:, r]
        if companion is not None:
            d_pt = (d_pt + companion.point[u] - companion.point[r]) / 2
            d_bs = (d_bs + companion.boot[:, u] - companion.boot[:, r]) / 2
        d_pt = d_pt if ok else np.nan
        rows.append(
            _row(
                attribute,
                metric,
                "difference",
                "signed",
                float(d_pt),
                d_bs,
                tolerance=diff_tol,
                level=level,
                label=f"{V.difference_label(diff_tol)}, unprivileged − privileged (AIF360)",
                note=why or f"{name} − {reference}",
                group=name,
                reference=reference,
                band=(-diff_tol, diff_tol),
            )
        )
        if ratio_tol is not None:
            r_pt = quiet_nan(np.divide, mv.point[u], mv.point[r]) if ok else np.nan
            r_bs = quiet_nan(np.divide, mv.boot[:, u], mv.boot[:, r])
            r_bs = np.where(np.isfinite(r_bs), r_bs, np.nan)
            rows.append(
                _row(
                    attribute,
                    metric,
                    "ratio",
                    "signed",
                    float(r_pt),
                    r_bs,
                    tolerance=ratio_tol,
                    level=level,
                    label=f"{V.ratio_label(metric, ratio_tol)}, unprivileged / privileged (AIF360)",
                    note=why or f"{name} / {reference}; pass band [{ratio_tol:g}, {1 / ratio_tol:.4g}]",
                    group=name,
                    reference=reference,
                    band=(ratio_tol, 1 / ratio_tol),
                )
            )
    return rows
