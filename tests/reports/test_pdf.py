"""PDF report: key figures read back with pypdf equal the result's numbers formatted by reports.formatting;
Unicode text, pagination with repeated headers, page numbers, a title page, and odd inputs that must not crash.
"""

from __future__ import annotations

import pytest

from audits.results import SectionResult
from reports.export import render_pdf
from reports.formatting import fmt_status, fmt_value_ci
from reports.pdf import fonts_available
from tests.reports import synthetic
from tests.reports.conftest import pdf_text


@pytest.fixture(scope="module")
def big_pdf(full_result) -> list[str]:
    return pdf_text(render_pdf(full_result))


def test_bundled_unicode_font_is_available():
    assert fonts_available()


def test_title_page_names_model_dataset_date_and_verdict(big_pdf, full_result):
    first = big_pdf[0]
    assert "Loan approval — logistic regression" in first
    assert "Regional loans 2025" in first
    assert "2026-11-25" in first
    assert f"Overall verdict: {fmt_status(full_result.status)}" in first


def test_every_page_after_the_title_is_numbered(big_pdf):
    n = len(big_pdf)
    for i, text in enumerate(big_pdf[1:], start=2):
        assert f"Page {i} of {n}" in text


def test_key_figures_equal_the_result(big_pdf, full_result):
    text = "\n".join(big_pdf)
    overall = full_result.section("performance").metrics["overall"]
    for name in ("accuracy", "roc_auc", "recall"):
        row = overall[name]
        assert fmt_value_ci(row["value"], row["ci_low"], row["ci_high"]) in text
    groups = full_result.section("fairness").table("groups:region")
    i = groups.data["group"].index("Ñuñoa")
    expected = fmt_value_ci(
        groups.data["selection_rate"][i],
        groups.data["selection_rate_ci_low"][i],
        groups.data["selection_rate_ci_high"][i],
    )
    assert expected in text


def test_unicode_group_names_are_real_text(big_pdf):
    text = "\n".join(big_pdf)
    for name in synthetic.UNICODE_GROUPS:
        assert name in text


def test_200_groups_paginate_with_repeated_headers(big_pdf):
    header_pages = [i for i, t in enumerate(big_pdf) if "Selection rate [CI]" in t and "region 1" in t]
    assert len(header_pages) >= 3  # the groups table spans several pages, each with its header row
    text = " ".join("\n".join(big_pdf).split())
    assert "region 193" in text  # the last regular group is not cut
    assert "20 of 200 groups shown" in text  # the chart says it shows only the extremes


def test_long_names_wrap_instead_of_overflowing(big_pdf):
    text = "".join("".join(big_pdf).split())
    assert synthetic.LONG_NAME in text  # wrapped by character, but every character is there


def test_a_section_in_error_is_reported():
    result = synthetic.full_result(sections=(synthetic.performance(), synthetic.errored()))
    text = "\n".join(pdf_text(render_pdf(result)))
    assert "This section failed" in text and "ValueError: boom" in text


def test_empty_result_still_renders():
    result = synthetic.full_result(sections=(SectionResult.skipped("fairness", "Fairness", "not selected"),))
    pages = pdf_text(render_pdf(result))
    assert "Overall verdict: SKIPPED" in pages[0]


def test_wide_table_of_few_rows_is_transposed_not_overflowing():
    from audits.results import Status, Table

    columns = {f"{synthetic.LONG_NAME[:40]}_{i}": [i * 0.001, None] for i in range(24)}
    table = Table(title="Very wide", data={"column": ["a", "b"], **columns})
    section = SectionResult(
        name="data_quality", title="Data quality", status=Status.WARN, tables={"w": table}
    )
    pages = pdf_text(render_pdf(synthetic.full_result(sections=(section,))))
    text = " ".join(" ".join(pages).split())
    assert "Very wide (transposed to fit the page)" in text
    assert "0.023" in text  # the last column is rendered, as the last row


def test_wide_table_of_many_rows_goes_to_a_landscape_page():
    from pypdf import PdfReader

    from audits.results import Status, Table
    from reports.export import render_pdf as render

    columns = {}
    for i in range(6):  # "0.123 [0.100, 0.150]" cells never wrap: too wide for portrait, not for landscape
        columns |= {f"m{i}": [0.123] * 30, f"m{i}_ci_low": [0.1] * 30, f"m{i}_ci_high": [0.15] * 30}
    table = Table(title="Wide and long", data={"column": [f"row {k}" for k in range(30)], **columns})
    section = SectionResult(
        name="performance", title="Model performance", status=Status.PASS, tables={"w": table}
    )
    import io

    reader = PdfReader(io.BytesIO(render(synthetic.full_result(sections=(section,)))))
    landscape = [p for p in reader.pages if p.mediabox.width > p.mediabox.height]
    assert landscape and "Wide and long" in landscape[0].extract_text()
