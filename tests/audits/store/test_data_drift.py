"""Data drift between the two audited datasets (audits/data_profile.py, compare's drift rows): the profile is
compact, the statistics follow the data-quality section's, the policy's thresholds flag, and the comparison
says why it measured none."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from audits.compare import compare
from audits.data_profile import QUANTILES, TOP, build_profile, policy_thresholds, profile_drift
from audits.data_quality.base import js_distance, psi
from tests.audits.store.results import make_result

DEFAULTS = policy_thresholds(None)


def _frame(seed: int, *, shift: float = 0.0, n: int = 4000) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "income": rng.lognormal(10 + shift, 0.5, n),
            "city": rng.choice(["a", "b", "c"], n, p=[0.5, 0.3, 0.2] if not shift else [0.2, 0.3, 0.5]),
            "children": rng.integers(0, 4, n),
            "id": [f"id{i}" for i in range(n)],
        }
    )


def test_the_profile_keeps_top_values_with_other_and_a_quantile_sketch():
    prof = build_profile(_frame(0))
    cols = prof["columns"]
    assert prof["rows"] == 4000
    assert len(cols["id"]["values"]) == TOP and cols["id"]["other"] == 4000 - TOP
    assert sum(cols["city"]["counts"]) == 4000 and cols["city"]["other"] == 0
    assert len(cols["income"]["quantiles"]) == QUANTILES and "counts" not in cols["income"]
    assert cols["children"]["values"] == [0.0, 1.0, 2.0, 3.0]  # few distinct numbers: exact counts too
    assert cols["income"]["quantiles"] == sorted(cols["income"]["quantiles"])


def test_a_shifted_column_is_flagged_and_an_unchanged_one_is_not():
    rows, only_a, only_b = profile_drift(
        build_profile(_frame(0)), build_profile(_frame(1, shift=0.5)), DEFAULTS
    )
    by = {r.column: r for r in rows}
    assert (
        by["income"].flagged and by["income"].test == "wasserstein_normed" and by["income"].source == "sketch"
    )
    assert by["city"].flagged and by["city"].test == "jensen_shannon" and by["city"].source == "exact"
    assert not by["children"].flagged and by["children"].type == "categorical"  # 4 values: compared as counts
    assert only_a == only_b == ()


def test_categorical_statistics_are_the_data_quality_sections():
    a, b = build_profile(_frame(0)), build_profile(_frame(1, shift=0.5))
    city = next(r for r in profile_drift(a, b, DEFAULTS)[0] if r.column == "city")
    ca = np.array([a["columns"]["city"]["counts"][a["columns"]["city"]["values"].index(v)] for v in "abc"])
    cb = np.array([b["columns"]["city"]["counts"][b["columns"]["city"]["values"].index(v)] for v in "abc"])
    assert city.statistic == pytest.approx(js_distance(ca, cb))
    assert city.psi == pytest.approx(psi(ca, cb))


def test_the_sketch_wasserstein_is_close_to_the_exact_one():
    from scipy.stats import wasserstein_distance

    fa, fb = _frame(0), _frame(1, shift=0.2)
    row = next(
        r for r in profile_drift(build_profile(fa), build_profile(fb), DEFAULTS)[0] if r.column == "income"
    )
    exact = wasserstein_distance(fa["income"], fb["income"]) / fa["income"].std(ddof=0)
    assert row.statistic == pytest.approx(exact, rel=0.05)


def test_the_policys_thresholds_decide_the_flags():
    a, b = build_profile(_frame(0)), build_profile(_frame(1))
    loose = {k: 10.0 for k in DEFAULTS}
    strict = policy_thresholds({"checks": {"DQ_DRIFT": {"distance": 1e-6}}})
    assert strict["DQ_DRIFT.distance"] == 1e-6 and strict["DQ_PSI.warn"] == DEFAULTS["DQ_PSI.warn"]
    assert not any(r.flagged for r in profile_drift(a, b, loose)[0])
    assert all(r.drifted for r in profile_drift(a, b, strict)[0] if r.statistic)


def test_compare_gives_drift_for_different_data_and_skips_the_same_data_with_a_reason():
    a = dataclasses.replace(make_result(), data_profile=build_profile(_frame(0)))
    b = dataclasses.replace(make_result(data_sha="cc" * 32), data_profile=build_profile(_frame(1, shift=0.5)))
    cmp = compare(a, b)
    assert {r.column for r in cmp.drifted} >= {"income", "city"}
    assert "DQ_DRIFT" in cmp.drift_note and cmp.to_dict()["drift"][0]["column"]
    same = compare(a, a)
    assert same.drift == () and "same data" in same.drift_note
    older = compare(dataclasses.replace(a, data_profile=None), b)
    assert older.drift == () and "audit A" in older.drift_note and "no data profile" in older.drift_note


def test_columns_in_one_profile_only_are_listed():
    a = build_profile(_frame(0))
    b = build_profile(_frame(1).drop(columns=["id"]).assign(extra=1))
    _, only_a, only_b = profile_drift(a, b, DEFAULTS)
    assert only_a == ("id",) and only_b == ("extra",)
