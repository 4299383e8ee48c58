"""Single-dataset checks on small generated frames: each flags what it should and nothing else."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.config import Policy
from tests.audits.data_quality.conftest import codes, make_ctx, no_errors, run


def subjects(result, code):
    return {f.subject for f in codes(result, code)}


@pytest.fixture(scope="module")
def clean(base_frame):
    res = run(make_ctx(base_frame))
    no_errors(res)
    return res


def test_clean_frame_has_no_warnings(clean):
    assert [f.code for f in clean.findings if f.severity != "info"] == []


def test_missing_share_thresholds(base_frame):
    df = base_frame.copy()
    df.loc[:2, "x1"] = None  # 0.75%: below 1%
    df.loc[:7, "c1"] = None  # 2%: warn
    df.loc[:29, "x2"] = None  # 7.5%: fail
    res = run(make_ctx(df))
    sev = {f.subject: f.severity for f in codes(res, "DQ_MISSING")}
    assert sev == {"c1": "warn", "x2": "fail"}
    values = res.metrics["checks"]["DQ_MISSING"]["values"]
    assert values["share"]["x2"] == pytest.approx(0.075)
    assert values["rows_with_any_missing"] == 30


def test_mixed_null_spellings(base_frame):
    df = base_frame.copy()
    df["c1"] = df["c1"].astype(object)
    df.loc[0, "c1"] = "N/A"
    df.loc[1, "c1"] = None
    df.loc[2, "c1"] = " null "
    df["c2"] = df["c2"].astype(object)
    df.loc[0, "c2"] = "?"
    res = run(make_ctx(df))
    by = {f.subject: f for f in codes(res, "DQ_MIXED_NULLS")}
    assert by["c1"].severity == "fail" and len(by["c1"].evidence["kinds"]) == 3
    assert "c2" not in by  # a single spelling is a kept value, reported with its share by DQ_NULL_TOKENS
    tokens = {f.subject: f for f in codes(res, "DQ_NULL_TOKENS")}
    assert tokens["c2"].severity == "info" and "'?' in 0.2% of rows" in tokens["c2"].message


def test_constant_and_all_missing_columns(base_frame):
    df = base_frame.assign(k=7, empty=np.nan)
    res = run(make_ctx(df))
    assert subjects(res, "DQ_CONSTANT") == {"k", "empty"}
    assert all(f.severity == "fail" for f in codes(res, "DQ_CONSTANT"))


def test_identifier_columns_and_row_order(base_frame):
    df = base_frame.assign(row_id=np.arange(len(base_frame)), code=[f"id{i}" for i in range(len(base_frame))])
    df["x_float"] = np.random.default_rng(0).normal(size=len(df))  # all distinct but float: not an id
    res = run(make_ctx(df))
    assert subjects(res, "DQ_IDENTIFIER") == {"row_id", "code"}
    sorted_df = base_frame.sort_values("y").reset_index(drop=True)
    res = run(make_ctx(sorted_df))
    order = [f for f in codes(res, "DQ_IDENTIFIER") if f.subject == "(row order)"]
    assert order and order[0].evidence["auc"] > 0.9


def test_high_cardinality_and_dominant_category(base_frame):
    rng = np.random.default_rng(2)
    df = base_frame.assign(
        many=rng.choice([f"v{i}" for i in range(80)], size=len(base_frame)),
        skewed=np.where(np.arange(len(base_frame)) < 390, "main", "rare"),
    )
    res = run(make_ctx(df))
    assert subjects(res, "DQ_HIGH_CARDINALITY") == {"many"}
    dom = {f.subject: f for f in codes(res, "DQ_DOMINANT_CATEGORY")}
    assert "skewed" in dom and dom["skewed"].evidence["imbalance"] > 0.5
    assert "c1" not in dom


def test_label_imbalance(base_frame):
    df = base_frame.copy()
    df["y"] = np.where(np.arange(len(df)) < 20, "yes", "no")  # 20 / 380 = 0.053
    res = run(make_ctx(df))
    f = codes(res, "DQ_LABEL_IMBALANCE")
    assert len(f) == 1 and f[0].evidence["ratio"] == pytest.approx(20 / 380)


def test_label_imbalance_not_applicable_to_regression(base_frame):
    df = base_frame.assign(y=np.random.default_rng(3).normal(size=len(base_frame)))
    res = run(make_ctx(df))
    no_errors(res)
    assert res.metrics["checks"]["DQ_LABEL_IMBALANCE"]["applicable"] is False
    assert "regression" in res.metrics["checks"]["DQ_LABEL_IMBALANCE"]["reason"]
    assert res.metrics["representation"]["g"]["base_rate"] == [None, None]


def test_zeros_and_infinities(base_frame):
    df = base_frame.copy()
    df["inf_col"] = df["x1"]
    df.loc[:9, "inf_col"] = np.inf  # 2.5% infinite: fail
    df["one_inf"] = df["x1"]
    df.loc[0, "one_inf"] = -np.inf  # 0.25%: info
    df["zeros"] = np.where(np.arange(len(df)) % 4 == 0, df["x2"], 0.0)  # 75% zeros
    res = run(make_ctx(df))
    sev = {(f.subject, f.severity) for f in codes(res, "DQ_ZEROS_INFINITE")}
    assert ("inf_col", "fail") in sev and ("one_inf", "info") in sev and ("zeros", "info") in sev


def test_skew():
    # one spike among 2,000 values has skewness about sqrt(2000) = 45; a normal column about 0
    rng = np.random.default_rng(4)
    df = pd.DataFrame({"normal": rng.normal(size=2000), "spiky": rng.normal(scale=1e-3, size=2000)})
    df.loc[0, "spiky"] = 1e6
    df["g"] = np.where(np.arange(2000) % 2, "a", "b")
    df["y"] = rng.choice([0, 1], size=2000)
    res = run(make_ctx(df))
    assert subjects(res, "DQ_SKEW") == {"spiky"}
    assert res.metrics["checks"]["DQ_SKEW"]["values"]["skewness"]["spiky"] > 40


def test_duplicates_warn_then_fail(base_frame):
    one = pd.concat([base_frame, base_frame.iloc[:1]], ignore_index=True)
    res = run(make_ctx(one))
    f = codes(res, "DQ_DUPLICATES")
    assert len(f) == 1 and f[0].severity == "warn" and f[0].evidence["duplicate_rows"] == 1
    many = pd.concat([base_frame, base_frame.iloc[:40]], ignore_index=True)
    f = codes(run(make_ctx(many)), "DQ_DUPLICATES")
    assert f[0].severity == "fail" and f[0].evidence["share"] == pytest.approx(40 / 440)


def test_duplicates_treat_missing_as_equal(base_frame):
    df = base_frame.iloc[:50].copy()
    df.loc[:, "x1"] = np.nan
    df = pd.concat([df, df.iloc[:2]], ignore_index=True)
    assert codes(run(make_ctx(df)), "DQ_DUPLICATES")[0].evidence["duplicate_rows"] == 2


def test_conflicting_labels(base_frame):
    twin = base_frame.iloc[:3].copy()
    twin["y"] = np.where(twin["y"] == "yes", "no", "yes")
    df = pd.concat([base_frame, twin], ignore_index=True)
    features = tuple(c for c in df.columns if c != "y")
    f = codes(run(make_ctx(df, features=features)), "DQ_CONFLICTING_LABELS")
    assert len(f) == 1 and f[0].severity == "fail" and f[0].evidence["conflicting_rows"] == 6
    # predictions only, features unknown: the same conflict is a warning that says why it may be spurious
    g = codes(run(make_ctx(df)), "DQ_CONFLICTING_LABELS")
    assert len(g) == 1 and g[0].severity == "warn" and "features are unknown" in g[0].message


def test_string_mismatch_ignores_symbols_that_change_meaning(base_frame):
    df = base_frame.copy()
    df["country"] = "US"
    df.loc[:2, "country"] = "u.s."
    df.loc[3:5, "country"] = "Mexico"
    df.loc[6:7, "country"] = "  mexico"
    df["band"] = np.where(np.arange(len(df)) % 2, "<=50K", ">50K")
    res = run(make_ctx(df))
    f = {x.subject: x for x in codes(res, "DQ_STRING_MISMATCH")}
    assert set(f) == {"country"}
    assert f["country"].severity == "fail"  # 5 of 400 rows use a minority spelling: 1.25% > 1%
    assert f["country"].evidence["minority_share"] == pytest.approx(5 / 400)


def test_mixed_types(base_frame):
    df = base_frame.copy()
    df["code"] = np.where(np.arange(len(df)) < 12, "12", "abc")  # 3% numbers
    df["obj"] = pd.Series(["x"] * 398 + [1, 2.5], dtype=object)  # 0.5% numbers: outside band
    res = run(make_ctx(df))
    f = {x.subject: x for x in codes(res, "DQ_MIXED_TYPES")}
    assert f["code"].severity == "warn" and f["code"].evidence["rare_share"] == pytest.approx(0.03)
    assert f["obj"].severity == "info"


def test_outliers(base_frame):
    df = base_frame.copy()
    df.loc[:4, "x1"] = 100.0  # 1.25% of rows far outside 3 IQR
    res = run(make_ctx(df))
    f = codes(res, "DQ_OUTLIERS")
    assert len(f) == 1 and f[0].evidence["outlier_rows"] >= 5
    assert res.metrics["checks"]["DQ_OUTLIERS"]["values"]["columns"]["x1"]["outliers"] == 5


def test_correlation_of_each_pair_type(base_frame):
    df = base_frame.copy()
    df["x1_copy"] = df["x1"] * 3 + 1
    df["c1_copy"] = df["c1"].map({"red": "R", "green": "G", "blue": "B"})
    df["num_of_c2"] = df["c2"].map({"p": 1.0, "q": 5.0, "r": 9.0, "s": 13.0})
    res = run(make_ctx(df))
    pairs = {(f.evidence["a"], f.evidence["b"]): f.evidence["measure"] for f in codes(res, "DQ_CORRELATION")}
    assert pairs[("x1", "x1_copy")] == "spearman"
    assert pairs[("c1", "c1_copy")] == "cramers_v"
    assert pairs[("num_of_c2", "c2")] == "correlation_ratio"
    assert ("x1", "x2") not in pairs


def test_leakage_for_classification_and_regression(base_frame):
    df = base_frame.assign(leak=np.where(base_frame["y"] == "yes", 1.0, 0.0) + 0.01 * base_frame["x1"])
    res = run(make_ctx(df))
    f = codes(res, "DQ_LEAKAGE")
    assert [x.subject for x in f] == ["leak"] and f[0].evidence["value"] > 0.95
    reg = base_frame.assign(y=base_frame["x1"] * 10 + np.random.default_rng(5).normal(scale=0.1, size=400))
    f = codes(run(make_ctx(reg)), "DQ_LEAKAGE")
    assert [x.subject for x in f] == ["x1"] and f[0].evidence["measure"] == "r2"


def test_leakage_tolerance_from_policy(base_frame):
    df = base_frame.assign(half=np.where(base_frame["y"] == "yes", 1, 0) * (np.arange(400) % 2))
    assert not codes(run(make_ctx(df)), "DQ_LEAKAGE")
    res = run(make_ctx(df, policy=Policy(leakage_warn_absolute=0.6)))
    assert subjects(res, "DQ_LEAKAGE") == {"half"}
    assert codes(res, "DQ_LEAKAGE")[0].severity == "warn"
    res = run(make_ctx(df, policy=Policy(leakage_warn_absolute=0.6, leakage_fail=0.65)))
    assert codes(res, "DQ_LEAKAGE")[0].severity == "fail"
