"""Checks between a reference dataset and the audited one."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.config import ProtectedAttribute
from tests.audits.data_quality.conftest import codes, make_ctx, no_errors, run


def frame(
    n: int, *, seed: int, shift: float = 0.0, p_red: float = 1 / 3, p_a: float = 0.5, p_yes: float = 0.5
):
    rng = np.random.default_rng(seed)
    return pd.DataFrame(
        {
            "x1": rng.normal(loc=shift, size=n),
            "x2": rng.gamma(2.0, size=n),
            "c1": rng.choice(["red", "green", "blue"], size=n, p=[p_red, (1 - p_red) / 2, (1 - p_red) / 2]),
            "age": rng.integers(18, 80, size=n),
            "g": rng.choice(["a", "b"], size=n, p=[p_a, 1 - p_a]),
            "y": rng.choice(["no", "yes"], size=n, p=[1 - p_yes, p_yes]),
        }
    )


def test_no_reference_makes_drift_not_applicable():
    res = run(make_ctx(frame(300, seed=0)))
    for code in ("DQ_DRIFT", "DQ_PSI", "DQ_TRAIN_TEST_OVERLAP", "DQ_GROUP_MIX_DRIFT"):
        info = res.metrics["checks"][code]
        assert info["applicable"] is False and "no reference" in info["reason"]
    assert "drift" not in res.metrics


def test_same_distribution_does_not_drift():
    res = run(make_ctx(frame(800, seed=1), reference=frame(800, seed=2)))
    no_errors(res)
    assert (
        not codes(res, "DQ_DRIFT") and not codes(res, "DQ_DATASET_DRIFT") and not codes(res, "DQ_LABEL_DRIFT")
    )
    tests = dict(zip(res.tables["drift"].data["column"], res.tables["drift"].data["test"], strict=True))
    assert tests == {"x1": "ks", "x2": "ks", "c1": "chi_square", "age": "ks", "g": "chi_square"}
    assert res.status != "fail"


def test_small_data_shift_is_found_by_ks_and_chi_square():
    res = run(make_ctx(frame(600, seed=3, shift=0.8, p_red=0.7), reference=frame(600, seed=5)))
    drifted = {f.subject: f for f in codes(res, "DQ_DRIFT")}
    assert set(drifted) == {"x1", "c1"}
    assert drifted["x1"].evidence["test"] == "ks" and drifted["x1"].evidence["p_value"] < 1e-6
    assert drifted["c1"].evidence["test"] == "chi_square"
    assert drifted["x1"].severity == "fail"
    share = res.metrics["drift"]["share_drifted"]
    assert share == pytest.approx(2 / 5)
    assert not codes(res, "DQ_DATASET_DRIFT")


def test_large_data_uses_distances_and_flags_dataset_drift():
    cur = frame(3000, seed=5, shift=1.0, p_red=0.8)
    cur["x2"] = cur["x2"] * 3
    cur["age"] = cur["age"] + 15
    res = run(make_ctx(cur, reference=frame(3000, seed=6)))
    rows = {
        c: (t, d)
        for c, t, d in zip(
            res.tables["drift"].data["column"],
            res.tables["drift"].data["test"],
            res.tables["drift"].data["drifted"],
            strict=True,
        )
    }
    assert rows["x1"] == ("wasserstein_normed", True)
    assert rows["c1"] == ("jensen_shannon", True)
    assert rows["g"] == ("jensen_shannon", False)
    ds = codes(res, "DQ_DATASET_DRIFT")
    assert len(ds) == 1 and ds[0].evidence["share"] == pytest.approx(4 / 5)
    psi = {f.subject: f.severity for f in codes(res, "DQ_PSI")}
    assert psi["x1"] == "fail" and "g" not in psi


def test_psi_matches_its_formula():
    ref = pd.DataFrame({"c": ["u"] * 500 + ["v"] * 500, "g": ["a", "b"] * 500, "y": [0, 1] * 500})
    cur = pd.DataFrame({"c": ["u"] * 700 + ["v"] * 300, "g": ["a", "b"] * 500, "y": [0, 1] * 500})
    res = run(make_ctx(cur, reference=ref))
    expected = (0.5 - 0.7) * np.log(0.5 / 0.7) + (0.5 - 0.3) * np.log(0.5 / 0.3)
    assert res.metrics["drift"]["columns"]["c"]["psi"] == pytest.approx(expected)


def test_label_drift():
    res = run(make_ctx(frame(600, seed=7, p_yes=0.8), reference=frame(600, seed=8)))
    f = codes(res, "DQ_LABEL_DRIFT")
    assert len(f) == 1 and f[0].subject == "y" and f[0].severity == "fail"
    assert "y" not in res.metrics["drift"]["columns"]


def test_new_categories():
    cur = frame(500, seed=9)
    cur.loc[:9, "c1"] = "purple"
    res = run(make_ctx(cur, reference=frame(500, seed=10)))
    f = codes(res, "DQ_NEW_CATEGORIES")
    assert len(f) == 1 and f[0].subject == "c1"
    assert f[0].evidence["share"] == pytest.approx(10 / 500) and f[0].evidence["new"] == ["purple"]


def test_train_test_overlap():
    ref = frame(400, seed=11)
    cur = frame(400, seed=12)
    cur.iloc[:40] = ref.iloc[100:140].to_numpy()
    res = run(make_ctx(cur, reference=ref))
    f = codes(res, "DQ_TRAIN_TEST_OVERLAP")
    assert len(f) == 1 and f[0].severity == "fail" and f[0].evidence["overlapping_rows"] == 40


def test_group_mix_drift_with_binned_protected_column():
    cur = frame(1000, seed=13, p_a=0.8)
    ref = frame(1000, seed=14)
    ref["age"] = ref["age"].astype(float)  # same bins whatever the dtype
    res = run(make_ctx(cur, reference=ref, protected=("g", ProtectedAttribute(column="age", bins=(30, 60)))))
    mix = res.metrics["group_mix_drift"]
    assert mix["g"]["current_share"][0] == pytest.approx((cur["g"] == "a").mean())
    assert mix["age"]["group"] == sorted(["<=30", "(30, 60]", ">60"])
    f = {x.subject: x for x in codes(res, "DQ_GROUP_MIX_DRIFT")}
    assert set(f) == {"g"} and f["g"].severity == "fail"
    t = res.tables["group_mix_drift"]
    assert t.columns == [
        "protected",
        "group",
        "reference_count",
        "reference_share",
        "current_count",
        "current_share",
        "difference",
    ]
    assert t.n_rows == 2 + 3


def test_reference_with_different_columns_is_named_not_a_crash():
    cur = frame(300, seed=15).assign(extra_here=1.5)
    ref = frame(300, seed=16).drop(columns=["x2"]).assign(only_there="z")
    ref["c1"] = np.arange(300)  # numeric in the reference, text here
    res = run(make_ctx(cur, reference=ref))
    no_errors(res)
    f = codes(res, "DQ_REFERENCE_COLUMNS")
    missing = [x for x in f if "lacks" in x.message][0]
    assert set(missing.evidence["missing"]) == {"x2", "extra_here"} and "x2" in missing.message
    assert any("only_there" in x.message for x in f)
    assert any(x.subject == "c1" for x in f)
    assert "x2" not in res.metrics["drift"]["columns"]
    assert "compared as text" in res.metrics["drift"]["columns"]["c1"]["note"]


def test_reference_without_protected_or_label_columns():
    ref = frame(300, seed=17).drop(columns=["g", "y"])
    res = run(make_ctx(frame(300, seed=18), reference=ref))
    no_errors(res)
    assert res.metrics["checks"]["DQ_LABEL_DRIFT"]["applicable"] is False
    assert any(f.subject == "g" for f in codes(res, "DQ_NOT_APPLICABLE"))


def test_drift_severity_can_be_softened_by_policy():
    from audits.config import Policy

    res = run(
        make_ctx(
            frame(600, seed=19, shift=1.0),
            reference=frame(600, seed=20),
            policy=Policy(checks={"DQ_DRIFT": {"severity": "warn"}}),
        )
    )
    assert [f.severity for f in codes(res, "DQ_DRIFT")] == ["warn"]
