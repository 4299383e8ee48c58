"""Statistical helpers of the data-quality checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audits.data_quality.base import (
    column_kind,
    contingency,
    correlation_ratio,
    cramers_v,
    exact_row_ids,
    js_distance,
    leaf_codes,
    oof_class_probs,
    profile_column,
    psi,
    row_ids,
    stratified_folds,
    stratified_sample,
    weighted_ovr_auc,
)


def test_cramers_v_extremes_and_bias_correction():
    assert cramers_v(np.array([[50, 0], [0, 50]])) == pytest.approx(1.0)
    assert cramers_v(np.array([[25, 25], [25, 25]])) == 0.0
    assert cramers_v(np.array([[10, 0, 0]])) is None  # one row category: undefined
    rng = np.random.default_rng(0)
    a, b = rng.integers(0, 5, 2000), rng.integers(0, 5, 2000)
    # independent columns: the bias-corrected V is near 0, the plain V is not
    table = contingency(a, 5, b, 5)
    assert cramers_v(table) < 0.03


def test_contingency_missing_handling():
    a = np.array([0, 1, -1, 1])
    b = np.array([1, -1, 0, 1])
    assert contingency(a, 2, b, 2).sum() == 2
    assert contingency(a, 2, b, 2, missing_as_category=True).sum() == 4


def test_correlation_ratio():
    codes = np.array([0, 0, 1, 1])
    assert correlation_ratio(codes, 2, np.array([1.0, 1.0, 5.0, 5.0])) == pytest.approx(1.0)
    assert correlation_ratio(codes, 2, np.array([1.0, 5.0, 1.0, 5.0])) == pytest.approx(0.0)
    assert correlation_ratio(codes, 2, np.array([3.0, 3.0, 3.0, 3.0])) is None


def test_psi_and_js_distance():
    r, c = np.array([50.0, 50.0]), np.array([70.0, 30.0])
    assert psi(r, c) == pytest.approx((0.5 - 0.7) * np.log(0.5 / 0.7) + (0.5 - 0.3) * np.log(0.5 / 0.3))
    assert psi(r, r) == 0.0
    assert psi(np.array([10.0, 0.0]), np.array([5.0, 5.0])) == pytest.approx(
        (1 - 0.5) * np.log(1 / 0.5) + (1e-4 - 0.5) * np.log(1e-4 / 0.5)
    )
    assert psi(np.zeros(2), c) is None
    from scipy.spatial.distance import jensenshannon

    assert js_distance(r, c) == pytest.approx(jensenshannon([0.5, 0.5], [0.7, 0.3]))


def test_stratified_sample_keeps_proportions_and_size():
    strata = np.array([0] * 900 + [1] * 90 + [2] * 10)
    idx = stratified_sample(strata, 100, np.random.default_rng(0))
    assert len(idx) == 100 and len(set(idx)) == 100
    assert np.bincount(strata[idx]).tolist() == [90, 9, 1]
    assert len(stratified_sample(strata, 5000, np.random.default_rng(0))) == 1000


def test_stratified_folds_spread_each_class():
    y = np.array([0] * 50 + [1] * 10)
    folds = stratified_folds(y, 5, np.random.default_rng(1))
    assert all(np.bincount(folds[y == 1], minlength=5) == 2)
    assert all(np.bincount(folds[y == 0], minlength=5) == 10)


def test_out_of_fold_lookup_never_sees_its_own_row():
    # every row is its own category: a lookup that saw the row would be perfect; out of fold it is the prior
    n = 200
    y = np.arange(n) % 2
    leaf, n_leaves = leaf_codes(np.arange(n), None)
    folds = stratified_folds(y, 5, np.random.default_rng(2))
    probs = oof_class_probs(leaf, n_leaves, y, 2, folds, 5)
    assert np.allclose(probs, 0.5)
    assert weighted_ovr_auc(y, probs) == pytest.approx(0.5)


def test_numeric_leaves_are_quantile_bins_with_missing_apart():
    v = np.array([1.0, 2.0, np.nan, 4.0, np.inf, -np.inf] * 10)
    leaf, n_leaves = leaf_codes(np.zeros(len(v), dtype=int), v)
    assert len(set(leaf[np.isnan(v)])) == 1 and leaf[np.isnan(v)][0] == n_leaves - 1
    assert leaf[np.isneginf(v)][0] == 0


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.integers(-1, 2), min_size=3, max_size=3), min_size=1, max_size=60))
def test_exact_row_ids_partition_rows_like_tuples(rows):
    arr = np.array(rows, dtype=np.int32)
    cols = [arr[:, j] for j in range(arr.shape[1])]
    ids = exact_row_ids(cols, len(arr))
    tuples = pd.Series([tuple(r) for r in rows])
    expected = pd.factorize(tuples)[0]
    assert (pd.factorize(ids)[0] == expected).all()
    assert (pd.factorize(row_ids(cols, len(arr)))[0] == expected).all()


@pytest.mark.parametrize(
    ("series", "kind"),
    [
        (pd.Series([1, 2, 3]), "numeric"),
        (pd.Series([1.5, None]), "numeric"),
        (pd.Series([True, False]), "boolean"),
        (pd.Series(["a", None]), "categorical"),
        (pd.Series(pd.to_datetime(["2020-01-01", None])), "datetime"),
        (pd.Series([None, None], dtype=object), "empty"),
        (pd.Series([1, "a"], dtype=object), "categorical"),
    ],
)
def test_column_kinds(series, kind):
    assert column_kind(series) == kind
    p = profile_column("c", series)
    assert p.n_missing == int(series.isna().sum()) and p.counts.sum() + p.n_missing == len(series)


def test_wasserstein_from_counts_equals_scipy():
    from scipy.stats import wasserstein_distance

    from audits.data_quality.drift import wasserstein_from_counts

    rng = np.random.default_rng(3)
    a = rng.integers(0, 20, 500).astype(float)
    b = rng.normal(5, 3, 300).round(1)
    ua, ca = np.unique(a, return_counts=True)
    ub, cb = np.unique(b, return_counts=True)
    got = wasserstein_from_counts(ua, ca.astype(float), ub, cb.astype(float))
    assert got == pytest.approx(wasserstein_distance(a, b), rel=1e-12)
