"""Compare two audits: which performance metrics and fairness disparities really changed, which got worse, and how
the audited data moved.

For every item both audits report (a performance metric, or a fairness disparity keyed by attribute, metric,
kind and method) the comparison gives both values with their intervals and the change. A change is **real**
when it exceeds the change tolerance with confidence: the null hypothesis "the item moved by at most the
tolerance" is rejected by a one-sided z-test whose standard errors come from the two audits' intervals, with
Holm's step-down correction over all the items compared, so that hundreds of disparities do not flag noise.
Otherwise it is **noise**; an item without an interval on either side is **untested**.

Methods (per item, :attr:`ItemChange.method`)
---------------------------------------------
``independent``: the standard error of the change is ``sqrt(se_a² + se_b²)``. Used for audits of different data,
and, when both audits used the same data, for items whose covariance is not measured; then it is conservative
(two estimates on the same rows are positively correlated, so the true standard error is smaller and the
independent test flags no more than a paired one would).
``paired``: both audits scored the same rows, checked by the dataset SHA-256, the row ledgers' label hash and
row count (:mod:`audits.row_ledger`). The covariance of the item's two estimates is measured from the ledgers by
the delta method: each estimate is a rate (or a combination of rates) whose influence values over the rows give
``Cov(p_A, p_B) = Σ ψ_A ψ_B / n²`` (for a rate over rows R, ``(share of R where both audits count the row −
p_A p_B) / |R|``; with weights on the Kish effective size). A difference of two group rates adds the groups'
influence values (the groups are disjoint, so cross terms vanish); a ratio uses the log delta method (``ψ_g / p_g
− ψ_r / p_r``); balanced accuracy and F1 are linearised the same way. The correlation ρ of the two estimates then
gives ``sqrt(se_a² + se_b² − 2 ρ se_a se_b)`` in the same z-test and Holm correction, with ρ signed to the "worse"
scale of the item. Metrics without a closed-form covariance here (ROC AUC, log loss, Brier score, calibration
error, macro averages, regression metrics) stay independent and say so; so does any item whose value the ledger
does not reproduce. Regression audits and audits on the Spark engine keep no ledger; results of schema 1.1 have
none (the comparison says why it is not paired).

"Worse" is direction-aware: a lower accuracy, a higher error rate, a difference farther from 0, a ratio farther
from 1. Everything that reads a result's sections is in :func:`read_items`, :func:`read_groups` and
:func:`read_findings`, so a change of the section formats is absorbed there.

Data drift
----------
Each result keeps a profile of its audited columns (:mod:`audits.data_profile`). When the audits used different
data, :attr:`Comparison.drift` gives per shared column the Jensen–Shannon distance (categorical) or the
Wasserstein distance over the reference's standard deviation (numeric, from value counts or from 100-quantile
sketches: the row says which) and the PSI, flagged against the policy's ``DQ_DRIFT`` distance and ``DQ_PSI``
thresholds, A being the reference. It is skipped, with the reason in :attr:`Comparison.drift_note`, when both
audits used the same data (same SHA-256) or a profile is missing (a result of schema 1.1, the Spark engine).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from audits import row_ledger as RL
from audits.data_profile import DriftRow, policy_thresholds, profile_drift
from audits.errors import AuditInputError
from audits.fairness.view import GROUPS, FairnessResult
from audits.performance_view import PerformanceResult
from audits.results import AuditResult

DEFAULT_CHANGE_TOLERANCE = 0.02
DEFAULT_CONFIDENCE_LEVEL = 0.95
PAIRED = "paired"
INDEPENDENT = "independent"

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
    # What the number is an estimate of, for the paired covariance: the metric, and for a disparity its group
    # column, the group and the reference group it compares.
    metric: str | None = None
    attribute: str | None = None
    group: str | None = None
    reference: str | None = None


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or not isinstance(x, int | float):
        return None
    return float(x) if math.isfinite(x) else None


def _str_or_none(x: Any) -> str | None:
    return None if x is None or x == "" else str(x)


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
            metric=name,
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
            metric=_str_or_none(row.get("metric")),
            attribute=_str_or_none(row.get("attribute")),
            group=_str_or_none(row.get("group")),
            reference=_str_or_none(row.get("reference")),
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
    method: str = INDEPENDENT  # PAIRED: the two estimates' correlation was measured from the row ledgers
    correlation: float | None = None  # ρ of the two estimates (on the item's own scale), when paired
    method_note: str = ""  # why an item of a paired comparison stays independent

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
    drift: tuple[DriftRow, ...] = ()  # per shared column, A the reference; empty when skipped
    drift_note: str = ""  # how the drift was measured, or why it was not
    drift_only_in_a: tuple[str, ...] = ()  # profiled columns only in A
    drift_only_in_b: tuple[str, ...] = ()
    drift_thresholds: Mapping[str, float] | None = None

    @property
    def drifted(self) -> list[DriftRow]:
        """Columns flagged by the policy's drift thresholds, the largest PSI first."""
        return sorted((r for r in self.drift if r.flagged), key=lambda r: -(r.psi or 0.0))

    @property
    def paired_items(self) -> int:
        return sum(1 for i in self.items if i.method == PAIRED)

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
            "drift": [r.to_dict() for r in self.drift],
            "drift_note": self.drift_note,
            "drift_only_in_a": list(self.drift_only_in_a),
            "drift_only_in_b": list(self.drift_only_in_b),
            "drift_thresholds": dict(self.drift_thresholds or {}),
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


