"""compare(a, b): real changes beyond the tolerance vs noise, direction, Holm, paired vs independent, new and
vanished groups and findings, refused comparisons."""

from __future__ import annotations

import pytest

from audits.compare import CHANGED, NOISE, UNTESTED, compare, holm
from audits.errors import AuditInputError
from tests.audits.store.results import make_result

PERF = {"accuracy": (0.80, 0.79, 0.81)}
RATIO = ("sex", "demographic_parity", "ratio")
DIFF = ("sex", "equal_opportunity", "difference")


def _item(cmp, key):
    return next(i for i in cmp.items if i.key == key)


def test_identical_audits_change_nothing():
    a = make_result()
    cmp = compare(a, a)
    assert cmp.regressions == [] and cmp.improvements == []
    assert all(i.change == 0 for i in cmp.items)
    assert {i.verdict for i in cmp.items} == {NOISE}


def test_a_large_precise_drop_in_accuracy_is_a_regression():
    a = make_result(perf=PERF)
    b = make_result(perf={"accuracy": (0.70, 0.69, 0.71)}, data_sha="cc" * 32)
    cmp = compare(a, b)
    item = _item(cmp, "accuracy")
    assert item.verdict == CHANGED and item.worse
    assert item.change == pytest.approx(-0.10) and item.worse_by == pytest.approx(0.10)
    assert [i.key for i in cmp.regressions] == ["accuracy"]


def test_a_rise_in_accuracy_is_better_not_worse():
    cmp = compare(make_result(perf=PERF), make_result(perf={"accuracy": (0.90, 0.89, 0.91)}))
    assert _item(cmp, "accuracy").better and not cmp.regressions


def test_a_change_within_the_tolerance_is_noise_however_precise():
    cmp = compare(make_result(perf=PERF), make_result(perf={"accuracy": (0.785, 0.784, 0.786)}))
    assert _item(cmp, "accuracy").verdict == NOISE


def test_the_tolerance_comes_from_the_policy():
    a = make_result(perf={"accuracy": (0.80, 0.799, 0.801)})
    b = make_result(perf={"accuracy": (0.785, 0.784, 0.786)})
    assert _item(compare(a, b), "accuracy").verdict == NOISE
    assert _item(compare(a, b, policy={"change_tolerance": 0.005}), "accuracy").worse
    assert compare(a, b, policy={"change_tolerance": 0.005}).tolerance == 0.005


def test_a_large_change_with_wide_intervals_is_noise():
    a = make_result(perf={"accuracy": (0.80, 0.60, 0.95)})
    b = make_result(perf={"accuracy": (0.72, 0.55, 0.90)}, data_sha="cc" * 32)
    assert _item(compare(a, b), "accuracy").verdict == NOISE


def test_error_metrics_are_worse_when_higher():
    a = make_result(perf={"log_loss": (0.40, 0.39, 0.41)})
    b = make_result(perf={"log_loss": (0.50, 0.49, 0.51)})
    assert _item(compare(a, b), "log_loss").worse


def test_the_base_rate_changes_but_is_never_worse():
    a = make_result(perf={"base_rate": (0.30, 0.29, 0.31)})
    b = make_result(perf={"base_rate": (0.50, 0.49, 0.51)})
    item = _item(compare(a, b), "base_rate")
    assert item.verdict == CHANGED and not item.worse and not item.better


@pytest.mark.parametrize(
    ("before", "after", "worse"),
    [
        ((0.95, 0.93, 0.97), (0.70, 0.68, 0.72), True),  # ratio falls away from 1
        ((1.00, 0.98, 1.02), (1.40, 1.38, 1.42), True),  # ratio rises away from 1
        ((0.70, 0.68, 0.72), (0.97, 0.95, 0.99), False),  # ratio moves towards 1
    ],
)
def test_ratios_are_worse_farther_from_one(before, after, worse):
    a = make_result(disparities={RATIO: before})
    b = make_result(disparities={RATIO: after})
    item = _item(compare(a, b), "sex:demographic_parity:ratio:between_groups")
    assert item.verdict == CHANGED and item.worse is worse


