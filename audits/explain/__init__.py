"""Explanations section: SHAP values in the user's own columns, globally, per row and per protected group.

Result schema (``SectionResult`` named ``"explanation"``, titled ``"Explanations"``):

- ``tables["global_importance"]``: feature, mean_abs_shap, ci_low, ci_high, rank (original columns; BCa
  bootstrap interval over the explained sample).
- ``tables["by_group:<protected column>"]``: group, count, mean_output, then one column per feature (mean SHAP
  in that group).
- ``metrics["beeswarm"]``: ``{"features": [...], "rows": n, "shap": {feature: [...]}, "value": {feature: [...]},
  "kind": {feature: "numeric" | "categorical"}}`` (at most ~1,000 sampled points per feature).
- ``metrics["dependence"][feature]``: ``{"x": [...], "shap": [...], "kind": ...}`` for the top ~5 features.
- ``metrics["local"]``: list of ``{"row", "reason", "base_value", "output", "prediction", "label",
  "contributions": {feature: shap}, "values": {feature: value}}`` plus ``additivity_error`` (and
  ``explained_class`` for multiclass models); ``row`` is the position in ``ctx.data``; ``reason`` is
  "highest score", "lowest score", "misclassified (<column> = <group>)" ("largest error (...)" for regression)
  or "requested".
- ``metrics["group_gap"][column]``: ``{"groups": [a, b], "gap": float, "contributions": {feature: float},
  "sentence": str, "mean_output": {a: .., b: ..}, "unexplained": float}``; a is the configured reference group
  or the largest one, b the group whose mean output differs most from it (both with at least 20 explained rows);
  the contributions sum to the gap (mean output of a minus b) up to the additivity error (``unexplained``).
  Absent for multiclass models and for columns with fewer than two large enough groups.
- ``metrics["output_space"]`` (what the SHAP values explain) and ``metrics["base_value"]``.
- ``method``: explainer, output space, background size, sample size and stratification, seed, additivity
  max/mean error, mapping, time, fallback reason.
- ``summary``: plain sentences (top drivers; which features drive the gap between groups).

Status: pass normally (an approximate one-hot mapping is an info finding); warn when the additivity error is large or a fallback was
used. Predictions-only audits are skipped ("no model was given; SHAP needs the model").

:func:`explain_rows` explains chosen rows on request and returns dicts shaped like ``metrics["local"]`` entries.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from audits.context import AuditContext
from audits.explain.by_group import by_group
from audits.explain.choose import EXPLAINERS, ExplainerChoice, choose_explainer
from audits.explain.local import NO_MODEL, choose_rows, explain_rows, local_entries
from audits.explain.sampling import stratified_sample
from audits.explain.shap_values import FALLBACK_ROW_CAP, Attributions, ShapEngine
from audits.intervals import bca_interval, jackknife_acceleration
from audits.method import METHOD_KEY, Method
from audits.results import Finding, SectionResult, Severity, Status, Table

__all__ = ["EXPLAINERS", "NAME", "TITLE", "ShapEngine", "choose_explainer", "explain_rows", "run_explanation"]

NAME = "explanation"
TITLE = "Explanations"
BEESWARM_FEATURES = 10
BEESWARM_POINTS = 1000
DEPENDENCE_FEATURES = 5
ADDITIVITY_TOLERANCE = 1e-4  # in output units, scaled by the output's spread when that exceeds 1
LOCAL_BUDGET_SHARE = 0.1  # share of the time budget kept for the automatically chosen local rows
MAX_BOOTSTRAP = 1000


def _weighted_importance(
    values: np.ndarray, weights: np.ndarray, strata: np.ndarray, *, level: float, n_boot: int, seed: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Weighted mean |SHAP| per feature with a stratified BCa bootstrap interval over the sample (the acceleration
    from the closed-form jackknife of a weighted mean)."""
    abs_v = np.abs(values)
    point = np.average(abs_v, axis=0, weights=weights)
    n = len(values)
    if n < 2 or n_boot < 1:
        return point, np.full_like(point, np.nan), np.full_like(point, np.nan)
    rng = np.random.default_rng([seed, 5])
    # Resample within each stratum (as the sample was drawn), then count how often each row was drawn.
    picks = []
    for s in pd.unique(strata):
        members = np.flatnonzero(strata == s)
        picks.append(members[rng.integers(0, len(members), size=(n_boot, len(members)))])
    idx = np.concatenate(picks, axis=1)
    flat = (np.arange(n_boot)[:, None] * n + idx).ravel()
    counts = np.bincount(flat, minlength=n_boot * n).reshape(n_boot, n).astype(float)
    cw = counts * weights
    boot = (cw @ abs_v) / cw.sum(axis=1, keepdims=True)
    with np.errstate(all="ignore"):
        loo = (np.sum(weights[:, None] * abs_v, axis=0) - weights[:, None] * abs_v) / (
            np.sum(weights) - weights
        )[:, None]
    accel = np.array([jackknife_acceleration(loo[:, f])[0] for f in range(abs_v.shape[1])])
    lo, hi = bca_interval(boot, point, accel, level)
    return point, np.asarray(lo), np.asarray(hi)


