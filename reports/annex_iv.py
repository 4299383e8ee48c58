"""Technical documentation laid out by the items of Annex IV of Regulation (EU) 2024/1689 (the AI Act).

Annex IV lists what the technical documentation of a high-risk AI system (Article 11(1)) contains. An audit
measures only part of it: the data examination and bias findings (Article 10), accuracy with intervals and
performance by group, data-quality and drift findings (the evidence on robustness that exists), and energy.
Every other item (provider, intended purpose, human oversight, risk management, post-market monitoring...) is
a field the provider completes in the model-card YAML; until then the document marks it "TO BE COMPLETED BY
THE PROVIDER" with the YAML key to fill. The document claims no compliance: it lists the evidence it holds.
"""

from __future__ import annotations

from typing import Any

from audits.fairness.view import FairnessResult
from audits.results import AuditResult
from reports import ranking, readers
from reports.document import Block, Bullets, Document, Heading, KeyValues, Paragraph, TableBlock
from reports.formatting import DisplayTable, fmt_sig, fmt_status, fmt_value, fmt_value_ci, humanize

PROVIDER_FIELD = "TO BE COMPLETED BY THE PROVIDER — set '{key}' in the model-card YAML."
DISCLAIMER = (
    "This document collects the evidence that one RAI Audit run produced, arranged by the items of Annex IV of "
    "Regulation (EU) 2024/1689. It is not a conformity assessment and makes no claim that the system complies "
    "with the Regulation; items marked 'to be completed by the provider' are outside what an audit can know."
)


def _field(value: str, key: str) -> str:
    return value if value else PROVIDER_FIELD.format(key=key)


def _kv(rows: list[tuple[str, str]]) -> KeyValues:
    return KeyValues(tuple(rows))


def _general(info: Any, p: Any) -> list[Block]:
    """Item 1: general description (mostly the provider's fields; software versions from the run)."""
    return [
        Heading("1. General description of the AI system", level=1),
        _kv(
            [
                (
                    "1(a) Intended purpose",
                    _field(info.intended_purpose or "; ".join(info.intended_uses), "intended_purpose"),
                ),
                ("1(a) Provider", _field(info.provider or ", ".join(info.owners), "provider")),
                ("1(a) Version", _field(info.version, "version")),
                (
                    "1(b) Interaction with other hardware, software or AI systems",
                    _field(info.interactions, "interactions"),
                ),
                (
                    "1(c) Versions of relevant software",
                    ", ".join(f"{k} {v}" for k, v in (p.versions or {}).items()) or "not recorded",
                ),
                (
                    "1(d) Forms in which it is placed on the market",
                    _field(info.deployment_forms, "deployment_forms"),
                ),
                (
                    "1(e) Hardware it is intended to run on",
                    _field(info.hardware_requirements, "hardware_requirements"),
                ),
                ("1(f) Photographs or illustrations (product components)", _field("", "deployment_forms")),
                ("1(g) User interface for the deployer", _field(info.user_interface, "user_interface")),
                ("1(h) Instructions for use", _field(info.instructions_for_use, "instructions_for_use")),
            ]
        ),
    ]


def _design(result: AuditResult, info: Any, p: Any) -> list[Block]:
    """Items 2(a)–2(c): development, design and architecture, from the audited model file."""
    model = p.model or {}
    return [
        Heading("2. Elements of the AI system and its development", level=1),
        _kv(
            [
                (
                    "2(a) Development methods and steps",
                    _field(info.development_methods, "development_methods"),
                ),
                (
                    "2(b) Design: general logic and algorithm (from the audited file)",
                    f"{model.get('description') or model.get('kind') or 'unknown'}; parameters: "
                    f"{info.parameters or 'not provided'}; decision threshold {fmt_value(readers.decision_threshold(result))}",
                ),
                (
                    "2(c) Architecture and computational resources",
                    f"Model file {readers.base_name(model.get('name'))} ({model.get('format')}, SHA-256 "
                    f"{model.get('sha256')}). Energy: see 2(c) below.",
                ),
            ]
        ),
    ]


