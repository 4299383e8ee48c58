"""PDF rendering with fpdf2 (pure pip: no system library, no browser).

- Unicode text with the DejaVu Sans fonts bundled with matplotlib (no system font, no download).
- A title page with the model name, dataset, date and overall verdict; page numbers "Page x of n"; a PDF
  outline (bookmarks) of the chapters.
- Tables split across pages with repeated headers; wide tables shrink their font (down to 6 pt) and, when
  still too wide, split into column groups that repeat the first column; long words wrap by character.
- Charts are matplotlib PNGs (see :mod:`reports.charts`).
"""

from __future__ import annotations

import io
import re
from functools import lru_cache
from pathlib import Path
from typing import Any

import matplotlib
from fpdf import FPDF
from fpdf.enums import PageOrientation, XPos, YPos

from audits.results import Status
from reports import charts
from reports.document import (
    Bullets,
    Document,
    Figure,
    Heading,
    KeyValues,
    Paragraph,
    Preformatted,
    TableBlock,
)
from reports.formatting import STATUS_COLOR, DisplayTable

FONT = "DejaVu"
MONO = "DejaVuMono"
BODY_PT = 9.5
TABLE_PT = (
    8.5,
    8.0,
    7.5,
)  # font sizes tried, largest first; never below 7.5 pt (then landscape, transposed, split)
TRANSPOSE_MAX_ROWS = 6  # a wide table of at most this many rows is shown transposed (one column per row)
CELL_PAD = 1.2  # mm, left+right padding per cell side
MAX_NATURAL_MM = 70.0  # a column never asks for more than this before wrapping
MIN_WORD_MM = 34.0  # the longest word of a column asks at most this much (longer words wrap by character)
MARGIN = 15.0
GREY = (87, 96, 106)
LIGHT = (246, 248, 250)


def font_dir() -> Path:
    """Folder of the DejaVu TTF fonts bundled with matplotlib."""
    return Path(matplotlib.get_data_path()) / "fonts" / "ttf"


def _rgb(hex_color: str) -> tuple[int, int, int]:
    h = hex_color.lstrip("#")
    return int(h[0:2], 16), int(h[2:4], 16), int(h[4:6], 16)


def _status_rgb(status: str | None) -> tuple[int, int, int]:
    try:
        return _rgb(STATUS_COLOR[Status(str(status).lower())])
    except ValueError:
        return GREY


# multi_cell options the fast path draws itself; any other goes to fpdf2.
_FAST_MULTI_CELL = frozenset({"align", "new_x", "new_y", "fill"})
# Breaking spaces other than " " (fpdf2's BREAKING_SPACE_SYMBOLS): text with one is wrapped by fpdf2 itself.
_OTHER_BREAKS = re.compile("[\t\u200b\u2000-\u2006\u2008-\u200a\u205f\u3000]")