def _kind(series: pd.Series) -> str:
    numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
    return "numeric" if numeric else "categorical"


def _column_values(series: pd.Series, kind: str) -> list[Any]:
    if kind == "numeric":
        return [None if pd.isna(v) else float(v) for v in series.tolist()]
    return [None if pd.isna(v) else str(v) for v in series.tolist()]


def _mapping_text(choice: ExplainerChoice) -> tuple[str, bool]:
    """How SHAP values reach the raw columns, and whether that is approximate."""
    m = choice.mapping
    if choice.model_agnostic:
        return (
            "exact: explained directly on the raw columns (categories as integer codes, decoded inside the "
            "prediction function)",
            False,
        )
    if choice.preprocessor is None:
        return "exact: the model reads the raw columns", False
    expanded = m.expanded()
    if not expanded:
        return "exact: each raw column feeds one transformed column (one to one)", False
    cols = ", ".join(f"{c} ({n})" for c, n in list(expanded.items())[:6])
    if choice.kind == "linear":
        return (
            f"exact: one-hot columns summed into their source column (the linear model is additive); {cols}",
            False,
        )
    return (
        "approximate: Tree SHAP values of one-hot columns summed into their source column; for a non-additive "
        "model this is close to, not equal to, the Shapley value of the raw column (Tree SHAP lets the one-hot "
        f"columns of one category vary separately); {cols}",
        True,
    )


def _subsample(n: int, k: int, seed: int) -> np.ndarray:
    if n <= k:
        return np.arange(n)
    return np.sort(np.random.default_rng([seed, 7]).choice(n, size=k, replace=False))


def _plots_data(ctx: AuditContext, att: Attributions, order: list[int], seed: int) -> tuple[dict, dict]:
    feats = list(ctx.features)
    pts = _subsample(len(att.rows), BEESWARM_POINTS, seed)
    X = ctx.X.iloc[att.rows[pts]]
    top = [feats[i] for i in order[:BEESWARM_FEATURES]]
    kinds = {f: _kind(ctx.X[f]) for f in top}
    beeswarm = {
        "features": top,
        "rows": int(len(pts)),
        "shap": {f: att.values[pts, feats.index(f)].tolist() for f in top},
        "value": {f: _column_values(X[f], kinds[f]) for f in top},
        "kind": kinds,
    }
    dependence = {
        f: {"x": beeswarm["value"][f], "shap": beeswarm["shap"][f], "kind": kinds[f]}
        for f in top[:DEPENDENCE_FEATURES]
    }
    return beeswarm, dependence


@dataclass
class _Explained:
    """The explained sample: what the global, by-group and local parts are computed from."""

    engine: ShapEngine
    choice: ExplainerChoice
    sample: Any
    att: Attributions
    weights: np.ndarray
    strata: np.ndarray
    estimate: float | None
    budget: float
    t_start: float

    @property
    def n_done(self) -> int:
        return len(self.att.rows)


@dataclass
class _Importance:
    point: np.ndarray
    order: list[int]
    rank: np.ndarray
    level: float
    n_boot: int
    table: Table


def _sub(progress: Callable[[float, str], None], lo: float, hi: float) -> Callable[[float, str], None]:
    """Progress of a step mapped onto its share [lo, hi] of the section's progress."""
    return lambda f, m: progress(lo + (hi - lo) * f, m)


