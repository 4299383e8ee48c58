"""Reference figures of docs/checks.md on German credit (predictions equal to the labels: label base rates)."""

from __future__ import annotations

import pandas as pd
import pytest

from audits import AuditConfig, build_context
from audits.config import ProtectedAttribute
from audits.fairness.section import run_fairness
from audits.inputs import frame_as_data
from tests.audits.fairness.conftest import no_progress


@pytest.fixture(scope="module")
def german_labels(german_paths):
    frame = pd.read_csv(german_paths["full"])
    frame["prediction"] = frame["credit_risk"]
    cfg = AuditConfig(
        target="credit_risk",
        positive_label="good",
        protected=(
            "sex",
            ProtectedAttribute(
                column="age", bins=(25,), labels=("25 and under", "over 25"), reference_group="over 25"
            ),
        ),
        prediction_column="prediction",
        exclude_columns=("prediction",),
    )
    ctx = build_context(frame_as_data(frame, name="german_credit.csv"), config=cfg)
    return run_fairness(ctx, prior={}, progress=no_progress)


def _row(res, attribute, metric, kind, method):
    return next(
        r
        for r in res.metrics["disparities"]
        if (r["attribute"], r["metric"], r["kind"], r["method"]) == (attribute, metric, kind, method)
    )


def test_sex_base_rates_and_ratio(german_labels):
    groups = german_labels.metrics["groups"]["sex"]
    assert groups["female"]["selection_rate"]["value"] == pytest.approx(201 / 310, abs=1e-12)
    assert groups["male"]["selection_rate"]["value"] == pytest.approx(499 / 690, abs=1e-12)
    assert round(groups["female"]["selection_rate"]["value"], 6) == 0.648387
    assert round(groups["male"]["selection_rate"]["value"], 6) == 0.723188
    dp = _row(german_labels, "sex", "demographic_parity", "ratio", "between_groups")
    assert round(dp["value"], 6) == 0.896567
    assert (dp["group"], dp["reference"]) == ("female", "male")
    counts = german_labels.metrics["group_counts"]["sex"]
    assert counts["female"]["count"] == 310 and counts["female"]["positives"] == 201


def test_age_base_rates_and_signed_ratio(german_labels):
    groups = german_labels.metrics["groups"]["age"]
    assert round(groups["25 and under"]["selection_rate"]["value"], 6) == 0.578947
    assert round(groups["over 25"]["selection_rate"]["value"], 6) == 0.728395
    ref = next(
        r
        for r in german_labels.metrics["reference"]
        if (r["attribute"], r["metric"]) == ("age", "favourable_rate")
    )
    assert (ref["group"], ref["reference"]) == ("25 and under", "over 25")
    assert round(ref["ratio"], 6) == 0.794826
    # 0.795 is just under the four-fifths line: the interval straddles it.
    assert ref["verdict"] == "inconclusive"
    assert ref["ratio_ci_low"] < 0.8 < ref["ratio_ci_high"]


def test_perfect_predictions_have_no_error_rate_gap(german_labels):
    eo = _row(german_labels, "sex", "equalized_odds", "difference", "between_groups")
    assert eo["value"] == 0.0
    # Every error rate is 0 of hundreds: the difference is within the tolerance; the ratio (0 / 0) is undefined.
    for metric in ("fnr", "fpr"):
        v = _row(german_labels, "sex", metric, "difference", "vs_reference")
        assert v["verdict"] == "pass", v
