"""The PDF's own text layout (the fast path of multi_cell and table cells) matches fpdf2's: the same line
breaks, the same glyph positions, the same page breaks; text it does not handle goes to fpdf2 unchanged."""

from __future__ import annotations

import io
import re

import pytest
from fpdf import FPDF
from fpdf.enums import XPos, YPos
from pypdf import PdfReader

from reports.pdf import FONT, MARGIN, _ReportPDF, font_dir

TEXTS = (
    "Short.",
    "Effect: ratio 0.094 [0.066, 0.133] (Holm-adjusted CI); policy band 0.800–1.250. Evidence: the whole interval "
    "lies beyond the tolerance (n = 3,200 vs 8,800). What to do: Investigate before use.",
    "Ñuñoa, São Paulo and Zürich — groups with accents, dashes and ‘quotes’ wrap like any other words.",
    "a" * 180 + " then words after a word wider than the line",
    "two paragraphs\nthe second one, after an explicit newline, also wraps when it is long enough to need it",
)
DOUBLE_SPACES = (
    "double  spaces  stay  as  they  are  in  the  text  even  when  the  line  breaks  somewhere  between"
)


def _fpdf2() -> FPDF:
    """A plain fpdf2 document with the report's fonts and margins: the reference layout."""
    ref = FPDF(orientation="P", unit="mm", format="A4")
    ref.set_margins(MARGIN, MARGIN, MARGIN)
    ref.set_auto_page_break(True, margin=MARGIN + 3)
    for style, name in (("", "DejaVuSans"), ("B", "DejaVuSans-Bold"), ("I", "DejaVuSans-Oblique")):
        ref.add_font(FONT, style, str(font_dir() / f"{name}.ttf"))
    return ref


@pytest.mark.parametrize("style", ["", "B", "I"])
@pytest.mark.parametrize("width", [0, 120, 42, 15])
@pytest.mark.parametrize("text", TEXTS)
def test_lines_break_where_fpdf2_breaks_them(text, width, style):
    assert _our_lines(text, width, style) == _fpdf2_lines(text, width, style)


@pytest.mark.parametrize("width", [0, 120, 42])
def test_double_spaces_break_like_fpdf2_up_to_trailing_spaces(width):
    # fpdf2 keeps one trailing space where a double space breaks: invisible on a ragged-right line.
    ours = _our_lines(DOUBLE_SPACES, width, "")
    assert [line.rstrip(" ") for line in ours] == [
        line.rstrip(" ") for line in _fpdf2_lines(DOUBLE_SPACES, width, "")
    ]


def _our_lines(text: str, width: float, style: str) -> list[str]:
    pdf = _ReportPDF("x")
    pdf.add_page()
    pdf.set_font(FONT, style, 9.5)
    return pdf.wrap(text, width or pdf.w - pdf.r_margin - pdf.x)


def _fpdf2_lines(text: str, width: float, style: str) -> list[str]:
    ref = _fpdf2()
    ref.add_page()
    ref.set_font(FONT, style, 9.5)
    return ref.multi_cell(width, 5, text, align="L", dry_run=True, output="LINES")


def _placed_text(data: bytes) -> list[tuple[int, float, float, str]]:
    """(page, x, y, text) of every text run above the footer (plain fpdf2 has none), rounded to 0.05 pt."""
    body_bottom = (MARGIN + 3) / 25.4 * 72 - 1  # the bottom margin, in points from the page's foot
    out = []
    for n, page in enumerate(PdfReader(io.BytesIO(data)).pages):

        def visit(text, cm, tm, font, size, n=n):
            if text.strip() and tm[5] > body_bottom:
                out.append((n, round(tm[4] * 20) / 20, round(tm[5] * 20) / 20, text))

        page.extract_text(visitor_text=visit)
    return out


@pytest.mark.parametrize("align", ["L", "C", "R"])
def test_text_lands_where_fpdf2_puts_it_across_a_page_break(align):
    pdf, ref = _ReportPDF("x"), _fpdf2()
    long = " ".join(TEXTS) * 6
    for doc in (pdf, ref):
        doc.add_page()
        doc.set_font(FONT, "", 9.5)
        doc.set_y(200)  # the paragraph starts low on page 1 and continues on page 2
        doc.multi_cell(0, 5, long, align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        doc.set_font(FONT, "B", 12)
        doc.multi_cell(60, 6, TEXTS[1], align=align, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    assert (pdf.page, pdf.get_x(), pdf.get_y()) == (ref.page, ref.get_x(), pytest.approx(ref.get_y()))
    ours, theirs = _placed_text(bytes(pdf.output())), _placed_text(bytes(ref.output()))
    assert {p for p, *_ in ours} == {0, 1}
    assert [(p, x, y, t.rstrip()) for p, x, y, t in ours] == [(p, x, y, t.rstrip()) for p, x, y, t in theirs]


def test_cursor_after_a_key_column_returns_to_its_top():
    pdf = _ReportPDF("x")
    pdf.add_page()
    pdf.set_y(50)
    pdf.multi_cell(30, 4, "a label long enough to take three lines", new_x=XPos.RIGHT, new_y=YPos.TOP)
    assert (pdf.get_x(), pdf.get_y()) == (pytest.approx(pdf.l_margin + 30), 50)


def test_fill_paints_the_whole_block_behind_the_text():
    pdf = _ReportPDF("x")
    pdf.add_page()
    pdf.set_fill_color(207, 34, 46)
    pdf.multi_cell(0, 10, "Overall verdict: FAIL", fill=True, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    stream = pdf.pages[1].contents.decode("latin-1")
    assert re.search(r"\bre f\b", stream)  # the filled rectangle
    assert stream.index(" re f") < stream.index("BT")  # painted before the text, not over it


def test_text_with_other_breaking_spaces_is_left_to_fpdf2():
    pdf, ref = _ReportPDF("x"), _fpdf2()
    text = "tab\tseparated\u2009thin\u2009spaces " * 8
    for doc in (pdf, ref):
        doc.add_page()
        doc.set_font(FONT, "", 9.5)
    expected = ref.multi_cell(40, 5, text, align="L", dry_run=True, output="LINES")
    assert pdf.wrap(text, 40) == expected