# --- pairing: the covariance of two estimates on the same rows ------------------------------------------------

# A value recomputed from the ledger must match the audit's own to this (relative) precision, else the item is
# not what the ledger thinks it is; float32 weights round at about 1e-7.
_VALUE_MATCH = 1e-5


def _entry(result: AuditResult | Mapping[str, Any], name: str) -> Mapping[str, Any] | None:
    """A result's ``row_ledger`` or ``data_profile`` entry; a stored dict of an older schema has neither."""
    if isinstance(result, AuditResult):
        return getattr(result, name)
    if name in result:
        return result.get(name)
    version = result.get("schema_version")
    return {"status": "absent", "reason": f"it was written with result schema {version}, which kept none"}


def _favourable_is_positive(result: AuditResult | Mapping[str, Any]) -> bool | None:
    value = FairnessResult.of(result, ran_only=False).framing().get("favourable_is_positive")
    return value if isinstance(value, bool) else None


@dataclass
class _Side:
    """One audit's ledger, with its influence values computed once per (metric, group column, group)."""

    ledger: RL.RowLedger
    favourable_is_positive: bool | None
    cache: dict[tuple[str, str | None, str | None], tuple[float, np.ndarray] | None]

    def rate(
        self, metric: str, column: str | None = None, group: str | None = None
    ) -> tuple[float, np.ndarray] | None:
        """(value, influence values) of ``metric`` over all rows, or over the rows of one group."""
        key = (metric, column, group)
        if key not in self.cache:
            mask = None if column is None else self.ledger.group_mask(column, str(group))
            self.cache[key] = (
                None
                if column is not None and mask is None
                else RL.rate_influence(
                    self.ledger, metric, mask=mask, favourable_is_positive=self.favourable_is_positive
                )
            )
        return self.cache[key]


def _pairing(
    a: AuditResult | Mapping[str, Any], b: AuditResult | Mapping[str, Any], same_data: bool
) -> tuple[_Side | None, _Side | None, str]:
    """Both audits' ledgers when they describe the same rows, else why the comparison is not paired."""
    if not same_data:
        return None, None, "the audits used different data"
    ledgers = []
    for label, result in (("A", a), ("B", b)):
        led = RL.read_ledger(_entry(result, "row_ledger"))
        if isinstance(led, str):
            return None, None, f"audit {label}: {led}"
        ledgers.append(_Side(led, _favourable_is_positive(result), {}))
    differ = RL.same_rows(ledgers[0].ledger, ledgers[1].ledger)
    if differ:
        return None, None, f"the row ledgers are not of the same rows: {differ}"
    return ledgers[0], ledgers[1], ""


