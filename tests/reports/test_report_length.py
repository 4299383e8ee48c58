"""The report: table of contents, chapter order, CSV annex, number format and the page budget."""

from __future__ import annotations

import csv
import io

from reports.document import Heading
from reports.export import write_report
from reports.formatting import fmt_sig, fmt_value
from reports.report import build_report_document
from tests.reports import synthetic
from tests.reports.conftest import pdf_text


def test_chapter_order_verdicts_first_then_sections_card_appendix(small_result):
    doc = build_report_document(small_result)
    chapters = [b.text for b in doc.blocks if isinstance(b, Heading) and b.level == 1]
    assert chapters[0] == "Verdicts" and chapters[1] == "Fairness"
    assert chapters[-2:] == ["Model card", "Appendix"]
    assert doc.toc and doc.first_page


def test_pdf_prints_a_table_of_contents_on_page_two(small_result):
    from reports.export import render_pdf

    pages = pdf_text(render_pdf(small_result))
    assert "Contents" in pages[1] and "Verdicts" in pages[1] and "Appendix" in pages[1]


def test_csv_annex_is_written_formula_safe_and_referenced(tmp_path):
    result = synthetic.full_result(n_groups=8)
    written = write_report(result, tmp_path, ["csv", "md"])
    names = {p.name for k, p in written.items() if k.startswith("csv:")}
    assert {"fairness_disparities.csv", "fairness_groups.csv", "findings.csv"} <= names
    md = written["md"].read_text(encoding="utf-8")
    assert "fairness_disparities.csv" in md
    rows = list(csv.reader(io.StringIO((tmp_path / "fairness_groups.csv").read_text(encoding="utf-8"))))
    assert rows[0][0] == "attribute"
    assert not any(cell.startswith(("=", "@")) for row in rows for cell in row)


def test_no_scientific_notation_for_small_values():
    assert fmt_value(0.000215) == "0.000215"
    assert fmt_sig(0.00034162, unit="g") == "0.342 mg"
    assert fmt_sig(9.25e-07, unit="kWh") == "0.925 mWh"
    assert "e-" not in fmt_sig(1.2e-7)


def test_tables_never_below_minimum_font():
    from reports import pdf

    assert min(pdf.TABLE_PT) >= 7.5