class _ReportPDF(FPDF):
    def __init__(self, footer_text: str) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.footer_text = footer_text
        self.set_margins(MARGIN, MARGIN, MARGIN)
        self.set_auto_page_break(True, margin=MARGIN + 3)
        d = font_dir()
        self.add_font(FONT, "", str(d / "DejaVuSans.ttf"))
        self.add_font(FONT, "B", str(d / "DejaVuSans-Bold.ttf"))
        self.add_font(FONT, "I", str(d / "DejaVuSans-Oblique.ttf"))
        self.add_font(MONO, "", str(d / "DejaVuSansMono.ttf"))
        self.set_font(FONT, size=BODY_PT)
        self._widths: dict[tuple[str, str], float] = {}
        self.set_title(footer_text)
        self.set_creator("RAI Audit")

    def multi_cell(self, w: float, h: float | None = None, text: str = "", **kwargs: Any) -> Any:
        """fpdf2's multi_cell, ragged-right, with a fast path for plain text (nearly all the report writes).

        fpdf2 justifies by default, which stretches short lines and names; reports read better ragged-right.
        Its line breaker re-measures the whole line at every character (most of the PDF's layout time), so
        plain text is wrapped here with cached word widths (:meth:`wrap`) and each line written with
        :meth:`put_text` where fpdf2 would put it. Padding, markdown, dry runs, other options and text with
        other breaking spaces (tab, thin space...) go to fpdf2.
        """
        kwargs.setdefault("align", "L")
        new_x = XPos.coerce(kwargs.get("new_x", XPos.RIGHT))
        new_y = YPos.coerce(kwargs.get("new_y", YPos.NEXT))
        if (
            not kwargs.keys() <= _FAST_MULTI_CELL
            or kwargs["align"] not in ("L", "C", "R")
            or new_x not in (XPos.LMARGIN, XPos.RIGHT, XPos.LEFT)
            or new_y not in (YPos.NEXT, YPos.TOP)
            or _OTHER_BREAKS.search(text)
        ):
            return super().multi_cell(w, h, text, **kwargs)
        if h is None:
            h = self.font_size
        if w == 0:
            w = self.w - self.r_margin - self.x
        fill = kwargs.get("fill", False)
        x, top, page = self.x, self.y, self.page
        for line in self.wrap(text, w):
            if self.will_page_break(h):
                self.add_page(same=True)  # as fpdf2's automatic page break: same x, at the top margin
                self.x, top = x, self.y
            if fill:
                self.rect(x, self.y, w, h, style="F")
            self.put_text(x, self.y, w, h, line, kwargs["align"], self.c_margin)
            self.y += h
        # Where fpdf2 leaves the cursor; after a page break, TOP is the top of the block's last page.
        self.x = {XPos.LMARGIN: self.l_margin, XPos.RIGHT: x + w, XPos.LEFT: x}[new_x]
        if new_y is YPos.TOP:
            self.y = top
        return self.page != page

    def wrap(self, text: str, w: float) -> list[str]:
        """Lines of ``text`` in the current font in a multi_cell of width ``w`` (mm, cell margins included)."""
        if _OTHER_BREAKS.search(text):
            return list(super().multi_cell(w, None, text, align="L", dry_run=True, output="LINES"))
        return self.wrap_lines(
            text.replace("\r", ""), w - 2 * self.c_margin, self.current_font.fontkey, self.font_size_pt
        )

    def wrap_lines(self, text: str, avail: float, fontkey: str, size: float) -> list[str]:
        """Greedy word wrap to ``avail`` mm at spaces and newlines; a word wider than a line breaks by character.

        The rule of fpdf2's multi_cell (same glyph advances, break at the last space that fits), with
        word widths cached: tables and paragraphs measure the same words over and over.
        """
        scale = size / self.k
        if "\n" not in text and self.em_width(fontkey, text) * scale <= avail:
            return [text]
        space = self.em_width(fontkey, " ") * scale
        lines: list[str] = []
        for paragraph in text.split("\n"):
            current, used = "", 0.0
            for word in paragraph.split(" "):
                w = self.em_width(fontkey, word) * scale
                if current and used + space + w <= avail:
                    current, used = f"{current} {word}", used + space + w
                    continue
                if current:
                    lines.append(current)
                if w <= avail:
                    current, used = word, w
                    continue
                current, used = "", 0.0
                for ch in word:  # a word wider than the line: break it by character
                    cw = self.em_width(fontkey, ch) * scale
                    if current and used + cw > avail:
                        lines.append(current)
                        current, used = "", 0.0
                    current, used = current + ch, used + cw
            lines.append(current)
        return lines

    def put_text(self, x: float, y: float, w: float, h: float, line: str, align: str, pad: float) -> None:
        """One line of text in the current font in the box (x, y, w, h), placed as fpdf2's cell places it.

        ``text()`` writes the glyphs directly; ``cell()`` costs ten times more per call (styled fragments,
        links, alignment), and tables draw thousands of cells.
        """
        if not line:
            return
        if align == "L":
            dx = pad
        else:
            tw = self.em_width(self.current_font.fontkey, line) * self.font_size_pt / self.k
            dx = w - pad - tw if align == "R" else (w - tw) / 2
        # fpdf2's baseline: half the cell height plus 0.3 of the font size below the cell's top.
        self.text(x + dx, y + 0.5 * h + 0.3 * self.font_size, line)

    def footer(self) -> None:
        if self.page_no() == 1:
            return
        self.set_y(-MARGIN + 2)
        self.set_font(FONT, size=7)
        self.set_text_color(*GREY)
        self.cell(0, 4, self.footer_text, align="L")
        self.set_x(self.l_margin)
        self.cell(0, 4, f"Page {self.page_no()} of {{nb}}", align="R")
        self.set_text_color(0, 0, 0)

    def em_width(self, fontkey: str, text: str) -> float:
        """Width of ``text`` in font ``fontkey`` at 1 pt, in points (cached: tables measure the same strings often).

        Sums the font's glyph advances, as fpdf2 does without text shaping, skipping its per-call
        normalisation; a table of a few hundred rows measures tens of thousands of cells.
        """
        key = (fontkey, text)
        w = self._widths.get(key)
        if w is None:
            cw = self.fonts[fontkey].cw  # a defaultdict: a glyph the font lacks has its default width
            w = self._widths[key] = sum(cw[ord(c)] for c in text) * 0.001
        return w

    def text_width(self, text: str, style: str, size: float) -> float:
        """Width in mm of ``text`` in DejaVu ``style`` at ``size`` pt (fast path of get_string_width)."""
        return self.em_width(f"{FONT.lower()}{style}", text) * size / self.k

    @property
    def avail_w(self) -> float:
        # A hair under the effective page width: fpdf2 rejects tables wider than it by rounding error.
        return self.epw - 0.01

    def space_left(self) -> float:
        return self.page_break_trigger - self.get_y()

    def ensure_space(self, mm: float) -> None:
        if self.space_left() < mm:
            self.add_page(same=True)


