"""Self-contained HTML rendering: inline CSS, charts as inline base64 PNG, no external URL of any kind."""

from __future__ import annotations

import base64
import html
from typing import Any

from audits.results import Status
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
from reports.formatting import STATUS_COLOR

CSS = """
body{font-family:"DejaVu Sans",-apple-system,"Segoe UI",Roboto,Helvetica,Arial,sans-serif;color:#1f2328;
 max-width:1100px;margin:2rem auto;padding:0 1.2rem;line-height:1.45;font-size:15px}
h1{font-size:1.7rem;margin:.2rem 0}h2{font-size:1.35rem;border-bottom:2px solid #d0d7de;padding-bottom:.2rem;
 margin-top:2.2rem}h3{font-size:1.1rem;margin-top:1.4rem}h4{font-size:1rem}
.title{border-bottom:3px solid #3b6ea8;padding-bottom:1rem;margin-bottom:1rem}
.facts{display:grid;grid-template-columns:max-content 1fr;gap:.15rem 1rem;margin:.6rem 0}
.facts dt{font-weight:600;color:#57606a}.facts dd{margin:0;overflow-wrap:anywhere}
.badge{display:inline-block;padding:.05rem .5rem;border-radius:1rem;color:#fff;font-weight:600;font-size:.85em}
.verdict{font-weight:600}.note{color:#57606a;font-size:.88em}
.warning{background:#fff8c5;border-left:4px solid #9a6700;padding:.5rem .8rem}
.tablewrap{overflow-x:auto;margin:.4rem 0 .2rem}
table{border-collapse:collapse;font-size:.86em;min-width:40%}
caption{text-align:left;font-weight:600;padding:.2rem 0}
th,td{border:1px solid #d0d7de;padding:.25rem .5rem;vertical-align:top;overflow-wrap:break-word;max-width:28rem;min-width:3.5rem}
td:first-child,th:first-child{min-width:9rem}
th{background:#f6f8fa;position:sticky;top:0}td.num{text-align:right;white-space:nowrap}
tr:nth-child(even) td{background:#fbfcfd}
figure{margin:1rem 0}figure img{max-width:100%;height:auto}figcaption{color:#57606a;font-size:.88em}
pre{background:#f6f8fa;padding:.8rem;overflow-x:auto;font-size:.82em}
dl.kv{display:grid;grid-template-columns:max-content 1fr;gap:.1rem 1rem}dl.kv dt{color:#57606a}
dl.kv dd{margin:0;overflow-wrap:anywhere}
nav ul{columns:2;font-size:.92em}
.firstpage{border:1px solid #d0d7de;border-radius:6px;padding:.4rem 1rem;margin:1rem 0}
@media print{
 @page{size:A4;margin:14mm}
 body{max-width:none;margin:0;padding:0;font-size:9.5pt}
 h2{break-before:page}h2,h3,h4,caption{break-after:avoid}
 .firstpage,nav{break-after:page}
 .tablewrap{overflow:visible}table{width:100%;font-size:7.5pt;table-layout:auto}
 th,td{max-width:none;min-width:0;padding:.1rem .25rem}td:first-child,th:first-child{min-width:0}
 th{position:static}thead{display:table-header-group}tr,figure,img{break-inside:avoid}
 a{color:inherit;text-decoration:none}
}
"""


# The page is self-contained, so it may load nothing and run nothing: even if some data-derived text escaped
# html.escape, a browser would neither execute a script nor fetch a URL from it.
CSP = "default-src 'none'; img-src data:; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'"


def _e(text: Any) -> str:
    return html.escape(str(text), quote=True)


def _badge(status: str | None, text: str | None = None) -> str:
    if not status:
        return ""
    try:
        color = STATUS_COLOR[Status(status)]
    except ValueError:
        color = "#57606a"
    return f'<span class="badge" style="background:{color}">{_e(text or status.upper())}</span>'