def _influence(side: _Side, item: Item) -> tuple[float, np.ndarray] | str:
    """(value, influence values) of an item on one audit's rows, or why there are none."""
    metric = item.metric or ""
    if item.kind == METRIC:
        got = side.rate(metric)
    else:
        if not (item.attribute and item.group and item.reference):
            return "a descriptive disparity without a group pair"
        g = side.rate(metric, item.attribute, item.group)
        r = side.rate(metric, item.attribute, item.reference)
        if g is None or r is None:
            got = None
        elif item.direction == "ratio":
            if g[0] <= 0 or r[0] <= 0:
                return "a ratio with a zero rate"
            # log delta method: d log(g / r) = dg / g − dr / r
            got = (g[0] / r[0], g[1] / g[0] - r[1] / r[0])
        else:
            got = (g[0] - r[0], g[1] - r[1])
    if got is None:
        return "no closed-form paired covariance here"
    if item.value is None or abs(got[0] - item.value) > _VALUE_MATCH * max(1.0, abs(item.value)):
        return "the row ledger does not reproduce the audit's value"
    return got


def _bad_sign(value: float, direction: str) -> float:
    """The sign of d(badness)/d(value) (see :func:`_badness`), to carry a correlation to the "worse" scale."""
    if direction == "higher":
        return -1.0
    if direction == "difference":
        return -1.0 if value < 0 else 1.0
    if direction == "ratio":
        return -1.0 if value <= 1 else 1.0
    return 1.0


def _item_correlation(sides: tuple[_Side, _Side], a: Item, b: Item) -> tuple[float | None, float | None, str]:
    """(ρ on the item's scale, ρ on the "worse" scale, '') of a paired item, or (None, None, why not)."""
    ia, ib = _influence(sides[0], a), _influence(sides[1], b)
    for found in (ia, ib):
        if isinstance(found, str):
            return None, None, found
    rho = RL.correlation(ia[1], ib[1])  # type: ignore[index]
    if rho is None:
        return None, None, "an estimate without sampling variance"
    return rho, rho * _bad_sign(a.value, a.direction) * _bad_sign(b.value, b.direction), ""  # type: ignore[arg-type]


# --- drift between the audited datasets -----------------------------------------------------------------------


def _drift(
    a: AuditResult | Mapping[str, Any], b: AuditResult | Mapping[str, Any], same_data: bool, policy: Any
) -> dict[str, Any]:
    """The drift fields of a :class:`Comparison`."""
    if same_data:
        return {"drift_note": "not measured: both audits used the same data (same SHA-256)"}
    profiles = []
    for label, result in (("A", a), ("B", b)):
        entry = _entry(result, "data_profile")
        if not isinstance(entry, Mapping) or entry.get("status") != "present":
            why = entry.get("reason") if isinstance(entry, Mapping) else None
            why = why or "it records no data profile (the Spark engine keeps none)"
            return {"drift_note": f"not measured: audit {label}: {why}"}
        profiles.append(entry)
    thresholds = policy_thresholds(policy)
    rows, only_a, only_b = profile_drift(profiles[0], profiles[1], thresholds)
    note = (
        f"A ({profiles[0].get('rows', 0):,} rows) is the reference, B ({profiles[1].get('rows', 0):,} rows) the "
        "current data. Categorical columns: Jensen–Shannon distance and PSI of the value counts; numeric columns: "
        "Wasserstein distance divided by A's standard deviation and PSI over A's deciles, exact from the value "
        "counts or from 100-quantile sketches (column 'source'). A column is flagged at a distance of "
        f"{thresholds['DQ_DRIFT.distance']:g} or more (the policy's DQ_DRIFT) or a PSI of "
        f"{thresholds['DQ_PSI.warn']:g} or more ({thresholds['DQ_PSI.fail']:g}: major; the policy's DQ_PSI)."
    )
    return {
        "drift": rows,
        "drift_note": note,
        "drift_only_in_a": only_a,
        "drift_only_in_b": only_b,
        "drift_thresholds": thresholds,
    }


