"""Compare two audits: which performance metrics and fairness disparities really changed, and which got worse.

For every item both audits report (a performance metric, or a fairness disparity keyed by attribute, metric,
kind and method) the comparison gives both values with their intervals and the change. A change is **real**
when it exceeds the change tolerance with confidence: the null hypothesis "the item moved by at most the
tolerance" is rejected by a one-sided z-test whose standard errors come from the two audits' intervals, with
Holm's step-down correction over all the items compared, so that hundreds of disparities do not flag noise.
Otherwise it is **noise**; an item without an interval on either side is **untested**.

Methods
-------
``independent`` (different datasets): the two estimates come from independent samples, so the standard error of
the change is ``sqrt(se_a² + se_b²)``.
``paired`` (same dataset, by SHA-256): both audits scored the same rows, so their sampling errors are positively
correlated and the true standard error of the change, ``sqrt(se_a² + se_b² - 2 ρ se_a se_b)``, is smaller than
the independent one. A result keeps intervals, not per-row predictions, so ρ cannot be measured; rather than
assume a value (which could flag noise), :data:`PAIRED_CORRELATION` is 0: the paired comparison uses the
independent standard error, which is conservative (it never flags more than a true paired test would).

"Worse" is direction-aware: a lower accuracy, a higher error rate, a difference farther from 0, a ratio farther
from 1. Everything that reads a result's sections is in :func:`read_items`, :func:`read_groups` and
:func:`read_findings`, so a change of the section formats is absorbed there.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from audits.errors import AuditInputError
from audits.fairness.view import GROUPS, FairnessResult
from audits.performance_view import PerformanceResult
from audits.results import AuditResult

DEFAULT_CHANGE_TOLERANCE = 0.02
DEFAULT_CONFIDENCE_LEVEL = 0.95
PAIRED_CORRELATION = 0.0  # conservative: see the module docstring

# Performance figures that describe the data or the model's rate of positives: a change is reported, but it is
# neither better nor worse.
NEUTRAL = frozenset({"base_rate", "selection_rate", "mean_prediction", "mean_target", "n", "rows"})
# Performance metrics where a lower value is better; every other metric is better when higher.
LOWER_IS_BETTER = frozenset(
    {
        "mae",
        "mse",
        "rmse",
        "log_loss",
        "brier",
        "brier_score",
        "fpr",
        "fnr",
        "fdr",
        "for_",
        "ece",
        "error_rate",
    }
)

METRIC = "metric"
DISPARITY = "disparity"

CHANGED = "changed"
NOISE = "noise"
UNTESTED = "untested"

DIFFERENT_TASKS = (
    "Cannot compare these audits: {what} differs (A: {a!r}, B: {b!r}). A comparison is only meaningful "
    "between audits of the same prediction task; compare audits of the same target, task and positive label."
)


# --- reading results ----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    """One comparable number of an audit: a performance metric or a fairness disparity."""

    kind: str  # METRIC or DISPARITY
    key: str  # stable across audits: the metric name, or "attribute:metric:kind:method"
    label: str  # readable name
    value: float | None
    lower: float | None
    upper: float | None
    direction: str  # "higher"/"lower" (better), "ratio" (best at 1), "difference" (best at 0) or "neutral"
    headline: bool = False


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return float(x) if math.isfinite(x) else None


def _metric_direction(name: str) -> str:
    if name in NEUTRAL:
        return "neutral"
    return "lower" if name in LOWER_IS_BETTER else "higher"


def section_dicts(result: AuditResult | Mapping[str, Any]) -> dict[str, Mapping[str, Any]]:
    """``{name: section}`` in the dict form of :meth:`SectionResult.to_dict` (status and findings only: the
    metrics and tables are read through the sections' views)."""
    if isinstance(result, AuditResult):
        return {
            s.name: {"status": s.status.value, "findings": [f.to_dict() for f in s.findings]}
            for s in result.sections
        }
    return {s["name"]: s for s in result.get("sections", ())}


def disparity_key(row: Mapping[str, Any]) -> str:
    parts = [row.get("attribute"), row.get("metric"), row.get("kind"), row.get("method")]
    if row.get("method") == "signed":  # one row per unprivileged group
        parts.append(row.get("group"))
    return ":".join(str(p) for p in parts if p not in (None, ""))


def _disparity_label(row: Mapping[str, Any]) -> str:
    method = {"between_groups": "between groups", "to_overall": "to overall"}.get(row.get("method"), "")
    group = f" ({row.get('group')} vs {row.get('reference')})" if row.get("method") == "signed" else ""
    text = f"{row.get('attribute')}: {row.get('metric')} {row.get('kind')}"
    return f"{text} {method}{group}".strip()


def read_items(
    result: AuditResult | Mapping[str, Any], *, headline_only: bool = False
) -> dict[tuple[str, str], Item]:
    """Every performance metric and fairness disparity of a result (object or dict), keyed by (kind, key);
    with ``headline_only`` only the headline disparities."""
    items: dict[tuple[str, str], Item] = {}
    for row in PerformanceResult.of(result, ran_only=False).overall_rows():
        name = str(row.get("metric", ""))
        if not name:
            continue
        items[(METRIC, name)] = Item(
            kind=METRIC,
            key=name,
            label=name,
            value=_num(row.get("value")),
            lower=_num(row.get("ci_low")),
            upper=_num(row.get("ci_high")),
            direction=_metric_direction(name),
            headline=True,
        )
    fair = FairnessResult.of(result, ran_only=False)
    headline = {disparity_key(r) for r in fair.headline()}
    for row in fair.disparities():
        key = disparity_key(row)
        if not key or (DISPARITY, key) in items or (headline_only and key not in headline):
            continue
        items[(DISPARITY, key)] = Item(
            kind=DISPARITY,
            key=key,
            label=_disparity_label(row),
            value=_num(row.get("value")),
            lower=_num(row.get("ci_low")),
            upper=_num(row.get("ci_high")),
            direction="ratio" if row.get("kind") == "ratio" else "difference",
            headline=key in headline,
        )
    return items


def read_groups(result: AuditResult | Mapping[str, Any]) -> set[tuple[str, str]]:
    """(group column, group) of every group the fairness section measured."""
    fair = FairnessResult.of(result, ran_only=False)
    if isinstance(fair.metric(GROUPS), Mapping):
        return {(col, str(g)) for col, by_group in fair.group_values().items() for g in by_group}
    return {(col, str(r.get("group"))) for col, table in fair.group_tables().items() for r in table.rows()}


def read_findings(result: AuditResult | Mapping[str, Any]) -> dict[tuple[str, str, str], Mapping[str, Any]]:
    """Findings keyed by (section, code, subject)."""
    return {
        (name, str(f.get("code")), str(f.get("subject", ""))): f
        for name, s in section_dicts(result).items()
        for f in s.get("findings", ())
    }


def read_identity(result: AuditResult | Mapping[str, Any]) -> dict[str, Any]:
    """What makes two audits comparable (target, task, positive label) and what tells them apart."""
    prov = result.provenance.to_dict() if isinstance(result, AuditResult) else result.get("provenance", {})
    config = prov.get("config") or {}
    context = (prov.get("platform") or {}).get("context") or {}
    task = PerformanceResult.of(result, ran_only=False).task() or context.get("task") or config.get("task")
    return {
        "target": config.get("target"),
        "task": None if task == "auto" else task,
        "positive_label": config.get("positive_label"),
        "dataset_sha256": (prov.get("data") or {}).get("sha256"),
        "dataset_name": (prov.get("data") or {}).get("name"),
        "model_sha256": (prov.get("model") or {}).get("sha256"),
        "model_name": config.get("model_name") or (prov.get("model") or {}).get("name"),
        "started_at": prov.get("started_at"),
        "policy": config.get("policy") or {},
    }


# --- comparing ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemChange:
    """One item in both audits, its change and the verdict on it."""

    kind: str
    key: str
    label: str
    a: float | None
    a_lower: float | None
    a_upper: float | None
    b: float | None
    b_lower: float | None
    b_upper: float | None
    change: float | None  # b - a
    worse_by: float | None  # > 0 when B is worse than A (direction-aware), < 0 when better
    p_value: float | None  # one-sided, of "moved by no more than the tolerance"; before Holm
    verdict: str  # CHANGED, NOISE or UNTESTED
    headline: bool = False
    note: str = ""

    @property
    def worse(self) -> bool:
        """A real change for the worse."""
        return self.verdict == CHANGED and (self.worse_by or 0) > 0

    @property
    def better(self) -> bool:
        return self.verdict == CHANGED and (self.worse_by or 0) < 0

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__} | {"worse": self.worse}


