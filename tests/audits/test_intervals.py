"""Rate, difference and ratio intervals: published values, containment, width, and exact coverage."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import binom, binomtest

from audits.intervals import kish_n, mover_mean, mover_ratio, newcombe_difference, wilson


@pytest.mark.parametrize(("k", "n"), [(0, 10), (1, 10), (3, 30), (29, 30), (30, 30), (39, 5700), (500, 1000)])
def test_wilson_equals_scipy(k, n):
    ref = binomtest(k, n).proportion_ci(confidence_level=0.95, method="wilson")
    lo, hi = wilson(k / n, n, 0.95)
    assert float(lo) == pytest.approx(ref.low, abs=1e-12)
    assert float(hi) == pytest.approx(ref.high, abs=1e-12)


def test_wilson_at_zero_and_n_is_wide_and_contains_the_estimate():
    lo, hi = wilson(np.array([0.0, 1.0]), np.array([38, 3]), 0.95)
    assert lo[0] == 0.0 and hi[0] > 0.05
    assert hi[1] == 1.0 and lo[1] < 0.5


def test_newcombe_published_example():
    # Newcombe (1998), example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339.
    d, lo, hi = newcombe_difference(56 / 70, 70, 48 / 80, 80, 0.95)
    assert (round(float(lo), 4), round(float(hi), 4)) == (0.0524, 0.3339)
    assert lo < d < hi


def test_newcombe_for_two_zero_rates_is_not_zero_width():
    d, lo, hi = newcombe_difference(0.0, 38, 0.0, 50, 0.95)
    assert d == 0 and lo < 0 < hi


def test_mover_ratio_is_defined_when_the_numerator_is_zero():
    r, lo, hi = mover_ratio(0 / 173, 173, 39 / 5700, 5700, 0.95)
    assert (float(r), float(lo)) == (0.0, 0.0)
    assert float(hi) == pytest.approx(3.3, abs=0.05)


def test_mover_ratio_is_undefined_when_the_denominator_is_zero():
    r, lo, hi = mover_ratio(0.1, 100, 0.0, 100, 0.95)
    assert np.isnan(r) and np.isnan(lo) and np.isnan(hi)


def test_mover_ratio_contains_the_estimate_and_is_symmetric_under_inversion():
    rng = np.random.default_rng(0)
    n1, n2 = rng.integers(20, 3000, 200), rng.integers(20, 3000, 200)
    p1, p2 = rng.integers(1, 20, 200) / 20 * 0.95, rng.integers(1, 20, 200) / 20 * 0.95
    r, lo, hi = mover_ratio(p1, n1, p2, n2, 0.95)
    assert np.all(lo < r) and np.all(r < hi)
    # Swapping the groups inverts the interval (MOVER-R is transformation-respecting).
    r2, lo2, hi2 = mover_ratio(p2, n2, p1, n1, 0.95)
    np.testing.assert_allclose(lo2, 1 / hi, rtol=1e-9)
    np.testing.assert_allclose(hi2, 1 / lo, rtol=1e-9)


def test_kish_effective_size():
    w = np.array([1.0, 1.0, 4.0])
    assert float(kish_n(w.sum(), (w * w).sum())) == pytest.approx(36 / 18)
    assert float(kish_n(5.0, 5.0)) == 5.0


def test_mover_mean_of_two_rates():
    m, lo, hi = mover_mean([(0.9, 100), (0.7, 200)], 0.95)
    assert m == pytest.approx(0.8) and lo < m < hi


def _coverage_rate(p: float, n: int) -> float:
    k = np.arange(n + 1)
    lo, hi = wilson(k / n, n, 0.95)
    return float(binom.pmf(k, n, p)[(lo <= p) & (p <= hi)].sum())


def _coverage_difference(p: float, n: int, gap: float = 0.0) -> float:
    """Exact coverage of Newcombe's interval for p + gap against p (both groups of n rows)."""
    q = p + gap
    k = np.arange(n + 1)
    w1, w2 = binom.pmf(k, n, q), binom.pmf(k, n, p)
    keep1, keep2 = w1 > 1e-12, w2 > 1e-12
    k1, k2 = np.meshgrid(k[keep1], k[keep2], indexing="ij")
    _, lo, hi = newcombe_difference(k1 / n, n, k2 / n, n, 0.95)
    covered = (lo <= gap) & (gap <= hi)
    return float((np.outer(w1[keep1], w2[keep2]) * covered).sum())


def test_exact_coverage_on_a_grid():
    """Goal (d) of issue 12 on a reduced grid; the benchmark prints the full one."""
    rates = (0.01, 0.05, 0.2, 0.5, 0.9, 0.99)
    cov = [_coverage_rate(p, n) for n in (30, 100, 1000) for p in rates]
    assert min(cov) >= 0.85
    assert abs(np.mean(cov) - 0.95) <= 0.02
    dcov = [_coverage_difference(p, n) for n in (30, 300) for p in (0.05, 0.2, 0.5)]
    assert min(dcov) >= 0.85
    assert abs(np.mean(dcov) - 0.95) <= 0.02
