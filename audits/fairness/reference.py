"""Each group against a reference group, with intervals and verdicts whose error rate is controlled.

For one metric of one group column with ``K`` groups, every eligible group is compared with the reference group
(``m = K − 1`` comparisons), by a difference (band ``[−δ, δ]``) and a ratio (band ``[τ, 1/τ]``). With
``α = 1 − confidence level``:

* a comparison **fails** when its interval lies wholly outside the band at the Holm-adjusted level: the Holm
  step-down over the ``m`` comparisons of one kind, run as "while some remaining comparison's ``1 − α / r``
  interval (``r`` = comparisons not yet rejected) lies outside the band, reject those" — the same rejections
  as Holm's procedure on the one-sided p-values the intervals invert; each one-sided test is at ``α / 2``, so
  the chance of a false FAIL stays below ``α`` even when a difference and a ratio are both checked;
* a comparison **passes** when its ``1 − α`` interval lies inside the band (an intersection–union test: the
  family passes only when every comparison passes, which needs no multiplicity correction);
* otherwise it is **inconclusive**.

The family (metric × group column) fails if any comparison fails on either kind, passes only if every
comparison passes on every defined kind, and is inconclusive otherwise. Groups that fail the minimum-size or
minimum-events rules take no part and are listed; ``between_groups`` and ``to_overall`` stay descriptive.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from audits.fairness import verdicts as V
from audits.intervals import mover_ratio, newcombe_difference
from audits.stats import value_or_none

# (value, low, high) arrays over the comparisons at a given confidence level.
Bounds = Callable[[float], tuple[np.ndarray, np.ndarray, np.ndarray]]

REFERENCE_COLUMNS = (
    "attribute", "metric", "group", "reference", "value", "reference_value", "n", "reference_n",
    "difference", "difference_ci_low", "difference_ci_high", "ratio", "ratio_ci_low", "ratio_ci_high",
    "verdict", "note",
)  # fmt: skip


@dataclass(frozen=True)
class KindResult:
    """Verdicts of one kind (difference or ratio) over the comparisons of one family."""

    kind: str
    value: np.ndarray  # (m,)
    low: np.ndarray  # (m,) at the confidence level
    high: np.ndarray
    verdicts: list[str]  # per comparison: pass / fail / inconclusive / undefined
    fail_level: np.ndarray  # (m,) the Holm-adjusted level at which a comparison was rejected (NaN: not)
    fail_low: np.ndarray  # (m,) the interval that rejected it
    fail_high: np.ndarray
    band: tuple[float, float]
    tolerance: float


def _position(x: np.ndarray, kind: str, tolerance: float) -> np.ndarray:
    """Values on one scale where the band is [-1, 1]: d / δ for differences, log(r) / −log(τ) for ratios."""
    x = np.asarray(x, dtype=float)
    with np.errstate(all="ignore"):
        if kind == "difference":
            return x / tolerance
        return (
            np.log(x) / -np.log(tolerance)
            if tolerance < 1
            else np.where(x == 1, 0.0, np.sign(np.log(x)) * np.inf)
        )


CODES = (V.UNDEFINED, V.PASS, V.INCONCLUSIVE, V.FAIL)  # verdict codes 0..3 of :func:`judge_arrays`


def judge_arrays(
    bounds: Bounds, band: tuple[float, float], level: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Holm-adjusted FAIL and per-comparison PASS over the last axis (comparisons); any leading axes are
    independent families (simulated replicates).

    ``bounds(level)`` gives ``(value, low, high)`` of shape (..., m); ``level`` it receives may be an array of
    shape (..., 1) (each family's Holm step). Returns ``(codes, value, low, high, fail_level, fail_low,
    fail_high)``; codes index :data:`CODES`.
    """
    value, low, high = (np.asarray(x, dtype=float) for x in bounds(level))
    defined = np.isfinite(value) & np.isfinite(low) & np.isfinite(high)
    m = defined.sum(axis=-1, keepdims=True)
    alpha = 1 - level
    rejected = np.zeros(value.shape, dtype=bool)
    fail_level = np.full(value.shape, np.nan)
    fail_low = np.full(value.shape, np.nan)
    fail_high = np.full(value.shape, np.nan)
    # Holm's step-down run on the intervals: while some remaining comparison's 1 − α / r interval lies outside
    # the band (r = comparisons not yet rejected), reject those; the same rejections as Holm on the p-values.
    for _ in range(value.shape[-1]):
        r = m - rejected.sum(axis=-1, keepdims=True)
        adj = np.where(r > 0, 1 - alpha / np.maximum(r, 1), level)
        _, lo, hi = bounds(adj)
        new = defined & ~rejected & (r > 0) & ((lo > band[1]) | (hi < band[0]))
        if not new.any():
            break
        rejected |= new
        fail_level = np.where(new, adj, fail_level)
        fail_low = np.where(new, lo, fail_low)
        fail_high = np.where(new, hi, fail_high)
    inside = (band[0] <= low) & (high <= band[1])
    codes = np.where(~defined, 0, np.where(rejected, 3, np.where(inside, 1, 2)))
    return codes, value, low, high, fail_level, fail_low, fail_high


