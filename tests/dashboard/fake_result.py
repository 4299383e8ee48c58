"""A synthetic AuditResult holding every key the section modules document, so page tests do not depend on the
other sections' implementation state. Numbers are made up but internally consistent."""

from __future__ import annotations

import numpy as np

from audits.data_quality.view import REPRESENTATION_PREFIX, DataQualityResult
from audits.emissions_view import EmissionsResult
from audits.explain.view import ExplanationResult, by_group_key
from audits.fairness.view import FairnessResult, groups_key
from audits.performance_view import PerformanceResult
from audits.results import AuditResult, Finding, Provenance, SectionResult, Severity, Status, Table

GROUPS = {
    "sex": ["Male", "Female"],
    "age": ["<=25", ">25"],
    "sex × age": ["Male × <=25", "Male × >25", "Female × <=25", "Female × >25"],
}
FEATURES = ["age", "duration", "credit_amount", "purpose", "checking_status"]


def _performance() -> SectionResult:
    rows = {
        "metric": ["accuracy", "roc_auc"],
        "value": [0.75, 0.8],
        "ci_low": [0.7, 0.74],
        "ci_high": [0.8, 0.85],
        "n": [300, 300],
        "method": ["bootstrap", "row bootstrap"],
        "note": ["", ""],
    }
    overall = {m: {k: rows[k][i] for k in rows} for i, m in enumerate(rows["metric"])}
    return PerformanceResult.build(
        title="Model performance",
        status=Status.PASS,
        summary=("Accuracy 0.750 (95% CI 0.700–0.800) on 300 rows.",),
        tables={"overall": Table(title="Overall performance", data=rows, note="300 rows")},
        metrics={"overall": overall, "task": "binary"},
        method={"seed": 0},
    )


def _group_table(col: str) -> Table:
    groups = GROUPS[col]
    n = len(groups)
    data: dict[str, list] = {
        "group": groups,
        "count": [100 + 10 * i for i in range(n)],
        "positives": [60] * n,
        "negatives": [40] * n,
    }
    for j, metric in enumerate(["selection_rate", "tpr", "fpr"]):
        vals = [0.5 + 0.05 * i + 0.01 * j for i in range(n)]
        data[metric] = vals
        data[f"{metric}_ci_low"] = [v - 0.05 for v in vals]
        data[f"{metric}_ci_high"] = [v + 0.05 for v in vals]
    data["precision"] = [None] + [0.7] * (n - 1)
    data["precision_ci_low"] = [None] + [0.6] * (n - 1)
    data["precision_ci_high"] = [None] + [0.8] * (n - 1)
    data["excluded"] = [False] * (n - 1) + [n > 2]
    data["note"] = (
        ["precision undefined: no positive prediction"] + [""] * (n - 2) + ["n < 30" if n > 2 else ""]
    )
    return Table(title=f"Group metrics: {col}", data=data, note="stratified count bootstrap, 1000 resamples")