def _method_note(
    ident: Mapping[str, Any], same_data: bool, unpaired: str, items: Sequence[ItemChange]
) -> str:
    sha = str(ident["dataset_sha256"])[:12]
    if same_data and not unpaired:
        n_paired = sum(1 for i in items if i.method == PAIRED)
        n_tested = sum(1 for i in items if i.p_value is not None)
        return (
            f"paired: both audits scored the same rows (dataset SHA-256 {sha}…, same label hash and row count), "
            f"so the covariance of the two estimates was measured from the row ledgers (delta method) for "
            f"{n_paired} of the {n_tested} tested items; the others (no closed-form covariance, e.g. ROC AUC) use "
            "the independent standard error, which is conservative."
        )
    if same_data:
        return (
            f"independent: both audits used the same data (SHA-256 {sha}…) but the comparison is not paired "
            f"({unpaired}), so the change's standard error is the independent one, which is conservative: it "
            "flags no more than a paired test would."
        )
    return (
        "independent: the audits used different data, so the change's standard error combines both "
        "audits' standard errors as independent samples."
    )


def _item_changes(
    items_a: Mapping[tuple[str, str], Any],
    items_b: Mapping[tuple[str, str], Any],
    common: list[tuple[str, str]],
    pairs: Mapping[tuple[str, str], tuple[float | None, float | None, str]],
    *,
    tol: float,
    z: float,
    level: float,
) -> list[ItemChange]:
    """Each common item's change, tested one-sided against the tolerance and Holm-corrected over all of them."""
    raw = [
        _change(items_a[k], items_b[k], tol=tol, z=z, rho=(pairs.get(k) or (None, None, ""))[1] or 0.0)
        for k in common
    ]
    tested = [i for i, r in enumerate(raw) if r[2] is not None]
    rejected = holm([raw[i][2] for i in tested], 1 - level) if tested else []
    real = {i for i, rej in zip(tested, rejected, strict=True) if rej}
    changes = []
    for i, key in enumerate(common):
        ia_, ib_ = items_a[key], items_b[key]
        change, worse_by, p, note = raw[i]
        verdict = UNTESTED if p is None else (CHANGED if i in real else NOISE)
        rho, _, why = pairs.get(key, (None, None, ""))
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
                method=PAIRED if rho is not None else INDEPENDENT,
                correlation=rho,
                method_note=why,
            )
        )
    return changes


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
    same_data = ia["dataset_sha256"] is not None and ia["dataset_sha256"] == ib["dataset_sha256"]
    side_a, side_b, unpaired = _pairing(a, b, same_data)
    items_a, items_b = read_items(a), read_items(b)
    common = [k for k in items_b if k in items_a]
    pairs: dict[tuple[str, str], tuple[float | None, float | None, str]] = {}
    for k in common:
        x, y = items_a[k], items_b[k]
        testable = None not in (x.value, y.value, x.lower, x.upper, y.lower, y.upper)
        if side_a is not None and side_b is not None and testable:
            pairs[k] = _item_correlation((side_a, side_b), x, y)
    changes = _item_changes(items_a, items_b, common, pairs, tol=tol, z=z, level=level)
    method_note = _method_note(ia, same_data, unpaired, changes)
    method_note += (
        f" A change is real when it exceeds the tolerance {tol:g} at {level:.0%} confidence, one-sided z-test "
        "on standard errors read from the intervals, Holm-corrected over the items compared."
    )
    groups_a, groups_b = read_groups(a), read_groups(b)
    findings_a, findings_b = read_findings(a), read_findings(b)
    return Comparison(
        a=_ref(labels[0], ia, _status(a)),
        b=_ref(labels[1], ib, _status(b)),
        method=PAIRED if side_a is not None else INDEPENDENT,
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
        **_drift(a, b, same_data, policy if policy is not None else ib["policy"]),
    )