def judge_kind(
    kind: str, bounds: Bounds, tolerance: float, level: float, *, band: tuple[float, float] | None = None
) -> KindResult:
    """Verdicts of one kind over the (m,) comparisons ``bounds`` describes (see :func:`judge_arrays`).

    ``band`` defaults to ``[−δ, δ]`` for a difference and ``[τ, 1/τ]`` for a ratio.
    """
    if band is None:
        band = (-tolerance, tolerance) if kind == "difference" else (tolerance, 1 / tolerance)
    codes, value, low, high, fail_level, fail_low, fail_high = judge_arrays(bounds, band, level)
    verdicts = [CODES[int(c)] for c in codes]
    return KindResult(kind, value, low, high, verdicts, fail_level, fail_low, fail_high, band, tolerance)


def combine(kinds: list[KindResult]) -> list[str]:
    """Per comparison: fail if any kind fails, pass if every defined kind passes, else inconclusive."""
    if not kinds:
        return []
    out = []
    for j in range(len(kinds[0].verdicts)):
        vs = [k.verdicts[j] for k in kinds if k.verdicts[j] != V.UNDEFINED]
        if not vs:
            out.append(V.UNDEFINED)
        elif V.FAIL in vs:
            out.append(V.FAIL)
        elif all(v == V.PASS for v in vs):
            out.append(V.PASS)
        else:
            out.append(V.INCONCLUSIVE)
    return out


def family_verdict(per_comparison: list[str]) -> str:
    """fail if any comparison fails, pass if all pass, undefined if none is defined, else inconclusive."""
    vs = [v for v in per_comparison if v != V.UNDEFINED]
    if not vs:
        return V.UNDEFINED
    if V.FAIL in vs:
        return V.FAIL
    return V.PASS if all(v == V.PASS for v in vs) else V.INCONCLUSIVE


def deciding(kinds: list[KindResult], verdict: str) -> tuple[int, KindResult] | None:
    """The (comparison, kind) that decided a family verdict.

    fail: the rejected comparison farthest beyond its band (in its rejecting interval); pass: the comparison
    whose interval came closest to the band's edge; inconclusive: the undecided comparison whose estimate lies
    farthest from parity.
    """
    best: tuple[float, int, KindResult] | None = None
    for k in kinds:
        for j, v in enumerate(k.verdicts):
            if v == V.UNDEFINED:
                continue
            b0, b1 = (_position(x, k.kind, k.tolerance) for x in k.band)
            if verdict == V.FAIL:
                if v != V.FAIL:
                    continue
                lo = _position(k.fail_low[j], k.kind, k.tolerance)
                hi = _position(k.fail_high[j], k.kind, k.tolerance)
                score = float(max(lo - b1, b0 - hi))
            elif verdict == V.PASS:
                lo, hi = _position(k.low[j], k.kind, k.tolerance), _position(k.high[j], k.kind, k.tolerance)
                score = -float(min(lo - b0, b1 - hi))
            else:
                if v == V.PASS:
                    continue
                score = float(abs(_position(k.value[j], k.kind, k.tolerance)))
            if best is None or score > best[0]:
                best = (score, j, k)
    return None if best is None else (best[1], best[2])


def rate_bounds(p: np.ndarray, n: np.ndarray, ref: int, others: np.ndarray) -> tuple[Bounds, Bounds]:
    """Difference (Newcombe) and ratio (MOVER-R) bounds of ``p[others]`` against ``p[ref]``."""

    def diff(level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return newcombe_difference(p[others], n[others], p[ref], n[ref], level)

    def ratio(level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return mover_ratio(p[others], n[others], p[ref], n[ref], level)

    return diff, ratio


@dataclass(frozen=True)
class FamilyResult:
    """One metric of one group column against the reference group."""

    rows: list[dict[str, Any]]  # REFERENCE_COLUMNS rows, one per non-reference group
    verdict_row: dict[str, Any]  # a disparity-table row (method "vs_reference") with the family verdict


def _row_note(
    i: int,
    j: int,
    ok_ref: bool,
    ref_name: str,
    eligible: np.ndarray,
    p: np.ndarray,
    described: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]],
    unit_note: str,
) -> str:
    """Why a comparison row has no verdict (or how to read it), then the quantity's own note."""
    note = ""
    if not ok_ref:
        note = f"reference group {ref_name!r} is excluded or undefined for this metric"
    elif not eligible[j]:
        note = "group excluded (too little data)"
    elif not np.isfinite(p[j]):
        note = "undefined in this group"
    elif "ratio" in described and not np.isfinite(described["ratio"][0][i]):
        note = "the reference rate is 0: the ratio is undefined and the difference decides"
    if not unit_note:
        return note
    return note + ("; " if note else "") + unit_note


