"""Markdown rendering (GitHub-flavoured tables) of an audit report or any :class:`~reports.document.Document`.

Charts are not embedded (Markdown has no self-contained images); every chart's numbers are in the tables
next to it, and the HTML and PDF reports show the charts.
"""

from __future__ import annotations

import re

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
from reports.formatting import DisplayTable

_LINK_CLOSE = re.compile(r"\](?=[(\[:])")  # only "](", "][" and "]:" can make a link; intervals stay "[a, b]"
_TAG = re.compile(r"<(?=[A-Za-z/!?])")
_ENTITY = re.compile(r"&(?=#?[0-9A-Za-z]+;)")  # "&lt;" in data must show as typed, not as "<"
_EDGE_UNDERSCORE = re.compile(r"(?<![0-9A-Za-z])_|_(?![0-9A-Za-z])")
_ORDERED_ITEM = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_BACKTICK_RUN = re.compile(r"`+")


def md_inline(text: str, *, line_start: bool = True) -> str:
    """Escape text for running Markdown, keeping it readable as plain text.

    Data-derived text (model, column and group names) must never become markup: backslashes, ``*``, ``~``
    (strikethrough), backticks, a ``]`` that could close a link or image, and underscores at word edges are
    escaped (GitHub never reads an underscore inside a word as emphasis, so ``sample_data`` stays as it is);
    ``<`` is escaped where it could open an HTML tag or autolink, ``&`` where it could start an entity; line
    breaks become spaces, so no text can start a fence, heading or list of its own.
    """
    text = str(text).replace("\\", "\\\\")
    for ch in ("*", "`", "~"):
        text = text.replace(ch, "\\" + ch)
    text = _LINK_CLOSE.sub(r"\\]", text)
    text = _EDGE_UNDERSCORE.sub(r"\\_", text)
    text = _ENTITY.sub("&amp;", text)
    text = _TAG.sub("&lt;", text)
    text = " ".join(text.splitlines()).replace("\x00", "\ufffd")
    if line_start:
        if text[:1] in ("#", ">", "-", "+", "=", "|"):
            text = "\\" + text
        text = _ORDERED_ITEM.sub(r"\1\\\2", text)
    return text


def md_heading_text(text: str) -> str:
    """:func:`md_inline` for a heading; a trailing run of ``#`` is kept as text, not read as a closing sequence."""
    text = md_inline(text)
    stripped = text.rstrip("#")
    if stripped != text and not stripped.endswith("\\"):
        text = f"{stripped}\\{text[len(stripped) :]}"
    return text


def md_fence(text: str, *, minimum: int = 3) -> str:
    """A backtick fence longer than any run of backticks in ``text``, so the text cannot close it."""
    longest = max((len(m) for m in _BACKTICK_RUN.findall(text)), default=0)
    return "`" * max(minimum, longest + 1)


def md_escape(text: str) -> str:
    """Escape text for a Markdown table cell: as :func:`md_inline`, plus pipes."""
    return md_inline(text, line_start=False).replace("|", "\\|")


def md_table(table: DisplayTable) -> str:
    """A GitHub-flavoured Markdown table; every row has exactly as many cells as the header."""
    if not table.columns:
        return "_(empty table)_"
    head = "| " + " | ".join(md_escape(c) for c in table.columns) + " |"
    sep = "|" + "|".join("---:" if num else "---" for num in table.numeric) + "|"
    lines = [head, sep]
    for row in table.rows:
        lines.append("| " + " | ".join(md_escape(c) if c != "" else " " for c in row) + " |")
    if not table.rows:
        lines.append("| " + " | ".join("—" for _ in table.columns) + " |")
    return "\n".join(lines)


def blocks_to_markdown(doc: Document) -> str:
    """Render a document: ``#`` title, facts, verdict, then blocks (level-1 headings become ``##``)."""
    out: list[str] = [f"# {md_heading_text(doc.title)}", ""]
    for label, value in doc.facts:
        out.append(f"- **{md_inline(label)}:** {md_inline(value)}")
    out += ["", f"**{md_inline(doc.verdict)}**", ""]
    for block in doc.first_page:
        if isinstance(block, Heading):
            out += [f"### {md_heading_text(block.text)}", ""]
        elif isinstance(block, Paragraph):
            text = md_inline(block.text)
            out += [
                f"**{text}**" if block.style == "verdict" else f"_{text}_" if block.style == "note" else text,
                "",
            ]
        elif isinstance(block, Bullets):
            out += [f"- {md_inline(item)}" for item in block.items] + [""]
    if doc.toc:
        chapters = [b.text for b in doc.blocks if isinstance(b, Heading) and b.level == 1]
        out += ["**Contents:** " + " · ".join(md_inline(c, line_start=False) for c in chapters), ""]
    for block in doc.blocks:
        if isinstance(block, Heading):
            out += [f"{'#' * min(block.level + 1, 6)} {md_heading_text(block.text)}", ""]
        elif isinstance(block, Paragraph):
            text = md_inline(block.text)
            if block.style == "verdict":
                text = f"**{text}**"
            elif block.style == "note":
                text = f"_{text}_"
            elif block.style == "warning":
                text = f"> **Note:** {text}"
            out += [text, ""]
        elif isinstance(block, Bullets):
            # A list item's text starts a line of its own: "- # x" would be a heading inside the item.
            out += [f"- {md_inline(item)}" for item in block.items] + [""]
        elif isinstance(block, KeyValues):
            if block.title:
                out += [f"**{md_inline(block.title)}**", ""]
            out += [f"- {md_inline(k)}: {md_inline(v, line_start=False)}" for k, v in block.rows]
            out.append("")
        elif isinstance(block, TableBlock):
            t = block.table
            if t.title:
                out += [f"**{md_inline(t.title)}**", ""]
            out += [md_table(t), ""]
            if t.note:
                out += [f"_{md_inline(t.note)}_", ""]
        elif isinstance(block, Figure):
            out += [
                f"_Chart in the HTML/PDF report: {md_inline(block.title)}. {md_inline(block.caption)}_",
                "",
            ]
        elif isinstance(block, Preformatted):
            fence = md_fence(block.text)
            out += [f"{fence}yaml", block.text, fence, ""]
    if doc.footer:
        out += ["", "---", "", f"_{md_inline(doc.footer, line_start=False)}_"]
    return "\n".join(out).rstrip() + "\n"