def test_differences_are_worse_farther_from_zero_on_either_side():
    a = make_result(disparities={DIFF: (0.01, 0.00, 0.02)})
    b = make_result(disparities={DIFF: (-0.15, -0.16, -0.14)})
    assert _item(compare(a, b), "sex:equal_opportunity:difference:between_groups").worse


def test_an_item_without_interval_is_untested_and_never_gates():
    a = make_result(disparities={DIFF: (0.01, None, None)})
    b = make_result(disparities={DIFF: (0.30, None, None)})
    item = _item(compare(a, b), "sex:equal_opportunity:difference:between_groups")
    assert item.verdict == UNTESTED and not item.worse and "no interval" in item.note


def test_holm_rejects_fewer_than_unadjusted_tests():
    assert holm([0.01, 0.04, 0.03], 0.05) == [True, False, False]
    assert holm([0.001, 0.01, 0.02], 0.05) == [True, True, True]


def test_many_marginal_changes_are_not_all_flagged():
    # Each change alone has a one-sided p of about 0.01: without correction all 40 would be flagged.
    base = {(f"g{i}", "tpr", "difference"): (0.0, -0.01, 0.01) for i in range(40)}
    moved = {k: (0.037, 0.027, 0.047) for k in base}
    cmp = compare(make_result(disparities=base), make_result(disparities=moved, data_sha="cc" * 32))
    disparities = [i for i in cmp.items if i.kind == "disparity"]
    assert all(0.001 < i.p_value < 0.02 for i in disparities)
    assert sum(i.worse for i in disparities) == 0


def test_the_same_data_without_ledgers_is_not_paired_and_uses_the_independent_error():
    a = make_result(perf={"accuracy": (0.80, 0.77, 0.83)})
    b_same = make_result(perf={"accuracy": (0.75, 0.72, 0.78)})
    b_other = make_result(perf={"accuracy": (0.75, 0.72, 0.78)}, data_sha="cc" * 32)
    same, independent = compare(a, b_same), compare(a, b_other)
    assert same.method == "independent" and "same data" in same.method_note
    assert "no row ledger" in same.method_note and "conservative" in same.method_note
    assert independent.method == "independent" and "different data" in independent.method_note
    # No correlation is measured, so the p-value is the conservative independent one.
    assert _item(same, "accuracy").p_value == pytest.approx(_item(independent, "accuracy").p_value)


def test_new_and_vanished_groups_and_findings():
    a = make_result(groups={"sex": ["female", "male"]}, findings=[("FAIR_X", "sex")])
    b = make_result(groups={"sex": ["female", "male", "other"]}, findings=[("FAIR_Y", "sex")])
    cmp = compare(a, b)
    assert cmp.new_groups == ("sex = other",) and cmp.vanished_groups == ()
    assert [f["code"] for f in cmp.new_findings] == ["FAIR_Y"]
    assert [f["code"] for f in cmp.vanished_findings] == ["FAIR_X"]


def test_items_only_in_one_audit_are_listed():
    a = make_result(perf={"accuracy": (0.8, 0.79, 0.81), "roc_auc": (0.85, 0.84, 0.86)})
    b = make_result(perf={"accuracy": (0.8, 0.79, 0.81)})
    assert compare(a, b).only_in_a == ("roc_auc",)


@pytest.mark.parametrize(
    ("change", "named"),
    [
        ({"target": "income"}, "target"),
        ({"task": "regression"}, "task"),
        ({"positive_label": "no"}, "positive label"),
    ],
)
def test_audits_of_different_targets_or_tasks_are_refused(change, named):
    with pytest.raises(AuditInputError, match=f"{named} differs"):
        compare(make_result(), make_result(**change))


def test_the_comparison_serialises_to_plain_data():
    import json

    d = compare(make_result(perf=PERF), make_result(perf={"accuracy": (0.7, 0.69, 0.71)})).to_dict()
    assert json.loads(json.dumps(d))["regressions"] == ["accuracy"]
