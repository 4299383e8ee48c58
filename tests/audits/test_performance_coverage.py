"""A fast seeded version of benchmarks/performance_intervals.py: every interval method of the performance section
covers a known truth at about its nominal level (the full grid and replicate counts are in the benchmark)."""

from __future__ import annotations

import pytest

from benchmarks import performance_intervals as PI


@pytest.fixture(scope="module")
def table():
    return PI.coverage_table(reps=400, seed=11, n_grid=(60, 2000), bca_reps=40)


@pytest.mark.parametrize(
    "method",
    ["Wilson (accuracy)", "MOVER (balanced accuracy)", "Jaccard–Wilson (F1)", "DeLong logit (ROC AUC)"],
)
def test_closed_form_intervals_cover_the_truth(table, method):
    # 400 replicates: Monte-Carlo error about ±0.02 around 0.95
    assert table.loc[method].min() >= 0.915, table.loc[method].to_dict()
    assert table.loc[method].max() <= 0.985, table.loc[method].to_dict()


@pytest.mark.parametrize("metric", ["log_loss", "brier_score", "mae", "rmse", "r2"])
def test_bca_intervals_cover_the_truth(table, metric):
    # 40 replicates per cell: a method that missed (a percentile interval of a biased statistic, a zero-width
    # interval) would cover far less than 0.8 over the two cells
    assert table.loc[f"BCa ({metric})"].mean() >= 0.8, table.loc[f"BCa ({metric})"].to_dict()