def _explain_sample(
    ctx: AuditContext, progress: Callable[[float, str], None], t_start: float, findings: list[Finding]
) -> _Explained:
    """Choose and build the explainer, then explain a stratified sample within the global share of the budget."""
    cfg = ctx.config
    budget = float(cfg.explain_time_budget_s)
    progress(0.0, "Choosing the explainer")
    choice = choose_explainer(ctx.model, ctx.features, override=cfg.explainer)
    engine = ShapEngine.build(ctx, choice)
    # The build falls back to a model-agnostic explainer when shap cannot read the model.
    choice = engine.choice

    size = max(1, int(cfg.explain_sample_size))
    estimate: float | None = None
    if choice.model_agnostic:
        size = min(size, FALLBACK_ROW_CAP)
        per_row = engine.calibrate()
        affordable = max(1, int(budget * (1 - LOCAL_BUDGET_SHARE) / max(per_row, 1e-9)))
        size = min(size, affordable)
        estimate = per_row * size
        progress(0.05, f"{choice.kind} explainer: about {estimate:.0f} s for {size:,} rows (estimated)")
    sample = stratified_sample(ctx.sensitive, ctx.protected_columns, size=size, seed=ctx.seed)

    remaining = budget * (1 - LOCAL_BUDGET_SHARE) - (time.perf_counter() - t_start)
    att = engine.explain(sample.rows, progress=_sub(progress, 0.05, 0.85), budget_s=max(remaining, 0.0))
    n_done = len(att.rows)
    if n_done < len(sample.rows):
        findings.append(
            Finding(
                code="EXPLAIN_SAMPLE_CUT",
                severity=Severity.WARN,
                message=(
                    f"The time budget ({budget:g} s) allowed {n_done:,} of the {len(sample.rows):,} planned rows; "
                    "importances are less precise (see the intervals). Raise explain_time_budget_s to explain more."
                ),
                evidence={"planned": len(sample.rows), "explained": n_done, "budget_s": budget},
            )
        )
    return _Explained(
        engine=engine,
        choice=choice,
        sample=sample,
        att=att,
        weights=sample.weights(n_done),
        strata=sample.strata[:n_done],
        estimate=estimate,
        budget=budget,
        t_start=t_start,
    )


def _global_importance(ctx: AuditContext, e: _Explained) -> _Importance:
    level = ctx.policy.confidence_level
    n_boot = min(ctx.sampling.n_bootstrap, MAX_BOOTSTRAP)  # the policy as normalised once (audits.method)
    point, lo, hi = _weighted_importance(
        e.att.values, e.weights, e.strata, level=level, n_boot=n_boot, seed=ctx.seed
    )
    order = [int(i) for i in np.argsort(-point, kind="stable")]
    feats = list(ctx.features)
    rank = np.empty(len(feats), dtype=int)
    rank[order] = np.arange(1, len(feats) + 1)
    table = Table(
        title="Global importance (mean |SHAP| per column)",
        data={
            "feature": [feats[i] for i in order],
            "mean_abs_shap": point[order].tolist(),
            "ci_low": lo[order].tolist(),
            "ci_high": hi[order].tolist(),
            "rank": rank[order].tolist(),
        },
        note=(
            f"{e.engine.method_name}; {e.n_done:,} explained rows ({e.sample.description}); output space: "
            f"{e.engine.output_space}; {level:.0%} stratified BCa bootstrap interval ({n_boot} resamples) "
            f"over the explained rows; seed {ctx.seed}."
        ),
    )
    return _Importance(point=point, order=order, rank=rank, level=level, n_boot=n_boot, table=table)


def _local_explanations(ctx: AuditContext, e: _Explained) -> list[dict[str, Any]]:
    picks = choose_rows(ctx)
    if not picks:
        return []
    left = e.budget - (time.perf_counter() - e.t_start)
    # The fallback costs seconds per row: keep the local rows inside what is left of the budget.
    loc = e.engine.explain(
        np.array([r for r, _ in picks]), budget_s=max(left, 0.0) if e.choice.model_agnostic else None
    )
    return local_entries(ctx, loc, [why for _, why in picks][: len(loc.rows)])


def _additivity(att: Attributions) -> tuple[float, float, float]:
    """(largest error, mean error, tolerance) of base + sum(SHAP) against the model output."""
    errors = att.additivity_error
    scale = max(1.0, float(np.std(att.output))) if len(att.output) else 1.0
    tol = ADDITIVITY_TOLERANCE * scale
    add_max = float(errors.max()) if len(errors) else 0.0
    add_mean = float(errors.mean()) if len(errors) else 0.0
    return add_max, add_mean, tol


