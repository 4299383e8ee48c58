"""Data-quality section: single-dataset checks, drift against a reference, and protected-group checks.

Every check is a small function with a stable code, listed in ONE explicit registry
(:data:`audits.data_quality.registry.CHECKS`). A check can be switched off or re-tuned from the policy YAML::

    policy:
      checks:
        DQ_PROXY: {warn_auc: 0.75}
        DQ_SKEW: {enabled: false}

Result schema (``SectionResult`` with name ``"data_quality"``, title ``"Data quality"``)
-----------------------------------------------------------------------------------------
status : ``fail`` if any finding is ``fail``, else ``warn`` if any is ``warn``, else ``pass``.

summary : ranked plain-language sentences, most important first
    (e.g. ``"relationship predicts sex with AUC 0.87: it can act as a proxy."``).

findings : ``Finding(code, severity, message, subject, evidence)``; codes are those of the registry
    (``DQ_MISSING``, ``DQ_MIXED_NULLS``, ``DQ_CONSTANT``, ``DQ_IDENTIFIER``, ``DQ_HIGH_CARDINALITY``,
    ``DQ_DOMINANT_CATEGORY``, ``DQ_LABEL_IMBALANCE``, ``DQ_ZEROS_INFINITE``, ``DQ_SKEW``, ``DQ_DUPLICATES``,
    ``DQ_CONFLICTING_LABELS``, ``DQ_STRING_MISMATCH``, ``DQ_MIXED_TYPES``, ``DQ_OUTLIERS``, ``DQ_CORRELATION``,
    ``DQ_LEAKAGE``, ``DQ_NULL_TOKENS`` (missing-value spellings such as 'None' or 'NA' kept as values, with
    their share), ``DQ_SENTINEL`` (a spike at -1, 99, 999, ... or at a far minimum/maximum),
    ``DQ_NUMERIC_CODES`` (few distinct whole numbers: codes, not quantities), ``DQ_ALLOWED_VALUES`` (values
    outside the config's codebook), ``DQ_POST_OUTCOME_NAME`` (info: a name suggesting post-outcome
    information); drift: ``DQ_REFERENCE_COLUMNS``, ``DQ_DRIFT``, ``DQ_PSI``, ``DQ_DATASET_DRIFT``,
    ``DQ_LABEL_DRIFT``, ``DQ_NEW_CATEGORIES``, ``DQ_TRAIN_TEST_OVERLAP``, ``DQ_GROUP_MIX_DRIFT``; groups:
    ``DQ_REPRESENTATION``, ``DQ_BASE_RATE``, ``DQ_PROXY``, ``DQ_MISSING_BY_GROUP``), plus ``DQ_NOT_APPLICABLE``
    (info: a check that could not apply, with the reason), ``DQ_CHECK_ERROR`` (warn: a check raised; the
    other checks still ran). Unknown check codes or
    options in the policy are refused at the entry (``build_context``), not reported here.
    Subjects: a column finding names the column; a group finding the group column (``"sex"``,
    ``"sex × race"``); ``DQ_PROXY`` ``"relationship → sex"``; ``DQ_MISSING_BY_GROUP`` ``"occupation by sex"``;
    ``DQ_CORRELATION`` ``"a ~ b"``; dataset-level findings (duplicates, dataset drift) an empty subject. The
    evidence of column-related findings carries ``column`` or ``feature`` where the subject is not a column.

metrics (JSON-safe):
    ``representation`` — READ BY THE FAIRNESS SECTION; for every column of ``ctx.group_columns``::

        {group_column: {"group": [str...], "count": [int...], "share": [float...],
                        "positives": [int...|None], "negatives": [int...|None],
                        "base_rate": [float|None...]}}

      groups ordered by count (largest first); for non-binary tasks positives/negatives/base_rate are lists of
      None. ``base_rate`` is None for an empty denominator.
    (``DQ_LEAKAGE`` warns when a feature's cross-validated AUC/R² reaches ``policy.leakage_warn_relative`` of
    the model's own score or ``leakage_warn_absolute``, fails at ``leakage_fail``; ``DQ_BASE_RATE`` is judged
    both ways against a configured reference group; ``DQ_REPRESENTATION`` with a reference dataset compares
    each group's share with its reference share both ways. Columns listed under the config's ``categorical``
    are profiled as categories.)
    ``base_rate_gap`` — ``{group_column: {"reference_group": str|None, "reference_how": str,
      "difference": [float|None...], "ratio": [float|None...]}}`` aligned with ``representation[...]["group"]``;
      difference = rate(g) - rate(ref), ratio = rate(g) / rate(ref); the reference group is the configured
      ``reference_group`` of the protected attribute, else the group with the highest base rate among groups of
      at least ``policy.min_group_size`` rows ("most favoured").
    ``proxies`` — ``{protected_column: [{"feature": str, "association": float|None,
      "measure": "cramers_v"|"correlation_ratio", "auc": float|None, "auc_method": str,
      "severity": "pass"|"warn"|"fail"}...]}`` sorted strongest first (by max(association, 2·AUC − 1)); one
      entry per model feature other than the attribute itself; ``association``/``auc`` None when undefined.
    ``missing_by_group`` — ``{protected_column: {"groups": [str...], "count": [int...],
      "any_missing": [float...] (share of rows with any missing value), "any_missing_ratio": float|None,
      "any_missing_p_value": float|None, "columns": {column: {"rates": [float...], "ratio": float|None,
      "p_value": float|None, "flagged": bool}}}}`` (columns with at least one missing value).
    ``columns`` — ``{column: {"kind": "numeric"|"categorical"|"boolean"|"datetime"|"empty", "dtype": str,
      "missing_share": float, "distinct": int, "score": int, "grade": str, "issues": [code...]}}``.
    ``checks`` — ``{code: {"enabled": bool, "applicable": bool, "reason": str, "findings": int,
      "values": {...}}}``: every registry entry with the numbers it computed (e.g. ``DQ_DUPLICATES`` values
      ``{"duplicate_rows": int, "share": float}``).
    ``drift`` (only with a reference) — ``{"columns": {column: {"type", "test", "statistic", "p_value",
      "psi", "drifted", "note"}}, "share_drifted": float|None, "n_drifted": int, "n_columns": int}``
      (label excluded; it is in ``checks["DQ_LABEL_DRIFT"]["values"]``).
    ``group_mix_drift`` (only with a reference) — ``{protected_column: {"group": [...],
      "reference_share": [...], "current_share": [...], "reference_count": [...], "current_count": [...],
      "psi": float, "p_value": float|None}}``.
    ``score`` — ``{"overall": int (0-100), "grade": "A".."F"}``.

tables (column-oriented :class:`audits.results.Table`):
    ``"findings"``: rank, code, severity, subject, message (ranked, most important first).
    ``"columns"``: column, dtype, missing_share, distinct, score (0-100), grade (A-F), issues (codes, ", ").
    ``"representation:<group_column>"``: group, count, share, positives, negatives, base_rate,
      base_rate_difference, base_rate_ratio, note.
    ``"proxies:<protected>"``: feature, measure, association, auc, severity.
    ``"missing_by_group:<protected>"``: column, one ``missing: <group>`` column per group, ratio, p_value,
      flagged (first row ``column == "(any column)"``: share of rows with any missing value).
    with a reference: ``"drift"``: column, type, test, statistic, p_value, psi, drifted, note;
      ``"group_mix_drift"``: protected, group, reference_count, reference_share, current_count,
      current_share, difference.

method : ``{"rows", "columns", "seed", "checks": {code: {"method": str, "options": {...}}}, "reference",
    "score", "timings_s": {code: seconds}, "duration_s"}``: the thresholds in force per check, sample sizes,
    seed and how every estimated number was obtained.

The audited columns are all columns of ``ctx.data`` except the prediction, score and sample-weight columns
(model outputs and weights are not data). ``representation`` and ``base_rate_gap`` are published even when
their checks are switched off, because the fairness section reads them.
"""