@dataclass(frozen=True)
class AuditRef:
    """Which audit a side of the comparison is."""

    label: str
    started_at: str | None
    model_name: str | None
    model_sha256: str | None
    dataset_name: str | None
    dataset_sha256: str | None
    status: str

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__}


@dataclass(frozen=True)
class Comparison:
    """Audit B compared to audit A (the baseline)."""

    a: AuditRef
    b: AuditRef
    method: str  # "paired" or "independent"
    method_note: str
    tolerance: float
    confidence_level: float
    items: tuple[ItemChange, ...]
    only_in_a: tuple[str, ...] = ()  # item labels that vanished
    only_in_b: tuple[str, ...] = ()  # item labels that are new
    new_groups: tuple[str, ...] = ()
    vanished_groups: tuple[str, ...] = ()
    new_findings: tuple[Mapping[str, Any], ...] = ()
    vanished_findings: tuple[Mapping[str, Any], ...] = ()
    target: str | None = None
    task: str | None = None

    @property
    def regressions(self) -> list[ItemChange]:
        """Items that got worse beyond the tolerance with confidence, the largest first."""
        return sorted((i for i in self.items if i.worse), key=lambda i: -(i.worse_by or 0))

    @property
    def improvements(self) -> list[ItemChange]:
        return sorted((i for i in self.items if i.better), key=lambda i: i.worse_by or 0)

    def ranked(self) -> list[ItemChange]:
        """Every item, real changes first (worse before better), then by the size of the change."""
        order = {True: 0, False: 1}
        return sorted(
            self.items,
            key=lambda i: (order[i.worse], order[i.better], -abs(i.worse_by or 0), i.kind, i.key),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": self.a.to_dict(),
            "b": self.b.to_dict(),
            "target": self.target,
            "task": self.task,
            "method": self.method,
            "method_note": self.method_note,
            "tolerance": self.tolerance,
            "confidence_level": self.confidence_level,
            "regressions": [i.key for i in self.regressions],
            "items": [i.to_dict() for i in self.ranked()],
            "only_in_a": list(self.only_in_a),
            "only_in_b": list(self.only_in_b),
            "new_groups": list(self.new_groups),
            "vanished_groups": list(self.vanished_groups),
            "new_findings": [dict(f) for f in self.new_findings],
            "vanished_findings": [dict(f) for f in self.vanished_findings],
        }


