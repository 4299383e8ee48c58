"""Descriptive disparities between groups, as fairlearn's ``MetricFrame.difference/ratio`` define them.

``between_groups``: difference = max − min, ratio = min / max over groups. ``to_overall``: difference =
max |group − overall|, ratio = min over groups of min(group / overall, overall / group). These are numbers to
read, not tests: they carry no interval and no verdict (the verdicts compare each group with the reference
group, :mod:`audits.fairness.reference`).

``between_groups`` and ``to_overall`` work on point values (g,) and on arrays (B, g) alike; only groups
eligible for a metric (small-group safeguard) take part. A disparity needs at least two eligible groups with a
defined value.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from audits.fairness import verdicts as V
from audits.fairness.metrics import quiet_nan
from audits.intervals import bca_interval
from audits.stats import value_or_none

TOO_FEW_GROUPS = "fewer than two groups with enough data and a defined {metric}"


@dataclass(frozen=True)
class MetricValues:
    """One group metric of one group column: point values, resamples and the eligible groups."""

    name: str
    point: np.ndarray  # (g,)
    boot: np.ndarray  # (B, g) resamples (row-based metrics); (0, g) for rates from counts
    overall: float
    overall_boot: np.ndarray  # (B,)
    eligible: np.ndarray  # (g,) bool
    # Row-resampled metrics: BCa acceleration per group and overall (from the closed-form jackknife); None for a
    # metric whose resamples carry no interval (KS, a sup statistic: described, not interval-estimated).
    accel: np.ndarray | None = None
    overall_accel: float = 0.0
    # Closed-form intervals at the section's level (ROC AUC: DeLong), (low (g,), high (g,)) and overall.
    closed_ci: tuple[np.ndarray, np.ndarray] | None = None
    overall_closed_ci: tuple[float, float] | None = None

    def group_interval(self, level: float) -> tuple[np.ndarray, np.ndarray]:
        """(low, high) per group: the closed form, else BCa of the resamples, else undefined (NaN)."""
        if self.closed_ci is not None:
            return self.closed_ci
        if self.accel is None or self.boot.shape[0] == 0:
            nan = np.full(len(self.point), np.nan)
            return nan, nan
        return bca_interval(self.boot, self.point, self.accel, level)

    def overall_interval(self, level: float) -> tuple[float, float]:
        """(low, high) of everyone's value, by the same method as the groups'."""
        if self.overall_closed_ci is not None:
            return self.overall_closed_ci
        if self.accel is None or self.overall_boot.shape[0] == 0:
            return float("nan"), float("nan")
        lo, hi = bca_interval(self.overall_boot, self.overall, self.overall_accel, level)
        return float(lo), float(hi)


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


DESCRIPTIVE = "descriptive"
DESCRIPTIVE_LABEL = "descriptive (fairlearn definition; judged against the reference group instead)"


def _row(
    attribute: str, metric: str, kind: str, method: str, value: float, *, note: str = ""
) -> dict[str, Any]:
    """A descriptive disparity row: the fairlearn number, no interval and no verdict.

    A percentile interval of a max or min over groups is biased away from parity, so these rows carry none;
    the verdicts come from the comparisons with the reference group (:mod:`audits.fairness.reference`).
    """
    v = value_or_none(value)
    return {
        "attribute": attribute,
        "metric": metric,
        "kind": kind,
        "method": method,
        "group": "",
        "reference": "",
        "value": v,
        "ci_low": None,
        "ci_high": None,
        "tolerance": None,
        "verdict": DESCRIPTIVE if v is not None else V.UNDEFINED,
        "label": DESCRIPTIVE_LABEL if v is not None else "",
        "note": note,
    }


def pair_rows(
    attribute: str, metric: str, diff: float, ratio: float, method: str, *, note: str
) -> list[dict[str, Any]]:
    """The difference row and the ratio row of one disparity."""
    rows = []
    for kind, value in (("difference", float(diff)), ("ratio", float(ratio))):
        rows.append(
            _row(
                attribute,
                metric,
                kind,
                method,
                value,
                note=note if np.isfinite(value) else (note or "undefined"),
            )
        )
    return rows


def metric_disparities(
    attribute: str, metric: str, mv: MetricValues, *, note: str = ""
) -> list[dict[str, Any]]:
    """between_groups and to_overall differences and ratios of one group metric."""
    rows = []
    undefined_note = TOO_FEW_GROUPS.format(metric=mv.name)
    for method, (d_pt, r_pt) in (
        ("between_groups", between_groups(mv.point, mv.eligible)),
        ("to_overall", to_overall(mv.point, np.asarray(mv.overall), mv.eligible)),
    ):
        rows += pair_rows(
            attribute, metric, d_pt, r_pt, method, note=note if np.isfinite(d_pt) else undefined_note
        )
    return rows


def odds_disparities(attribute: str, tpr: MetricValues, fpr: MetricValues) -> list[dict[str, Any]]:
    """Equalized odds (worst of the TPR and FPR gaps) and average odds (their mean), as fairlearn's ``agg``."""
    eligible = tpr.eligible & fpr.eligible
    rows = []
    for method in ("between_groups", "to_overall"):
        if method == "between_groups":
            tp, fp = between_groups(tpr.point, eligible), between_groups(fpr.point, eligible)
        else:
            tp = to_overall(tpr.point, np.asarray(tpr.overall), eligible)
            fp = to_overall(fpr.point, np.asarray(fpr.overall), eligible)
        # NaN-propagating max/min: undefined when either rate is undefined.
        und = TOO_FEW_GROUPS.format(metric="true and false positive rate")
        worst_d, worst_r = np.maximum(tp[0], fp[0]), np.minimum(tp[1], fp[1])
        mean_d, mean_r = (tp[0] + fp[0]) / 2, (tp[1] + fp[1]) / 2
        rows += pair_rows(
            attribute, "equalized_odds", worst_d, worst_r, method, note="" if np.isfinite(worst_d) else und
        )
        rows += pair_rows(
            attribute, "average_odds", mean_d, mean_r, method, note="" if np.isfinite(mean_d) else und
        )
    return rows
