"""CSV files that a spreadsheet cannot turn into formulas (CSV / formula injection).

A spreadsheet evaluates a cell whose text starts with ``=``, ``+``, ``-`` or ``@`` as a formula, and some also
after a leading tab or carriage return; data-derived text (group values, column names, messages) must never
reach a CSV that way. Following the OWASP guidance (https://owasp.org/www-community/attacks/CSV_Injection),
such a text cell is prefixed with a single quote, which spreadsheets show as plain text. Real numbers — numeric
columns, and text cells that are just a number such as ``-1.5`` — are left alone, so figures stay figures.

Every CSV that RAI Audit writes or offers for download goes through :func:`safe_csv_bytes`.
"""

from __future__ import annotations

import csv
import re
from typing import Any

import pandas as pd

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
# A plain decimal number, optionally signed, with an optional exponent: a spreadsheet reads it as a number.
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def neutralise_cell(value: Any) -> Any:
    """A text cell that a spreadsheet would read as a formula, prefixed with ``'``; anything else unchanged."""
    if not isinstance(value, str) or not value.startswith(FORMULA_PREFIXES):
        return value
    if _PLAIN_NUMBER.fullmatch(value):
        return value
    return "'" + value


def neutralise_formulas(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text cells, column names and index labels cannot start a formula.

    Parameters
    ----------
    frame : any DataFrame; numeric, boolean and datetime columns are returned unchanged.

    Returns
    -------
    pandas.DataFrame
        The neutralised copy (the input is not modified).
    """
    out = frame.copy()
    for i in range(out.shape[1]):
        col = out.iloc[:, i]
        # Only object, string and categorical columns can hold text; numbers never start a formula.
        if (
            pd.api.types.is_object_dtype(col)
            or pd.api.types.is_string_dtype(col)
            or isinstance(col.dtype, pd.CategoricalDtype)
        ):
            out.isetitem(i, col.astype(object).map(neutralise_cell))
    out.columns = [neutralise_cell(c) for c in out.columns]
    if not isinstance(out.index, pd.RangeIndex):
        out.index = out.index.map(neutralise_cell)
    return out


def safe_csv_bytes(frame: pd.DataFrame, *, index: bool = False, encoding: str = "utf-8") -> bytes:
    """The frame as CSV bytes with every formula-leading cell neutralised (see :func:`neutralise_formulas`).

    Parameters
    ----------
    frame : the table to write.
    index : also write the index (default: no).
    encoding : text encoding of the bytes (UTF-8 by default).

    Returns
    -------
    bytes
    """
    # RFC 4180 line ends: the csv writer quotes a cell holding any character of the line terminator, so a
    # "\r" inside a value can never split a row (with "\n" alone it would be written unquoted).
    text = neutralise_formulas(frame).to_csv(index=index, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
    return text.encode(encoding)
