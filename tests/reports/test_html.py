"""HTML report: self-contained (no external URL), charts inline, text escaped."""

from __future__ import annotations

import re

import pytest

from audits.results import SectionResult, Status, Table
from reports.export import render_html
from tests.reports import synthetic


@pytest.fixture(scope="module")
def page(small_result) -> str:
    return render_html(small_result)


def test_html_is_self_contained(page):
    assert page.startswith("<!DOCTYPE html>")
    assert not re.search(r"(?:src|href)\s*=\s*[\"']?(?:https?:)?//", page)
    assert "http://" not in page and "https://" not in page
    assert "<link" not in page and "<script" not in page
    assert (
        page.count('src="data:image/png;base64,') >= 4
    )  # calibration, groups, importance, beeswarm, emissions


def test_html_escapes_names():
    table = Table(
        title="t", data={"group": ["<script>alert(1)</script>", "Île-de-France"], "count": [40, 50]}
    )
    section = SectionResult(
        name="data_quality", title="Data quality", status=Status.PASS, tables={"t": table}
    )
    page = render_html(synthetic.full_result(sections=(section,)))
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page and "Île-de-France" in page


def test_html_has_every_section_and_verdict_badges(page, small_result):
    for s in small_result.sections:
        assert f">{s.title}</h2>" in page
    assert 'class="badge"' in page
