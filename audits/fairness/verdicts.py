"""Verdicts of disparities against the policy tolerance, using the bootstrap interval.

pass: the whole interval is on the good side of the tolerance; fail: the whole interval is on the bad side;
inconclusive: the interval straddles the tolerance; undefined: no value (too few groups with data).
Without resamples (``n_bootstrap = 0``) the point estimate decides and the note says so.
"""

from __future__ import annotations

PASS = "pass"
FAIL = "fail"
INCONCLUSIVE = "inconclusive"
UNDEFINED = "undefined"

FOUR_FIFTHS_LABEL = "four-fifths rule (US EEOC heuristic)"


def ratio_label(metric: str, tolerance: float) -> str:
    """Label of a ratio check; the 0.8 selection-rate ratio is the EEOC four-fifths heuristic, not a law."""
    if metric in ("demographic_parity", "selection_rate") and abs(tolerance - 0.8) < 1e-12:
        return FOUR_FIFTHS_LABEL
    return f"ratio >= {tolerance:g} (policy)"


def difference_label(tolerance: float) -> str:
    """Label of a difference check against the policy tolerance."""
    return f"difference <= {tolerance:g} (policy)"


def _interval(value: float, lo: float | None, hi: float | None) -> tuple[float, float]:
    if lo is None or hi is None:
        return value, value
    # The percentile interval need not contain the point estimate; the verdict uses the wider span.
    return min(lo, value), max(hi, value)


def verdict_difference(value: float | None, lo: float | None, hi: float | None, tolerance: float) -> str:
    """An unsigned gap (>= 0): pass when the interval is within the tolerance."""
    if value is None:
        return UNDEFINED
    lo, hi = _interval(value, lo, hi)
    if hi <= tolerance:
        return PASS
    if lo > tolerance:
        return FAIL
    return INCONCLUSIVE


def verdict_ratio(value: float | None, lo: float | None, hi: float | None, tolerance: float) -> str:
    """A ratio in [0, 1] (smaller over larger): pass when the interval is at or above the tolerance."""
    if value is None:
        return UNDEFINED
    lo, hi = _interval(value, lo, hi)
    if lo >= tolerance:
        return PASS
    if hi < tolerance:
        return FAIL
    return INCONCLUSIVE


def verdict_band(value: float | None, lo: float | None, hi: float | None, low: float, high: float) -> str:
    """A signed value that should lie in ``[low, high]`` (AIF360 convention)."""
    if value is None:
        return UNDEFINED
    lo, hi = _interval(value, lo, hi)
    if low <= lo and hi <= high:
        return PASS
    if hi < low or lo > high:
        return FAIL
    return INCONCLUSIVE
