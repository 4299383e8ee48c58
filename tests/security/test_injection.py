"""Hostile group values, model and file names cannot become live Markdown/HTML, nor spreadsheet formulas."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest

from reports import export
from reports.csv_safety import safe_csv_bytes
from tests.security import payloads as P
from tests.security.conftest import injected_frame

FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def formula_cells(rows: list[list[str]]) -> list[str]:
    return [c for row in rows for c in row if c.startswith(FORMULA_START) and not PLAIN_NUMBER.fullmatch(c)]


def _render(markdown: str) -> str:
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark").enable(["table", "strikethrough"]).render(markdown)


# --- the Markdown report -------------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def markdown_html(injected_result, tmp_path_factory: pytest.TempPathFactory) -> str:
    md = export.write_report(injected_result, tmp_path_factory.mktemp("md"), ["md"])["md"].read_text()
    return _render(md)


def test_group_values_cannot_fetch_an_image_from_the_markdown_report(markdown_html: str) -> None:
    assert '<img src="http://attacker.example' not in markdown_html


def test_group_values_cannot_inject_html_into_the_markdown_report(markdown_html: str) -> None:
    assert "<img src=x" not in markdown_html


def test_a_model_name_cannot_close_the_code_block_of_the_markdown_report(markdown_html: str) -> None:
    assert "<script" not in markdown_html


def test_a_model_name_cannot_strike_through_the_markdown_report(markdown_html: str) -> None:
    assert "<s>struck</s>" not in markdown_html and "<del>struck</del>" not in markdown_html


def test_the_markdown_report_still_shows_the_hostile_values_as_text(markdown_html: str) -> None:
    assert "attacker.example/beacon.png" in markdown_html


def test_the_model_card_markdown_escapes_the_model_name(injected_result, tmp_path: Path) -> None:
    md = export.write_model_card(injected_result, tmp_path, ["md"])["md"].read_text()
    rendered = _render(md.split("\n---", 1)[-1])  # the body after the front matter
    assert "<script" not in rendered and '<img src="http://attacker.example' not in rendered


# --- CSV formula cells --------------------------------------------------------------------------------------------
def test_safe_csv_bytes_neutralises_every_formula_cell() -> None:
    frame = injected_frame()[["sex", "region", "credit_amount"]]
    frame.columns = ["=sex", "region", "credit_amount"]
    rows = list(csv.reader(io.StringIO(safe_csv_bytes(frame).decode())))
    assert not formula_cells(rows)
    assert any(c.startswith("'=HYPERLINK") for row in rows for c in row)


def _tables(result: Any) -> list[Any]:
    return [t for s in result.sections for t in s.tables.values()]


def test_every_result_table_offered_as_csv_is_neutralised(injected_result) -> None:
    import pandas as pd

    found = 0
    for table in _tables(injected_result):
        frame = pd.DataFrame({k: list(v) for k, v in table.data.items()})
        rows = list(csv.reader(io.StringIO(safe_csv_bytes(frame).decode())))
        assert not formula_cells(rows), table.title
        found += any(P.FORMULA_CELLS[0] in c for row in rows for c in row)
    assert found, "no table held the hostile group values: the corpus lost its payload"


@pytest.mark.parametrize("page", ["fairness", "data_quality", "overview"])
def test_csv_downloads_of_the_dashboard_are_neutralised(page: str, injected_result, monkeypatch) -> None:
    import streamlit as st

    from tests.dashboard.conftest import new_app, no_exception, open_page

    offered: list[bytes] = []
    real = st.download_button

    def spy(label: str, data: Any = None, *args: Any, **kwargs: Any) -> Any:
        name = str(kwargs.get("file_name") or "")
        if name.endswith(".csv") or kwargs.get("mime") == "text/csv":
            value = data() if callable(data) else data
            offered.append(value.encode() if isinstance(value, str) else bytes(value))
        return real(label, data, *args, **kwargs)

    monkeypatch.setattr(st, "download_button", spy)
    at = new_app(result=injected_result)
    at.run()
    open_page(at, page)
    no_exception(at)
    assert offered or page == "overview", "the page offered no CSV: nothing was checked"
    for raw in offered:
        assert not formula_cells(list(csv.reader(io.StringIO(raw.decode("utf-8-sig")))))
    # st.dataframe's own CSV export cannot neutralise cells; it is switched off in .streamlit/config.toml
    # (test_dashboard.py checks that), so the download buttons are the only CSVs the pages offer.
