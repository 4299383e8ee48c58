"""Blocks of one section of the audit report.

:func:`section_blocks` renders ANY :class:`~audits.results.SectionResult`: status, summary, findings (most
severe first), every table, key figures and method; skipped and failed sections show their reason. Sections
with a known layout (fairness, explanation, emissions, ...) add charts and order their tables first, then
fall back on the generic parts for whatever else they hold, so a new table never disappears from a report.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from audits.data_quality.view import DataQualityResult
from audits.emissions_view import EmissionsResult
from audits.explain.view import BY_GROUP_PREFIX, ExplanationResult
from audits.fairness.view import FairnessResult, is_intersection
from audits.performance_view import PerformanceResult
from audits.results import SectionResult, Severity, Status, Table
from audits.section_view import SectionView
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


def findings_block(
    section: SectionResult, *, limit: int | None = None, min_severity: Severity = Severity.INFO
) -> list[Block]:
    """The findings of a section (at least ``min_severity``) as a table, most severe first."""
    order = {Severity.INFO: 0, Severity.WARN: 1, Severity.FAIL: 2}
    ranked = [f for f in section.ranked_findings() if order[f.severity] >= order[min_severity]]
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
    section: SectionResult,
    *,
    skip_tables: Sequence[str] = (),
    skip_metrics: Sequence[str] = (),
    method: bool = False,
) -> list[Block]:
    """Summary, findings, tables and key figures of any section (its method goes to the appendix).

    Informational findings repeat the summary above them; the chapter shows only warnings and failures (the
    appendix and findings.csv list every finding).
    """
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
    blocks.extend(findings_block(section, min_severity=Severity.WARN if section.summary else Severity.INFO))
    for key, table in section.tables.items():
        if key in skip_tables or (key == "findings" and section.findings):
            continue  # the findings table repeats the findings shown above
        blocks.append(table_block(table))
    figures = format_mapping(_shown(section.metrics, skip_metrics))
    if figures:
        blocks.append(KeyValues(tuple(figures), title="Key figures"))
    how = format_mapping(_shown(section.method, ())) if method else []
    if how:
        blocks.append(KeyValues(tuple(how), title="How these numbers were obtained"))
    return blocks


# Entries a reader gains nothing from: raw library logs and values that were not set.
HIDDEN_KEYS = frozenset({"codecarbon_messages", "timings_s", "beeswarm", "dependence", "local"})


def _shown(d: Mapping[str, Any], skip: Sequence[str]) -> dict[str, Any]:
    return {
        k: v
        for k, v in d.items()
        if k not in skip and k not in HIDDEN_KEYS and v is not None and v != "" and v != [] and v != {}
    }


# --- section-specific layouts -----------------------------------------------------------------------------


def _performance(section: SectionResult) -> list[Block]:
    blocks: list[Block] = []
    cal = PerformanceResult.from_section(section).calibration_table()
    level = section.method.get("confidence_level") or 0.95
    if cal is not None and section.status not in (Status.SKIPPED, Status.ERROR):
        blocks.append(
            Figure(
                title="Calibration",
                caption="Mean predicted score vs observed positive rate per score bin, with "
                f"{fmt_value(level, 'pct').replace('.0%', '%')} Wilson intervals of each bin's rate; the diagonal "
                "is perfect calibration. Empty bins are left out.",
                render=lambda: charts.calibration_chart(cal, level=float(level)),
            )
        )
    return generic_blocks(section) + blocks


def roc_pr_figure(result: Any) -> Figure | None:
    """ROC and precision-recall curves, rebuilt from the fairness threshold curves of the first attribute."""
    from reports import readers

    curves = readers.threshold_curves(result)
    tables = readers.group_tables(result)
    for attribute, c in curves.items():
        table = tables.get(attribute)
        if table is None or "×" in attribute or not {"positives", "negatives"} <= set(table.data):
            continue
        pos = {
            str(g): float(v or 0) for g, v in zip(table.data["group"], table.data["positives"], strict=False)
        }
        neg = {
            str(g): float(v or 0) for g, v in zip(table.data["group"], table.data["negatives"], strict=False)
        }
        if set(map(str, c.get("groups", {}))) - set(pos):
            continue
        auc = next((r for r in readers.performance_rows(result) if r["metric"] == "roc_auc"), None)
        auc_text = f" (ROC AUC {fmt_value(auc['value'])})" if auc and auc.get("value") is not None else ""
        n = len(c.get("thresholds", []))
        return Figure(
            title="ROC and precision-recall curves",
            caption=f"All audited rows, at {n} thresholds of the score, summed over the groups of {attribute} "
            "(which partition the rows); the red dot is the decision threshold. Dashed: a model without skill.",
            render=lambda c=c, pos=pos, neg=neg, a=auc_text: charts.roc_pr_chart(
                c, pos, neg, threshold=readers.decision_threshold(result), auc_text=a
            ),
        )
    return None


def _groups_tables(section: SectionResult) -> list[tuple[str, Table]]:
    """(group column, its groups table) of the fairness section."""
    return list(FairnessResult.from_section(section).group_tables().items())


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
    """``Intervals: 95% Wilson score (rates), ...; 1,000 resamples, seed 0.`` from the section's method record."""
    rec = SectionView.from_section(section).method_record()
    if rec is None or rec.confidence_level is None:
        return ""
    level = fmt_value(rec.confidence_level, "pct").replace(".0%", "%")
    text = f"Intervals: {level} {rec.interval}"
    if rec.resamples:
        text += f"; {fmt_value(rec.resamples, 'count')} resamples, seed {rec.seed}"
    return text + "."


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