def _kind_cells(
    described: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]], i: int, n_others: int
) -> dict[str, float | None]:
    """The difference and ratio of comparison ``i`` with their interval (None where not computed)."""
    out: dict[str, float | None] = {}
    for kind in ("difference", "ratio"):
        v, lo, hi = described.get(kind, (np.full(n_others, np.nan),) * 3)
        out[kind] = value_or_none(v[i])
        out[f"{kind}_ci_low"] = value_or_none(lo[i])
        out[f"{kind}_ci_high"] = value_or_none(hi[i])
    return out


def compare_to_reference(
    attribute: str,
    metric: str,
    names: tuple[str, ...],
    p: np.ndarray,
    n: np.ndarray,
    eligible: np.ndarray,
    ref: int,
    *,
    level: float,
    diff_tol: float | None,
    ratio_tol: float | None,
    label: Callable[[str, float], str],
    bounds: tuple[Bounds | None, Bounds | None] | None = None,
    unit_note: str = "",
) -> FamilyResult:
    """Compare every group of a rate metric (``p`` over ``n`` effective rows) with group ``ref``.

    ``bounds`` replaces the rate intervals (difference, ratio) for other quantities (means); a ``None``
    tolerance leaves that kind descriptive (interval, no verdict).
    """
    p = np.asarray(p, dtype=float)
    n = np.asarray(n, dtype=float)
    ok_ref = bool(eligible[ref]) and np.isfinite(p[ref])
    others = np.array([j for j in range(len(names)) if j != ref], dtype=np.int64)
    usable = np.array([bool(eligible[j]) and np.isfinite(p[j]) and ok_ref for j in others], dtype=bool)
    diff_b, ratio_b = bounds if bounds is not None else rate_bounds(p, n, ref, others)

    def masked(b: Bounds | None) -> Bounds | None:
        if b is None:
            return None

        def inner(level: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
            v, lo, hi = b(level)
            return tuple(np.where(usable, x, np.nan) for x in (v, lo, hi))  # type: ignore[return-value]

        return inner

    diff_b, ratio_b = masked(diff_b), masked(ratio_b)
    kinds: list[KindResult] = []
    described: dict[str, tuple[np.ndarray, np.ndarray, np.ndarray]] = {}
    for kind, b, tol in (("difference", diff_b, diff_tol), ("ratio", ratio_b, ratio_tol)):
        if b is None:
            continue
        if tol is None:
            described[kind] = b(level)
        else:
            k = judge_kind(kind, b, tol, level)
            kinds.append(k)
            described[kind] = (k.value, k.low, k.high)
    per = combine(kinds) if kinds else [V.UNDEFINED] * len(others)
    ref_name = names[ref]
    rows = [
        {
            "attribute": attribute,
            "metric": metric,
            "group": names[j],
            "reference": ref_name,
            "value": value_or_none(p[j]),
            "reference_value": value_or_none(p[ref]),
            "n": value_or_none(n[j]),
            "reference_n": value_or_none(n[ref]),
            "verdict": per[i],
            "note": _row_note(i, j, ok_ref, ref_name, eligible, p, described, unit_note),
            **_kind_cells(described, i, len(others)),
        }
        for i, j in enumerate(others)
    ]
    verdict = family_verdict(per)
    return FamilyResult(
        rows,
        verdict_row(attribute, metric, ref_name, [names[j] for j in others], kinds, verdict, level, label),
    )


def verdict_row(
    attribute: str,
    metric: str,
    ref_name: str,
    compared: list[str],
    kinds: list[KindResult],
    verdict: str,
    level: float,
    label: Callable[[str, float], str],
) -> dict[str, Any]:
    """A disparity-table row (method ``vs_reference``) with the family verdict and the pair that decided it."""
    m = sum(1 for v in combine(kinds) if v != V.UNDEFINED) if kinds else 0
    row: dict[str, Any] = {
        "attribute": attribute,
        "metric": metric,
        "kind": "ratio" if any(k.kind == "ratio" for k in kinds) else "difference",
        "method": "vs_reference",
        "group": "",
        "reference": ref_name,
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "tolerance": None,
        "verdict": verdict,
        "label": "",
        "note": "",
    }
    pick = deciding(kinds, verdict) if kinds else None
    if pick is None:
        row["note"] = "no group with enough data to compare with the reference group"
        return row
    j, k = pick
    lo, hi, lvl = k.low[j], k.high[j], level
    if verdict == V.FAIL:
        lo, hi, lvl = k.fail_low[j], k.fail_high[j], k.fail_level[j]
    row.update(
        kind=k.kind,
        group=compared[j],
        value=value_or_none(k.value[j]),
        ci_low=value_or_none(lo),
        ci_high=value_or_none(hi),
        tolerance=k.tolerance,
        label=label(k.kind, k.tolerance),
    )
    how = {
        V.FAIL: "beyond the tolerance",
        V.PASS: "closest to the tolerance of those that pass",
        V.INCONCLUSIVE: "farthest from parity of those not shown within the tolerance",
    }[verdict]
    holm = f"; Holm-adjusted {lvl * 100:.3g}% interval" if verdict == V.FAIL and m > 1 else ""
    row["note"] = f"decided by {row['group']} vs {ref_name} ({how}; {m} comparison(s) with {ref_name}{holm})"
    return row
