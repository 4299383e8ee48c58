"""Escaping of data-derived text before the dashboard shows it.

Column names, group values, file names, model names and the messages that quote them come from uploads, so they
may hold Markdown, HTML or Streamlit's own directives (``![x](http://host/x.png)`` makes the browser fetch a URL,
``:red[...]`` restyles, ``$...$`` starts LaTeX). Every such string goes through :func:`md_escape` before it
reaches ``st.markdown``, ``st.caption``, ``st.error`` and the other Markdown-rendering elements (widget labels,
``st.table`` cells and segmented-control options render Markdown too), and through :func:`plot_escape` before
it becomes a Plotly label (Plotly renders a subset of HTML in titles, ticks, hover text and legends).
"""

from __future__ import annotations

import html
import re

# Characters that start inline Markdown or Streamlit syntax anywhere in a line: code, emphasis, links and images
# ("[" and "]": "!" and "(" do nothing without them), raw HTML and autolinks, entities, strikethrough, LaTeX,
# and the backslash itself. CommonMark shows a backslash-escaped punctuation character literally.
# An underscore inside a word (credit_risk) cannot open or close emphasis, so only one at a word's edge is escaped.
_INLINE = re.compile(r"([\\`*\[\]<>&~$]|(?<![^\W_])_|_(?![^\W_]))")
# Block syntax only counts at the start of a line: headings, quotes, list items, setext underlines, fences, and
# a table's delimiter row (it starts with "|", ":" or "-"; a "|" elsewhere cannot make a table without one).
_LINE_START = re.compile(r"(?m)^([ \t]*)(?:([#>+\-=|:])|(\d+)([.)]))")
# GFM turns bare URLs into links: "http://", "https://", "www." lose the form it recognises.
_AUTOLINK = re.compile(r"(?i)(?<=[a-z])(:)(?=//)|(?<=\bwww)(\.)")
# A line break inside a value is kept as a Markdown hard break, never as a new paragraph or block.
_NEWLINES = re.compile(r"\r\n?|\n")


def _escape_line_start(m: re.Match[str]) -> str:
    indent, mark, digits, delimiter = m.groups()
    # "1." starts an ordered list; a backslash before a digit is not an escape, so the delimiter gets it
    return f"{indent}\\{mark}" if mark else f"{indent}{digits}\\{delimiter}"


def md_escape(value: object) -> str:
    """``value`` as Markdown text that renders exactly as the characters it holds.

    Escapes (with a backslash, which CommonMark removes when rendering) every character that could start a
    link, image, emphasis, code span, raw HTML tag, entity, strikethrough, LaTeX formula, table or Streamlit
    directive, the characters that start a block at the beginning of a line (heading, quote, list, underline),
    and bare URLs; line breaks become hard breaks so a value cannot open a new block. Ordinary punctuation
    (``.``, ``,``, ``'``, ``:``, ``(``) is left alone so messages stay readable in the source.

    Parameters
    ----------
    value : any object; ``None`` gives ``"None"`` like ``str``.

    Returns
    -------
    str
    """
    text = _NEWLINES.sub("\n", str(value))
    text = _INLINE.sub(r"\\\1", text)
    text = _LINE_START.sub(_escape_line_start, text)
    text = _AUTOLINK.sub(lambda m: "\\" + (m.group(1) or m.group(2)), text)
    return text.replace("\n", "  \n")


def plot_escape(value: object) -> str:
    """``value`` as Plotly label text: ``&``, ``<`` and ``>`` become entities, so no tag (``<a href>``,
    ``<img>``, ``<span style>``) renders; Plotly shows the entities as the characters."""
    return html.escape(str(value), quote=False)


def no_remote_images(markdown: str) -> str:
    """A Markdown document (a rendered model card) with every image turned into text.

    A document shown whole with ``st.markdown`` keeps its formatting, but an image in it would make each
    visitor's browser fetch a URL chosen by whoever wrote a card field or a group value; raw HTML is not rendered
    by ``st.markdown`` anyway.
    """
    return markdown.replace("![", "!\\[")