COMPACT_BASE = ("selection_rate", "mean_prediction")


def compact_group_table(table: Table, lead: Sequence[str]) -> Table:
    """A ``groups:<col>`` table with counts, the selection rate and the lead metrics only (each with its CI)."""
    d = table.data
    metrics = [m for m in (*COMPACT_BASE, *lead) if m in d]
    if not metrics:
        return table
    keep = ["group", "count", "positives", "negatives"]
    for m in dict.fromkeys(metrics):
        keep += [m, f"{m}_ci_low", f"{m}_ci_high"]
    keep += ["excluded", "note"]
    return Table(title=table.title, data={c: d[c] for c in keep if c in d}, note=table.note)


def chosen_attribute(section: SectionResult, lead: Sequence[str] = ()) -> str | None:
    """The attribute of the most severe headline verdict (single attributes first), for the curves."""
    headline = FairnessResult.from_section(section).headline()
    order = {"fail": 0, "inconclusive": 1, "pass": 2}
    singles = [h for h in headline if "×" not in str(h.get("attribute"))]
    for rows in (singles, headline):
        if rows:
            return str(min(rows, key=lambda h: order.get(str(h.get("verdict")), 3)).get("attribute"))
    groups = [column for column, _ in _groups_tables(section)]
    return groups[0] if groups else None


def method_blocks(section: SectionResult) -> list[Block]:
    """How a section's numbers were obtained (its method), for the appendix."""
    if section.status in (Status.SKIPPED, Status.ERROR):
        return []
    how = format_mapping(_shown(section.method, ("excluded", "reference", "group_columns")))
    return [KeyValues(tuple(how), title=section.title)] if how else []


# the re-fit's 28 quantities are exhaustive detail: the chapter's sentences give its energy, emissions and time
EMISSIONS_APPENDIX_TABLES = ("training", "countries", "comparison")


