"""Awkward inputs: small groups, one-class groups, empty intersections, probabilities as labels, weights."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits import errors as E
from audits.errors import AuditInputError
from tests.audits.fairness.conftest import audit, context, make_frame


def test_group_with_only_positives_has_undefined_negative_rates_with_reasons():
    f = make_frame(2000, seed=31, groups={"F": 0.5, "M": 0.5})
    f.loc[f["sex"] == "F", "label"] = 1
    _, res = audit(f)
    g = res.metrics["groups"]["sex"]["F"]
    for m in ("fpr", "tnr", "balanced_accuracy"):
        assert g[m]["value"] is None, m
        assert g[m]["ci_low"] is None and g[m]["ci_high"] is None
        assert g[m]["reason"]
    assert g["fpr"]["reason"] == "no negative label in this group"
    assert g["tpr"]["value"] is not None
    table = res.tables["groups:sex"].to_frame().set_index("group")
    assert table.loc["F", "fpr"] is None
    assert "fpr undefined: no negative label in this group" in table.loc["F", "note"]
    # Excluded from error-rate disparities (0 negatives), but still in the selection-rate ones.
    assert bool(table.loc["F", "excluded"])
    ex = res.tables["excluded_groups"].to_frame()
    assert ex.loc[0, "group"] == "F" and ex.loc[0, "negatives"] == 0
    eo = next(
        r
        for r in res.metrics["disparities"]
        if r["metric"] == "equalized_odds" and r["method"] == "between_groups"
    )
    assert eo["value"] is None and eo["verdict"] == "undefined"
    dp = next(
        r
        for r in res.metrics["disparities"]
        if r["metric"] == "demographic_parity" and r["method"] == "between_groups"
    )
    assert dp["value"] is not None


def test_group_with_only_negatives_has_undefined_tpr():
    f = make_frame(2000, seed=32)
    f.loc[f["sex"] == "F", "label"] = 0
    _, res = audit(f)
    g = res.metrics["groups"]["sex"]["F"]
    assert g["tpr"]["value"] is None and g["fnr"]["value"] is None
    assert g["tpr"]["reason"] == "no positive label in this group"


def test_small_groups_are_listed_with_counts_and_left_out_of_headline():
    f = make_frame(3000, seed=33, groups={"F": 0.49, "M": 0.5, "Q": 0.01})
    _, res = audit(f)
    ex = res.tables["excluded_groups"].to_frame().set_index("group")
    n_q = int((f["sex"] == "Q").sum())
    assert n_q < 30
    assert ex.loc["Q", "count"] == n_q
    assert "fewer than 30 rows" in ex.loc["Q", "reason"]
    rates = f.groupby("sex")["pred"].mean()
    # Q takes part in no comparison with the reference group: its rows say why, and no verdict names it.
    ref = [r for r in res.metrics["reference"] if r["attribute"] == "sex"]
    assert {r["verdict"] for r in ref if r["group"] == "Q"} == {"undefined"}
    assert all("excluded" in r["note"] for r in ref if r["group"] == "Q")
    assert all(r["group"] != "Q" for r in res.metrics["headline"])
    base = res.metrics["reference_groups"]["sex"]  # the largest group
    other = "F" if base == "M" else "M"
    sel = next(r for r in ref if r["group"] == other and r["metric"] == "selection_rate")
    assert sel["difference"] == pytest.approx(rates[other] - rates[base], abs=1e-12)
    # Its numbers are still reported.
    assert res.metrics["groups"]["sex"]["Q"]["selection_rate"]["value"] == pytest.approx(
        rates["Q"], abs=1e-12
    )


def test_empty_intersections_are_reported():
    f = make_frame(2000, seed=34)
    # No 'F' in race 'C'.
    f.loc[(f["sex"] == "F") & (f["race"] == "C"), "sex"] = "M"
    _, res = audit(f, protected=("sex", "race"))
    ex = res.tables["excluded_groups"].to_frame()
    row = ex[ex["group"] == "F × C"]
    assert len(row) == 1
    assert row.iloc[0]["count"] == 0
    assert row.iloc[0]["reason"] == "empty intersection: no rows"
    assert "F × C" not in res.metrics["groups"]["sex × race"]
    assert "1 empty intersection" in res.method["excluded"]


def test_probabilities_given_as_predictions_are_a_clear_input_error():
    f = make_frame(500, seed=35)
    f["pred"] = f["score"]
    with pytest.raises(AuditInputError) as err:
        context(f)
    assert str(err.value) == E.PREDICTION_LOOKS_LIKE_SCORES.format(file="DataFrame", column="pred")


def test_missing_protected_values_form_the_missing_group_in_intersections_too():
    f = make_frame(2000, seed=36)
    f["race"] = f["race"].astype(object)
    f.loc[f.index[:50], "race"] = None
    ctx, res = audit(f, protected=("sex", "race"))
    assert "missing" in res.metrics["groups"]["race"]
    inter = res.metrics["groups"]["sex × race"]
    assert any(g.endswith("× missing") for g in inter)
    assert sum(res.metrics["group_counts"]["race"][g]["count"] for g in res.metrics["groups"]["race"]) == 2000


def test_sample_weights_change_rates_but_not_row_counts():
    f = make_frame(2000, seed=37, with_weights=True)
    f.loc[f["sex"] == "F", "w"] *= np.where(f.loc[f["sex"] == "F", "pred"] == 1, 5.0, 1.0)
    _, weighted = audit(f, sample_weight_column="w")
    _, plain = audit(f)
    a = weighted.metrics["groups"]["sex"]["F"]["selection_rate"]
    b = plain.metrics["groups"]["sex"]["F"]["selection_rate"]
    assert a["value"] > b["value"]
    sel = f["sex"] == "F"
    assert a["value"] == pytest.approx(np.average(f.loc[sel, "pred"], weights=f.loc[sel, "w"]), abs=1e-12)
    assert weighted.metrics["group_counts"]["sex"]["F"]["count"] == int(sel.sum())
    assert "weights" in weighted.method and weighted.method["weights"] != "none"
    assert a["ci_low"] < a["value"] < a["ci_high"]


def test_all_rows_in_one_protected_value_with_string_labels():
    f = make_frame(300, seed=38)
    f["sex"] = "only"
    f["label"] = np.where(f["label"] == 1, "approve", "deny")
    f["pred"] = np.where(f["pred"] == 1, "approve", "deny")
    _, res = audit(f, positive_label="approve")
    assert list(res.metrics["groups"]["sex"]) == ["only"]
    assert res.status.value == "inconclusive"
    assert res.summary


def test_empty_frame_of_a_group_column_does_not_crash_on_unused_categories():
    f = make_frame(400, seed=39)
    f["sex"] = pd.Categorical(f["sex"], categories=["F", "M", "unused"])
    _, res = audit(f)
    assert set(res.metrics["groups"]["sex"]) == {"F", "M"}
