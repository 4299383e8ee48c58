"""A fast seeded run of goal (a) of benchmarks/verdict_calibration.py: false FAIL stays below 5%."""

from __future__ import annotations

import numpy as np
import pytest

from benchmarks.verdict_calibration import FAMILIES, design, family_codes, shares

MIXES = {
    "German credit sex": np.array([690, 310]),
    "German credit age": np.array([291, 249, 235, 225]),
    "COMPAS-like": np.array([3000, 2000, 500, 300, 100, 30]),
}
REPS = 1500
# Two-sided 99.9% Monte-Carlo margin around the 5% limit at this many replicates.
MARGIN = 3.3 * np.sqrt(0.05 * 0.95 / REPS)


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_false_fail_at_the_tolerance_edge_is_at_most_five_percent(mix):
    rng = np.random.default_rng(12)
    for fam in FAMILIES:
        fail, _, _ = shares(family_codes(*design(MIXES[mix], fam, 1.0), REPS, rng))
        assert fail <= 0.05 + MARGIN, (mix, fam.name, fail)


@pytest.mark.parametrize("mix", sorted(MIXES))
def test_no_disparity_almost_never_fails(mix):
    rng = np.random.default_rng(13)
    for fam in FAMILIES:
        fail, _, _ = shares(family_codes(*design(MIXES[mix], fam, 0.0), REPS, rng))
        assert fail <= 0.01, (mix, fam.name, fail)


def test_a_clear_disparity_fails_and_parity_in_large_groups_passes():
    rng = np.random.default_rng(14)
    n = np.full(3, 1000.0)
    fail, _, _ = shares(family_codes(n, np.array([0.5, 0.3, 0.3]), REPS, rng))
    assert fail >= 0.9
    _, _, passed = shares(family_codes(np.full(3, 5000.0), np.full(3, 0.3), REPS, rng))
    assert passed >= 0.9