def holm(p_values: Sequence[float], alpha: float) -> list[bool]:
    """Holm's step-down procedure: which hypotheses are rejected at family-wise error ``alpha``.

    Written out because scipy has no Holm correction (only Benjamini–Hochberg) and statsmodels is not a
    dependency.
    """
    order = np.argsort(p_values, kind="stable")
    m = len(p_values)
    rejected = [False] * m
    for rank, idx in enumerate(order):
        if p_values[idx] > alpha / (m - rank):
            break
        rejected[idx] = True
    return rejected


def _policy_value(policy: Any, name: str, fallback: Mapping[str, Any], default: float) -> float:
    if policy is not None:
        value = policy.get(name) if isinstance(policy, Mapping) else getattr(policy, name, None)
        if value is not None:
            return float(value)
    value = fallback.get(name) if isinstance(fallback, Mapping) else None
    return float(value) if value is not None else default


def _badness(value: float, direction: str) -> tuple[float, float]:
    """A value on a "higher is worse" scale, and the derivative of that scale (to carry standard errors)."""
    if direction == "higher":
        return -value, 1.0
    if direction in ("lower", "neutral"):
        return value, 1.0
    if direction == "difference":
        return abs(value), 1.0
    # ratio: distance from 1, symmetric in r and 1/r
    if value <= 1:
        return 1.0 - value, 1.0
    return 1.0 - 1.0 / value, 1.0 / value**2


