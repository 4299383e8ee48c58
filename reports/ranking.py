"""The findings that matter most, ranked once for every place that shows them.

The report's first page, the Markdown summary and the dashboard Overview all call :func:`top_findings`, so a
reviewer sees the same three to five findings everywhere. Ranking:

1. severity: a failed policy check, then an inconclusive verdict, then a warning (as ``policy_status``);
2. effect size, in units of the policy tolerance: ``|ln ratio| / |ln tolerance|`` for a ratio check,
   ``|difference| / tolerance`` for a difference check (1 = exactly at the tolerance); findings that carry no
   comparable effect (data quality, emissions) count as 1;
3. strength of evidence: how far the interval's nearer end lies from "no difference", in the same units.

One finding per attribute and metric family (selection, error rates, predictive values, ...): a ratio and a
difference of the same rates are one fact, and an intersection ("Female × 25 and under") that repeats a group
already shown for one of its attributes ("25 and under") is the same fact too; the single attribute is kept.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from audits.results import AuditResult, Finding, SectionResult, Severity, Status
from reports import readers
from reports.formatting import fmt_count, fmt_status, fmt_value, fmt_value_ci, humanize

DEFAULT_K = 5
_SEVERITY = {"fail": 3, "inconclusive": 2, "warn": 1}
_CAP = 99.0  # a ratio of 0 is infinitely far from 1; cap it so that sorting stays meaningful

METRIC_FAMILY = {
    "selection_rate": "selection",
    "prevalence": "selection",
    "demographic_parity": "selection",
    "favourable_rate": "selection",
    "mean_prediction": "selection",
    "tpr": "error rates",
    "fnr": "error rates",
    "fpr": "error rates",
    "tnr": "error rates",
    "equalized_odds": "error rates",
    "equal_opportunity": "error rates",
    "precision": "predictive values",
    "fdr": "predictive values",
    "for_": "predictive values",
    "npv": "predictive values",
    "accuracy": "accuracy",
    "balanced_accuracy": "accuracy",
    "roc_auc": "accuracy",
    "mae": "accuracy",
    "rmse": "accuracy",
}

DQ_ACTIONS = {
    "DQ_PROXY": "Decide whether {feature} may be an input: it can carry {protected} into the model even without "
    "the attribute itself.",
    "DQ_MISSING": "Find out why {subject} is missing and how the model treats it; compare the verdicts with and "
    "without those rows.",
    "DQ_MISSING_BY_GROUP": "Check how the data of the group with more missing values was collected; imputation can "
    "hide a group-specific gap.",
    "DQ_CONFLICTING_LABELS": "Review the rows with conflicting labels for labelling errors before retraining.",
    "DQ_BASE_RATE": "The labels themselves differ by group: decide whether the gap is legitimate before using them "
    "as ground truth.",
    "DQ_REPRESENTATION": "Collect more rows of the under-represented group, or report its verdicts as uncertain.",
    "DQ_DUPLICATES": "Remove or explain the duplicate rows; they weigh some people twice.",
    "DQ_SENTINEL": "Replace the placeholder values by missing values before training and auditing.",
    "DQ_OUTLIERS": "Check the extreme values for entry errors.",
    "DQ_DRIFT": "The audited data differs from the reference: re-validate the model on data like the audited rows.",
    "DQ_LEAKAGE": "Remove the leaking column: the model may learn the label from it.",
}


@dataclass(frozen=True)
class KeyFinding:
    """One finding of the first page, with everything a reviewer needs to act on it.

    ``effect_size`` and ``evidence_strength`` are in units of the policy tolerance (see the module docstring);
    ``groups`` is ``"group vs reference"`` or empty; ``interval`` the formatted value and interval.
    """

    severity: str
    section: str
    section_title: str
    subject: str
    family: str
    title: str
    groups: str
    interval: str
    evidence: str
    message: str
    action: str
    effect_size: float
    evidence_strength: float

    @property
    def severity_label(self) -> str:
        return fmt_status(self.severity)

    def as_text(self) -> str:
        """One paragraph: what, between whom, how large and how sure, and what to do."""
        parts = [f"[{self.severity_label}] {self.title}."]
        if self.groups:
            parts.append(f"Groups: {self.groups}.")
        if self.interval:
            parts.append(f"Effect: {self.interval}.")
        if self.evidence:
            parts.append(f"Evidence: {self.evidence}.")
        parts.append(f"What to do: {self.action}")
        return " ".join(parts)


def _num(x: Any) -> float | None:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) and math.isfinite(x) else None


def _normalised(kind: str, value: float | None, tolerance: float | None) -> float:
    """Distance of ``value`` from "no difference" in units of the tolerance."""
    if value is None:
        return 0.0
    if kind == "ratio":
        t = (
            tolerance
            if tolerance and 0 < tolerance < 1
            else (1 / tolerance if tolerance and tolerance > 1 else 0.8)
        )
        if value <= 0:
            return _CAP
        return min(abs(math.log(value)) / abs(math.log(t)), _CAP)
    tol = abs(tolerance) if tolerance else 0.1
    return min(abs(value) / tol, _CAP)


def _strength(kind: str, lo: float | None, hi: float | None, tolerance: float | None) -> float:
    """How far the interval's nearer end lies from "no difference" (0 when the interval covers it)."""
    if lo is None or hi is None:
        return 0.0
    null = 1.0 if kind == "ratio" else 0.0
    if lo <= null <= hi:
        return 0.0
    nearer = lo if lo > null else hi
    return _normalised(kind, nearer, tolerance)