def _fairness() -> SectionResult:
    disp_rows = []
    for col in GROUPS:
        for metric, kind, value, tol, verdict in [
            ("demographic_parity", "ratio", 0.78, 0.8, "inconclusive"),
            ("equalized_odds", "difference", 0.05, 0.1, "pass"),
            ("equal_opportunity", "difference", 0.15, 0.1, "fail"),
        ]:
            disp_rows.append(
                {
                    "attribute": col,
                    "metric": metric,
                    "kind": kind,
                    "method": "between_groups",
                    "value": value,
                    "ci_low": value - 0.04,
                    "ci_high": value + 0.04,
                    "tolerance": tol,
                    "verdict": verdict,
                    "label": "four-fifths rule (US EEOC heuristic)" if kind == "ratio" else "",
                    "note": "",
                }
            )
    # Verdicts against the reference group (schema 1.1): the pair that decided each, and the comparison rows.
    ref_rows = []
    for col, groups in GROUPS.items():
        for metric, verdict in (("fnr", "fail"), ("for_", "inconclusive")):
            disp_rows.append(
                {
                    "attribute": col,
                    "metric": metric,
                    "kind": "difference",
                    "method": "vs_reference",
                    "group": groups[0],
                    "reference": groups[-1],
                    "value": 0.15,
                    "ci_low": 0.11,
                    "ci_high": 0.19,
                    "tolerance": 0.1,
                    "verdict": verdict,
                    "label": "difference within ±0.1 (policy)",
                    "note": f"decided by {groups[0]} vs {groups[-1]}",
                }
            )
            for g in groups[:-1]:
                ref_rows.append(
                    {
                        "attribute": col,
                        "metric": metric,
                        "group": g,
                        "reference": groups[-1],
                        "value": 0.35,
                        "reference_value": 0.2,
                        "n": 120.0,
                        "reference_n": 300.0,
                        "difference": 0.15,
                        "difference_ci_low": 0.11,
                        "difference_ci_high": 0.19,
                        "ratio": 1.75,
                        "ratio_ci_low": 1.4,
                        "ratio_ci_high": 2.2,
                        "verdict": verdict,
                        "note": "",
                    }
                )
    for r in disp_rows:
        r.setdefault("group", "")
        r.setdefault("reference", "")
    disp = Table(title="Disparities", data={k: [r[k] for r in disp_rows] for k in disp_rows[0]})
    reference = Table(
        title="Each group against the reference group",
        data={k: [r[k] for r in ref_rows] for k in ref_rows[0]},
    )
    thresholds = [i / 100 for i in range(101)]
    curves = {
        col: {
            "thresholds": thresholds,
            "groups": {
                g: {
                    "selection_rate": [max(0.0, 1 - t - 0.05 * i) for t in thresholds],
                    "tpr": [max(0.0, 1 - t * 0.8) for t in thresholds],
                    "fpr": [None if t > 0.95 else max(0.0, 1 - t * 1.2) for t in thresholds],
                    "count": 100,
                }
                for i, g in enumerate(GROUPS[col])
            },
        }
        for col in GROUPS
    }
    excluded = Table(
        title="Excluded groups",
        data={
            "attribute": ["sex × age"],
            "group": ["Female × >25"],
            "count": [20],
            "positives": [12],
            "negatives": [8],
            "reason": ["n < 30"],
        },
    )
    return FairnessResult.build(
        title="Fairness",
        status=Status.FAIL,
        summary=(
            "Women are selected at 0.78x the rate of men (95% CI 0.74–0.82): inconclusive against the four-fifths heuristic.",
        ),
        findings=(
            Finding(
                code="FAIR_EQUAL_OPPORTUNITY",
                severity=Severity.FAIL,
                message="TPR gap 0.15 exceeds 0.1.",
                subject="sex",
            ),
        ),
        tables={
            **{groups_key(c): _group_table(c) for c in GROUPS},
            "disparities": disp,
            "reference_groups": reference,
            "excluded_groups": excluded,
        },
        metrics={
            "task": "binary",
            "overall": {"selection_rate": {"value": 0.55, "ci_low": 0.5, "ci_high": 0.6}},
            "disparities": disp_rows,
            "headline": [r for r in disp_rows if r["method"] == "vs_reference"],
            "reference": ref_rows,
            "reference_groups": {col: groups[-1] for col, groups in GROUPS.items()},
            "threshold_curves": curves,
            "threshold": 0.5,
        },
        method={
            "n_bootstrap": 1000,
            "seed": 0,
            "confidence_level": 0.95,
            "ratio_tolerance": 0.8,
            "difference_tolerance": 0.1,
        },
    )


def _explanation() -> SectionResult:
    rng = np.random.default_rng(0)
    n = 200
    values = {
        "age": rng.integers(19, 70, n).tolist(),
        "duration": rng.integers(4, 60, n).tolist(),
        "credit_amount": rng.integers(250, 15000, n).tolist(),
        "purpose": rng.choice(["car", "radio/tv", "education"], n).tolist(),
        "checking_status": rng.choice(["<0", "no checking"], n).tolist(),
    }
    shap = {f: rng.normal(0, 0.1 * (len(FEATURES) - i), n).round(4).tolist() for i, f in enumerate(FEATURES)}
    imp = Table(
        title="Global importance",
        data={
            "feature": FEATURES,
            "mean_abs_shap": [0.5, 0.4, 0.3, 0.2, 0.1],
            "ci_low": [0.45, 0.35, 0.25, 0.15, 0.05],
            "ci_high": [0.55, 0.45, 0.35, 0.25, 0.15],
            "rank": [1, 2, 3, 4, 5],
        },
        note="200 explained rows",
    )
    local = [
        {
            "row": r,
            "reason": reason,
            "base_value": 0.6,
            "output": 0.6 + sum(shap[f][r] for f in FEATURES),
            "prediction": "good",
            "label": "bad",
            "contributions": {f: shap[f][r] for f in FEATURES},
            "values": {f: values[f][r] for f in FEATURES},
        }
        for r, reason in [(3, "highest score"), (7, "misclassified (group Female)")]
    ]
    by_group = {
        by_group_key(c): Table(
            title=f"Mean SHAP by {c}",
            data={
                "group": GROUPS[c],
                "count": [150] * len(GROUPS[c]),
                "mean_output": [0.6] * len(GROUPS[c]),
                **{f: [0.01 * (i + 1)] * len(GROUPS[c]) for i, f in enumerate(FEATURES)},
            },
        )
        for c in ("sex", "age")
    }
    return ExplanationResult.build(
        title="Explanations",
        status=Status.PASS,
        summary=("checking_status and duration drive the predictions most.",),
        tables={"global_importance": imp, **by_group},
        metrics={
            "beeswarm": {
                "features": FEATURES,
                "rows": n,
                "shap": shap,
                "value": values,
                "kind": {f: "numeric" for f in FEATURES[:3]} | {f: "categorical" for f in FEATURES[3:]},
            },
            "dependence": {
                f: {"x": values[f], "shap": shap[f], "kind": "numeric" if i < 3 else "categorical"}
                for i, f in enumerate(FEATURES)
            },
            "local": local,
            "group_gap": {
                "sex": {
                    "groups": ["Male", "Female"],
                    "gap": 0.05,
                    "contributions": {f: 0.01 for f in FEATURES},
                    "sentence": "Men score 0.05 higher, mostly through age.",
                }
            },
        },
        method={"explainer": "linear", "sample_size": n, "seed": 0},
    )