def _se(item: Item, z: float) -> float | None:
    if item.lower is None or item.upper is None:
        return None
    return max(item.upper - item.lower, 0.0) / (2 * z)


def _change(
    a: Item, b: Item, *, tol: float, z: float, rho: float
) -> tuple[float | None, float | None, float | None, str]:
    """(change, worse_by, p_value, note) of one item; p is None when it cannot be tested."""
    if a.value is None or b.value is None:
        return None, None, None, "undefined in " + ("both audits" if a.value is b.value else "one audit")
    bad_a, slope_a = _badness(a.value, a.direction)
    bad_b, slope_b = _badness(b.value, b.direction)
    worse_by = bad_b - bad_a
    se_a, se_b = _se(a, z), _se(b, z)
    if se_a is None or se_b is None:
        return b.value - a.value, worse_by, None, "no interval: the change cannot be told from noise"
    se_a, se_b = se_a * slope_a, se_b * slope_b
    se = math.sqrt(max(se_a**2 + se_b**2 - 2 * rho * se_a * se_b, 0.0))
    excess = abs(worse_by) - tol
    # se == 0 (identical bounds): the change is exact, so it is beyond the tolerance or it is not
    p = float(stats.norm.sf(excess / se)) if se > 0 else (0.0 if excess > 0 else 1.0)
    if a.direction == "neutral":
        return (
            b.value - a.value,
            None,
            p,
            "describes the data or the rate of positives: neither better nor worse",
        )
    return b.value - a.value, worse_by, p, ""


def _ref(label: str, ident: Mapping[str, Any], status: str) -> AuditRef:
    return AuditRef(
        label=label,
        started_at=ident["started_at"],
        model_name=ident["model_name"],
        model_sha256=ident["model_sha256"],
        dataset_name=ident["dataset_name"],
        dataset_sha256=ident["dataset_sha256"],
        status=status,
    )


def _check_comparable(ia: Mapping[str, Any], ib: Mapping[str, Any]) -> None:
    for what, key in (
        ("the target", "target"),
        ("the task", "task"),
        ("the positive label", "positive_label"),
    ):
        if ia[key] is not None and ib[key] is not None and str(ia[key]) != str(ib[key]):
            raise AuditInputError(DIFFERENT_TASKS.format(what=what, a=ia[key], b=ib[key]))


def _status(result: AuditResult | Mapping[str, Any]) -> str:
    return result.status.value if isinstance(result, AuditResult) else str(result.get("status", ""))


def _finding_list(keys: Iterable[tuple[str, str, str]], found: Mapping[tuple[str, str, str], Any]) -> tuple:
    return tuple(
        {"section": k[0], "code": k[1], "subject": k[2], "severity": found[k].get("severity"),
         "message": found[k].get("message", "")}
        for k in sorted(keys)
    )  # fmt: skip