def appendix_blocks(section: SectionResult) -> list[Block]:
    """Long detail tables a section keeps out of its chapter: every intersection, every data-quality check."""
    if section.status in (Status.SKIPPED, Status.ERROR):
        return []
    if section.name == "emissions":
        tables = [table_block(t) for t in EmissionsResult.from_section(section).appendix_tables()]
        return [Heading("Emissions in detail", level=2), *tables] if tables else []
    if section.name == "fairness":
        fair = FairnessResult.from_section(section)
        titles = fair.metric_titles()
        lead = {str(h.get("metric")) for h in fair.headline()}
        ref = fair.reference_table()
        out: list[Block] = []
        if ref is not None and ref.n_rows:
            rows = [r for r in ref.rows() if r.get("metric") in lead and "×" in str(r.get("attribute"))]
            if rows:
                out.append(Heading("Intersections against their reference group", level=2))
                out.append(
                    _cut(reference_table(rows, title="Lead metrics by intersection", metric_titles=titles))
                )
        return out
    if section.name == "data_quality":
        out = []
        findings = [f for f in section.ranked_findings()]
        if len(findings) > DQ_MAIN_FINDINGS:
            out.append(Heading("Every data-quality finding", level=2))
            out.extend(findings_block(section))
        for key, table in section.tables.items():
            if key in DQ_MAIN_TABLES or key == "findings":
                continue
            out.append(table_block(table))
        if out:
            out.insert(0, Heading("Data-quality checks in full", level=2))
        return out
    return []


DQ_MAIN_FINDINGS = 12
DQ_MAIN_TABLES = ("columns",)


def _data_quality(section: SectionResult) -> list[Block]:
    if section.status in (Status.SKIPPED, Status.ERROR):
        return generic_blocks(section)
    blocks: list[Block] = []
    if section.summary:
        blocks.append(Bullets(tuple(section.summary)))
    ranked = [f for f in section.ranked_findings() if f.severity != Severity.INFO]
    if ranked:
        shown = ranked[:DQ_MAIN_FINDINGS]
        rows = tuple((fmt_status(f.severity), f.subject or "—", f.message) for f in shown)
        blocks.append(
            TableBlock(
                DisplayTable(
                    title="Failing and warning findings",
                    columns=("Severity", "Subject", "Finding"),
                    rows=rows,
                    numeric=(False, False, False),
                    note=f"{len(shown)} of {len(section.findings)} findings shown (informational ones left out); the "
                    "appendix and data_quality_findings.csv list all of them with every check's table.",
                ),
                status_column=0,
            )
        )
    dq = DataQualityResult.from_section(section)
    for key in DQ_MAIN_TABLES:
        table = dq.table(key)
        if table is not None:
            blocks.append(table_block(table))
    score = dq.score()
    if score:
        figures = format_mapping({k: v for k, v in score.items() if not isinstance(v, Mapping | list)})
        if figures:
            blocks.append(KeyValues(tuple(figures), title="Data-quality score"))
    return blocks


