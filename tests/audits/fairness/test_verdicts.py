"""Verdicts against the reference group: Holm-adjusted FAIL, intersection–union PASS, else INCONCLUSIVE."""

from __future__ import annotations

import numpy as np
import pytest

from audits.fairness import reference as R
from audits.fairness import verdicts as V


def _fixed(value, half):
    """Bounds of comparisons with a normal-like half width that grows with the confidence level."""
    value = np.asarray(value, dtype=float)
    half = np.asarray(half, dtype=float)

    def bounds(level):
        from audits.intervals import z_value

        h = half * z_value(level) / z_value(0.95)
        return value, value - h, value + h

    return bounds


@pytest.mark.parametrize(
    ("value", "half", "expected"),
    [
        (0.05, 0.03, "pass"),
        (0.2, 0.05, "fail"),
        (-0.2, 0.05, "fail"),
        (0.09, 0.04, "inconclusive"),
        (0.12, 0.04, "inconclusive"),
    ],
)
def test_single_difference(value, half, expected):
    k = R.judge_kind("difference", _fixed([value], [half]), 0.1, 0.95)
    assert k.verdicts == [expected]


@pytest.mark.parametrize(
    ("value", "half", "expected"),
    [(0.9, 0.05, "pass"), (0.36, 0.03, "fail"), (1.6, 0.1, "fail"), (0.79, 0.04, "inconclusive")],
)
def test_single_ratio_uses_the_band_tol_to_one_over_tol(value, half, expected):
    k = R.judge_kind("ratio", _fixed([value], [half]), 0.8, 0.95)
    assert k.verdicts == [expected]


def test_holm_adjusts_the_fail_level_to_the_number_of_comparisons():
    # Lower bound 0.11 at 95%: fails alone, but not among five comparisons (Holm's first step is at 99%).
    alone = R.judge_kind("difference", _fixed([0.2], [0.09]), 0.1, 0.95)
    assert alone.verdicts == ["fail"]
    five = R.judge_kind("difference", _fixed([0.2, 0, 0, 0, 0], [0.09, 0.02, 0.02, 0.02, 0.02]), 0.1, 0.95)
    assert five.verdicts[0] == "inconclusive"
    assert five.verdicts[1:] == ["pass"] * 4


def test_holm_steps_down_after_a_rejection():
    # The first comparison fails at 1 - 0.05 / 2; the second then is tested at 95% and fails too.
    k = R.judge_kind("difference", _fixed([0.5, 0.2], [0.05, 0.09]), 0.1, 0.95)
    assert k.verdicts == ["fail", "fail"]
    assert k.fail_level[0] == pytest.approx(0.975)
    assert k.fail_level[1] == pytest.approx(0.95)


def test_undefined_comparisons_take_no_part():
    k = R.judge_kind("difference", _fixed([np.nan, 0.0], [0.01, 0.01]), 0.1, 0.95)
    assert k.verdicts == ["undefined", "pass"]


def test_combining_difference_and_ratio():
    d = R.judge_kind("difference", _fixed([0.05, 0.05, 0.3], [0.02, 0.02, 0.02]), 0.1, 0.95)
    r = R.judge_kind("ratio", _fixed([0.95, 0.6, 0.95], [0.02, 0.02, 0.02]), 0.8, 0.95)
    assert R.combine([d, r]) == ["pass", "fail", "fail"]
    assert R.family_verdict(["pass", "inconclusive"]) == "inconclusive"
    assert R.family_verdict(["pass", "pass"]) == "pass"
    assert R.family_verdict(["inconclusive", "fail"]) == "fail"
    assert R.family_verdict(["undefined"]) == "undefined"


def test_zero_of_173_against_39_of_5700_is_not_a_certain_fail():
    names = ("small", "large")
    fam = R.compare_to_reference(
        "a",
        "selection_rate",
        names,
        np.array([0 / 173, 39 / 5700]),
        np.array([173.0, 5700.0]),
        np.array([True, True]),
        1,
        level=0.95,
        diff_tol=0.1,
        ratio_tol=0.8,
        label=lambda kind, tol: "",
    )
    row = fam.rows[0]
    assert row["ratio"] == 0.0 and row["ratio_ci_low"] == 0.0
    assert row["ratio_ci_high"] == pytest.approx(3.3, abs=0.05)
    assert row["verdict"] != "fail"
    assert fam.verdict_row["group"] == "small" and fam.verdict_row["reference"] == "large"


def test_the_verdict_row_names_the_pair_that_failed():
    fam = R.compare_to_reference(
        "race",
        "fpr",
        ("A", "B", "C"),
        np.array([0.2, 0.2, 0.45]),
        np.array([5000.0, 3000.0, 2000.0]),
        np.array([True, True, True]),
        0,
        level=0.95,
        diff_tol=0.1,
        ratio_tol=0.8,
        label=lambda kind, tol: kind,
    )
    v = fam.verdict_row
    assert (v["verdict"], v["group"], v["reference"], v["method"]) == ("fail", "C", "A", "vs_reference")
    assert "Holm-adjusted" in v["note"]
    assert v["ci_low"] <= v["value"] <= v["ci_high"]


def test_labels():
    assert V.ratio_label("favourable_rate", 0.8) == "four-fifths rule (US EEOC heuristic)"
    assert V.ratio_label("tpr", 0.8) == "ratio within [0.8, 1.25] (policy)"
    assert V.ratio_label("selection_rate", 0.9) == "ratio within [0.9, 1.111] (policy)"
    assert V.difference_label(0.1) == "difference within ±0.1 (policy)"
