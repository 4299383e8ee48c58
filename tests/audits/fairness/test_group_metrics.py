"""Point estimates of every group metric equal fairlearn's MetricFrame (and scikit-learn) to 1e-12."""

from __future__ import annotations

import functools

import numpy as np
import pandas as pd
import pytest
from fairlearn.metrics import (
    MetricFrame,
    false_negative_rate,
    false_positive_rate,
    selection_rate,
    true_negative_rate,
    true_positive_rate,
)
from sklearn import metrics as skm

from tests.audits.fairness.conftest import audit, make_frame


def _fdr(y_true, y_pred, sample_weight=None):
    return 1 - skm.precision_score(y_true, y_pred, sample_weight=sample_weight, zero_division=np.nan)


def _for(y_true, y_pred, sample_weight=None):
    return 1 - skm.precision_score(
        y_true, y_pred, pos_label=0, sample_weight=sample_weight, zero_division=np.nan
    )


FAIRLEARN = {
    "selection_rate": selection_rate,
    "tpr": true_positive_rate,
    "fpr": false_positive_rate,
    "fnr": false_negative_rate,
    "tnr": true_negative_rate,
    "precision": functools.partial(skm.precision_score, zero_division=np.nan),
    "fdr": _fdr,
    "for_": _for,
    "accuracy": skm.accuracy_score,
    "balanced_accuracy": skm.balanced_accuracy_score,
}


def _frame(y_true, y_pred, sensitive, *, weights=None, score=None):
    """fairlearn MetricFrame of the count metrics, and one of ROC AUC on the scores (None without scores)."""
    params = None if weights is None else {m: {"sample_weight": weights} for m in FAIRLEARN}
    mf = MetricFrame(
        metrics=FAIRLEARN, y_true=y_true, y_pred=y_pred, sensitive_features=sensitive, sample_params=params
    )
    auc = None
    if score is not None:
        auc = MetricFrame(
            metrics=skm.roc_auc_score,
            y_true=y_true,
            y_pred=score,
            sensitive_features=sensitive,
            sample_params=None if weights is None else {"sample_weight": weights},
        )
    return mf, auc


def _assert_groups_equal(res, column, mf, auc=None):
    groups = res.metrics["groups"][column]
    by_group = mf.by_group
    for g in by_group.index:
        for m in FAIRLEARN:
            ours = groups[str(g)][m]["value"]
            ref = by_group.loc[g, m]
            assert ours is not None, (g, m)
            assert ours == pytest.approx(float(ref), abs=1e-12, rel=1e-12), (g, m)
        if auc is not None:
            assert groups[str(g)]["roc_auc"]["value"] == pytest.approx(float(auc.by_group[g]), abs=1e-12)
    for m in FAIRLEARN:
        assert res.metrics["overall"][m]["value"] == pytest.approx(float(mf.overall[m]), abs=1e-12)


def test_generated_data_equals_metricframe_with_scores():
    f = make_frame(4000, seed=1)
    ctx, res = audit(f, score_column="score")
    mf, auc = _frame(f["label"], f["pred"], f["sex"], score=f["score"])
    _assert_groups_equal(res, "sex", mf, auc)
    assert res.metrics["overall"]["roc_auc"]["value"] == pytest.approx(
        skm.roc_auc_score(f["label"], f["score"]), abs=1e-12
    )


def test_intersection_equals_metricframe_on_two_sensitive_features():
    f = make_frame(4000, seed=2)
    ctx, res = audit(f, protected=("sex", "race"))
    col = "sex × race"
    assert col in ctx.group_columns
    mf, _ = _frame(f["label"], f["pred"], f[["sex", "race"]])
    groups = res.metrics["groups"][col]
    for (s, r), row in mf.by_group.iterrows():
        for m in FAIRLEARN:
            assert groups[f"{s} × {r}"][m]["value"] == pytest.approx(float(row[m]), abs=1e-12)


