"""Small hand-built results shaped like the performance and fairness sections (fast to build and to store)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from audits.results import AuditResult, Finding, Provenance, SectionResult, Severity, Status, Table

DEFAULT_PERF = {"accuracy": (0.80, 0.78, 0.82), "roc_auc": (0.85, 0.83, 0.87), "base_rate": (0.3, 0.28, 0.32)}
DEFAULT_DISPARITIES = {
    ("sex", "demographic_parity", "ratio"): (0.90, 0.86, 0.94),
    ("sex", "equal_opportunity", "difference"): (0.04, 0.02, 0.06),
}


def disparity_row(attr: str, metric: str, kind: str, value: float | None, lo: float | None, hi: float | None,
                  method: str = "between_groups") -> dict[str, Any]:  # fmt: skip
    return {
        "attribute": attr, "metric": metric, "kind": kind, "method": method, "group": "a", "reference": "b",
        "value": value, "ci_low": lo, "ci_high": hi, "tolerance": 0.8 if kind == "ratio" else 0.1,
        "verdict": "pass", "label": "", "note": "",
    }  # fmt: skip


def make_result(
    *,
    perf: Mapping[str, tuple] | None = None,
    disparities: Mapping[tuple[str, str, str], tuple] | None = None,
    groups: Mapping[str, Sequence[str]] | None = None,
    findings: Sequence[tuple[str, str]] = (),
    target: str = "approved",
    task: str = "binary",
    positive_label: str | None = "yes",
    data_sha: str = "aa" * 32,
    model_sha: str = "bb" * 32,
    model_file: str = "models/loan.skops",
    model_name: str | None = None,
    started_at: str = "2026-01-01T00:00:00+00:00",
    status: Status = Status.PASS,
) -> AuditResult:
    perf = DEFAULT_PERF if perf is None else perf
    disparities = DEFAULT_DISPARITIES if disparities is None else disparities
    groups = {"sex": ["female", "male"]} if groups is None else groups
    overall = {
        m: {
            "metric": m,
            "value": v,
            "ci_low": lo,
            "ci_high": hi,
            "n": 1000,
            "method": "bootstrap",
            "note": "",
        }
        for m, (v, lo, hi) in perf.items()
    }
    rows = [disparity_row(a, m, k, *vals) for (a, m, k), vals in disparities.items()]
    performance = SectionResult(
        name="performance",
        title="Model performance",
        status=status,
        tables={"overall": Table("Overall", {k: [r[k] for r in overall.values()] for k in
                                             ("metric", "value", "ci_low", "ci_high")})},
        metrics={"overall": overall, "task": task},
    )  # fmt: skip
    fairness = SectionResult(
        name="fairness",
        title="Fairness",
        status=status,
        findings=tuple(
            Finding(code=c, severity=Severity.WARN, message=f"{c} on {s}", subject=s) for c, s in findings
        ),
        tables={
            "disparities": Table("Disparities", {k: [r[k] for r in rows] for k in rows[0]} if rows else {})
        },
        metrics={
            "task": task,
            "disparities": rows,
            "headline": rows,
            "groups": {
                col: {g: {"selection_rate": {"value": 0.5}} for g in gs} for col, gs in groups.items()
            },
        },
    )
    provenance = Provenance(
        started_at=started_at,
        duration_s=1.0,
        data={"name": "data/loans.csv", "sha256": data_sha, "rows": 1000},
        model={"name": model_file, "sha256": model_sha, "description": "LogisticRegression"},
        reference=None,
        config={"target": target, "positive_label": positive_label, "task": "auto", "model_name": model_name},
        versions={"python": "3.11"},
        seed=0,
    )
    return AuditResult(sections=(performance, fairness), provenance=provenance)
