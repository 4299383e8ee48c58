"""Disparities equal fairlearn's difference/ratio (between_groups, to_overall) and its named metrics."""

from __future__ import annotations

import numpy as np
import pytest
from fairlearn.metrics import (
    MetricFrame,
    demographic_parity_difference,
    demographic_parity_ratio,
    equal_opportunity_difference,
    equalized_odds_difference,
    equalized_odds_ratio,
    false_positive_rate,
    selection_rate,
    true_positive_rate,
)

from audits.fairness import disparities as D
from tests.audits.fairness.conftest import audit, make_frame


def _row(res, attribute, metric, kind, method="between_groups", group=""):
    rows = [
        r
        for r in res.metrics["disparities"]
        if (r["attribute"], r["metric"], r["kind"], r["method"]) == (attribute, metric, kind, method)
        and (not group or r["group"] == group)
    ]
    assert len(rows) == 1, (attribute, metric, kind, method, rows)
    return rows[0]


@pytest.fixture(scope="module")
def three_groups():
    f = make_frame(6000, seed=11, groups={"F": 0.35, "M": 0.45, "X": 0.2})
    return f, audit(f)


def test_named_disparities_equal_fairlearn(three_groups):
    f, (_, res) = three_groups
    y, p, a = f["label"], f["pred"], f["sex"]
    for method in ("between_groups", "to_overall"):
        expected = {
            ("demographic_parity", "difference"): demographic_parity_difference(
                y, p, sensitive_features=a, method=method
            ),
            ("demographic_parity", "ratio"): demographic_parity_ratio(
                y, p, sensitive_features=a, method=method
            ),
            ("equal_opportunity", "difference"): equal_opportunity_difference(
                y, p, sensitive_features=a, method=method
            ),
            ("equalized_odds", "difference"): equalized_odds_difference(
                y, p, sensitive_features=a, method=method
            ),
            ("equalized_odds", "ratio"): equalized_odds_ratio(y, p, sensitive_features=a, method=method),
            ("average_odds", "difference"): equalized_odds_difference(
                y, p, sensitive_features=a, method=method, agg="mean"
            ),
            ("average_odds", "ratio"): equalized_odds_ratio(
                y, p, sensitive_features=a, method=method, agg="mean"
            ),
        }
        for (metric, kind), value in expected.items():
            assert _row(res, "sex", metric, kind, method)["value"] == pytest.approx(value, abs=1e-12), (
                metric,
                kind,
                method,
            )


def test_every_metric_disparity_equals_metricframe_difference_and_ratio(three_groups):
    f, (_, res) = three_groups
    mf = MetricFrame(
        metrics={"fpr": false_positive_rate, "tpr": true_positive_rate, "selection_rate": selection_rate},
        y_true=f["label"],
        y_pred=f["pred"],
        sensitive_features=f["sex"],
    )
    names = {"fpr": "fpr", "tpr": "equal_opportunity", "selection_rate": "demographic_parity"}
    for method in ("between_groups", "to_overall"):
        for m, ours in names.items():
            assert _row(res, "sex", ours, "difference", method)["value"] == pytest.approx(
                mf.difference(method=method)[m], abs=1e-12
            )
            assert _row(res, "sex", ours, "ratio", method)["value"] == pytest.approx(
                mf.ratio(method=method)[m], abs=1e-12
            )


def test_between_groups_rows_name_the_lowest_and_highest_group(three_groups):
    f, (_, res) = three_groups
    rates = f.groupby("sex")["pred"].mean()
    row = _row(res, "sex", "demographic_parity", "ratio")
    assert row["group"] == rates.idxmin()
    assert row["reference"] == rates.idxmax()
    assert _row(res, "sex", "demographic_parity", "ratio", "to_overall")["reference"] == "overall"


def test_between_groups_and_to_overall_are_descriptive_without_interval(three_groups):
    _, (_, res) = three_groups
    for r in res.metrics["disparities"]:
        if r["method"] in ("between_groups", "to_overall"):
            assert r["ci_low"] is None and r["ci_high"] is None and r["tolerance"] is None
            assert r["verdict"] == ("descriptive" if r["value"] is not None else "undefined")