def test_sample_weights_equal_metricframe_with_sample_params():
    f = make_frame(3000, seed=3, with_weights=True)
    ctx, res = audit(f, score_column="score", sample_weight_column="w")
    mf, auc = _frame(f["label"], f["pred"], f["sex"], weights=f["w"].to_numpy(), score=f["score"])
    _assert_groups_equal(res, "sex", mf, auc)
    # The weights matter: unweighted selection rates differ.
    unweighted = f.groupby("sex")["pred"].mean()
    assert res.metrics["groups"]["sex"]["F"]["selection_rate"]["value"] != pytest.approx(
        unweighted["F"], abs=1e-6
    )
    # Counts stay row counts, so the small-group rules use real sample sizes.
    table = res.tables["groups:sex"].to_frame().set_index("group")
    assert table.loc["F", "count"] == int((f["sex"] == "F").sum())


def test_german_credit_model_equals_metricframe(german_model_ctx, german_model_result):
    ctx = german_model_ctx
    sens = ctx.sensitive["sex"].astype(str).to_numpy()
    mf, auc = _frame(ctx.y_true, ctx.y_pred, sens, score=ctx.y_score)
    _assert_groups_equal(german_model_result, "sex", mf, auc)
    age = ctx.sensitive["age"].astype(str).to_numpy()
    mf_age, _ = _frame(ctx.y_true, ctx.y_pred, age)
    groups = german_model_result.metrics["groups"]["age"]
    for g in mf_age.by_group.index:
        assert groups[g]["selection_rate"]["value"] == pytest.approx(
            float(mf_age.by_group.loc[g, "selection_rate"]), abs=1e-12
        )


def test_group_table_columns_follow_the_contract(german_model_result):
    table = german_model_result.tables["groups:sex"]
    cols = table.columns
    assert cols[:4] == ["group", "count", "positives", "negatives"]
    for m in (*FAIRLEARN, "roc_auc"):
        i = cols.index(m)
        assert cols[i + 1 : i + 3] == [f"{m}_ci_low", f"{m}_ci_high"]
    assert cols[-2:] == ["excluded", "note"]
    frame = table.to_frame()
    assert (frame["count"] == frame["positives"] + frame["negatives"]).all()


def test_every_defined_value_lies_in_its_interval(german_model_result):
    for col, groups in german_model_result.metrics["groups"].items():
        for g, metrics in groups.items():
            for m, cell in metrics.items():
                if cell["value"] is None:
                    continue
                assert cell["ci_low"] <= cell["value"] + 1e-9, (col, g, m)
                assert cell["value"] <= cell["ci_high"] + 1e-9, (col, g, m)


def test_string_labels_bool_labels_and_minus_one_labels_give_the_same_numbers():
    f = make_frame(1500, seed=4)
    _, ref = audit(f)
    variants = {
        "str": (f["label"].map({1: "yes", 0: "no"}), f["pred"].map({1: "yes", 0: "no"}), "yes"),
        "bool": (f["label"].astype(bool), f["pred"].astype(bool), True),
        "pm1": (f["label"] * 2 - 1, f["pred"] * 2 - 1, 1),
    }
    for name, (y, p, pos) in variants.items():
        g = f.assign(label=y, pred=p)
        _, res = audit(g, positive_label=pos)
        for grp in ("F", "M"):
            for m in FAIRLEARN:
                assert res.metrics["groups"]["sex"][grp][m] == ref.metrics["groups"]["sex"][grp][m], (name, m)


def test_missing_protected_value_is_its_own_reported_group():
    f = make_frame(2000, seed=5)
    f["sex"] = f["sex"].astype(object)
    f.loc[f.index[:80], "sex"] = np.nan
    ctx, res = audit(f)
    groups = res.metrics["groups"]["sex"]
    assert set(groups) == {"F", "M", "missing"}
    table = res.tables["groups:sex"].to_frame().set_index("group")
    assert table.loc["missing", "count"] == 80
    ref = pd.Series(f["pred"].to_numpy()[:80]).mean()
    assert groups["missing"]["selection_rate"]["value"] == pytest.approx(ref, abs=1e-12)