def _fairness(section: SectionResult) -> list[Block]:
    if section.status in (Status.SKIPPED, Status.ERROR):
        return generic_blocks(section)
    blocks: list[Block] = []
    if section.summary:
        blocks.append(Bullets(tuple(section.summary)))
    fair = FairnessResult.from_section(section)
    headline = fair.headline()
    lead = list(dict.fromkeys(str(h.get("metric")) for h in headline))
    disparities = fair.disparities_table()
    if headline:
        n = disparities.n_rows if disparities is not None else 0
        blocks.append(
            Paragraph(
                "The deciding verdict per attribute and lead metric, and each group against its reference group, "
                f"are in the Verdicts chapter. All {n:,} disparities (verdicts and descriptive gaps) are in "
                "fairness_disparities.csv beside this report, every group's comparison with its reference in "
                "fairness_reference_groups.csv and every metric of every group in fairness_groups.csv.",
                style="note",
            )
        )
    elif disparities is not None and disparities.n_rows:
        titles = fair.metric_titles()
        blocks.append(Heading("Disparity verdicts", level=2))
        blocks.append(_cut(disparity_table(disparities.rows(), title="Disparities", metric_titles=titles)))
        blocks.extend(findings_block(section))
    intersections = []
    for column, table in _groups_tables(section):
        if is_intersection(column):
            intersections.append(column)
            continue
        blocks.append(Heading(f"Groups of {column}", level=2))
        for spec in charts.group_chart_specs(table):
            blocks.append(
                Figure(
                    title=spec.title,
                    caption=f"{spec.caption} {_interval_how(section)}".strip(),
                    render=lambda t=table, s=spec: charts.group_metric_chart(t, s),
                )
            )
        blocks.extend(group_table_blocks(compact_group_table(table, lead)))
    if intersections:
        blocks.append(
            Paragraph(
                f"Intersections ({', '.join(intersections)}): their lead-metric comparisons are in the appendix, "
                "every metric of every intersectional group in fairness_groups.csv.",
                style="note",
            )
        )
    chosen = chosen_attribute(section, lead)
    curves = fair.threshold_curves()
    calib = fair.calibration()
    level = float(section.method.get("confidence_level") or 0.95)
    threshold = fair.metric("threshold")
    if chosen and chosen in curves:
        blocks.append(Heading(f"Threshold and calibration by group: {chosen}", level=2))
        c = curves[chosen]
        blocks.append(
            Figure(
                title=f"Rates by decision threshold, groups of {chosen}",
                caption=f"Each group's selection rate, true and false positive rate if the threshold on the score "
                f"moved ({c.get('rule') or 'positive when score >= threshold'}); dotted line: the threshold in use "
                f"({fmt_value(threshold)}). {chosen} is shown because it has the most severe verdict.",
                render=lambda c=c, t=threshold: charts.threshold_curves_chart(c, threshold=t),
            )
        )
    if chosen and chosen in calib:
        blocks.append(
            Figure(
                title=f"Calibration by group: {chosen}",
                caption="Mean predicted score vs observed positive rate in 10 score bins per group, with "
                f"{fmt_value(level, 'pct').replace('.0%', '%')} Wilson intervals; the diagonal is perfect "
                "calibration. A group above the diagonal is under-scored, below it over-scored.",
                render=lambda c=calib[chosen], lv=level: charts.group_calibration_chart(c, level=lv),
            )
        )
    return blocks


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
    ex = ExplanationResult.from_section(section)
    importance = ex.global_importance()
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
    beeswarm = ex.beeswarm()
    if beeswarm and charts.beeswarm_ok(beeswarm):
        blocks.append(
            Figure(
                title="SHAP values per row (beeswarm)",
                caption=charts.beeswarm_caption(beeswarm),
                render=lambda: charts.beeswarm_chart(beeswarm),
            )
        )
    by_group_tables = ex.by_group()
    wide = [f"{BY_GROUP_PREFIX}{column}" for column in by_group_tables]
    by_group = [t for column, t in by_group_tables.items() if not is_intersection(column)]
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
    # The per-group attribution tables are as wide as the model has features: charts here, numbers in CSV.
    body = generic_blocks(section, skip_metrics=("beeswarm", "group_gap"), skip_tables=tuple(wide))
    if wide:
        body.append(
            Paragraph(
                "Mean SHAP value of every feature in every group: explanation_by_group.csv beside this report.",
                style="note",
            )
        )
    return body + blocks + _group_gap_blocks(section)


GAP_FEATURES = 10


def _group_gap_blocks(section: SectionResult) -> list[Block]:
    """Which features account for the gap in mean model output between two groups (SHAP contributions)."""
    gaps = ExplanationResult.from_section(section).group_gap()
    if not gaps:
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
    rest = generic_blocks(
        section,
        skip_tables=EMISSIONS_APPENDIX_TABLES,
        skip_metrics=("co2_eq_emissions", "country_comparison", "equivalents", "imported"),
    )
    return blocks + rest


SECTION_LAYOUTS: dict[str, Callable[[SectionResult], list[Block]]] = {
    "performance": _performance,
    "fairness": _fairness,
    "data_quality": _data_quality,
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