def _energy(card: Any) -> list[Block]:
    """Item 2(c): the measured energy and emissions (or why there are none)."""
    b: list[Block] = [Heading("2(c) Computational resources and energy (measured)", level=2)]
    if card.emissions is None:
        return [*b, Paragraph(f"Not measured: {card.emissions_reason}", style="note")]
    e = card.emissions
    b.append(
        _kv(
            [
                ("Emissions", f"{fmt_sig(e.get('emissions_g'), unit='g')} CO₂eq ({e.get('method')})"),
                ("Energy", fmt_sig(e.get("energy_kwh"), unit="kWh")),
                ("Where the figure comes from", str(e.get("origin") or "")),
                ("What was measured", str(e.get("training_type") or "")),
                (
                    "Hardware, region",
                    f"{e.get('hardware_used') or 'not stated'}; {e.get('geographical_location') or 'not stated'}",
                ),
            ]
        )
    )
    return b


def _data_governance(result: AuditResult, card: Any, info: Any) -> list[Block]:
    """Item 2(d), Article 10: the data, its group mix and the data-quality examination."""
    ev = card.evaluation
    rows = [
        ("Training data", _field(info.training_data, "training_data")),
        (
            "Evaluation data",
            f"{ev.get('name')}: {fmt_value(ev.get('rows'), 'count')} rows, SHA-256 {ev.get('sha256')}",
        ),
        ("Preprocessing", card.preprocessing or PROVIDER_FIELD.format(key="preprocessing")),
    ]
    for attribute, groups in readers.group_mix(result).items():
        rows.append(
            (f"Group mix: {attribute}", ", ".join(f"{g} {fmt_value(s, 'pct')}" for g, _n, s in groups))
        )
    b: list[Block] = [Heading("2(d) Data requirements and data governance (Article 10)", level=2), _kv(rows)]
    dq = readers.ran(result, "data_quality")
    if dq is not None:
        b.append(Paragraph(f"Examination of the data (data-quality section, {fmt_status(dq.status)}):"))
        items = [
            f"[{fmt_status(f.severity)}] {f.message}"
            for f in dq.ranked_findings()
            if f.severity.value != "info"
        ]
        b.append(Bullets(tuple(items[:15]) or ("No warning or failure.",)))
    return b


def _bias_examination(result: AuditResult) -> list[Block]:
    """Item 2(d), Article 10(2)(f): the deciding fairness comparison per attribute and lead metric."""
    b: list[Block] = [Heading("2(d) Examination for possible biases (Article 10(2)(f))", level=2)]
    headline = readers.headline_rows(result)
    if not headline:
        return [*b, Paragraph("No fairness verdict in this audit.", style="note")]
    from reports.sections import disparity_table

    b.append(
        disparity_table(
            headline,
            title="Deciding fairness comparison per attribute and lead metric",
            metric_titles=readers.metric_titles(result),
        )
    )
    return b


def _validation(result: AuditResult, card: Any, info: Any, p: Any) -> list[Block]:
    """Items 2(e)–2(h): oversight and changes (the provider's), accuracy with intervals (measured), security."""
    b: list[Block] = [
        Heading("2(e) Human oversight measures (Article 14)", level=2),
        Paragraph(_field(info.human_oversight, "human_oversight")),
        Heading("2(f) Pre-determined changes", level=2),
        Paragraph(_field(info.predetermined_changes, "predetermined_changes")),
        Heading("2(g) Validation and testing: accuracy with intervals", level=2),
    ]
    perf = readers.performance_rows(result)
    if perf:
        b.append(
            TableBlock(
                DisplayTable(
                    title="Accuracy metrics on the evaluation data",
                    columns=("Metric", "Value [CI]", "n"),
                    rows=tuple(
                        (
                            humanize(r["metric"]),
                            fmt_value_ci(
                                r.get("value"), r.get("ci_low"), r.get("ci_high"), reason=r.get("note")
                            ),
                            fmt_value(r.get("n"), "count"),
                        )
                        for r in perf
                    ),
                    numeric=(False, True, True),
                    note=card.variation,
                )
            )
        )
    else:
        b.append(Paragraph("Performance was not measured.", style="note"))
    b.append(
        Paragraph(
            f"Audit run {p.run_id or 'unrecorded'} started {p.started_at}; seed {p.seed}. Test logs signed by the "
            "responsible persons: " + PROVIDER_FIELD.format(key="development_methods"),
            style="note",
        )
    )
    b.append(Heading("2(h) Cybersecurity measures", level=2))
    b.append(Paragraph(_field(info.cybersecurity, "cybersecurity")))
    return b


