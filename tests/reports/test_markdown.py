"""Markdown report: tables parse, figures match the result, every section appears, odd names survive."""

from __future__ import annotations

import re

from audits.results import AuditResult, SectionResult, Status, Table
from reports.export import render_markdown
from reports.formatting import DisplayTable, fmt_value, fmt_value_ci
from reports.markdown import md_escape, md_table
from tests.reports import synthetic

_UNESCAPED_PIPE = re.compile(r"(?<!\\)\|")


def table_blocks(md: str) -> list[list[str]]:
    """Groups of consecutive lines that start with a pipe."""
    blocks: list[list[str]] = []
    current: list[str] = []
    for line in md.splitlines():
        if line.startswith("|"):
            current.append(line)
        elif current:
            blocks.append(current)
            current = []
    if current:
        blocks.append(current)
    return blocks


def cells(line: str) -> list[str]:
    return [c.strip() for c in _UNESCAPED_PIPE.split(line.strip())[1:-1]]


def test_every_markdown_table_has_a_consistent_cell_count(small_result):
    md = render_markdown(small_result)
    blocks = table_blocks(md)
    assert len(blocks) >= 8
    for block in blocks:
        widths = {len(cells(line)) for line in block}
        assert len(widths) == 1, block[:3]
        assert re.fullmatch(r"\|(-{3}:?\|)+", block[1].replace("---:", "---:")), block[1]


def test_performance_figures_equal_the_result(small_result):
    md = render_markdown(small_result)
    overall = small_result.section("performance").metrics["overall"]
    acc = overall["accuracy"]
    assert f"| accuracy | {fmt_value_ci(acc['value'], acc['ci_low'], acc['ci_high'])} |" in md
    assert "undefined (no row was predicted positive)" in md
    assert fmt_value(small_result.provenance.data["rows"], "count") in md


def test_sections_in_error_or_skipped_are_reported_not_dropped():
    result = synthetic.full_result(
        sections=(
            synthetic.performance(),
            SectionResult.skipped("fairness", "Fairness", "No protected column has two groups."),
            synthetic.errored(),
        )
    )
    md = render_markdown(result)
    assert "## Fairness" in md and "This section was skipped: No protected column has two groups." in md
    assert (
        "## Explanations" in md
        and "This section failed: The explanations section failed: ValueError: boom" in md
    )
    appendix = md[md.index("What was not measured") :]
    assert "Explanations: failed" in appendix and "Fairness: skipped" in appendix


def test_unicode_pipes_and_long_names_survive(small_result):
    md = render_markdown(small_result)
    for name in synthetic.UNICODE_GROUPS:
        assert name in md
    assert synthetic.LONG_NAME in md
    table = DisplayTable(
        title="t", columns=("group", "n"), rows=(("a|b", "1"), ("<script>", "2")), numeric=(False, True)
    )
    out = md_table(table)
    assert all(len(cells(line)) == 2 for line in out.splitlines())
    assert "a\\|b" in out and "<script>" not in out


def test_md_escape_keeps_numbers_and_words_readable():
    assert md_escape("-0.123") == "-0.123"
    assert md_escape("sample_data/adult") == "sample_data/adult"
    assert md_escape("<=50K") == "<=50K"
    assert md_escape("_private_") == "\\_private\\_"


def test_empty_table_and_section_without_tables():
    section = SectionResult(
        name="data_quality",
        title="Data quality",
        status=Status.PASS,
        tables={"empty": Table(title="Empty", data={"a": []})},
    )
    md = render_markdown(AuditResult(sections=(section,), provenance=synthetic.provenance()))
    assert "**Empty**" in md