def compare(
    a: AuditResult | Mapping[str, Any],
    b: AuditResult | Mapping[str, Any],
    policy: Any = None,
    *,
    labels: tuple[str, str] = ("A", "B"),
) -> Comparison:
    """Compare audit ``b`` with the baseline ``a``.

    Parameters
    ----------
    a, b : the two results (objects, or their dicts as stored).
    policy : a :class:`audits.config.Policy` or mapping; ``change_tolerance`` (default 0.02) and
        ``confidence_level`` (default 0.95) are read from it, else from B's config, else the defaults.
    labels : how the reports name A and B (run ids, say).

    Raises
    ------
    AuditInputError
        when the audits are of different targets, tasks or positive labels.
    """
    ia, ib = read_identity(a), read_identity(b)
    _check_comparable(ia, ib)
    tol = _policy_value(policy, "change_tolerance", ib["policy"], DEFAULT_CHANGE_TOLERANCE)
    level = _policy_value(policy, "confidence_level", ib["policy"], DEFAULT_CONFIDENCE_LEVEL)
    z = float(stats.norm.ppf(1 - (1 - level) / 2))
    paired = ia["dataset_sha256"] is not None and ia["dataset_sha256"] == ib["dataset_sha256"]
    rho = PAIRED_CORRELATION if paired else 0.0
    if paired:
        method_note = (
            f"paired: both audits used the same data (SHA-256 {str(ia['dataset_sha256'])[:12]}…), so their "
            "sampling errors are positively correlated; the correlation is not measured (a result keeps "
            "intervals, not per-row predictions), so the change's standard error is the independent one, "
            "which is conservative: it flags no more than a true paired test would."
        )
    else:
        method_note = (
            "independent: the audits used different data, so the change's standard error combines both "
            "audits' standard errors as independent samples."
        )
    method_note += (
        f" A change is real when it exceeds the tolerance {tol:g} at {level:.0%} confidence, one-sided z-test "
        "on standard errors read from the intervals, Holm-corrected over the items compared."
    )
    items_a, items_b = read_items(a), read_items(b)
    common = [k for k in items_b if k in items_a]
    raw = [_change(items_a[k], items_b[k], tol=tol, z=z, rho=rho) for k in common]
    tested = [i for i, r in enumerate(raw) if r[2] is not None]
    rejected = holm([raw[i][2] for i in tested], 1 - level) if tested else []
    real = {i for i, rej in zip(tested, rejected, strict=True) if rej}
    changes = []
    for i, key in enumerate(common):
        ia_, ib_ = items_a[key], items_b[key]
        change, worse_by, p, note = raw[i]
        verdict = UNTESTED if p is None else (CHANGED if i in real else NOISE)
        changes.append(
            ItemChange(
                kind=key[0],
                key=key[1],
                label=ib_.label,
                a=ia_.value,
                a_lower=ia_.lower,
                a_upper=ia_.upper,
                b=ib_.value,
                b_lower=ib_.lower,
                b_upper=ib_.upper,
                change=change,
                worse_by=worse_by,
                p_value=p,
                verdict=verdict,
                headline=ia_.headline or ib_.headline,
                note=note,
            )
        )
    groups_a, groups_b = read_groups(a), read_groups(b)
    findings_a, findings_b = read_findings(a), read_findings(b)
    return Comparison(
        a=_ref(labels[0], ia, _status(a)),
        b=_ref(labels[1], ib, _status(b)),
        method="paired" if paired else "independent",
        method_note=method_note,
        tolerance=tol,
        confidence_level=level,
        items=tuple(changes),
        only_in_a=tuple(items_a[k].label for k in items_a if k not in items_b),
        only_in_b=tuple(items_b[k].label for k in items_b if k not in items_a),
        new_groups=tuple(f"{c} = {g}" for c, g in sorted(groups_b - groups_a)),
        vanished_groups=tuple(f"{c} = {g}" for c, g in sorted(groups_a - groups_b)),
        new_findings=_finding_list(findings_b.keys() - findings_a.keys(), findings_b),
        vanished_findings=_finding_list(findings_a.keys() - findings_b.keys(), findings_a),
        target=ib["target"] or ia["target"],
        task=ib["task"] or ia["task"],
    )