def _data_quality() -> SectionResult:
    findings = (
        Finding(
            code="DQ_PROXY",
            severity=Severity.WARN,
            message="personal_status predicts sex (AUC 0.99).",
            subject="sex",
        ),
        Finding(
            code="DQ_SKEW",
            severity=Severity.INFO,
            message="credit_amount is skewed.",
            subject="credit_amount",
        ),
    )
    return DataQualityResult.build(
        title="Data quality",
        status=Status.WARN,
        summary=("personal_status predicts sex with AUC 0.99: it can act as a proxy.",),
        findings=findings,
        tables={
            "findings": Table(
                title="Findings",
                data={
                    "rank": [1, 2],
                    "code": ["DQ_PROXY", "DQ_SKEW"],
                    "severity": ["warn", "info"],
                    "subject": ["sex", "credit_amount"],
                    "message": [f.message for f in findings],
                },
            ),
            "columns": Table(
                title="Columns",
                data={
                    "column": ["age", "credit_amount"],
                    "dtype": ["int64", "int64"],
                    "missing_share": [0.0, 0.0],
                    "distinct": [50, 290],
                    "score": [100, 90],
                    "grade": ["A", "A"],
                    "issues": ["", "DQ_SKEW"],
                },
            ),
            REPRESENTATION_PREFIX + "sex": Table(
                title="Representation: sex",
                data={
                    "group": ["Male", "Female"],
                    "count": [200, 100],
                    "share": [0.667, 0.333],
                    "positives": [140, 60],
                    "negatives": [60, 40],
                    "base_rate": [0.7, 0.6],
                    "base_rate_difference": [0.0, -0.1],
                    "base_rate_ratio": [1.0, 0.857],
                    "note": ["", ""],
                },
            ),
            "drift": Table(
                title="Drift",
                data={
                    "column": ["age", "credit_amount"],
                    "type": ["numeric", "numeric"],
                    "test": ["ks", "ks"],
                    "statistic": [0.02, 0.2],
                    "p_value": [0.9, 0.001],
                    "psi": [0.01, 0.3],
                    "drifted": [False, True],
                    "note": ["", ""],
                },
            ),
        },
        metrics={
            "score": {"overall": 88, "grade": "B"},
            "columns": {
                "age": {
                    "kind": "numeric",
                    "dtype": "int64",
                    "missing_share": 0.0,
                    "distinct": 50,
                    "score": 100,
                    "grade": "A",
                }
            },
            "drift": {"columns": {}, "share_drifted": 0.5, "n_drifted": 1, "n_columns": 2},
        },
        method={"seed": 0},
    )


def _emissions() -> SectionResult:
    return EmissionsResult.build(
        title="Environmental impact",
        status=Status.PASS,
        summary=("Re-fitting used 0.0001 kWh (0.04 g CO2eq, estimated).",),
        metrics={
            "training": {
                "duration_s": 0.5,
                "energy_kwh": 1e-4,
                "emissions_kg": 4e-5,
                "country_iso_code": "DEU",
                "country_name": "Germany",
                "carbon_intensity_g_per_kwh": 380.0,
                "cpu_model": "Test CPU",
                "cpu_count": 2,
                "overall_method": "estimated",
                "cpu_power_method": "estimated (TDP x load)",
                "rows": 300,
                "agreement": 1.0,
                "codecarbon_version": "3.3",
            },
            "inference": {
                "passes": 10,
                "rows_per_pass": 300,
                "duration_s": 3.0,
                "energy_kwh_per_1000": 1e-6,
                "emissions_kg_per_1000": 4e-7,
                "method": "repeated passes",
            },
            "equivalents": [
                {"label": "of driving a car", "value": 0.0003, "unit": "km", "factor": 0.12, "source": "EEA"}
            ],
            "country_comparison": [
                {
                    "country_iso_code": "DEU",
                    "country_name": "Germany",
                    "carbon_intensity_g_per_kwh": 380.0,
                    "emissions_kg": 3.8e-5,
                },
                {
                    "country_iso_code": "FRA",
                    "country_name": "France",
                    "carbon_intensity_g_per_kwh": 56.0,
                    "emissions_kg": 5.6e-6,
                },
            ],
        },
        method={"tracking": "codecarbon offline"},
    )


def fake_result() -> AuditResult:
    """A complete synthetic result (German-credit-like, 300 rows)."""
    prov = Provenance(
        started_at="2026-01-01T00:00:00+00:00",
        duration_s=1.5,
        data={"name": "german_credit_test.csv", "rows": 300, "sha256": "0" * 64},
        model={"name": "german_logreg.skops", "kind": "sklearn"},
        reference=None,
        config={"target": "credit_risk", "model_name": "German credit — logistic regression (sample)"},
        versions={"python": "3.11"},
        seed=0,
    )
    return AuditResult(
        sections=(_performance(), _data_quality(), _fairness(), _explanation(), _emissions()), provenance=prov
    )
