"""Data-derived strings (group values, column names, file and model names) render as text, never as Markdown,
HTML or images, in every element and chart of the dashboard (issue 11, item 4)."""

from __future__ import annotations

import dataclasses

import pytest
from markdown_it import MarkdownIt

from audits.results import Finding, Severity, Table
from dashboard import charts, state
from dashboard.text import md_escape, no_remote_images, plot_escape
from tests.dashboard import fake_result as fake
from tests.dashboard.conftest import GERMAN, new_app, no_exception, open_page

IMAGE = "![x](http://127.0.0.1:9/x.png)"
HTML = "<img src=x onerror=alert(1)>"
QUOTE = "> quote"
PAYLOADS = [
    IMAGE,
    HTML,
    QUOTE,
    "# heading",
    "1. list",
    "- item",
    ":red[styled] $x^2$ ~~gone~~",
    "**bold** _em_ `code`",
    "line\n```\nfence",
    "see http://127.0.0.1:9/x and www.example.org",
    "a | b\n|---|---|",
    "&lt;b&gt;",
    "back\\slash",
]
# CommonMark with raw HTML on and the GFM table/strikethrough rules: stricter than st.markdown (which drops
# raw HTML), so a payload that renders as plain text here does so in the browser too.
_MD = MarkdownIt("commonmark", {"html": True}).enable(["table", "strikethrough"])


@pytest.mark.parametrize("payload", PAYLOADS)
def test_md_escape_renders_the_characters_themselves(payload):
    html = _MD.render(md_escape(payload))
    assert html.count("<p>") == 1  # one paragraph: no heading, quote, list, code block or table
    for tag in ("<img", "<a ", "<em>", "<strong>", "<code>", "<del>", "<blockquote>", "<h1>", "<table>"):
        assert tag not in html, (payload, html)
    # the text comes back character for character (line breaks as <br />), HTML-escaped
    text = html.removeprefix("<p>").removesuffix("</p>\n").replace("<br />\n", "\n")
    assert text == payload.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;").replace(
        '"', "&quot;"
    )


def test_plain_identifiers_stay_readable():
    assert md_escape("credit_risk has 4 values; age: 25.5 (ok)") == "credit_risk has 4 values; age: 25.5 (ok)"


def test_plot_labels_cannot_hold_html():
    fig = charts.group_bars([HTML, "ok"], [0.5, 0.6], metric="selection_rate", title=f"by {HTML}")
    assert list(fig.data[0].x) == ["&lt;img src=x onerror=alert(1)&gt;", "ok"]
    assert "<img" not in fig.layout.title.text
    heat = charts.group_heatmap([HTML], ["<b>f</b>"], [[0.1]])
    assert list(heat.data[0].y) == [plot_escape(HTML)] and list(heat.data[0].x) == ["&lt;b&gt;f&lt;/b&gt;"]
    bees = charts.beeswarm(
        {"features": ["%{x}<br>"], "shap": {"%{x}<br>": [0.1]}, "value": {"%{x}<br>": [HTML]}}
    )
    assert "<br>" not in bees.data[0].name and "%{fullData.name}" in bees.data[0].hovertemplate
    assert list(bees.data[0].text) == [plot_escape(HTML)]


def test_a_document_preview_shows_images_as_text():
    assert "<img" not in _MD.render(no_remote_images(f"# Card\n\n{IMAGE}\n"))


@pytest.fixture
def payload_result(monkeypatch):
    """The synthetic result with payloads as attribute names, group values, messages and file names."""
    monkeypatch.setattr(
        fake,
        "GROUPS",
        {"sex": [IMAGE, HTML], "age": [QUOTE, "<=25"], "sex × age": ["a", "b", "c", "d"], IMAGE: [HTML, "x"]},
    )
    result = fake.fake_result()
    fair = result.section("fairness")
    long_note = f"group {IMAGE} has fewer than 30 rows and is left out of headline disparities ({HTML})"
    tables = dict(fair.tables)
    tables["excluded_groups"] = Table(
        title=f"Excluded groups of {IMAGE}", data={"group": [HTML], "reason": [long_note]}
    )
    fair = dataclasses.replace(
        fair,
        summary=(f"Group {IMAGE} is selected at 0.78x the rate of {HTML}.",),
        findings=(Finding(code="FAIR_X", severity=Severity.FAIL, message=f"{QUOTE} gap", subject=IMAGE),),
        tables=tables,
    )
    prov = dataclasses.replace(
        result.provenance,
        data={**result.provenance.data, "name": f"{IMAGE}.csv"},
        model={**result.provenance.model, "name": f"{HTML}\n```\n# model"},
    )
    sections = tuple(fair if s.name == "fairness" else s for s in result.sections)
    return dataclasses.replace(result, sections=sections, provenance=prov)


def _texts(at) -> list[str]:
    out = []
    for kind in (
        "markdown",
        "caption",
        "title",
        "header",
        "subheader",
        "error",
        "warning",
        "info",
        "success",
    ):
        out += [str(e.value) for e in getattr(at, kind)]
    return out


def _assert_only_escaped(at) -> None:
    """No element of the page renders an image, a link, raw HTML or a block quote (the app draws none itself)."""
    texts = _texts(at)
    assert texts
    for text in texts:
        html = _MD.render(text)
        for tag in ("<img", "<a ", "<blockquote", "<script"):
            assert tag not in html, (text, html)


def test_payloads_render_as_text_on_the_overview_and_in_the_sidebar(payload_result):
    at = new_app(result=payload_result)
    at.session_state[state.INPUTS] = {
        "data": f"{IMAGE}.csv",
        "model": HTML,
        "reference": None,
        "sample": None,
    }
    at.run()
    no_exception(at)
    _assert_only_escaped(at)
    assert any(md_escape(f"Group {IMAGE} is selected") in m.value for m in at.markdown)
    assert any(md_escape(IMAGE) in c.value for c in at.sidebar.caption)


def test_payloads_render_as_text_on_the_fairness_page(payload_result):
    at = new_app(result=payload_result)
    at.session_state[state.FAIR_ATTRIBUTE] = IMAGE
    at.run()
    open_page(at, "fairness")
    no_exception(at)
    _assert_only_escaped(at)
    assert any(s.value == f"Disparities for {md_escape(IMAGE)}" for s in at.subheader)
    assert any(md_escape(QUOTE) in m.value for m in at.markdown)  # the finding
    # st.table renders Markdown in its cells: the long note forced the static table, escaped
    cells = [str(v) for t in at.table for v in t.value.to_numpy().ravel()]
    assert any(md_escape(IMAGE) in c for c in cells) and not any(IMAGE in c for c in cells)


def test_an_uploaded_file_name_renders_as_text():
    at = new_app(timeout=120)
    at.run()
    at.radio(key=state.W_SOURCE).set_value("upload").run()
    at.file_uploader(key="setup.up.data").upload(
        f"{IMAGE}.csv", (GERMAN / "german_credit_test.csv").read_bytes(), "text/csv"
    )
    at.run()
    no_exception(at)
    _assert_only_escaped(at)
    assert any(md_escape(IMAGE) in c.value for c in at.caption)
