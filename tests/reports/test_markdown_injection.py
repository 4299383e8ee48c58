"""Data-derived text cannot break out of the Markdown or HTML report: a model name with a line of backticks,
group values and column names holding fences, ``~~``, raw HTML, javascript: links and remote images.

The Markdown is rendered the way GitHub does (CommonMark with raw HTML, tables and strikethrough, via
markdown-it-py) and the resulting HTML is inspected tag by tag.
"""

from __future__ import annotations

import dataclasses
from html.parser import HTMLParser

import pytest
from markdown_it import MarkdownIt

from audits.results import AuditResult, Table
from reports.document import Document, Preformatted
from reports.export import render_markdown
from reports.html import document_to_html
from reports.markdown import blocks_to_markdown, md_fence, md_inline
from reports.report import build_report_document
from tests.reports import synthetic

EVIL_MODEL_NAME = "Loan model\n```\n<script>alert('name')</script>\n````\n# pwned heading\n~~gone~~"
EVIL = [
    "```",
    "````` x",
    "~~struck~~",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(2)>",
    "[click](javascript:alert(3))",
    "![pixel](http://evil.example/p.png)",
    "<https://evil.example/auto>",
    "&lt;b&gt;entity&lt;/b&gt;",
    "# heading",
    "1. item",
    "- item",
    "> quote",
    "<b>bold</b>",
]
# What a renderer may produce from our own markup; anything else came from the data.
ALLOWED_TAGS = {
    "h1", "h2", "h3", "h4", "h5", "h6", "p", "ul", "li", "strong", "em", "table", "thead", "tbody", "tr",
    "th", "td", "pre", "code", "blockquote", "hr",
}  # fmt: skip


def evil_result() -> AuditResult:
    fair = synthetic.fairness(n_groups=8)
    tables = dict(fair.tables)
    tables["groups:region"] = synthetic.groups_table(EVIL)
    fair = dataclasses.replace(fair, tables=tables, summary=(EVIL[2] + " " + EVIL[5],))
    expl = synthetic.explanation(n_features=len(EVIL))
    imp = dict(expl.tables["global_importance"].data)
    imp["feature"] = list(EVIL)
    expl = dataclasses.replace(
        expl,
        tables={**expl.tables, "global_importance": Table(title="Global importance", data=imp)},
        metrics={k: v for k, v in expl.metrics.items() if k != "beeswarm"},
    )
    prov = synthetic.provenance()
    prov = dataclasses.replace(prov, config={**prov.config, "model_name": EVIL_MODEL_NAME})
    return AuditResult(sections=(synthetic.performance(), fair, expl), provenance=prov)


class _Tags(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str | None]]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _tags(page: str) -> list[tuple[str, dict[str, str | None]]]:
    parser = _Tags()
    parser.feed(page)
    return parser.tags


def github_html(markdown: str) -> str:
    return MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"]).render(markdown)


@pytest.fixture(scope="module")
def rendered() -> tuple[str, str]:
    md = render_markdown(evil_result())
    return md, github_html(md)


def test_markdown_of_evil_data_renders_only_our_own_tags(rendered):
    _, page = rendered
    tags = {tag for tag, _ in _tags(page)}
    assert tags <= ALLOWED_TAGS, tags - ALLOWED_TAGS  # no script, img, a, b, s/del
    assert "<script" not in page and "<img" not in page and "<a " not in page


def test_evil_model_name_cannot_close_or_open_a_code_block(rendered):
    md, page = rendered
    # One code block only: the configuration in the appendix, with the whole multi-line name inside it.
    assert page.count("<pre>") == 1
    code = page.split("<pre>", 1)[1].split("</pre>", 1)[0]
    assert "# pwned heading" in code and "&lt;script&gt;" in code
    assert page.count("<h1>") == 1  # "# pwned heading" did not become a heading outside the block


def test_evil_text_stays_readable_as_text(rendered):
    _, page = rendered
    for text in ("~~struck~~", "[click](javascript:alert(3))", "![pixel](http://evil.example/p.png)"):
        assert text in page
    assert "&amp;lt;b&amp;gt;entity" in page  # an entity in the data shows as typed, not as "<b>"


@pytest.mark.parametrize("text", EVIL)
def test_md_inline_of_each_payload_is_plain_text(text):
    page = github_html(f"- {md_inline(text)}\n\nafter\n")
    assert [t for t, _ in _tags(page)] == ["ul", "li", "p"], page


def test_fence_is_longer_than_any_backtick_run():
    assert md_fence("plain") == "```"
    assert md_fence("a ``` b") == "````"
    assert md_fence("x\n  ``````\ny") == "```````"


def test_preformatted_text_with_fences_stays_inside_its_block():
    text = "key: 1\n  ````\n```\n<script>alert(1)</script>\n~~~\n# title"
    doc = Document(
        title="t", subtitle="", facts=(), verdict="v", verdict_status="pass", blocks=(Preformatted(text),)
    )
    page = github_html(blocks_to_markdown(doc))
    assert page.count("<pre>") == 1 and "<script" not in page
    assert page.count("<h1>") == 1


def test_html_report_escapes_every_data_derived_string():
    page = document_to_html(build_report_document(evil_result()), charts=False)
    tags = _tags(page)
    names = {t for t, _ in tags}
    assert "script" not in names and "img" not in names and "b" not in names
    for tag, attrs in tags:
        assert not any(k.startswith("on") for k in attrs), (tag, attrs)
        assert not str(attrs.get("href", "")).lower().startswith("javascript"), (tag, attrs)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    # Defence in depth: the page may load nothing and run nothing, whatever the data holds.
    assert "Content-Security-Policy\" content=\"default-src 'none'; img-src data:;" in page