def _check_findings(ctx: AuditContext, e: _Explained, approximate: bool) -> list[Finding]:
    """Additivity, approximate mapping, fallback explainer and all-missing columns, in that order."""
    add_max, add_mean, tol = _additivity(e.att)
    choice = e.choice
    out = []
    if add_max > tol:
        out.append(
            Finding(
                code="EXPLAIN_ADDITIVITY",
                severity=Severity.WARN,
                message=(
                    f"SHAP values do not add up to the model output: largest error {add_max:.3g} "
                    f"(tolerance {tol:.1g}); treat the attributions as approximate."
                ),
                evidence={"max_error": add_max, "mean_error": add_mean, "tolerance": tol},
            )
        )
    if approximate:
        # A documented, small approximation (about 1% here) is information for the reader, not a warning sign.
        out.append(
            Finding(
                code="EXPLAIN_MAPPING_APPROXIMATE",
                severity=Severity.INFO,
                message=(
                    "Importances of one-hot encoded columns are sums of Tree SHAP values of their indicator "
                    "columns: a close approximation of each raw column's Shapley value, not an exact one."
                ),
                evidence={"expanded_columns": choice.mapping.expanded()},
            )
        )
    if choice.fallback_reason:
        out.append(
            Finding(
                code="EXPLAIN_FALLBACK",
                severity=Severity.WARN,
                message=(
                    f"A model-agnostic {choice.kind} explainer was used because {choice.fallback_reason}; "
                    f"it explained {e.n_done:,} of the {int(ctx.config.explain_sample_size):,} requested rows (cap "
                    f"{FALLBACK_ROW_CAP} rows and the time budget), so importances are less precise."
                ),
                evidence={"reason": choice.fallback_reason, "rows": e.n_done},
            )
        )
    for c in [c for c in ctx.features if ctx.X[c].isna().all()]:
        out.append(
            Finding(
                code="EXPLAIN_COLUMN_ALL_MISSING",
                severity=Severity.INFO,
                subject=c,
                message=(
                    f"Column {c} is missing in every row; its SHAP values only show how the model treats a "
                    "missing value compared with the background."
                ),
            )
        )
    return out


def _protected_findings(ctx: AuditContext, imp: _Importance) -> list[Finding]:
    # Every protected attribute the model reads is reported, whatever its rank: a low-ranked one still moves
    # individual decisions, and its absence from the list must mean it is not an input.
    feats, point = list(ctx.features), imp.point
    out = []
    for col in ctx.protected_columns:
        if col not in feats:
            continue
        r = int(imp.rank[feats.index(col)])
        share = float(point[feats.index(col)] / point.sum()) if point.sum() > 0 else None
        weight = (
            f"ranks #{r} of {len(feats)} in importance"
            + (f" ({share:.1%} of the total mean |SHAP|)" if share is not None else "")
            if point[feats.index(col)] > 0
            else "has no measurable effect on the explained rows (mean |SHAP| 0)"
        )
        out.append(
            Finding(
                code="EXPLAIN_PROTECTED_FEATURE",
                severity=Severity.INFO,
                subject=col,
                message=f"The protected attribute {col} is itself an input of the model and {weight}.",
                evidence={
                    "rank": r,
                    "n_features": len(feats),
                    "mean_abs_shap": float(point[feats.index(col)]),
                    "share_of_total": share,
                },
            )
        )
    return out


def _gap_findings(gaps: Mapping[str, Any]) -> list[Finding]:
    return [
        Finding(
            code="EXPLAIN_GROUP_GAP",
            severity=Severity.INFO,
            subject=col,
            message=gap["sentence"],
            evidence={"groups": gap["groups"], "gap": gap["gap"], "contributions": gap["contributions"]},
        )
        for col, gap in gaps.items()
    ]


def _summary(
    ctx: AuditContext, e: _Explained, imp: _Importance, gaps: Mapping[str, Any], approximate: bool
) -> list[str]:
    feats, choice = list(ctx.features), e.choice
    top = [feats[i] for i in imp.order[:3]]
    summary = [
        f"The model's output ({e.engine.output_space}) is driven most by {', '.join(top)} "
        f"(mean |SHAP| {', '.join(f'{imp.point[i]:.3g}' for i in imp.order[:3])}; {e.n_done:,} explained rows, "
        f"{e.engine.method_name})."
    ]
    summary.extend(gap["sentence"] for gap in gaps.values())
    if approximate:
        summary.append(
            "Importances of one-hot encoded columns are sums of Tree SHAP values of their indicator columns "
            "(close to, not exactly, each column's Shapley value)."
        )
    if choice.fallback_reason:
        summary.append(
            f"Explained with the model-agnostic {choice.kind} explainer on {e.n_done:,} rows "
            f"(estimated {e.estimate:.0f} s beforehand) because {choice.fallback_reason}."
            if e.estimate is not None
            else f"Explained with the model-agnostic {choice.kind} explainer because {choice.fallback_reason}."
        )
    return summary


