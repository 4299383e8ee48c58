"""Stratified sampling of the explained rows and the background."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits.explain.sampling import MIN_ROWS_PER_STRATUM, background_rows, stratified_sample


def _sensitive(n_f: int, n_m: int, n_x: int = 0) -> pd.DataFrame:
    groups = ["F"] * n_f + ["M"] * n_m + ["X"] * n_x
    return pd.DataFrame({"sex": pd.Categorical(groups)})


def test_sample_has_the_requested_size_and_unique_rows():
    s = stratified_sample(_sensitive(300, 700), ("sex",), size=200, seed=0)
    assert len(s.rows) == 200
    assert len(np.unique(s.rows)) == 200


def test_allocation_is_proportional_with_a_floor_for_small_groups():
    s = stratified_sample(_sensitive(3000, 9000, 40), ("sex",), size=500, seed=0)
    counts = pd.Series(s.strata).value_counts()
    assert counts["sex=X"] == MIN_ROWS_PER_STRATUM  # 40 rows: proportional would give 2
    assert abs(counts["sex=F"] - 3000 / 12000 * (500 - MIN_ROWS_PER_STRATUM)) <= 1  # the rest, proportionally
    assert counts.sum() == 500


def test_design_weights_recover_population_shares():
    sens = _sensitive(300, 9000, 40)
    s = stratified_sample(sens, ("sex",), size=500, seed=0)
    w = s.weights()
    share = pd.Series(w).groupby(s.strata).sum() / w.sum()
    assert abs(share["sex=X"] - 40 / 9340) < 1e-12
    assert abs(share["sex=F"] - 300 / 9340) < 1e-12


def test_all_rows_when_the_data_is_small():
    s = stratified_sample(_sensitive(3, 4), ("sex",), size=2000, seed=0)
    assert sorted(s.rows.tolist()) == list(range(7))
    np.testing.assert_allclose(s.weights(), 1.0)
    assert "all 7 rows" in s.description


def test_sample_depends_only_on_the_seed():
    a = stratified_sample(_sensitive(300, 700), ("sex",), size=100, seed=3)
    b = stratified_sample(_sensitive(300, 700), ("sex",), size=100, seed=3)
    c = stratified_sample(_sensitive(300, 700), ("sex",), size=100, seed=4)
    assert a.rows.tolist() == b.rows.tolist() != c.rows.tolist()


def test_sample_smaller_than_the_floors_still_has_the_requested_size():
    sens = pd.DataFrame({"g": pd.Categorical([str(i % 50) for i in range(5000)])})
    s = stratified_sample(sens, ("g",), size=60, seed=0)
    assert len(s.rows) == 60
    assert pd.Series(s.strata).value_counts().max() <= 2


def test_background_is_sorted_unique_and_capped():
    rows = background_rows(1000, size=100, seed=0)
    assert len(rows) == 100 and len(np.unique(rows)) == 100 and (np.diff(rows) > 0).all()
    assert background_rows(5, size=100, seed=0).tolist() == [0, 1, 2, 3, 4]
