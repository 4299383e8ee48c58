"""Hand-built SectionResults shaped like the documented schemas of every section (see the module docstrings
of audits.fairness, audits.explain, audits.emissions and audits.data_quality), so the reports can be tested
independently of the sections' implementation: many groups, long and Unicode names, a section in error.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audits.data_quality.view import REPRESENTATION_PREFIX, DataQualityResult
from audits.emissions_view import EmissionsResult
from audits.explain.view import ExplanationResult, by_group_key
from audits.fairness.view import FairnessResult, groups_key
from audits.performance_view import PerformanceResult
from audits.results import AuditResult, Finding, Provenance, SectionResult, Severity, Status, Table

UNICODE_GROUPS = ["Île-de-France", "Ñuñoa", "Zürich", "Łódź", "São Paulo"]
LONG_NAME = "a_very_long_protected_attribute_name_" + "x" * 90
METRICS = (
    "selection_rate",
    "tpr",
    "fpr",
    "fnr",
    "tnr",
    "precision",
    "fdr",
    "for_",
    "accuracy",
    "balanced_accuracy",
)


def provenance(**overrides: Any) -> Provenance:
    d = dict(
        started_at="2026-11-25T12:00:00+00:00",
        duration_s=12.5,
        data={
            "name": "data/region_loans.csv",
            "sha256": "ab" * 32,
            "bytes": 123456,
            "format": "csv",
            "rows": 5000,
            "columns": 12,
        },
        model={
            "name": "models/loan.skops",
            "kind": "sklearn",
            "format": "skops",
            "description": "Pipeline(ColumnTransformer → LogisticRegression)",
            "sha256": "cd" * 32,
            "bytes": 4567,
            "classes": ["no", "yes"],
            "n_features": 10,
        },
        reference={
            "name": "data/train.csv",
            "sha256": "ef" * 32,
            "bytes": 999,
            "format": "csv",
            "rows": 20000,
            "columns": 12,
        },
        config={
            "target": "approved",
            "protected": [{"column": "region"}, {"column": "sex"}],
            "seed": 7,
            "model_name": "Loan approval — logistic regression",
            "dataset_name": "Regional loans 2025",
        },
        versions={"python": "3.11.7", "numpy": "2.4.0", "fairlearn": "0.15.0"},
        seed=7,
        platform={
            "system": "Linux",
            "machine": "x86_64",
            "context": {"task": "binary", "protected": ["region", "sex"], "intersections": ["region × sex"]},
        },
        prediction_seconds=0.25,
    )
    d.update(overrides)
    return Provenance(**d)


def performance() -> SectionResult:
    names = ["accuracy", "balanced_accuracy", "precision", "recall", "f1", "roc_auc"]
    vals = [0.8512345, 0.79, 0.7123, 0.6543, 0.68, 0.91234]
    overall = {
        n: {
            "metric": n,
            "value": v,
            "ci_low": v - 0.01,
            "ci_high": v + 0.012,
            "n": 5000,
            "method": "bootstrap",
            "note": "",
        }
        for n, v in zip(names, vals, strict=True)
    }
    overall["precision"] = {
        "metric": "precision",
        "value": None,
        "ci_low": None,
        "ci_high": None,
        "n": 5000,
        "method": "bootstrap",
        "note": "undefined: no row was predicted positive",
    }
    table = Table(
        title="Overall performance",
        data={
            k: [r[k] for r in overall.values()]
            for k in ("metric", "value", "ci_low", "ci_high", "n", "method", "note")
        },
        note="5,000 rows; seed 7.",
    )
    return PerformanceResult.build(
        title="Model performance",
        status=Status.PASS,
        summary=("Accuracy 0.851 on 5,000 rows.",),
        tables={"overall": table},
        metrics={"overall": overall, "task": "binary"},
        method={
            "confidence_level": 0.95,
            "n_bootstrap": 1000,
            "row_bootstrap_resamples": 200,
            "row_cap": 20000,
            "seed": 7,
            "threshold": 0.5,
        },
        duration_s=0.3,
    )


def groups_table(groups: list[str], *, seed: int = 0, small: int = 0) -> Table:
    rng = np.random.default_rng(seed)
    n = len(groups)
    counts = rng.integers(40, 3000, n)
    if small:
        counts[-small:] = rng.integers(3, 25, small)
    data: dict[str, list[Any]] = {
        "group": groups,
        "count": counts.tolist(),
        "positives": (counts // 3).tolist(),
        "negatives": (counts - counts // 3).tolist(),
    }
    for m in METRICS:
        v = rng.uniform(0.05, 0.95, n)
        data[m] = v.tolist()
        data[f"{m}_ci_low"] = (v - rng.uniform(0.01, 0.1, n)).tolist()
        data[f"{m}_ci_high"] = (v + rng.uniform(0.01, 0.1, n)).tolist()
    excluded = [bool(c < 30) for c in counts]
    data["excluded"] = excluded
    data["note"] = ["fewer than 30 rows" if e else "" for e in excluded]
    if n > 1:
        data["precision"][1] = None
        data["precision_ci_low"][1] = None
        data["precision_ci_high"][1] = None
        data["note"][1] = "precision undefined: no row of this group was predicted positive"
    return Table(title="Groups", data=data, note="stratified count bootstrap, 1,000 resamples, 95% interval")


def fairness(n_groups: int = 200) -> SectionResult:
    many = (
        UNICODE_GROUPS + [f"region {i:03d}" for i in range(n_groups - len(UNICODE_GROUPS) - 1)] + [LONG_NAME]
    )
    disp_rows = []
    for attr in ("region", "sex"):
        for metric, kind, value, tol, verdict in (
            ("demographic_parity", "ratio", 0.62, 0.8, "fail"),
            ("equalized_odds", "difference", 0.08, 0.1, "inconclusive"),
            ("equal_opportunity", "difference", 0.03, 0.1, "pass"),
        ):
            disp_rows.append(
                {
                    "attribute": attr,
                    "metric": metric,
                    "kind": kind,
                    "method": "between_groups",
                    "value": value,
                    "ci_low": value - 0.04,
                    "ci_high": value + 0.05,
                    "tolerance": tol,
                    "verdict": verdict,
                    "label": "four-fifths rule (US EEOC heuristic)" if kind == "ratio" else "",
                    "note": "",
                }
            )
    disp_rows.append(
        {
            "attribute": "sex",
            "metric": "fnr",
            "kind": "ratio",
            "method": "to_overall",
            "value": None,
            "ci_low": None,
            "ci_high": None,
            "tolerance": 0.8,
            "verdict": "undefined",
            "label": "",
            "note": "no positive label in group 'other'",
        }
    )
    # Verdicts against the reference group (schema 1.1) name the pair that decided them.
    verdict_rows = [
        {
            "attribute": attr,
            "metric": "fnr",
            "kind": "ratio",
            "method": "vs_reference",
            "group": group,
            "reference": ref,
            "value": 1.91,
            "ci_low": 1.52,
            "ci_high": 2.4,
            "tolerance": 0.8,
            "verdict": "fail",
            "label": "ratio within [0.8, 1.25] (policy)",
            "note": f"decided by {group} vs {ref}",
        }
        for attr, group, ref in (("region", many[1], many[0]), ("sex", "female", "male"))
    ]
    for r in disp_rows:
        r.setdefault("group", "")
        r.setdefault("reference", "")
    disp_rows = verdict_rows + disp_rows
    ref_rows = [
        {
            "attribute": attr,
            "metric": metric,
            "group": g,
            "reference": ref,
            "value": 0.3,
            "reference_value": 0.2,
            "n": 80.0,
            "reference_n": 900.0,
            "difference": 0.1 if g != "other" else None,
            "difference_ci_low": 0.03 if g != "other" else None,
            "difference_ci_high": 0.18 if g != "other" else None,
            "ratio": 1.5 if g != "other" else None,
            "ratio_ci_low": 1.1 if g != "other" else None,
            "ratio_ci_high": 2.0 if g != "other" else None,
            "verdict": "inconclusive" if g != "other" else "undefined",
            "note": "" if g != "other" else "group excluded (too little data)",
        }
        for attr, groups, ref in (("region", many[1:], many[0]), ("sex", ["female", "other"], "male"))
        for g in groups
        for metric in ("fnr", "for_")
    ]
    disparities = Table(title="Disparities", data={k: [r[k] for r in disp_rows] for k in disp_rows[0]})
    reference = Table(
        title="Each group against the reference group",
        data={k: [r[k] for r in ref_rows] for k in ref_rows[0]},
    )
    return FairnessResult.build(
        title="Fairness",
        status=Status.FAIL,
        summary=(
            "Region 'Ñuñoa' is selected at 0.62x the rate of 'Île-de-France' (95% CI 0.58–0.67): fails the four-fifths heuristic.",
        ),
        findings=(
            Finding(
                code="FAIR_DEMOGRAPHIC_PARITY_RATIO",
                severity=Severity.FAIL,
                subject="region",
                message="Demographic parity ratio 0.620 [0.580, 0.670] is below 0.8.",
            ),
        ),
        tables={
            groups_key("region"): groups_table(many, small=4),
            groups_key("sex"): groups_table(["female", "male", "other"], seed=1, small=1),
            "disparities": disparities,
            "reference_groups": reference,
        },
        metrics={
            "task": "binary",
            "headline": disp_rows[:8],  # the two verdict rows, then six between-groups rows
            "disparities": disp_rows,
            "reference": ref_rows,
            "threshold": 0.5,
        },
        method={
            "n_bootstrap": 1000,
            "seed": 7,
            "confidence_level": 0.95,
            "interval_method": "stratified count bootstrap: multinomial per group",
            "min_group_size": 30,
        },
        duration_s=1.2,
    )


def data_quality() -> SectionResult:
    findings = (
        Finding(
            code="DQ_PROXY",
            severity=Severity.WARN,
            subject="sex",
            message="relationship predicts sex with AUC 0.87: it can act as a proxy.",
        ),
        Finding(
            code="DQ_MISSING",
            severity=Severity.FAIL,
            subject="occupation",
            message="occupation is missing in 5.7% of rows.",
        ),
        Finding(
            code="DQ_SKEW",
            severity=Severity.INFO,
            subject="capital_gain",
            message="capital_gain is heavily skewed (11.9).",
        ),
        Finding(
            code="DQ_NOT_APPLICABLE",
            severity=Severity.INFO,
            subject="",
            message="Drift checks need a reference dataset; none was given.",
        ),
    )
    rep = Table(
        title="Representation of region",
        data={
            "group": ["Île-de-France", "Ñuñoa"],
            "count": [3000, 2000],
            "share": [0.6, 0.4],
            "positives": [900, 400],
            "negatives": [2100, 1600],
            "base_rate": [0.3, 0.2],
            "base_rate_difference": [0.0, -0.1],
            "base_rate_ratio": [1.0, 0.6667],
            "note": ["", ""],
        },
    )
    return DataQualityResult.build(
        title="Data quality",
        status=Status.FAIL,
        summary=(
            "occupation is missing in 5.7% of rows.",
            "relationship predicts sex with AUC 0.87: it can act as a proxy.",
        ),
        findings=findings,
        tables={
            "findings": Table(
                title="Findings",
                data={
                    "rank": [1, 2, 3, 4],
                    "code": [f.code for f in findings],
                    "severity": [f.severity.value for f in findings],
                    "subject": [f.subject for f in findings],
                    "message": [f.message for f in findings],
                },
            ),
            REPRESENTATION_PREFIX + "region": rep,
        },
        metrics={"score": {"overall": 81, "grade": "B"}},
        method={"seed": 7},
        duration_s=2.0,
    )


def explanation(n_features: int = 25) -> SectionResult:
    rng = np.random.default_rng(3)
    feats = [f"feature_{i}" for i in range(n_features)]
    feats[0] = "relationship"
    feats[1] = "capital_gain"
    imp = np.sort(rng.uniform(0.001, 0.5, n_features))[::-1]
    table = Table(
        title="Global importance",
        data={
            "feature": feats,
            "mean_abs_shap": imp.tolist(),
            "ci_low": (imp * 0.9).tolist(),
            "ci_high": (imp * 1.1).tolist(),
            "rank": list(range(1, n_features + 1)),
        },
    )
    n = 300
    beeswarm = {
        "features": feats,
        "rows": n,
        "shap": {f: (rng.normal(0, imp[i], n)).tolist() for i, f in enumerate(feats)},
        "value": {
            f: (rng.normal(0, 1, n).tolist() if i % 2 else rng.choice(["a", "b"], n).tolist())
            for i, f in enumerate(feats)
        },
        "kind": {f: "numeric" if i % 2 else "categorical" for i, f in enumerate(feats)},
    }
    by_group = Table(
        title="Mean SHAP by region",
        data={
            "group": ["Île-de-France", "Ñuñoa", "Zürich"],
            "count": [100, 120, 80],
            "mean_output": [0.1, -0.2, 0.05],
            **{f: rng.normal(0, 0.1, 3).tolist() for f in feats[:6]},
        },
    )
    return ExplanationResult.build(
        title="Explanations",
        status=Status.PASS,
        summary=("relationship drives the model most.",),
        tables={"global_importance": table, by_group_key("region"): by_group},
        metrics={
            "beeswarm": beeswarm,
            "group_gap": {
                "region": {
                    "groups": ["Île-de-France", "Ñuñoa"],
                    "gap": 0.3,
                    "contributions": {"relationship": 0.2, "capital_gain": 0.1},
                    "sentence": "relationship explains most of the gap.",
                }
            },
        },
        method={"explainer": "linear", "sample_size": 300, "seed": 7},
        duration_s=3.0,
    )


def emissions() -> SectionResult:
    training = {
        "duration_s": 4.2,
        "energy_kwh": 0.0000123,
        "emissions_kg": 0.0000051,
        "country_iso_code": "FRA",
        "country_name": "France",
        "carbon_intensity_g_per_kwh": 56.0,
        "cpu_model": "Intel Xeon",
        "cpu_count": 2,
        "gpu_model": None,
        "gpu_count": 0,
        "cpu_power_method": "estimated (TDP x load)",
        "ram_power_method": "constant",
        "overall_method": "estimated",
        "rows": 20000,
        "codecarbon_version": "3.3.0",
    }
    comparison = [
        {
            "country_iso_code": c,
            "country_name": n,
            "carbon_intensity_g_per_kwh": g,
            "emissions_kg": 0.0000123 * g / 1000,
        }
        for c, n, g in (("FRA", "France", 56.0), ("DEU", "Germany", 380.0), ("IND", "India", 700.0))
    ]
    return EmissionsResult.build(
        title="Environmental impact",
        status=Status.PASS,
        summary=("Re-fitting emitted 0.0051 g CO2eq (estimated).",),
        tables={
            "training": Table(
                title="Training (re-fit)",
                data={
                    "quantity": ["duration", "energy_kwh", "emissions_g"],
                    "value": [4.2, 0.0000123, 0.0051],
                },
            )
        },
        metrics={
            "training": training,
            "country_comparison": comparison,
            "inference": {
                "passes": 3,
                "rows_per_pass": 5000,
                "duration_s": 1.0,
                "energy_kwh_per_1000": 1e-7,
                "emissions_kg_per_1000": 5e-9,
                "method": "estimated",
            },
        },
        method={"tracker": "codecarbon offline"},
        duration_s=5.0,
    )


def errored(name: str = "explanation", title: str = "Explanations") -> SectionResult:
    return SectionResult.errored(name, title, f"The {title.lower()} section failed: ValueError: boom")


def full_result(*, n_groups: int = 200, sections: tuple[SectionResult, ...] | None = None) -> AuditResult:
    secs = sections or (performance(), data_quality(), fairness(n_groups), explanation(), emissions())
    return AuditResult(sections=tuple(secs), provenance=provenance())