def test_reference_intervals_contain_their_estimates_and_verdict_rows_have_labels(three_groups):
    _, (_, res) = three_groups
    for r in res.metrics["reference"]:
        for kind in ("difference", "ratio"):
            if r[kind] is not None:
                assert r[f"{kind}_ci_low"] <= r[kind] <= r[f"{kind}_ci_high"], r
                assert r[f"{kind}_ci_low"] < r[f"{kind}_ci_high"], r
    fav = (
        _row(res, "sex", "favourable_rate", "ratio", "vs_reference")
        if any(r["metric"] == "favourable_rate" and r["kind"] == "ratio" for r in res.metrics["verdicts"])
        else _row(res, "sex", "favourable_rate", "difference", "vs_reference")
    )
    assert fav["label"] in ("four-fifths rule (US EEOC heuristic)", "difference within ±0.1 (policy)")
    assert fav["reference"] == "M"  # the largest group by default
    assert fav["verdict"] in ("pass", "fail", "inconclusive")


def test_each_group_against_a_configured_reference_group_is_signed():
    f = make_frame(3000, seed=12)
    from audits.config import ProtectedAttribute

    _, res = audit(f, protected=(ProtectedAttribute(column="sex", reference_group="F"),))
    rates = f.groupby("sex")["pred"].mean()
    tpr = f[f["label"] == 1].groupby("sex")["pred"].mean()
    fpr = f[f["label"] == 0].groupby("sex")["pred"].mean()
    ref = {r["metric"]: r for r in res.metrics["reference"] if r["attribute"] == "sex"}
    assert {r["group"] for r in ref.values()} == {"M"}
    assert {r["reference"] for r in ref.values()} == {"F"}
    sel = ref["selection_rate"]
    assert sel["difference"] == pytest.approx(rates["M"] - rates["F"], abs=1e-12)
    assert sel["ratio"] == pytest.approx(rates["M"] / rates["F"], abs=1e-12)
    assert ref["tpr"]["difference"] == pytest.approx(tpr["M"] - tpr["F"], abs=1e-12)
    assert ref["fpr"]["ratio"] == pytest.approx(fpr["M"] / fpr["F"], abs=1e-12)
    assert ref["fnr"]["difference"] == pytest.approx(tpr["F"] - tpr["M"], abs=1e-12)
    assert res.metrics["reference_groups"]["sex"] == "F"
    # Every count metric is compared.
    assert set(ref) >= {
        "selection_rate",
        "prevalence",
        "tpr",
        "fpr",
        "fnr",
        "tnr",
        "precision",
        "npv",
        "fdr",
        "for_",
    }


def test_unknown_reference_group_is_refused_at_the_entry():
    from audits.config import ProtectedAttribute
    from audits.errors import AuditInputError

    f = make_frame(1000, seed=13)
    with pytest.raises(AuditInputError, match="reference_group 'nobody' of protected column 'sex'"):
        audit(f, protected=(ProtectedAttribute(column="sex", reference_group="nobody"),))


def test_single_group_makes_every_disparity_undefined_not_zero():
    f = make_frame(800, seed=14)
    f["sex"] = "F"
    _, res = audit(f)
    assert res.metrics["disparities"]
    for r in res.metrics["disparities"]:
        assert r["value"] is None
        assert r["verdict"] == "undefined"
        assert "fewer than two groups" in r["note"] or "no group with enough data" in r["note"]
    assert res.status.value == "inconclusive"


def test_ratio_with_zero_maximum_is_undefined():
    diff, ratio = D.between_groups(np.array([0.0, 0.0]), np.array([True, True]))
    assert diff == 0.0
    assert np.isnan(ratio)
    diff, ratio = D.to_overall(np.array([0.0, 0.0]), np.array(0.0), np.array([True, True]))
    assert np.isnan(ratio)


def test_between_groups_skips_ineligible_and_undefined_groups():
    values = np.array([0.2, np.nan, 0.5, 0.9])
    eligible = np.array([True, True, True, False])
    diff, ratio = D.between_groups(values, eligible)
    assert diff == pytest.approx(0.3)
    assert ratio == pytest.approx(0.4)
    # Vectorised over resamples (B, g).
    boot = np.array([[0.2, 0.3, 0.4, 0.0], [0.1, np.nan, np.nan, 0.5]])
    d, r = D.between_groups(boot, eligible)
    assert d[0] == pytest.approx(0.2) and np.isnan(d[1])
