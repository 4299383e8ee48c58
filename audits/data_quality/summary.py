"""Ranking of findings, per-column quality scores and the plain-language summary of the section."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from audits.data_quality.base import DatasetProfile
from audits.results import Finding, Severity, Table

# Within a severity, what matters most for a responsible-AI audit comes first: leakage and proxies, then
# what changes the groups' numbers, then what breaks the comparison with the reference, then hygiene.
PRIORITY: tuple[str, ...] = (
    "DQ_CHECK_ERROR",
    "DQ_LEAKAGE",
    "DQ_PROXY",
    "DQ_BASE_RATE",
    "DQ_MISSING_BY_GROUP",
    "DQ_REPRESENTATION",
    "DQ_GROUP_MIX_DRIFT",
    "DQ_LABEL_DRIFT",
    "DQ_DATASET_DRIFT",
    "DQ_TRAIN_TEST_OVERLAP",
    "DQ_CONFLICTING_LABELS",
    "DQ_MIXED_NULLS",
    "DQ_NULL_TOKENS",
    "DQ_SENTINEL",
    "DQ_ALLOWED_VALUES",
    "DQ_MISSING",
    "DQ_CONSTANT",
    "DQ_DUPLICATES",
    "DQ_REFERENCE_COLUMNS",
    "DQ_DRIFT",
    "DQ_PSI",
    "DQ_NEW_CATEGORIES",
    "DQ_STRING_MISMATCH",
    "DQ_MIXED_TYPES",
    "DQ_IDENTIFIER",
    "DQ_POST_OUTCOME_NAME",
    "DQ_NUMERIC_CODES",
    "DQ_LABEL_IMBALANCE",
    "DQ_ZEROS_INFINITE",
    "DQ_OUTLIERS",
    "DQ_CORRELATION",
    "DQ_HIGH_CARDINALITY",
    "DQ_SKEW",
    "DQ_DOMINANT_CATEGORY",
    "DQ_NOT_APPLICABLE",
)
_PRIO = {c: i for i, c in enumerate(PRIORITY)}

# Evidence keys that measure how strong a finding is (larger = stronger), by preference.
_MAGNITUDE_KEYS = ("auc", "value", "share", "psi", "association", "rare_share", "minority_share", "imbalance")

PENALTY = {Severity.FAIL: 25, Severity.WARN: 10, Severity.INFO: 2}
GRADES = ((90, "A"), (75, "B"), (60, "C"), (40, "D"), (0, "F"))
SCORE_METHOD = (
    "column score = 100 - 25 per fail, 10 per warn and 2 per info finding about the column - 20 × its missing "
    "share (floored at 0); grade A >= 90, B >= 75, C >= 60, D >= 40, else F; overall = mean column score - 5 per "
    "dataset-level fail finding and 2 per warn"
)


def _magnitude(f: Finding) -> float:
    for key in _MAGNITUDE_KEYS:
        v = f.evidence.get(key)
        if isinstance(v, int | float) and not isinstance(v, bool):
            return float(abs(v))
    return 0.0


def rank_findings(findings: Sequence[Finding]) -> list[Finding]:
    """Most severe first; within a severity by the priority of the check, then by strength of the evidence."""
    indexed = list(enumerate(findings))
    indexed.sort(key=lambda t: (-t[1].rank, _PRIO.get(t[1].code, len(PRIORITY)), -_magnitude(t[1]), t[0]))
    return [f for _, f in indexed]


def grade(score: float) -> str:
    return next(g for lo, g in GRADES if score >= lo)


def finding_column(f: Finding, columns: set[str]) -> str | None:
    """The audited column a finding is about, if any."""
    for key in ("column", "feature"):
        v = f.evidence.get(key)
        if isinstance(v, str) and v in columns:
            return v
    return f.subject if f.subject in columns else None


def column_scores(
    profile: DatasetProfile, columns: Sequence[str], findings: Sequence[Finding]
) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    """Score (0-100) and grade (A-F) per column, and the overall score."""
    colset = set(columns)
    issues: dict[str, list[Finding]] = {c: [] for c in columns}
    dataset_level: list[Finding] = []
    for f in findings:
        if f.code in ("DQ_NOT_APPLICABLE", "DQ_CHECK_ERROR"):
            continue
        c = finding_column(f, colset)
        if c is None:
            dataset_level.append(f)
        else:
            issues[c].append(f)
    per: dict[str, dict[str, Any]] = {}
    for c in columns:
        p = profile[c]
        score = 100.0 - sum(PENALTY[f.severity] for f in issues[c]) - 20 * (p.missing_share or 0.0)
        score = int(round(max(0.0, score)))
        per[c] = {
            "kind": p.kind,
            "dtype": p.dtype,
            "missing_share": p.missing_share,
            "distinct": p.distinct,
            "score": score,
            "grade": grade(score),
            "issues": sorted({f.code for f in issues[c]}, key=lambda k: _PRIO.get(k, 99)),
        }
    mean = sum(v["score"] for v in per.values()) / len(per) if per else 100.0
    overall = mean - sum(
        5 if f.severity == Severity.FAIL else 2 if f.severity == Severity.WARN else 0 for f in dataset_level
    )
    overall = int(round(max(0.0, min(100.0, overall))))
    return per, {"overall": overall, "grade": grade(overall), "method": SCORE_METHOD}


def findings_table(ranked: Sequence[Finding]) -> Table:
    return Table(
        title="Data-quality findings (ranked)",
        data={
            "rank": list(range(1, len(ranked) + 1)),
            "code": [f.code for f in ranked],
            "severity": [f.severity.value for f in ranked],
            "subject": [f.subject for f in ranked],
            "message": [f.message for f in ranked],
        },
        note="Most severe first; within a severity: leakage and proxies, group checks, drift, then data hygiene.",
    )


def columns_table(per: Mapping[str, Mapping[str, Any]]) -> Table:
    return Table(
        title="Column quality",
        data={
            "column": list(per),
            "dtype": [v["dtype"] for v in per.values()],
            "missing_share": [v["missing_share"] for v in per.values()],
            "distinct": [v["distinct"] for v in per.values()],
            "score": [v["score"] for v in per.values()],
            "grade": [v["grade"] for v in per.values()],
            "issues": [", ".join(v["issues"]) for v in per.values()],
        },
        note=SCORE_METHOD,
    )


def summary_sentences(
    ranked: Sequence[Finding], *, n_rows: int, n_columns: int, score: Mapping[str, Any], limit: int = 8
) -> list[str]:
    """A headline, then the plain-language messages of the most important warn/fail findings."""
    fails = sum(1 for f in ranked if f.severity == Severity.FAIL)
    warns = sum(1 for f in ranked if f.severity == Severity.WARN)
    head = (
        f"{n_rows:,} rows × {n_columns} columns: {fails} failing and {warns} warning finding(s); "
        f"data-quality grade {score['grade']} (score {score['overall']}/100)."
    )
    if not fails and not warns:
        head += " No check exceeded its tolerance."
    important = [f.message for f in ranked if f.severity != Severity.INFO][:limit]
    return [head, *important]
