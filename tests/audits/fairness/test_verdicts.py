"""Verdicts use the whole interval: pass, fail, or inconclusive when it straddles the tolerance."""

from __future__ import annotations

import pytest

from audits.fairness import verdicts as V


@pytest.mark.parametrize(
    ("value", "lo", "hi", "expected"),
    [
        (0.05, 0.02, 0.08, "pass"),
        (0.2, 0.15, 0.25, "fail"),
        (0.09, 0.05, 0.13, "inconclusive"),
        (0.12, 0.08, 0.16, "inconclusive"),
        (0.1, 0.1, 0.1, "pass"),
        (None, None, None, "undefined"),
        (0.05, None, None, "pass"),
    ],
)
def test_difference(value, lo, hi, expected):
    assert V.verdict_difference(value, lo, hi, 0.1) == expected


@pytest.mark.parametrize(
    ("value", "lo", "hi", "expected"),
    [
        (0.9, 0.85, 0.95, "pass"),
        (0.36, 0.33, 0.39, "fail"),
        (0.79, 0.75, 0.83, "inconclusive"),
        (0.8, 0.8, 0.9, "pass"),
        (0.7, None, None, "fail"),
    ],
)
def test_ratio(value, lo, hi, expected):
    assert V.verdict_ratio(value, lo, hi, 0.8) == expected


def test_interval_not_containing_the_point_is_widened_to_it():
    # A percentile interval may miss the estimate (bias); the verdict then uses the wider span.
    assert V.verdict_ratio(0.78, 0.81, 0.9, 0.8) == "inconclusive"


def test_band_for_signed_values():
    assert V.verdict_band(-0.05, -0.08, -0.02, -0.1, 0.1) == "pass"
    assert V.verdict_band(-0.2, -0.25, -0.15, -0.1, 0.1) == "fail"
    assert V.verdict_band(1.4, 1.3, 1.5, 0.8, 1.25) == "fail"
    assert V.verdict_band(1.2, 1.1, 1.3, 0.8, 1.25) == "inconclusive"


def test_four_fifths_label_only_for_selection_rate_at_0_8():
    assert V.ratio_label("demographic_parity", 0.8) == "four-fifths rule (US EEOC heuristic)"
    assert V.ratio_label("tpr", 0.8) == "ratio >= 0.8 (policy)"
    assert V.ratio_label("demographic_parity", 0.9) == "ratio >= 0.9 (policy)"
