"""Number formatting shared by every renderer: rounding, undefined values, intervals, tables."""

from __future__ import annotations

import math

import pytest

from audits.results import Table
from reports.formatting import (
    UNDEFINED,
    fmt_ci,
    fmt_count,
    fmt_pct,
    fmt_seconds,
    fmt_sig,
    fmt_value,
    fmt_value_ci,
    format_mapping,
    format_table,
    humanize,
)


@pytest.mark.parametrize(
    ("value", "kind", "expected"),
    [
        (0.8728579325594251, "auto", "0.873"),
        (16281, "auto", "16,281"),
        (16281.0, "count", "16,281"),
        (0.0, "auto", "0.000"),
        (0.000123, "auto", "0.000123"),
        (12345.678, "auto", "12,345.7"),
        (0.0925, "pct", "9.2%"),
        (True, "auto", "yes"),
        ("female", "auto", "female"),
        (-0.1, "auto", "-0.100"),
    ],
)
def test_fmt_value_rounds_each_kind(value, kind, expected):
    assert fmt_value(value, kind) == expected


@pytest.mark.parametrize("value", [None, math.nan, math.inf])
def test_undefined_is_never_zero(value):
    assert fmt_value(value) == UNDEFINED
    assert fmt_value(value, reason="no positive label") == "undefined (no positive label)"
    assert fmt_pct(value) == UNDEFINED
    assert fmt_seconds(value) == UNDEFINED


def test_reason_prefix_is_not_repeated():
    assert fmt_value(None, reason="undefined: zero denominator") == "undefined (zero denominator)"


def test_unknown_kind_is_refused():
    with pytest.raises(ValueError, match="kind"):
        fmt_value(1.0, "furlongs")


def test_intervals():
    assert fmt_ci(0.8677, 0.878) == "[0.868, 0.878]"
    assert fmt_ci(None, 0.8) == UNDEFINED
    assert fmt_value_ci(0.873, 0.868, 0.878) == "0.873 [0.868, 0.878]"
    assert fmt_value_ci(0.873, None, None) == "0.873"
    assert fmt_value_ci(None, 0.1, 0.2, reason="no negatives") == "undefined (no negatives)"


def test_physical_quantities_keep_significant_digits():
    assert fmt_sig(0.0051, unit="g") == "0.0051 g"
    assert fmt_sig(1.8126e-06 * 1000, unit="g") == "0.00181 g"
    assert fmt_sig(1234.5, unit="kWh") == "1,230 kWh"
    assert fmt_value(4.758e-06, "kwh") == "4.76 mWh"  # a smaller unit, never scientific notation
    assert fmt_count(2.0) == "2"


def test_humanize_keeps_acronyms():
    assert humanize("roc_auc") == "ROC AUC"
    assert humanize("balanced_accuracy") == "Balanced accuracy"
    assert humanize("for_") == "FOR"


def test_format_table_joins_intervals_and_lifts_constant_text():
    table = Table(
        title="Overall",
        data={
            "metric": ["accuracy", "precision"],
            "value": [0.87286, None],
            "ci_low": [0.8677, None],
            "ci_high": [0.8780, None],
            "n": [16281, 16281],
            "method": ["bootstrap of confusion counts (1000 resamples)"] * 2,
            "note": ["", "undefined: no row was predicted positive"],
        },
        note="16,281 rows.",
    )
    shown = format_table(table)
    assert shown.columns == ("Metric", "Value [CI]", "n", "Note")
    assert shown.rows[0] == ("accuracy", "0.873 [0.868, 0.878]", "16,281", "")
    assert shown.rows[1][1] == "undefined (no row was predicted positive)"
    assert "Method: bootstrap of confusion counts" in shown.note
    assert shown.numeric == (False, True, True, False)


def test_format_table_prefixed_intervals_and_shares():
    table = Table(
        title="Groups",
        data={
            "group": ["a", "b"],
            "share": [0.25, 0.75],
            "tpr": [0.5, None],
            "tpr_ci_low": [0.4, None],
            "tpr_ci_high": [0.6, None],
        },
    )
    shown = format_table(table)
    assert shown.columns == ("Group", "Share", "TPR [CI]")
    assert shown.rows == (("a", "25.0%", "0.500 [0.400, 0.600]"), ("b", "75.0%", "undefined"))
    separate = format_table(table, combine_intervals=False)
    assert "TPR CI" in separate.columns


def test_format_mapping_skips_nested_data():
    pairs = dict(format_mapping({"rows": 300, "curve": [[0, 1]] * 20, "seed": 0, "confidence_level": 0.95}))
    assert pairs == {"Rows": "300", "Seed": "0", "Confidence level": "95.0%"}