def _parts(attribute: str, group: str) -> dict[str, str]:
    """``("sex × age", "Female × 25 and under")`` -> ``{"sex": "Female", "age": "25 and under"}``."""
    names = [a.strip() for a in str(attribute).split("×")]
    values = [g.strip() for g in str(group).split("×")]
    return (
        dict(zip(names, values, strict=False)) if len(names) == len(values) else {str(attribute): str(group)}
    )


def _same_fact(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """Same family, and one finding's attribute-group pairs contain the other's (or the same attribute)."""
    if a["family"] != b["family"] or a["section"] != b["section"]:
        return False
    if a["section"] != "fairness":
        return a["key"] == b["key"]
    if a["subject"] == b["subject"]:
        return True
    pa, pb = a["parts"], b["parts"]
    small, large = (pa, pb) if len(pa) <= len(pb) else (pb, pa)
    return all(large.get(k) == v for k, v in small.items())


def _fairness_message(section: SectionResult, row: Mapping[str, Any]) -> str:
    """The section's own sentence for this verdict row, when it wrote one."""
    metric, kind = str(row.get("metric", "")), str(row.get("kind", ""))
    code = f"FAIR_{metric.upper()}_{kind.upper()}"
    for f in section.findings:
        ev = f.evidence or {}
        if f.code == code and f.subject == row.get("attribute") and ev.get("group") == row.get("group"):
            return f.message
    return ""


def _fairness_candidates(result: AuditResult) -> list[dict[str, Any]]:
    fair = readers.ran(result, "fairness")
    if fair is None:
        return []
    titles = readers.metric_titles(result)
    ref_n = {
        (r.get("attribute"), r.get("metric"), r.get("group")): (r.get("n"), r.get("reference_n"))
        for r in readers.reference_rows(result)
    }
    out = []
    for row in readers.headline_rows(result):
        verdict = str(row.get("verdict") or "")
        if verdict not in ("fail", "inconclusive"):
            continue
        kind = str(row.get("kind") or "ratio")
        metric = str(row.get("metric") or "")
        attribute = str(row.get("attribute") or "")
        group, reference = str(row.get("group") or ""), str(row.get("reference") or "")
        value, lo, hi, tol = (_num(row.get(k)) for k in ("value", "ci_low", "ci_high", "tolerance"))
        name = titles.get(metric, humanize(metric))
        band = (
            f"policy band {fmt_value(tol)}–{fmt_value(1 / tol)}"
            if kind == "ratio" and tol
            else f"policy tolerance ±{fmt_value(tol)}"
        )
        interval = f"{kind} {fmt_value_ci(value, lo, hi)}"
        interval += " (Holm-adjusted CI)"
        interval += f"; {band}"
        n, n_ref = ref_n.get((attribute, metric, group), (None, None))
        sizes = f" (n = {fmt_count(n)} vs {fmt_count(n_ref)})" if _num(n) and _num(n_ref) else ""
        if verdict == "fail":
            evidence = f"the whole interval lies beyond the tolerance{sizes}"
            action = (
                f"investigate before use: check the labels and the proxy features of {attribute}, then mitigate "
                "(re-weighting, a review of the decision threshold per group, or another model) and re-audit."
            )
        else:
            evidence = f"the interval straddles the tolerance, so the audit cannot decide{sizes}"
            action = (
                f"collect more rows of {group} (and {reference}) to narrow the interval, or treat the verdict as "
                "unresolved risk."
            )
        out.append(
            {
                "severity": verdict,
                "section": "fairness",
                "section_title": fair.title,
                "subject": attribute,
                "family": METRIC_FAMILY.get(metric, metric),
                "key": (attribute, METRIC_FAMILY.get(metric, metric)),
                "parts": _parts(attribute, group),
                "title": f"{name[:1].upper()}{name[1:]} by {attribute}: {group} vs {reference}",
                "groups": f"{group} vs {reference} (reference)",
                "interval": interval,
                "evidence": evidence,
                "message": _fairness_message(fair, row),
                "action": action[:1].upper() + action[1:],
                "effect_size": _normalised(kind, value, tol),
                "evidence_strength": _strength(kind, lo, hi, tol),
            }
        )
    return out


def _action(section: SectionResult, f: Finding) -> str:
    ev = f.evidence or {}
    template = DQ_ACTIONS.get(f.code) if section.name == "data_quality" else None
    if template:
        return template.format(
            subject=f.subject or "the column",
            feature=ev.get("feature") or f.subject or "the feature",
            protected=ev.get("protected") or "the protected attribute",
        )
    return f"See the {section.title} chapter."


def _other_candidates(result: AuditResult) -> list[dict[str, Any]]:
    out = []
    for section in result.sections:
        if section.name == "fairness" or section.status not in readers.RAN:
            continue
        for f in section.ranked_findings():
            if f.severity == Severity.INFO:
                continue
            sev = "fail" if f.severity == Severity.FAIL else "warn"
            out.append(
                {
                    "severity": sev,
                    "section": section.name,
                    "section_title": section.title,
                    "subject": f.subject,
                    "family": f.code,
                    "key": (f.code, f.subject),
                    "parts": {},
                    "title": f"{section.title}: {f.message.rstrip('.')}",
                    "groups": "",
                    "interval": "",
                    "evidence": "",
                    "message": f.message,
                    "action": _action(section, f),
                    "effect_size": 1.0,
                    "evidence_strength": 0.0,
                }
            )
    return out


def _order(c: dict[str, Any]) -> tuple[float, float, float]:
    return (-_SEVERITY[c["severity"]], -c["effect_size"], -c["evidence_strength"])


def top_findings(result: AuditResult, k: int = DEFAULT_K) -> list[KeyFinding]:
    """The ``k`` findings that matter most (see the module docstring for the ranking), most important first."""
    candidates = sorted(_fairness_candidates(result), key=_order)
    # Findings without a comparable effect keep their section's own order behind the fairness verdicts.
    candidates += _other_candidates(result)
    candidates.sort(key=_order)  # stable: equal keys keep the order above
    chosen: list[dict[str, Any]] = []
    for c in candidates:
        clash = next((i for i, d in enumerate(chosen) if _same_fact(c, d)), None)
        if clash is None:
            if len(chosen) < k:
                chosen.append(c)
            continue
        # The same fact: keep the simpler statement (one attribute rather than an intersection).
        if len(c["parts"]) < len(chosen[clash]["parts"]):
            chosen[clash] = c
            chosen = [d for i, d in enumerate(chosen) if i == clash or not _same_fact(c, d)]
    chosen.sort(key=_order)
    fields = KeyFinding.__dataclass_fields__
    return [KeyFinding(**{f: c[f] for f in fields}) for c in chosen]


def count_candidates(result: AuditResult) -> int:
    """How many warnings, failures and inconclusive verdicts the result holds (for "k of n shown")."""
    return len(_fairness_candidates(result)) + len(_other_candidates(result))


def section_sentence(section: SectionResult) -> str:
    """A sentence that matches the section's status: the first finding of that severity, else its summary."""
    if section.status in (Status.SKIPPED, Status.ERROR):
        return section.reason or (section.summary[0] if section.summary else "")
    first = section.summary[0] if section.summary else ""
    if section.status == Status.FAIL and "fail" not in first.lower():
        match = next((f for f in section.ranked_findings() if f.severity == Severity.FAIL), None)
        return match.message if match is not None else first
    if section.status == Status.INCONCLUSIVE and "inconclusive" not in first.lower():
        return next((s for s in section.summary if "inconclusive" in s.lower()), first)
    return section.summary[0] if section.summary else ""


def not_measured_short(result: AuditResult, k: int = 4) -> list[str]:
    """The first ``k`` items of "what was not measured" (the appendix lists all)."""
    from reports.readers import not_measured

    return not_measured(result)[:k]
