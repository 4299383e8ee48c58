"""A small, format-neutral document model: the middle stage of compute -> document -> format.

The report builder turns an AuditResult into a :class:`Document` of blocks whose text is already formatted
(:mod:`reports.formatting`); the Markdown, HTML and PDF renderers only lay these blocks out. That is what
makes one number read identically in every format.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from reports.formatting import DisplayTable


@dataclass(frozen=True)
class Heading:
    """A heading; level 1 starts a new chapter (a new page in the PDF)."""

    text: str
    level: int = 1
    status: str | None = None


@dataclass(frozen=True)
class Paragraph:
    """Running text. ``style``: ``body``, ``note`` (small, grey), ``verdict`` (emphasised) or ``warning``."""

    text: str
    style: str = "body"
    status: str | None = None


@dataclass(frozen=True)
class Bullets:
    """A bulleted list of plain-text items."""

    items: tuple[str, ...]


@dataclass(frozen=True)
class KeyValues:
    """Label / value pairs (provenance, key figures, method)."""

    rows: tuple[tuple[str, str], ...]
    title: str = ""


@dataclass(frozen=True)
class TableBlock:
    """A formatted table (see :class:`reports.formatting.DisplayTable`)."""

    table: DisplayTable
    status_column: int | None = None


@dataclass(frozen=True)
class Figure:
    """A static chart. ``render`` returns PNG bytes; it is called only by formats that show images."""

    title: str
    caption: str
    render: Callable[[], bytes] = field(compare=False)


@dataclass(frozen=True)
class Preformatted:
    """Monospaced text (a config file)."""

    text: str


Block = Heading | Paragraph | Bullets | KeyValues | TableBlock | Figure | Preformatted


@dataclass(frozen=True)
class Document:
    """What a renderer lays out: a title page (title, subtitle, facts, verdict) then blocks."""

    title: str
    subtitle: str
    facts: tuple[tuple[str, str], ...]
    verdict: str
    verdict_status: str
    blocks: tuple[Block, ...]
    footer: str = "RAI Audit"
    chapter_breaks: bool = True  # level-1 headings start a new PDF page
    # Blocks of the first page, right under the verdict (the findings that decide); the PDF keeps them on page 1.
    first_page: tuple[Block, ...] = ()
    toc: bool = False  # print a table of contents of the chapters (the PDF after page 1, the HTML a nav)