from __future__ import annotations

import time
import traceback
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from audits.data_quality.base import CheckEnv, CheckOutput, DatasetProfile, Options
from audits.data_quality.groups import base_rate_gap_of, representation_of
from audits.data_quality.registry import CHECKS, CODES, Check, check_by_code
from audits.data_quality.summary import (
    column_scores,
    columns_table,
    findings_table,
    rank_findings,
    summary_sentences,
)
from audits.method import METHOD_KEY, Method
from audits.results import Finding, SectionResult, Severity, Status

if TYPE_CHECKING:  # annotations only: the context imports this package to validate check options
    from audits.context import AuditContext

NAME = "data_quality"
TITLE = "Data quality"

__all__ = ["CHECKS", "CODES", "NAME", "TITLE", "Check", "check_by_code", "run_data_quality"]


def audited_columns(ctx: AuditContext) -> list[str]:
    """Columns of the audited frame that are data (model outputs and weights are not)."""
    cfg = ctx.config
    skip = {c for c in (cfg.prediction_column, cfg.score_column, cfg.sample_weight_column) if c is not None}
    return list(dict.fromkeys(str(c) for c in ctx.data.columns if c not in skip))


def _frame_with_str_columns(frame: Any) -> Any:
    if all(isinstance(c, str) for c in frame.columns):
        return frame
    return frame.rename(columns=str)