def _table(block: TableBlock) -> str:
    t = block.table
    parts = ['<div class="tablewrap"><table>']
    if t.title:
        parts.append(f"<caption>{_e(t.title)}</caption>")
    parts.append(
        "<thead><tr>" + "".join(f'<th scope="col">{_e(c)}</th>' for c in t.columns) + "</tr></thead><tbody>"
    )
    for row in t.rows:
        cells = []
        for i, cell in enumerate(row):
            cls = ' class="num"' if t.numeric[i] else ""
            content = _e(cell)
            if block.status_column == i:
                status = cell.lower()
                content = _badge(status, cell) if status in {s.value for s in Status} else content
            cells.append(f"<td{cls}>{content}</td>")
        parts.append("<tr>" + "".join(cells) + "</tr>")
    parts.append("</tbody></table></div>")
    if t.note:
        parts.append(f'<p class="note">{_e(t.note)}</p>')
    return "".join(parts)


def _slug(text: str, used: set[str]) -> str:
    base = "".join(ch if ch.isalnum() else "-" for ch in text.lower()).strip("-") or "section"
    slug, k = base, 2
    while slug in used:
        slug, k = f"{base}-{k}", k + 1
    used.add(slug)
    return slug


def document_to_html(doc: Document, *, charts: bool = True) -> str:
    """Render a document as one self-contained HTML page."""
    used: set[str] = set()
    body: list[str] = []
    toc: list[str] = []
    for block in doc.blocks:
        if isinstance(block, Heading):
            level = min(block.level + 1, 6)
            slug = _slug(block.text, used)
            if block.level == 1:
                toc.append(f'<li><a href="#{slug}">{_e(block.text)}</a> {_badge(block.status)}</li>')
            body.append(f'<h{level} id="{slug}">{_e(block.text)}</h{level}>')
        elif isinstance(block, Paragraph):
            cls = {"note": "note", "verdict": "verdict", "warning": "warning"}.get(block.style, "")
            badge = _badge(block.status) + " " if block.style == "verdict" and block.status else ""
            body.append(f'<p class="{cls}">{badge}{_e(block.text)}</p>')
        elif isinstance(block, Bullets):
            body.append("<ul>" + "".join(f"<li>{_e(i)}</li>" for i in block.items) + "</ul>")
        elif isinstance(block, KeyValues):
            if block.title:
                body.append(f"<h4>{_e(block.title)}</h4>")
            body.append(
                '<dl class="kv">'
                + "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in block.rows)
                + "</dl>"
            )
        elif isinstance(block, TableBlock):
            body.append(_table(block))
        elif isinstance(block, Figure):
            if not charts:
                continue
            png = block.render()
            data = base64.b64encode(png).decode("ascii")
            body.append(
                f'<figure><img alt="{_e(block.title)}" src="data:image/png;base64,{data}">'
                f"<figcaption><strong>{_e(block.title)}.</strong> {_e(block.caption)}</figcaption></figure>"
            )
        elif isinstance(block, Preformatted):
            body.append(f"<pre>{_e(block.text)}</pre>")
    first: list[str] = []
    for block in doc.first_page:
        if isinstance(block, Heading):
            first.append(f"<h3>{_e(block.text)}</h3>")
        elif isinstance(block, Paragraph):
            cls = {"note": "note", "verdict": "verdict"}.get(block.style, "")
            first.append(f'<p class="{cls}">{_e(block.text)}</p>')
        elif isinstance(block, Bullets):
            first.append("<ul>" + "".join(f"<li>{_e(i)}</li>" for i in block.items) + "</ul>")
    first_html = f'<section class="firstpage">{"".join(first)}</section>' if first else ""
    facts = "".join(f"<dt>{_e(k)}</dt><dd>{_e(v)}</dd>" for k, v in doc.facts)
    nav = f"<nav><strong>Contents</strong><ul>{''.join(toc)}</ul></nav>" if toc else ""
    return (
        "<!DOCTYPE html>\n"
        f'<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, '
        f'initial-scale=1"><meta http-equiv="Content-Security-Policy" content="{CSP}">'
        f"<title>{_e(doc.title)}</title><style>{CSS}</style></head><body>"
        f'<header class="title"><h1>{_e(doc.title)}</h1><dl class="facts">{facts}</dl>'
        f'<p class="verdict">{_badge(doc.verdict_status, doc.verdict)}</p></header>'
        f"{first_html}{nav}<main>{''.join(body)}</main>"
        f'<footer class="note"><p>{_e(doc.footer)}</p></footer></body></html>\n'
    )