# --- blocks ---------------------------------------------------------------------------------------------


def _title_page(pdf: _ReportPDF, doc: Document) -> None:
    """Page 1: the model's display name, the verdict, the facts, then the blocks that decide."""
    pdf.add_page()
    pdf.set_y(22 if doc.first_page else 55)
    pdf.set_font(FONT, "B", 20 if doc.first_page else 22)
    pdf.multi_cell(0, 9, doc.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if doc.subtitle:
        pdf.set_font(FONT, "", 11.5)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(0, 6, doc.subtitle, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
    pdf.ln(4)
    color = _status_rgb(doc.verdict_status)
    pdf.set_fill_color(*color)
    pdf.set_text_color(255, 255, 255)
    pdf.set_font(FONT, "B", 15)
    pdf.multi_cell(0, 10, doc.verdict, fill=True, align="C", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.ln(3)
    _key_values(pdf, KeyValues(doc.facts), size=8.5 if doc.first_page else 10)
    for block in doc.first_page:
        if isinstance(block, Heading):  # page 1 is not a chapter: no outline entry, no page break
            _heading(pdf, Heading(block.text, level=3), doc, outline=False)
        else:
            _block(pdf, block, doc, None)
    pdf.ln(2)
    if pdf.space_left() > 14:
        pdf.set_font(FONT, "I", 7.5)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(
            0,
            3.6,
            "Generated by RAI Audit. Every figure states how it was obtained (sample size, method, seed, interval); "
            "undefined values are written 'undefined', never 0. Verdicts compare confidence intervals with policy "
            "tolerances; the four-fifths rule is a US EEOC heuristic, not a legal finding.",
            new_x=XPos.LMARGIN,
            new_y=YPos.NEXT,
        )
        pdf.set_text_color(0, 0, 0)


def _toc_pages(doc: Document) -> int:
    entries = sum(1 for b in doc.blocks if isinstance(b, Heading) and b.level <= 2)
    return 1 + entries // TOC_PER_PAGE


TOC_PER_PAGE = 52


def _render_toc(pdf: _ReportPDF, outline: list[Any]) -> None:
    """The printed table of contents: chapters and their first-level sections with page numbers."""
    pdf.set_xy(pdf.l_margin, pdf.t_margin)
    pdf.set_font(FONT, "B", 16)
    pdf.cell(0, 9, "Contents", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.ln(2)
    for entry in outline:
        if entry.level > 1:
            continue
        size = 10 if entry.level == 0 else 8.5
        pdf.set_font(FONT, "B" if entry.level == 0 else "", size)
        indent = 0 if entry.level == 0 else 6
        page = str(entry.page_number)
        width = pdf.avail_w - indent - 14
        text = entry.name
        while pdf.get_string_width(text) > width and len(text) > 4:
            text = text[:-2]
        if text != entry.name:
            text = text.rstrip() + "…"
        if pdf.get_y() > pdf.page_break_trigger - 6:
            break  # the placeholder has a fixed number of pages; the PDF outline lists every entry
        pdf.set_x(pdf.l_margin + indent)
        pdf.cell(width, size * 0.55, text, link=pdf.add_link(page=entry.page_number))
        pdf.cell(14, size * 0.55, page, align="R", new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(0.6 if entry.level else 1.2)
    pdf.set_font(FONT, "", BODY_PT)


def _heading(pdf: _ReportPDF, block: Heading, doc: Document, *, outline: bool = True) -> None:
    size = {1: 16, 2: 12.5, 3: 11, 4: 10}.get(block.level, 10)
    quiet = block.status in (Status.SKIPPED.value, Status.ERROR.value)
    if block.level == 1 and doc.chapter_breaks and not quiet:
        if pdf.get_y() > pdf.t_margin + 1:
            pdf.add_page()
    else:
        pdf.ensure_space(28 if block.level <= 2 else 20)
        pdf.ln(3 if block.level == 1 else 2)
    if outline:
        pdf.start_section(block.text[:120], level=max(block.level - 1, 0))
    pdf.set_font(FONT, "B", size)
    pdf.multi_cell(0, size * 0.5, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if block.level == 1:
        pdf.set_draw_color(59, 110, 168)
        pdf.set_line_width(0.5)
        pdf.line(pdf.l_margin, pdf.get_y() + 1, pdf.w - pdf.r_margin, pdf.get_y() + 1)
        pdf.set_line_width(0.2)
        pdf.ln(3)
    pdf.ln(1)
    pdf.set_font(FONT, "", BODY_PT)


def _paragraph(pdf: _ReportPDF, block: Paragraph) -> None:
    if block.style == "note":
        pdf.set_font(FONT, "I", 8)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(0, 4, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    elif block.style == "verdict":
        pdf.set_font(FONT, "B", BODY_PT + 0.5)
        if block.status:
            pdf.set_text_color(*_status_rgb(block.status))
        pdf.multi_cell(0, 5.5, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    elif block.style == "warning":
        pdf.set_font(FONT, "", BODY_PT)
        pdf.set_fill_color(255, 248, 197)
        pdf.multi_cell(0, 5, block.text, fill=True, padding=2, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    else:
        pdf.set_font(FONT, "", BODY_PT)
        pdf.multi_cell(0, 5, block.text, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "", BODY_PT)
    pdf.ln(1.5)


def _bullets(pdf: _ReportPDF, block: Bullets) -> None:
    pdf.set_font(FONT, "", BODY_PT)
    for item in block.items:
        x = pdf.l_margin
        pdf.set_x(x)
        pdf.cell(5, 5, "•")
        pdf.multi_cell(pdf.avail_w - 5, 5, item, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(0.5)
    pdf.ln(1.5)


def _key_values(pdf: _ReportPDF, block: KeyValues, *, size: float = 8.5) -> None:
    if block.title:
        pdf.ensure_space(14)
        pdf.set_font(FONT, "B", size + 0.5)
        pdf.cell(0, 6, block.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    if not block.rows:
        return
    pdf.set_font(FONT, "B", size)
    label_w = min(max(pdf.get_string_width(k) for k, _ in block.rows) + 4, pdf.avail_w * 0.38)
    value_w = pdf.avail_w - label_w
    line_h = size * 0.5
    for key, value in block.rows:
        pdf.set_font(FONT, "", size)
        lines = pdf.wrap(value, value_w)
        pdf.set_font(FONT, "B", size)
        klines = pdf.wrap(key, label_w)
        height = max(len(lines), len(klines)) * line_h
        pdf.ensure_space(height + 1)
        y = pdf.get_y()
        pdf.set_text_color(*GREY)
        pdf.multi_cell(label_w, line_h, key, new_x=XPos.RIGHT, new_y=YPos.TOP)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, "", size)
        pdf.set_xy(pdf.l_margin + label_w, y)
        pdf.multi_cell(value_w, line_h, value, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_y(max(pdf.get_y(), y + height) + 0.6)
    pdf.set_font(FONT, "", BODY_PT)
    pdf.ln(2)


def _col_widths(
    pdf: _ReportPDF, table: DisplayTable, size: float, status_col: int | None = None
) -> tuple[list[float], list[float], list[bool]]:
    """(natural, minimal) width in mm of each column at font ``size``, and whether natural was capped."""
    natural, minimal, capped = [], [], []
    for j, header in enumerate(table.columns):
        nat = pdf.text_width(header, "B", size)
        word = max((pdf.text_width(w, "B", size) for w in header.split()), default=0)
        style = "B" if j == status_col else ""
        number = 0.0
        for row in table.rows:
            cell = row[j]
            width = pdf.text_width(cell, style, size)
            nat = max(nat, width)
            if not cell.startswith("undefined"):
                number = max(number, width)
            if " " in cell:
                word = max(word, max((pdf.text_width(w, style, size) for w in cell.split()), default=0))
            else:
                word = max(word, width)
        pad = 2 * CELL_PAD + 1.0
        natural.append(min(nat, MAX_NATURAL_MM) + pad)
        capped.append(nat > MAX_NATURAL_MM)
        # Numbers and intervals never wrap (a number split over two lines is misread); reasons may.
        minimal.append(
            max(min(number, MAX_NATURAL_MM), min(word, MIN_WORD_MM)) + pad
            if table.numeric[j]
            else min(word, MIN_WORD_MM) + pad
        )
    return natural, minimal, capped


def _allocate(natural: list[float], minimal: list[float], capped: list[bool], avail: float) -> list[float]:
    if sum(natural) <= avail:
        capped = [j for j, c in enumerate(capped) if c]
        if capped:
            # Wrapped text columns take the spare width of the page.
            spare = (avail - sum(natural)) / len(capped)
            return [n + spare if j in capped else n for j, n in enumerate(natural)]
        return natural
    spare = avail - sum(minimal)
    extra = [n - m for n, m in zip(natural, minimal, strict=True)]
    k = spare / sum(extra) if sum(extra) > 0 else 0
    return [m + e * k for m, e in zip(minimal, extra, strict=True)]


def _split_columns(minimal: list[float], avail: float) -> list[list[int]]:
    """Column groups that fit ``avail`` at minimal width; each group repeats column 0."""
    groups: list[list[int]] = []
    current = [0]
    used = minimal[0]
    for j in range(1, len(minimal)):
        if used + minimal[j] > avail and len(current) > 1:
            groups.append(current)
            current, used = [0], minimal[0]
        current.append(j)
        used += minimal[j]
    groups.append(current)
    return groups


def _sub_table(table: DisplayTable, cols: list[int]) -> DisplayTable:
    return DisplayTable(
        title=table.title,
        columns=tuple(table.columns[j] for j in cols),
        rows=tuple(tuple(r[j] for j in cols) for r in table.rows),
        numeric=tuple(table.numeric[j] for j in cols),
        note=table.note,
    )


def _transposed(block: TableBlock) -> TableBlock:
    """Rows become columns: a wide table of a few groups reads down instead of across."""
    t = block.table
    first, *rest = range(len(t.columns))
    columns = (t.columns[0], *(r[first] for r in t.rows))
    rows = tuple((t.columns[j], *(r[j] for r in t.rows)) for j in rest)
    return TableBlock(
        DisplayTable(
            title=f"{t.title} (transposed to fit the page)" if t.title else t.title,
            columns=columns,
            rows=rows,
            numeric=(False, *([True] * len(t.rows))),
            note=t.note,
        ),
        status_column=None,
    )


def _fits(
    pdf: _ReportPDF, block: TableBlock, avail: float
) -> tuple[float, list[float], list[float], list[bool]] | None:
    for size in TABLE_PT:
        natural, minimal, capped = _col_widths(pdf, block.table, size, block.status_column)
        if sum(minimal) <= avail:
            return size, natural, minimal, capped
    return None


def _table(pdf: _ReportPDF, block: TableBlock) -> None:
    table = block.table
    if not table.columns:
        return
    avail = pdf.avail_w
    fit = _fits(pdf, block, avail)
    if fit is None and 0 < table.n_rows <= TRANSPOSE_MAX_ROWS:
        flipped = _transposed(block)
        if _fits(pdf, flipped, avail) is not None:
            _table(pdf, flipped)
            return
    if fit is None and pdf.cur_orientation is PageOrientation.PORTRAIT:
        landscape = pdf.h - pdf.l_margin - pdf.r_margin - 0.01
        if _fits(pdf, block, landscape) is not None:
            pdf.add_page(orientation="L")
            _table(pdf, block)
            return
    if fit is not None:
        size, natural, minimal, capped = fit
        groups = [list(range(len(table.columns)))]
    else:
        size = TABLE_PT[-1]
        natural, minimal, capped = _col_widths(pdf, table, size, block.status_column)
        groups = _split_columns(minimal, avail)
    for gi, cols in enumerate(groups):
        sub = _sub_table(table, cols) if len(groups) > 1 else table
        title = table.title
        if len(groups) > 1:
            title = f"{table.title} (part {gi + 1} of {len(groups)}: columns split to fit the page)"
        widths = _allocate(
            [natural[j] for j in cols], [minimal[j] for j in cols], [capped[j] for j in cols], avail
        )
        status_col = block.status_column if block.status_column in cols else None
        if status_col is not None:
            status_col = cols.index(status_col)
        _draw_table(
            pdf, sub, title, widths, size, status_col, note=table.note if gi == len(groups) - 1 else ""
        )


ROW_FILL = (250, 251, 252)
MAX_FIGURE_MM = 105.0
PAD_V = 0.7


def _lines(pdf: _ReportPDF, text: str, width: float, style: str, size: float) -> list[str]:
    """Word wrap of a cell's text to ``width`` (mm, padding included); overlong words break by character.

    Measured with the fast glyph-advance sum: fpdf2's multi_cell dry run costs about a millisecond per cell.
    """
    return pdf.wrap_lines(text, width - 2 * CELL_PAD, f"{FONT.lower()}{style}", size)


def _row_height(
    pdf: _ReportPDF, cells: list[tuple[str, str, Any]], widths: list[float], size: float
) -> float:
    n = max(len(_lines(pdf, text, w, style, size)) for (text, style, _), w in zip(cells, widths, strict=True))
    return n * size * 0.46 + 2 * PAD_V


def _draw_row(
    pdf: _ReportPDF,
    cells: list[tuple[str, str, Any]],
    widths: list[float],
    align: list[str],
    size: float,
    *,
    fill: tuple[int, int, int] | None,
    height: float | None = None,
) -> None:
    """One table row drawn cell by cell (much faster than fpdf2's generic table for long tables)."""
    line_h = size * 0.46
    height = height if height is not None else _row_height(pdf, cells, widths, size)
    x, y = pdf.l_margin, pdf.get_y()
    if fill is not None:
        pdf.set_fill_color(*fill)
    for (text, style, color), w, al in zip(cells, widths, align, strict=True):
        pdf.rect(x, y, w, height, style="DF" if fill is not None else "D")
        if color is not None:
            pdf.set_text_color(*color)
        lines = _lines(pdf, text, w, style, size)
        pdf.set_font(FONT, style, size)
        for k, line in enumerate(lines):
            pdf.put_text(x, y + PAD_V + k * line_h, w, line_h, line, al, CELL_PAD)
        if color is not None:
            pdf.set_text_color(0, 0, 0)
        x += w
    pdf.set_xy(pdf.l_margin, y + height)


def _draw_table(
    pdf: _ReportPDF,
    table: DisplayTable,
    title: str,
    widths: list[float],
    size: float,
    status_col: int | None,
    *,
    note: str,
) -> None:
    line_h = size * 0.46
    pdf.ensure_space(4 * line_h + 12)
    if title:
        pdf.set_font(FONT, "B", 9)
        pdf.multi_cell(0, 5, title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.ln(0.5)
    pdf.set_draw_color(208, 215, 222)
    pdf.set_line_width(0.15)
    statuses = {s.value for s in Status}
    align = ["R" if num else "L" for num in table.numeric]
    header = [(c, "B", None) for c in table.columns]

    def draw_header() -> None:
        _draw_row(pdf, header, widths, ["L"] * len(widths), size, fill=LIGHT)

    draw_header()
    for i, row in enumerate(table.rows):
        cells = []
        for j, cell in enumerate(row):
            if j == status_col and cell.lower() in statuses:
                cells.append((cell, "B", _status_rgb(cell.lower())))
            else:
                cells.append((cell, "", None))
        height = _row_height(pdf, cells, widths, size)
        if pdf.get_y() + height > pdf.page_break_trigger:
            pdf.add_page(same=True)  # a landscape table continues on a landscape page
            draw_header()  # repeated on every page the table spans
        _draw_row(pdf, cells, widths, align, size, fill=ROW_FILL if i % 2 else None, height=height)
    pdf.set_font(FONT, "", BODY_PT)
    if note:
        pdf.ln(0.5)
        pdf.set_font(FONT, "I", 7.5)
        pdf.set_text_color(*GREY)
        pdf.multi_cell(0, 3.6, note, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
        pdf.set_text_color(0, 0, 0)
        pdf.set_font(FONT, "", BODY_PT)
    pdf.ln(3)


def _figure_size(pdf: _ReportPDF, png: bytes) -> tuple[float, float]:
    width_px, height_px = _png_size(png)
    dpi = float(charts.DPI)
    w = min(width_px / dpi * 25.4, pdf.avail_w)
    h = w * height_px / max(width_px, 1)
    # Two charts per page at most: a taller chart is scaled down (its labels stay legible at >= 6 pt).
    max_h = min(pdf.page_break_trigger - pdf.t_margin - 20, MAX_FIGURE_MM)
    if h > max_h:
        w, h = w * max_h / h, max_h
    return w, h


def _figure(pdf: _ReportPDF, block: Figure, png: bytes) -> None:
    w, h = _figure_size(pdf, png)
    pdf.ensure_space(h + 14)
    pdf.set_font(FONT, "B", 9)
    pdf.multi_cell(0, 5, block.title, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.image(io.BytesIO(png), x=pdf.l_margin, w=w, h=h)
    pdf.set_font(FONT, "I", 7.5)
    pdf.set_text_color(*GREY)
    pdf.multi_cell(0, 3.6, block.caption, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_text_color(0, 0, 0)
    pdf.set_font(FONT, "", BODY_PT)
    pdf.ln(3)


def _png_size(png: bytes) -> tuple[int, int]:
    # PNG IHDR: width and height are big-endian uint32 at bytes 16..24.
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big")


def _preformatted(pdf: _ReportPDF, block: Preformatted) -> None:
    pdf.set_font(MONO, "", 7)
    pdf.set_fill_color(*LIGHT)
    pdf.multi_cell(0, 3.3, block.text, fill=True, padding=2, new_x=XPos.LMARGIN, new_y=YPos.NEXT)
    pdf.set_font(FONT, "", BODY_PT)
    pdf.ln(2)


def _block(pdf: _ReportPDF, block: Any, doc: Document, png: bytes | None) -> None:
    if isinstance(block, Heading):
        _heading(pdf, block, doc)
    elif isinstance(block, Paragraph):
        _paragraph(pdf, block)
    elif isinstance(block, Bullets):
        _bullets(pdf, block)
    elif isinstance(block, KeyValues):
        _key_values(pdf, block)
    elif isinstance(block, TableBlock):
        _table(pdf, block)
    elif isinstance(block, Figure):
        _figure(pdf, block, png if png is not None else block.render())
    elif isinstance(block, Preformatted):
        _preformatted(pdf, block)


def document_to_pdf(doc: Document) -> bytes:
    """Lay out a document as PDF bytes."""
    pdf = _ReportPDF(doc.footer)
    _title_page(pdf, doc)
    pdf.add_page()
    if doc.toc:
        pdf.insert_toc_placeholder(_render_toc, pages=_toc_pages(doc))
    pngs: dict[int, bytes] = {}
    blocks = doc.blocks
    for i, block in enumerate(blocks):
        if pdf.cur_orientation is PageOrientation.LANDSCAPE and not isinstance(block, TableBlock):
            pdf.add_page(orientation="P")  # a landscape page holds only its wide table
        nxt = blocks[i + 1] if i + 1 < len(blocks) else None
        if isinstance(nxt, Figure):
            pngs[i + 1] = nxt.render()
        if (
            isinstance(block, Heading)
            and isinstance(nxt, Figure)
            and not (block.level == 1 and doc.chapter_breaks)
        ):
            # Keep a heading with the chart below it.
            pdf.ensure_space(_figure_size(pdf, pngs[i + 1])[1] + 30)
        _block(pdf, block, doc, pngs.pop(i, None))
    return bytes(pdf.output())


@lru_cache(maxsize=1)
def fonts_available() -> bool:
    """True when the bundled DejaVu fonts are present (they ship with matplotlib)."""
    return (font_dir() / "DejaVuSans.ttf").exists()