def run_data_quality(
    ctx: AuditContext, *, prior: Mapping[str, SectionResult], progress: Callable[[float, str], None]
) -> SectionResult:
    """Run every enabled data-quality check of the registry and assemble the section result.

    Parameters
    ----------
    ctx : the validated audit context (``ctx.data``, ``ctx.reference``, ``ctx.sensitive``).
    prior : results of the sections that ran before (not used).
    progress : called as ``progress(fraction, message)`` before each check.

    Returns
    -------
    SectionResult
        See the module docstring for the keys of its metrics and tables.
    """
    t_start = time.perf_counter()
    audited = audited_columns(ctx)
    categorical = tuple(ctx.config.categorical)
    data = DatasetProfile(
        _frame_with_str_columns(ctx.data), columns=audited, name=ctx.data_info.name, categorical=categorical
    )
    reference = None
    if ctx.reference is not None:
        ref_name = ctx.reference_info.name if ctx.reference_info is not None else "reference"
        reference = DatasetProfile(
            _frame_with_str_columns(ctx.reference), name=ref_name, categorical=categorical
        )
    cache: dict[str, Any] = {}
    findings: list[Finding] = []  # unknown check codes/options were refused by build_context
    tables: dict[str, Any] = {}
    metrics: dict[str, Any] = {}
    check_info: dict[str, Any] = {}
    method: dict[str, Any] = {"rows": ctx.n_rows, "columns": len(audited), "seed": ctx.seed, "checks": {}}
    timings: dict[str, float] = {}

    for i, check in enumerate(CHECKS):
        progress(i / len(CHECKS), f"{check.title}")
        opts = Options(check.code, ctx.policy, check.defaults)
        if not ctx.policy.check_enabled(check.code):
            check_info[check.code] = {
                "enabled": False,
                "applicable": False,
                "reason": "switched off in the policy",
                "findings": 0,
                "values": {},
            }
            continue
        env = CheckEnv(ctx=ctx, data=data, reference=reference, audited=audited, opts=opts, cache=cache)
        t0 = time.perf_counter()
        try:
            res = check.fn(env)
        except Exception as exc:  # one broken check must not hide the others
            detail = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            res = CheckOutput(applicable=False, reason=f"the check raised {detail}")
            res.add(
                "DQ_CHECK_ERROR",
                "warn",
                f"The check {check.code} ({check.title}) could not run: {detail}.",
                subject=check.code,
            )
        timings[check.code] = round(time.perf_counter() - t0, 4)
        findings.extend(res.findings)
        tables.update(res.tables)
        metrics.update(res.metrics)
        check_info[check.code] = {
            "enabled": True,
            "applicable": res.applicable,
            "reason": res.reason,
            "findings": len(res.findings),
            "values": res.values,
        }
        method["checks"][check.code] = {"method": res.method, "options": opts.resolved()}
        if not res.applicable and check.scope != "reference":
            findings.append(
                Finding(
                    code="DQ_NOT_APPLICABLE",
                    severity=Severity.INFO,
                    subject=check.code,
                    message=f"{check.title} ({check.code}): not applicable: {res.reason}.",
                )
            )

    # The fairness section reads these even when their checks are switched off.
    env = CheckEnv(
        ctx=ctx,
        data=data,
        reference=reference,
        audited=audited,
        opts=Options("DQ_REPRESENTATION", ctx.policy, {}),
        cache=cache,
    )
    metrics.setdefault("representation", representation_of(env))
    if "base_rate_gap" not in metrics:
        gaps = (
            base_rate_gap_of(env)
            if ctx.task == "binary"
            else {
                gc: {
                    "reference_group": None,
                    "reference_how": f"base rates apply to binary tasks; this task is {ctx.task}",
                    "difference": [None] * len(e["group"]),
                    "ratio": [None] * len(e["group"]),
                }
                for gc, e in metrics["representation"].items()
            }
        )
        metrics["base_rate_gap"] = gaps
    if reference is None:
        method["reference"] = "no reference dataset: drift checks not applicable"
    else:
        method["reference"] = {"name": reference.name, "rows": reference.n}

    progress(0.97, "Ranking findings")
    ranked = rank_findings(findings)
    per_column, score = column_scores(data, audited, findings)
    tables["findings"] = findings_table(ranked)
    tables["columns"] = columns_table(per_column)
    metrics["columns"] = per_column
    metrics["checks"] = check_info
    metrics["score"] = {"overall": score["overall"], "grade": score["grade"]}
    method["score"] = score["method"]
    method["timings_s"] = timings
    method["duration_s"] = round(time.perf_counter() - t_start, 4)

    if any(f.severity == Severity.FAIL for f in findings):
        status = Status.FAIL
    elif any(f.severity == Severity.WARN for f in findings):
        status = Status.WARN
    else:
        status = Status.PASS
    summary = summary_sentences(ranked, n_rows=ctx.n_rows, n_columns=len(audited), score=score)
    progress(1.0, "done")
    metrics[METHOD_KEY] = Method(
        interval="none (counts and shares; proxy AUCs are cross-validated point estimates)",
        confidence_level=None,
        resamples=0,
        seed=ctx.seed,
        rows=ctx.n_rows,
    ).to_dict()
    return SectionResult(
        name=NAME,
        title=TITLE,
        status=status,
        summary=tuple(summary),
        findings=tuple(ranked),
        tables=tables,
        metrics=metrics,
        method=method,
    )
