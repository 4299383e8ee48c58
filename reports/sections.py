"""Blocks of one section of the audit report.

:func:`section_blocks` renders ANY :class:`~audits.results.SectionResult`: status, summary, findings (most
severe first), every table, key figures and method; skipped and failed sections show their reason. Sections
with a known layout (fairness, explanation, emissions, ...) add charts and order their tables first, then
fall back on the generic parts for whatever else they hold, so a new table never disappears from a report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from audits.results import SectionResult, Status, Table
from reports import charts
from reports.document import Block, Bullets, Figure, Heading, KeyValues, Paragraph, TableBlock
from reports.formatting import (
    DisplayTable,
    fmt_seconds,
    fmt_status,
    fmt_value,
    fmt_value_ci,
    format_mapping,
    format_table,
    humanize,
)

# Reports show at most this many rows of one table; the JSON export keeps them all.
MAX_TABLE_ROWS = 400
FINDING_COLUMNS = ("Severity", "Subject", "Finding", "Code")


def table_block(table: Table, *, max_rows: int = MAX_TABLE_ROWS) -> TableBlock:
    """A result table as a block; very long tables are cut at ``max_rows`` rows, and the note says so."""
    shown = format_table(table)
    status_col = next(
        (i for i, c in enumerate(shown.columns) if c.lower() in ("verdict", "status", "severity")), None
    )
    if shown.n_rows > max_rows:
        shown = DisplayTable(
            title=shown.title,
            columns=shown.columns,
            rows=shown.rows[:max_rows],
            numeric=shown.numeric,
            note=f"{shown.note} First {max_rows:,} of {table.n_rows:,} rows shown; the JSON export holds all.".strip(),
        )
    return TableBlock(shown, status_column=status_col)


def findings_block(section: SectionResult, *, limit: int | None = None) -> list[Block]:
    """The findings of a section as a table, most severe first."""
    ranked = section.ranked_findings()
    if not ranked:
        return []
    shown = ranked[: MAX_TABLE_ROWS if limit is None else limit]
    rows = tuple((fmt_status(f.severity), f.subject or "—", f.message, f.code) for f in shown)
    note = (
        ""
        if len(shown) == len(ranked)
        else f"{len(shown)} of {len(ranked)} findings shown; the JSON holds all."
    )
    return [
        TableBlock(
            DisplayTable(
                title="Findings",
                columns=FINDING_COLUMNS,
                rows=rows,
                numeric=(False, False, False, False),
                note=note,
            ),
            status_column=0,
        )
    ]


def status_line(section: SectionResult) -> Paragraph:
    """``Status: PASS · computed in 0.31 s``."""
    parts = [f"Status: {fmt_status(section.status)}"]
    if section.duration_s is not None and section.status not in (Status.SKIPPED, Status.ERROR):
        parts.append(f"computed in {fmt_seconds(section.duration_s)}")
    return Paragraph(" · ".join(parts), style="verdict", status=section.status.value)


def generic_blocks(
    section: SectionResult, *, skip_tables: Sequence[str] = (), skip_metrics: Sequence[str] = ()
) -> list[Block]:
    """Summary, findings, tables, key figures and method of any section."""
    blocks: list[Block] = []
    if section.status in (Status.SKIPPED, Status.ERROR):
        what = "was skipped" if section.status == Status.SKIPPED else "failed"
        blocks.append(
            Paragraph(
                f"This section {what}: {section.reason or 'no reason was recorded.'}",
                style="warning",
                status=section.status.value,
            )
        )
        return blocks
    if section.summary:
        blocks.append(Bullets(tuple(section.summary)))
    blocks.extend(findings_block(section))
    for key, table in section.tables.items():
        if key in skip_tables or (key == "findings" and section.findings):
            continue  # the findings table repeats the findings shown above
        blocks.append(table_block(table))
    figures = format_mapping({k: v for k, v in section.metrics.items() if k not in skip_metrics})
    if figures:
        blocks.append(KeyValues(tuple(figures), title="Key figures"))
    method = format_mapping(section.method)
    if method:
        blocks.append(KeyValues(tuple(method), title="How these numbers were obtained"))
    return blocks


# --- section-specific layouts -----------------------------------------------------------------------------


def _performance(section: SectionResult) -> list[Block]:
    blocks: list[Block] = []
    cal = section.table("calibration")
    if cal is not None and section.status not in (Status.SKIPPED, Status.ERROR):
        blocks.append(
            Figure(
                title="Calibration",
                caption="Mean predicted score vs observed positive rate per score bin; the diagonal is perfect "
                "calibration. Empty bins are left out.",
                render=lambda: charts.calibration_chart(cal),
            )
        )
    return generic_blocks(section) + blocks


def _groups_tables(section: SectionResult) -> list[tuple[str, Table]]:
    return [(k, t) for k, t in section.tables.items() if k.startswith("groups:")]


DISPARITY_COLUMNS = ("Attribute", "Disparity", "Groups compared", "Value [CI]", "Tolerance", "Verdict")
DISPARITY_NOTE = (
    "Verdicts compare each group with the reference group ('vs reference'; the pair shown decided the verdict): "
    "FAIL when a gap is beyond the policy tolerance at the Holm-adjusted confidence over the comparisons, PASS "
    "when every gap's interval lies within it, INCONCLUSIVE otherwise. Selection-rate ratios use the four-fifths "
    "rule (a US EEOC heuristic, not a legal finding). 'between groups' (extreme groups) and 'to overall' rows are "
    "descriptive numbers without interval or verdict."
)
REFERENCE_TABLE_COLUMNS = (
    "Attribute",
    "Metric",
    "Group vs reference",
    "Difference [CI]",
    "Ratio [CI]",
    "Verdict",
)
REFERENCE_TABLE_NOTE = (
    "Each group against the reference group (configured, else the largest): difference (Newcombe hybrid score) "
    "and ratio (MOVER-R) with their confidence intervals; FAIL beyond the tolerance at the Holm-adjusted level, "
    "PASS within it, INCONCLUSIVE otherwise."
)


def reference_table(
    rows: Sequence[Mapping[str, Any]], *, title: str, metric_titles: Mapping[str, str] | None = None
) -> TableBlock:
    """Rows of the fairness ``reference_groups`` table: each group against the reference group."""
    titles = dict(metric_titles or {})
    out = []
    for r in rows:
        metric = str(r.get("metric", ""))
        reason = r.get("note") or None
        out.append(
            (
                str(r.get("attribute", "")),
                titles.get(metric, humanize(metric)),
                f"{r.get('group')} vs {r.get('reference')}",
                fmt_value_ci(
                    r.get("difference"),
                    r.get("difference_ci_low"),
                    r.get("difference_ci_high"),
                    reason=reason,
                ),
                fmt_value_ci(r.get("ratio"), r.get("ratio_ci_low"), r.get("ratio_ci_high"), reason=reason),
                fmt_status(str(r.get("verdict") or "undefined")),
            )
        )
    return TableBlock(
        DisplayTable(
            title=title,
            columns=REFERENCE_TABLE_COLUMNS,
            rows=tuple(out),
            numeric=(False, False, False, True, True, False),
            note=REFERENCE_TABLE_NOTE,
        ),
        status_column=5,
    )


def disparity_table(
    rows: Sequence[Mapping[str, Any]], *, title: str, metric_titles: Mapping[str, str] | None = None
) -> TableBlock:
    """A compact table of disparity rows (fairness ``disparities`` / ``headline``) with their verdicts."""
    titles = dict(metric_titles or {})
    out = []
    for r in rows:
        metric = str(r.get("metric", ""))
        name = titles.get(metric, humanize(metric))
        label = f"{name} {r.get('kind', '')}".strip()
        label = label[:1].upper() + label[1:]
        method = str(r.get("method") or "")
        if method and method != "between_groups":
            label += f" ({method.replace('_', ' ')})"
        group, ref = r.get("group"), r.get("reference")
        groups = (
            f"{group} vs {ref}" if group not in (None, "") and ref not in (None, "") else str(group or "")
        )
        verdict = str(r.get("verdict") or "undefined")
        out.append(
            (
                str(r.get("attribute", "")),
                label,
                groups,
                fmt_value_ci(r.get("value"), r.get("ci_low"), r.get("ci_high"), reason=r.get("note") or None),
                fmt_value(r.get("tolerance")),
                fmt_status(verdict) if verdict != "undefined" else "UNDEFINED",
            )
        )
    return TableBlock(
        DisplayTable(
            title=title,
            columns=DISPARITY_COLUMNS,
            rows=tuple(out),
            numeric=(False, False, False, True, True, False),
            note=DISPARITY_NOTE,
        ),
        status_column=5,
    )


def _interval_how(section: SectionResult) -> str:
    """``Intervals: 95% percentile, 1,000 resamples (stratified count bootstrap), seed 0.`` from the method."""
    m = section.method
    parts = []
    if m.get("interval") == "score" and m.get("confidence_level") is not None:
        # Fairness rates: closed-form score intervals (ROC AUC keeps its resamples).
        level = fmt_value(m["confidence_level"], "pct").replace(".0%", "%")
        return f"Intervals: {level} {m.get('interval_method') or 'score intervals'}; seed {m.get('seed')} for ROC AUC."
    if m.get("confidence_level") is not None:
        parts.append(f"{fmt_value(m['confidence_level'], 'pct').replace('.0%', '%')} percentile")
    resamples = m.get("n_bootstrap") or m.get("bootstrap_resamples")
    if resamples is not None:
        text = f"{fmt_value(resamples, 'count')} resamples"
        if m.get("interval_method"):
            text += f" ({m['interval_method']})"
        parts.append(text)
    if m.get("seed") is not None:
        parts.append(f"seed {m['seed']}")
    return f"Intervals: {', '.join(parts)}." if parts else ""


def _cut(block: TableBlock) -> TableBlock:
    t = block.table
    if t.n_rows <= MAX_TABLE_ROWS:
        return block
    return TableBlock(
        DisplayTable(
            title=t.title,
            columns=t.columns,
            rows=t.rows[:MAX_TABLE_ROWS],
            numeric=t.numeric,
            note=f"{t.note} First {MAX_TABLE_ROWS:,} of {t.n_rows:,} rows shown; the JSON export holds all.",
        ),
        status_column=block.status_column,
    )


def group_table_blocks(table: Table) -> list[Block]:
    """A ``groups:<col>`` table as metrics per group, then its notes (why a group is excluded or undefined).

    The notes are long sentences; kept in the metrics table they would make every row several lines high.
    """
    notes = table.data.get("note")
    if not notes or not any(notes):
        return [table_block(table)]
    data = {k: v for k, v in table.data.items() if k != "note"}
    blocks: list[Block] = [table_block(Table(title=table.title, data=data, note=table.note))]
    rows = tuple((str(g), str(n)) for g, n in zip(table.data["group"], notes, strict=True) if n)
    blocks.append(
        TableBlock(
            DisplayTable(
                title=f"{table.title}: notes",
                columns=("Group", "Note"),
                rows=rows,
                numeric=(False, False),
            )
        )
    )
    return blocks


def appendix_blocks(section: SectionResult) -> list[Block]:
    """Long detail tables a section keeps out of its chapter (fairness: every disparity)."""
    if section.name != "fairness" or section.status in (Status.SKIPPED, Status.ERROR):
        return []
    disparities = section.table("disparities")
    headline = section.metrics.get("headline")
    if disparities is None or not disparities.n_rows or not (isinstance(headline, list) and headline):
        return []
    titles = (
        section.metrics.get("metric_titles")
        if isinstance(section.metrics.get("metric_titles"), Mapping)
        else {}
    )
    out: list[Block] = [
        Heading("All fairness disparities", level=2),
        _cut(disparity_table(disparities.rows(), title="Disparities", metric_titles=titles)),
    ]
    ref = section.table("reference_groups")
    if ref is not None and ref.n_rows:
        out.append(Heading("Every group against the reference group", level=2))
        out.append(
            _cut(reference_table(ref.rows(), title="Reference-group comparisons", metric_titles=titles))
        )
    return out


def _fairness(section: SectionResult) -> list[Block]:
    if section.status in (Status.SKIPPED, Status.ERROR):
        return generic_blocks(section)
    blocks: list[Block] = []
    if section.summary:
        blocks.append(Bullets(tuple(section.summary)))
    titles = (
        section.metrics.get("metric_titles")
        if isinstance(section.metrics.get("metric_titles"), Mapping)
        else {}
    )
    headline = section.metrics.get("headline")
    disparities = section.table("disparities")
    if isinstance(headline, list) and headline:
        blocks.append(Heading("Disparity verdicts", level=2))
        blocks.append(disparity_table(headline, title="Headline disparities", metric_titles=titles))
    elif disparities is not None and disparities.n_rows:
        blocks.append(Heading("Disparity verdicts", level=2))
        blocks.append(_cut(disparity_table(disparities.rows(), title="Disparities", metric_titles=titles)))
    ref = section.table("reference_groups")
    if ref is not None and ref.n_rows and isinstance(headline, list):
        lead = {str(h.get("metric")) for h in headline if isinstance(h, Mapping)}
        shown = [r for r in ref.rows() if r.get("metric") in lead]
        if shown:
            blocks.append(Heading("Each group against the reference group", level=2))
            blocks.append(_cut(reference_table(shown, title="Lead metrics by group", metric_titles=titles)))
    if disparities is not None and disparities.n_rows and headline:
        blocks.append(
            Paragraph(
                f"All {disparities.n_rows:,} disparities (verdicts against the reference group, and descriptive gaps "
                "between groups and to overall) and every group's comparison with the reference group are "
                "listed in the appendix.",
                style="note",
            )
        )
    blocks.extend(findings_block(section))
    for key, table in _groups_tables(section):
        column = key.split(":", 1)[1]
        blocks.append(Heading(f"Groups of {column}", level=2))
        for spec in charts.group_chart_specs(table):
            blocks.append(
                Figure(
                    title=spec.title,
                    caption=f"{spec.caption} {_interval_how(section)}".strip(),
                    render=lambda t=table, s=spec: charts.group_metric_chart(t, s),
                )
            )
        blocks.extend(group_table_blocks(table))
    done = {"disparities", "reference_groups", *(k for k, _ in _groups_tables(section))}
    rest = generic_blocks(section, skip_tables=tuple(done))
    # The summary and findings were shown above; keep the remaining tables, figures and method.
    return blocks + [b for b in rest if not _is_summary_or_findings(b, section)]


def _is_summary_or_findings(block: Block, section: SectionResult) -> bool:
    if isinstance(block, Bullets) and block.items == tuple(section.summary):
        return True
    return isinstance(block, TableBlock) and block.table.columns == FINDING_COLUMNS


def _explain_how(section: SectionResult) -> str:
    m = section.method
    parts = [str(m[k]) for k in ("explainer", "sampling") if m.get(k)]
    how = "; ".join(parts)
    interval = _interval_how(section)
    return " ".join(x for x in (f"{how}." if how else "", interval) if x)


def _explanation(section: SectionResult) -> list[Block]:
    if section.status in (Status.SKIPPED, Status.ERROR):
        return generic_blocks(section)
    blocks: list[Block] = []
    importance = section.table("global_importance")
    if importance is not None and importance.n_rows:
        blocks.append(
            Figure(
                title="Global feature importance",
                caption=" ".join(
                    x for x in (charts.importance_caption(importance), _explain_how(section)) if x
                ),
                render=lambda: charts.importance_chart(importance),
            )
        )
    beeswarm = section.metrics.get("beeswarm")
    if isinstance(beeswarm, Mapping) and charts.beeswarm_ok(beeswarm):
        blocks.append(
            Figure(
                title="SHAP values per row (beeswarm)",
                caption=charts.beeswarm_caption(beeswarm),
                render=lambda: charts.beeswarm_chart(beeswarm),
            )
        )
    by_group = [t for k, t in section.tables.items() if k.startswith(("by_group", "group_importance"))]
    for table in by_group:
        if charts.group_attribution_ok(table):
            blocks.append(
                Figure(
                    title=f"{table.title}",
                    caption="Mean SHAP value (signed, in the model's output units) of the features that differ "
                    "most between groups: a bar left of zero pulls the group's predictions down.",
                    render=lambda t=table: charts.group_attribution_chart(t),
                )
            )
    return generic_blocks(section, skip_metrics=("beeswarm",)) + blocks + _group_gap_blocks(section)


GAP_FEATURES = 10


def _group_gap_blocks(section: SectionResult) -> list[Block]:
    """Which features account for the gap in mean model output between two groups (SHAP contributions)."""
    gaps = section.metrics.get("group_gap")
    if not isinstance(gaps, Mapping) or not gaps:
        return []
    blocks: list[Block] = [Heading("What drives the gap between groups", level=2)]
    for column, gap in gaps.items():
        if not isinstance(gap, Mapping):
            continue
        contributions = gap.get("contributions") or {}
        groups = gap.get("groups") or []
        ranked = sorted(
            ((str(k), v) for k, v in contributions.items() if isinstance(v, int | float)),
            key=lambda kv: -abs(kv[1]),
        )
        shown = ranked[:GAP_FEATURES]
        title = f"{column}: {' vs '.join(map(str, groups))}" if groups else str(column)
        if gap.get("sentence"):
            blocks.append(Paragraph(str(gap["sentence"])))
        note = (
            f"Gap in mean model output: {fmt_value(gap.get('gap'))}; the contributions add up to it, up to the "
            "additivity error stated in the method."
        )
        if len(ranked) > len(shown):
            note += f" Top {len(shown)} of {len(ranked)} features shown."
        blocks.append(
            TableBlock(
                DisplayTable(
                    title=title,
                    columns=("Feature", "Contribution to the gap"),
                    rows=tuple((k, fmt_value(v)) for k, v in shown),
                    numeric=(False, True),
                    note=note,
                )
            )
        )
    return blocks if len(blocks) > 1 else []


def _emissions(section: SectionResult) -> list[Block]:
    if section.status in (Status.SKIPPED, Status.ERROR):
        return generic_blocks(section)
    blocks: list[Block] = []
    statement = charts.emissions_statement(section)
    if statement:
        blocks.append(Paragraph(statement, style="verdict"))
    bars = charts.emissions_bars_data(section)
    if bars:
        blocks.append(
            Figure(
                title="Emissions by grid region",
                caption="CO₂-equivalent of the same energy at the carbon intensity of other grids (estimated).",
                render=lambda: charts.emissions_chart(bars),
            )
        )
    return blocks + generic_blocks(section)


SECTION_LAYOUTS: dict[str, Callable[[SectionResult], list[Block]]] = {
    "performance": _performance,
    "fairness": _fairness,
    "explanation": _explanation,
    "emissions": _emissions,
}


def section_blocks(section: SectionResult) -> list[Block]:
    """Heading, status and body of one section; a layout that fails falls back on the generic one."""
    head: list[Block] = [Heading(section.title, level=1, status=section.status.value), status_line(section)]
    layout = SECTION_LAYOUTS.get(section.name, generic_blocks)
    try:
        body = layout(section)
    except Exception as exc:  # a renderer must never lose a section: show it generically instead
        body = [
            Paragraph(
                f"The {section.title.lower()} layout could not be drawn ({type(exc).__name__}: {exc}); "
                "its content is shown as plain tables.",
                style="warning",
            ),
            *generic_blocks(section),
        ]
    return head + body


def fmt_metric_row(row: Mapping[str, Any]) -> str:
    """``0.873 [0.868, 0.878]`` from a row with value / ci_low / ci_high (and a note when undefined)."""
    return fmt_value_ci(row.get("value"), row.get("ci_low"), row.get("ci_high"), reason=row.get("note"))


__all__ = [
    "MAX_TABLE_ROWS",
    "SECTION_LAYOUTS",
    "findings_block",
    "fmt_metric_row",
    "generic_blocks",
    "section_blocks",
    "table_block",
    "fmt_value",
    "humanize",
]