def _top_drivers(ctx: AuditContext, imp: _Importance, message: str) -> Finding:
    feats = list(ctx.features)
    return Finding(
        code="EXPLAIN_TOP_DRIVERS",
        severity=Severity.INFO,
        message=message,
        evidence={feats[i]: float(imp.point[i]) for i in imp.order[:5]},
    )


def _method(ctx: AuditContext, e: _Explained, imp: _Importance) -> dict[str, Any]:
    cfg, engine, choice, sample = ctx.config, e.engine, e.choice, e.sample
    add_max, add_mean, tol = _additivity(e.att)
    mapping_text, approximate = _mapping_text(choice)
    return {
        "explainer": engine.method_name,
        "explainer_kind": choice.kind,
        "choice": choice.reason,
        "fallback_reason": choice.fallback_reason,
        "output_space": engine.output_space,
        "background_size": int(len(engine.background)),
        "background_source": f"uniform random sample of {engine.background_source}, seed {ctx.seed}",
        "sample_size": e.n_done,
        "sample_planned": int(len(sample.rows)),
        "sample_requested": int(cfg.explain_sample_size),
        "weights": "design weights of the stratified sample (stratum rows / explained rows)"
        + (
            "; the sample_weight column is not applied to SHAP means" if ctx.sample_weight is not None else ""
        ),
        "sampling": sample.description,
        "seed": ctx.seed,
        "additivity_max_error": add_max,
        "additivity_mean_error": add_mean,
        "additivity_tolerance": tol,
        "mapping": mapping_text,
        "mapping_approximate": approximate,
        "transformed_columns": len(choice.mapping.transformed_names),
        "unused_columns": choice.mapping.unused,
        "max_evals": engine.max_evals,
        "estimated_seconds": e.estimate,
        "processes": engine.processes,
        "time_budget_s": e.budget,
        "seconds": time.perf_counter() - e.t_start,
        "bootstrap_resamples": imp.n_boot,
        "confidence_level": imp.level,
    }


def _metrics(
    ctx: AuditContext,
    e: _Explained,
    imp: _Importance,
    plots: tuple[dict, dict],
    local: list[dict[str, Any]],
    gaps: Mapping[str, Any],
) -> dict[str, Any]:
    n_boot = imp.n_boot
    return {
        "beeswarm": plots[0],
        "dependence": plots[1],
        "local": local,
        "group_gap": gaps,
        "output_space": e.engine.output_space,
        "base_value": float(np.average(e.att.base, weights=e.weights)) if e.n_done else None,
        METHOD_KEY: Method(
            interval="stratified BCa bootstrap of the mean |SHAP|" if n_boot else "none (n_bootstrap: 0)",
            confidence_level=imp.level if n_boot else None,
            resamples=n_boot,
            seed=ctx.seed,
            rows=e.n_done,
            sample_caps={
                "explain_sample_size": int(ctx.config.explain_sample_size),
                "resamples": MAX_BOOTSTRAP,
            },
        ).to_dict(),
    }


def run_explanation(
    ctx: AuditContext, *, prior: Mapping[str, SectionResult], progress: Callable[[float, str], None]
) -> SectionResult:
    """SHAP explanations of the model in the user's columns: global, per row and per protected group."""
    if ctx.model is None:
        return SectionResult.skipped(NAME, TITLE, NO_MODEL)
    t_start = time.perf_counter()
    findings: list[Finding] = []
    e = _explain_sample(ctx, progress, t_start, findings)
    imp = _global_importance(ctx, e)
    progress(0.87, "Summarising by protected group")
    group_tables, gaps = by_group(ctx, e.att, e.weights, space=e.engine.output_space)
    plots = _plots_data(ctx, e.att, imp.order, ctx.seed)
    progress(0.9, "Explaining selected rows")
    local = _local_explanations(ctx, e)

    _, approximate = _mapping_text(e.choice)
    findings.extend(_check_findings(ctx, e, approximate))
    add_max, _, tol = _additivity(e.att)
    # The sample cut is a warning finding but, on its own, does not make the section WARN.
    status = Status.WARN if add_max > tol or e.choice.fallback_reason else Status.PASS
    summary = _summary(ctx, e, imp, gaps, approximate)
    findings.insert(0, _top_drivers(ctx, imp, summary[0]))
    findings.extend(_protected_findings(ctx, imp))
    findings.extend(_gap_findings(gaps))
    progress(1.0, "done")
    return SectionResult(
        name=NAME,
        title=TITLE,
        status=status,
        summary=tuple(summary),
        findings=tuple(findings),
        tables={"global_importance": imp.table, **group_tables},
        metrics=_metrics(ctx, e, imp, plots, local, gaps),
        method=_method(ctx, e, imp),
    )