def _monitoring(result: AuditResult, info: Any) -> list[Block]:
    """Item 3: capabilities and limitations (the ranked findings), risks, and what was not measured."""
    from reports.readers import not_measured

    key = ranking.top_findings(result, k=5)
    return [
        Heading("3. Monitoring, functioning and control", level=1),
        Paragraph("Capabilities and limitations, including accuracy for groups of persons (measured):"),
        Bullets(tuple(f.as_text() for f in key) or ("No failed, inconclusive or warning finding.",)),
        Paragraph(
            "Robustness evidence that exists: data-quality findings above and drift against the reference data "
            "(data-quality section); no adversarial or stress test was run.",
            style="note",
        ),
        _kv(
            [
                (
                    "Foreseeable unintended outcomes and risks",
                    _field("; ".join(info.ethical_considerations), "ethical_considerations"),
                ),
                ("Human oversight", _field(info.human_oversight, "human_oversight")),
            ]
        ),
        Heading("What the audit did not measure", level=2),
        Bullets(tuple(not_measured(result)) or ("Every selected section ran.",)),
    ]


def _remaining_items(result: AuditResult, info: Any) -> list[Block]:
    """Items 4–9: the metrics' appropriateness (the fairness framing), then the provider's own items."""
    lead = readers.lead_metrics(result)
    framing = dict(FairnessResult.of(result).framing()) or None
    text = (
        f"Fairness lead metrics {', '.join(readers.metric_titles(result).get(m, humanize(m)) for m in lead)} were chosen "
        f"for a {framing.get('decision')} decision with favourable outcome {framing.get('favourable_label')!r}."
        if lead and isinstance(framing, dict)
        else "No fairness framing recorded."
    )
    b: list[Block] = [
        Heading("4. Appropriateness of the performance metrics", level=1),
        Paragraph(text),
        Paragraph(
            "Whether these metrics fit the intended purpose: " + PROVIDER_FIELD.format(key="intended_purpose")
        ),
    ]
    for number, title, key_name, value in (
        ("5", "Risk management system (Article 9)", "risk_management", info.risk_management),
        ("6", "Changes through the lifecycle", "lifecycle_changes", info.lifecycle_changes),
        ("7", "Harmonised standards or other solutions applied", "standards_applied", info.standards_applied),
        (
            "8",
            "EU declaration of conformity (Article 47)",
            "declaration_of_conformity",
            info.declaration_of_conformity,
        ),
        (
            "9",
            "Post-market monitoring plan (Article 72)",
            "post_market_monitoring",
            info.post_market_monitoring,
        ),
    ):
        b.append(Heading(f"{number}. {title}", level=1))
        b.append(Paragraph(_field(value, key_name)))
    return b


def build_annex_iv_document(result: AuditResult, card_info: Any = None) -> Document:
    """The Annex IV technical documentation as a :class:`~reports.document.Document` (Markdown and PDF).

    Parameters
    ----------
    result : the audit result (the measured evidence).
    card_info : the model-card fields (:class:`reports.model_card.CardInfo`, mapping or YAML path); the
        provider's answers to the items no audit measures.
    """
    from reports.model_card import as_card_info, build_model_card

    card = build_model_card(result, as_card_info(card_info))
    info = card.info
    p = result.provenance
    blocks: list[Block] = [
        Paragraph(DISCLAIMER, style="warning"),
        *_general(info, p),
        *_design(result, info, p),
        *_energy(card),
        *_data_governance(result, card, info),
        *_bias_examination(result),
        *_validation(result, card, info, p),
        *_monitoring(result, info),
        *_remaining_items(result, info),
    ]
    name = readers.model_display_name(result)
    ev = card.evaluation
    return Document(
        title=f"Technical documentation (Annex IV): {name}",
        subtitle="Regulation (EU) 2024/1689, Annex IV — evidence from an RAI Audit run; no claim of compliance",
        facts=(
            ("AI system", name),
            ("Provider", info.provider or "to be completed by the provider"),
            ("Evaluation data", str(ev.get("name") or "")),
            ("Audit run", str(p.run_id or "")),
            ("Audit date", str(p.started_at or "")[:10]),
        ),
        verdict=f"Audit verdict: {fmt_status(result.status)} (evidence, not a conformity decision)",
        verdict_status=result.status.value,
        blocks=tuple(blocks),
        footer=f"Annex IV documentation · {name}",
        chapter_breaks=False,
        toc=True,
    )
