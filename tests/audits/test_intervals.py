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


# --- F1 (Jaccard–Wilson), ROC AUC (DeLong), BCa -----------------------------------------------------------------
def test_f1_interval_is_the_wilson_interval_of_the_jaccard_index_mapped_to_f1():
    from audits.intervals import f1_interval

    f1, lo, hi = f1_interval(30, 20, 50, 0.95)
    jlo, jhi = wilson(30 / 50, 50, 0.95)
    assert float(f1) == pytest.approx(2 * 30 / (2 * 30 + 20))
    assert (float(lo), float(hi)) == pytest.approx((2 * jlo / (1 + jlo), 2 * jhi / (1 + jhi)))
    # no true positive, or no error: never a zero-width interval
    f1, lo, hi = f1_interval(0, 12, 12, 0.95)
    assert float(f1) == 0.0 == float(lo) and float(hi) > 0.1
    f1, lo, hi = f1_interval(9, 0, 9, 0.95)
    assert float(f1) == 1.0 == float(hi) and float(lo) < 0.9
    assert np.isnan(f1_interval(0, 0, 0, 0.95)[0])


def test_delong_auc_at_perfect_separation_uses_the_birnbaum_klose_bound():
    from audits.intervals import delong_auc

    # 5 negatives below 3 positives: AUC 1, the placement values have no spread
    auc, lo, hi, se = delong_auc([0, 0, 1, 1, 1], [3, 2, 0, 0, 0])
    assert auc == 1.0 and se == 0.0 and hi == 1.0
    wlo, _ = wilson(1.0, 3, 0.95)  # min(P, N) = 3 positives
    assert lo == pytest.approx(float(wlo)) and lo < 0.6
    assert np.isnan(delong_auc([1, 2], [0, 0])[0])  # no negative: undefined


def test_bca_interval_reduces_to_the_percentile_interval_without_bias_or_acceleration():
    from audits.intervals import bca_interval

    boot = np.linspace(-1, 1, 2001)  # symmetric around the estimate 0: z0 = 0
    lo, hi = bca_interval(boot, 0.0, 0.0, 0.9)
    assert (lo, hi) == pytest.approx(tuple(np.quantile(boot, [0.05, 0.95])), abs=1e-3)


def test_bca_interval_corrects_a_skewed_bootstrap_and_always_contains_the_estimate():
    from audits.intervals import bca_interval, jackknife_acceleration

    rng = np.random.default_rng(3)
    x = rng.exponential(size=60)
    loo = (x.sum() - x) / (len(x) - 1)
    a = jackknife_acceleration(loo)[0]
    skew = np.mean((x - x.mean()) ** 3) / np.std(x) ** 3
    # the jackknife acceleration of a mean is skewness / (6 sqrt(n))
    assert a == pytest.approx(skew / (6 * np.sqrt(len(x))), rel=0.05)
    boot = np.array([x[rng.integers(0, len(x), len(x))].mean() for _ in range(2000)])
    lo, hi = bca_interval(boot, x.mean(), a, 0.95)
    plo, phi = np.quantile(boot, [0.025, 0.975])
    assert lo > plo and hi > phi  # right-skewed: BCa moves both ends up
    # every resample above the estimate: still finite and containing it
    lo, hi = bca_interval(np.linspace(1, 2, 500), 0.5, 0.0, 0.95)
    assert lo == 0.5 and np.isfinite(hi)
