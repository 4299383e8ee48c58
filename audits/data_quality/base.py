"""Shared machinery of the data-quality checks: column profiles, check options, outputs and statistics.

A :class:`DatasetProfile` factorises every column once (integer codes, distinct values, counts) so that the
checks work on small integer arrays with ``np.bincount`` instead of re-scanning strings: this keeps the
section linear in the number of rows and its memory a fraction of the frame's.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from audits.config import Policy
from audits.results import Finding, Severity, Table

KINDS = ("numeric", "categorical", "boolean", "datetime", "empty")


# ------------------------------------------------------------------------------------------------------------
# Column profiles
# ------------------------------------------------------------------------------------------------------------
def column_kind(s: pd.Series) -> str:
    """``numeric``, ``categorical``, ``boolean``, ``datetime`` or ``empty`` (all values missing)."""
    if len(s) == 0 or s.isna().all():
        return "empty"
    if pd.api.types.is_bool_dtype(s):
        return "boolean"
    if pd.api.types.is_datetime64_any_dtype(s) or pd.api.types.is_timedelta64_dtype(s):
        return "datetime"
    if isinstance(s.dtype, pd.CategoricalDtype):
        return "categorical"
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_complex_dtype(s):
        return "numeric"
    return "categorical"


def factorize(s: pd.Series) -> tuple[np.ndarray, pd.Index]:
    """Integer codes (-1 for missing) and distinct values; unhashable cells are compared by their repr."""
    try:
        codes, uniques = pd.factorize(s, use_na_sentinel=True)
    except TypeError:
        # lists, dicts or sets in an object column
        rep = s.map(lambda v: v if pd.api.types.is_scalar(v) and pd.isna(v) else repr(v))
        codes, uniques = pd.factorize(rep, use_na_sentinel=True)
    codes = np.asarray(codes)
    if len(uniques) < 2**31 - 1:
        codes = codes.astype(np.int32, copy=False)
    return codes, pd.Index(uniques)


def numeric_values(s: pd.Series, kind: str) -> np.ndarray | None:
    """Float view of a numeric or datetime column (NaN for missing), else None."""
    if kind == "numeric":
        return s.to_numpy(dtype=float, na_value=np.nan)
    if kind == "datetime":
        mask = s.isna().to_numpy()
        try:
            vals = s.to_numpy(dtype="datetime64[ns]").astype("int64").astype(float)
        except (TypeError, ValueError):
            vals = s.to_numpy().astype("timedelta64[ns]").astype("int64").astype(float)
        vals[mask] = np.nan
        return vals
    return None


@dataclass
class ColumnProfile:
    """One column, factorised once.

    ``codes`` index ``uniques`` (-1 = missing); ``counts[i]`` is the number of rows with ``uniques[i]``;
    ``values`` is the float view of numeric and datetime columns (NaN = missing), else None.
    """

    name: str
    kind: str
    dtype: str
    n: int
    codes: np.ndarray
    uniques: pd.Index
    counts: np.ndarray
    values: np.ndarray | None

    @property
    def n_missing(self) -> int:
        return int(self.n - self.counts.sum())

    @property
    def missing_share(self) -> float | None:
        return self.n_missing / self.n if self.n else None

    @property
    def distinct(self) -> int:
        return len(self.uniques)

    @property
    def missing_mask(self) -> np.ndarray:
        return self.codes < 0

    def finite_values(self) -> np.ndarray:
        """Non-missing, finite numeric values (empty for non-numeric columns)."""
        if self.values is None:
            return np.empty(0)
        v = self.values
        return v[np.isfinite(v)]


def profile_column(name: str, s: pd.Series, *, as_category: bool = False) -> ColumnProfile:
    """Factorise one column; a column pandas cannot hash or convert is profiled as text.

    ``as_category`` (the config's ``categorical`` columns) profiles numeric codes as categories: every
    check then treats each code as a label, not a quantity (the dtype is still reported as written).
    """
    try:
        kind = column_kind(s)
        if as_category and kind not in ("empty", "boolean"):
            kind = "categorical"
        codes, uniques = factorize(s)
        values = numeric_values(s, kind)
    except (TypeError, ValueError, OverflowError):
        kind = "categorical"
        text = s.map(lambda v: v if pd.api.types.is_scalar(v) and pd.isna(v) else str(v))
        codes, uniques = factorize(text)
        values = None
    counts = np.bincount(codes[codes >= 0], minlength=len(uniques)) if len(uniques) else np.zeros(0, int)
    return ColumnProfile(
        name=name,
        kind=kind,
        dtype=str(s.dtype),
        n=len(s),
        codes=codes,
        uniques=uniques,
        counts=counts,
        values=values,
    )


class DatasetProfile:
    """A frame and its lazily computed column profiles (each column is factorised at most once)."""

    def __init__(
        self,
        frame: pd.DataFrame,
        *,
        columns: Sequence[str] | None = None,
        name: str = "data",
        categorical: Sequence[str] = (),
    ):
        self.frame = frame
        self.name = name
        self.columns = list(dict.fromkeys(str(c) for c in (frame.columns if columns is None else columns)))
        self.categorical = frozenset(str(c) for c in categorical)
        self._profiles: dict[str, ColumnProfile] = {}

    @property
    def n(self) -> int:
        return len(self.frame)

    def __getitem__(self, column: str) -> ColumnProfile:
        prof = self._profiles.get(column)
        if prof is None:
            s = self.frame[column]
            if isinstance(s, pd.DataFrame):  # duplicate column names in an in-memory frame: the first one
                s = s.iloc[:, 0]
            prof = profile_column(column, s, as_category=column in self.categorical)
            self._profiles[column] = prof
        return prof

    def kind(self, column: str) -> str:
        return self[column].kind


# ------------------------------------------------------------------------------------------------------------
# Options, outputs, environment
# ------------------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Options:
    """The options of one check: the policy's value (``policy.checks[code][key]``) else the check's default."""

    code: str
    policy: Policy
    defaults: Mapping[str, Any]

    def __call__(self, key: str) -> Any:
        return self.policy.check_option(self.code, key, self.defaults[key])

    def resolved(self) -> dict[str, Any]:
        return {k: self(k) for k in self.defaults}


@dataclass
class CheckOutput:
    """What one check returns: findings, its numbers, and optionally tables and top-level metrics.

    ``applicable`` is False (with ``reason``) when the check does not apply to these data (no reference, a
    regression task, no numeric column, ...).
    """

    findings: list[Finding] = field(default_factory=list)
    values: dict[str, Any] = field(default_factory=dict)
    tables: dict[str, Table] = field(default_factory=dict)
    metrics: dict[str, Any] = field(default_factory=dict)
    method: str = ""
    applicable: bool = True
    reason: str = ""

    @classmethod
    def not_applicable(cls, reason: str) -> CheckOutput:
        return cls(applicable=False, reason=reason)

    def add(
        self, code: str, severity: Severity | str, message: str, *, subject: str = "", **evidence: Any
    ) -> None:
        self.findings.append(
            Finding(
                code=code, severity=Severity(severity), message=message, subject=subject, evidence=evidence
            )
        )


@dataclass
class CheckEnv:
    """What a check sees: the context, the profiled current (and reference) data, its options, a shared cache."""

    ctx: Any  # AuditContext; typed loosely to keep this module free of an import cycle
    data: DatasetProfile
    reference: DatasetProfile | None
    audited: list[str]
    opts: Options
    cache: dict[str, Any]

    @property
    def code(self) -> str:
        return self.opts.code

    def cached(self, key: str, compute: Callable[[], Any]) -> Any:
        """Results shared between checks (drift statistics feed dataset drift, ...), computed once."""
        if key not in self.cache:
            self.cache[key] = compute()
        return self.cache[key]


# ------------------------------------------------------------------------------------------------------------
# Statistics
# ------------------------------------------------------------------------------------------------------------
def fmt_pct(x: float | None, digits: int = 1) -> str:
    return "n/a" if x is None else f"{100 * x:.{digits}f}%"


def severity_by(value: float | None, *, warn: float | None, fail: float | None, above: bool = True) -> str:
    """``fail`` / ``warn`` / ``pass`` for ``value`` against thresholds (``above``: larger is worse)."""
    if value is None or not np.isfinite(value):
        return "pass"

    def hit(t: float | None) -> bool:
        return t is not None and (value > t if above else value < t)

    if hit(fail):
        return "fail"
    if hit(warn):
        return "warn"
    return "pass"


def contingency(
    a: np.ndarray, ka: int, b: np.ndarray, kb: int, *, missing_as_category: bool = False
) -> np.ndarray:
    """Counts of (a, b) code pairs; missing codes (-1) are dropped, or counted as one more category."""
    if missing_as_category:
        return np.bincount(
            (a.astype(np.int64) + 1) * (kb + 1) + (b + 1), minlength=(ka + 1) * (kb + 1)
        ).reshape(ka + 1, kb + 1)
    ok = (a >= 0) & (b >= 0)
    key = a[ok].astype(np.int64) * kb + b[ok]
    return np.bincount(key, minlength=ka * kb).reshape(ka, kb)


def cramers_v(table: np.ndarray) -> float | None:
    """Bias-corrected Cramér's V (Bergsma 2013) of a contingency table; None when undefined."""
    table = np.asarray(table, dtype=float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    n = table.sum()
    r, k = table.shape
    if n < 2 or r < 2 or k < 2:
        return None
    expected = np.outer(table.sum(axis=1), table.sum(axis=0)) / n
    chi2 = float(((table - expected) ** 2 / expected).sum())
    phi2 = chi2 / n
    phi2c = max(0.0, phi2 - (k - 1) * (r - 1) / (n - 1))
    rc = r - (r - 1) ** 2 / (n - 1)
    kc = k - (k - 1) ** 2 / (n - 1)
    den = min(kc - 1, rc - 1)
    if den <= 0:
        return None
    return float(min(1.0, np.sqrt(phi2c / den)))


def correlation_ratio(codes: np.ndarray, k: int, values: np.ndarray) -> float | None:
    """Correlation ratio eta of numbers ``values`` across categories ``codes`` (rows with both present)."""
    ok = (codes >= 0) & np.isfinite(values)
    c, v = codes[ok], values[ok]
    if len(v) < 2:
        return None
    n_g = np.bincount(c, minlength=k).astype(float)
    s_g = np.bincount(c, weights=v, minlength=k)
    mean = v.mean()
    total = float(((v - mean) ** 2).sum())
    if total <= 0 or (n_g > 0).sum() < 2:
        return None
    means = np.divide(s_g, n_g, out=np.zeros_like(s_g), where=n_g > 0)
    between = float((n_g * (means - mean) ** 2).sum())
    return float(np.sqrt(min(1.0, between / total)))


def stratified_sample(strata: np.ndarray, size: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices of a sample of at most ``size`` rows, each stratum kept in proportion (at least 1 row)."""
    n = len(strata)
    if n <= size:
        return np.arange(n)
    _, inv, counts = np.unique(strata, return_inverse=True, return_counts=True)
    exact = counts * size / n
    take = np.floor(exact).astype(int)
    # largest remainders get the rows lost to rounding, so the sample has exactly ``size`` rows
    short = size - int(take.sum())
    if short > 0:
        take[np.argsort(-(exact - take), kind="stable")[:short]] += 1
    take = np.maximum(1, take)
    order = np.argsort(inv, kind="stable")
    starts = np.concatenate([[0], np.cumsum(counts)[:-1]])
    out = []
    for j, (st, c) in enumerate(zip(starts, counts, strict=True)):
        block = order[st : st + c]
        out.append(rng.choice(block, size=min(int(take[j]), int(c)), replace=False))
    return np.sort(np.concatenate(out))


def stratified_folds(y: np.ndarray, n_folds: int, rng: np.random.Generator) -> np.ndarray:
    """Fold number per row, each class spread evenly over the folds."""
    m = len(y)
    perm = rng.permutation(m)
    order = perm[np.argsort(y[perm], kind="stable")]
    folds = np.empty(m, dtype=np.int64)
    folds[order] = np.arange(m) % n_folds
    return folds


HIST_TREE_BINS = 16


def leaf_codes(
    codes: np.ndarray, values: np.ndarray | None, *, bins: int = HIST_TREE_BINS
) -> tuple[np.ndarray, int]:
    """Leaves of a one-feature histogram tree: one per category, or ``bins`` quantile bins for numbers.

    Missing values get their own leaf. Returns (leaf per row, number of leaves).
    """
    if values is not None:
        finite = np.isfinite(values)
        if finite.any():
            qs = np.unique(np.quantile(values[finite], np.linspace(0, 1, bins + 1)[1:-1]))
            leaf = np.searchsorted(qs, np.where(finite, values, 0.0), side="right")
            leaf = np.where(np.isnan(values), len(qs) + 1, leaf)
            leaf = np.where(np.isposinf(values), len(qs), leaf)
            leaf = np.where(np.isneginf(values), 0, leaf)
            return leaf.astype(np.int64), len(qs) + 2
        return np.zeros(len(values), dtype=np.int64), 1
    leaf, uniq = pd.factorize(codes)
    return np.asarray(leaf, dtype=np.int64), max(len(uniq), 1)


def oof_class_probs(
    leaf: np.ndarray,
    n_leaves: int,
    y: np.ndarray,
    n_classes: int,
    folds: np.ndarray,
    n_folds: int,
    *,
    alpha: float = 1.0,
) -> np.ndarray:
    """Out-of-fold class probabilities of a leaf lookup fitted on the other folds (smoothed to the prior)."""
    key = (folds * n_leaves + leaf) * n_classes + y
    counts = np.bincount(key, minlength=n_folds * n_leaves * n_classes).reshape(n_folds, n_leaves, n_classes)
    train = counts.sum(axis=0, keepdims=True) - counts
    prior = train.sum(axis=1, keepdims=True).astype(float)
    prior /= np.maximum(prior.sum(axis=2, keepdims=True), 1)
    probs = (train + alpha * prior) / (train.sum(axis=2, keepdims=True) + alpha)
    return probs[folds, leaf]


def oof_means(
    leaf: np.ndarray, n_leaves: int, y: np.ndarray, folds: np.ndarray, n_folds: int, *, alpha: float = 1.0
) -> np.ndarray:
    """Out-of-fold leaf means of a numeric target (regression tree on one feature), smoothed to the mean."""
    key = folds * n_leaves + leaf
    cnt = np.bincount(key, minlength=n_folds * n_leaves).reshape(n_folds, n_leaves).astype(float)
    tot = np.bincount(key, weights=y, minlength=n_folds * n_leaves).reshape(n_folds, n_leaves)
    tcnt = cnt.sum(axis=0, keepdims=True) - cnt
    ttot = tot.sum(axis=0, keepdims=True) - tot
    prior = ttot.sum(axis=1, keepdims=True) / np.maximum(tcnt.sum(axis=1, keepdims=True), 1)
    means = (ttot + alpha * prior) / (tcnt + alpha)
    return means[folds, leaf]


def rank_auc_fast(pos: np.ndarray, score: np.ndarray) -> float | None:
    """ROC AUC by the rank-sum formula with tied scores averaged; None when one class is absent."""
    pos = np.asarray(pos, dtype=bool)
    n1 = int(pos.sum())
    n0 = len(pos) - n1
    if n1 == 0 or n0 == 0:
        return None
    from scipy.stats import rankdata

    ranks = rankdata(score)
    return float((ranks[pos].sum() - n1 * (n1 + 1) / 2) / (n1 * n0))


def weighted_ovr_auc(y: np.ndarray, probs: np.ndarray) -> float | None:
    """ROC AUC of class probabilities: plain for two classes, prevalence-weighted one-vs-rest for more."""
    k = probs.shape[1]
    present = np.bincount(y, minlength=k)
    if (present > 0).sum() < 2:
        return None
    if k == 2:
        return rank_auc_fast(y == 1, probs[:, 1])
    total, wsum = 0.0, 0
    for c in range(k):
        if 0 < present[c] < len(y):
            a = rank_auc_fast(y == c, probs[:, c])
            if a is not None:
                total += present[c] * a
                wsum += present[c]
    return total / wsum if wsum else None


def psi(ref_counts: np.ndarray, cur_counts: np.ndarray, *, floor: float = 1e-4) -> float | None:
    """Population stability index of two count vectors over the same bins (shares floored at ``floor``)."""
    rs, cs = ref_counts.sum(), cur_counts.sum()
    if rs == 0 or cs == 0:
        return None
    p = np.maximum(ref_counts / rs, floor)
    q = np.maximum(cur_counts / cs, floor)
    return float(np.sum((p - q) * np.log(p / q)))


def js_distance(ref_counts: np.ndarray, cur_counts: np.ndarray) -> float | None:
    """Jensen–Shannon distance (natural log, as evidently) of two count vectors over the same bins."""
    rs, cs = ref_counts.sum(), cur_counts.sum()
    if rs == 0 or cs == 0:
        return None
    from scipy.spatial.distance import jensenshannon

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        d = float(jensenshannon(ref_counts / rs, cur_counts / cs))
    return d if np.isfinite(d) else 0.0


def chi2_pvalue(table: np.ndarray) -> float | None:
    """p-value of the chi-square test of independence of a contingency table; None when undefined."""
    table = np.asarray(table, dtype=float)
    table = table[table.sum(axis=1) > 0][:, table.sum(axis=0) > 0]
    if table.shape[0] < 2 or table.shape[1] < 2:
        return None
    from scipy.stats import chi2_contingency

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = chi2_contingency(table, correction=False)
    p = float(res.pvalue)
    return p if np.isfinite(p) else None


def row_ids(code_arrays: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Exact integer id per row of the tuple of codes (equal tuples get equal ids), without hashing."""
    if not code_arrays:
        return np.zeros(n, dtype=np.int64)
    ids = np.zeros(n, dtype=np.int64)
    for codes in code_arrays:
        c = codes.astype(np.int64) + 1  # missing (-1) becomes its own value 0
        width = int(c.max()) + 1 if len(c) else 1
        # ids stay below n after each factorize, so ids * width never overflows int64
        ids = np.asarray(pd.factorize(ids * width + c)[0], dtype=np.int64)
    return ids


_HASH_SEED = np.uint64(0xCBF29CE484222325)
_HASH_MULT = np.uint64(0x9E3779B97F4A7C15)


def row_hash(code_arrays: Sequence[np.ndarray], n: int) -> np.ndarray:
    """A 64-bit hash per row of the tuple of codes (vectorised multiply–xor mixing; wraps modulo 2**64)."""
    h = np.full(n, _HASH_SEED, dtype=np.uint64)
    shift = np.uint64(29)
    for codes in code_arrays:
        h ^= (codes.astype(np.int64) + 1).astype(np.uint64)
        h *= _HASH_MULT
        h ^= h >> shift
    return h


def exact_row_ids(code_arrays: Sequence[np.ndarray], n: int) -> np.ndarray:
    """Dense integer id per row; equal tuples of codes get equal ids, different tuples different ids.

    Rows are hashed first; only rows whose hash is shared with another row are compared exactly (so a hash
    collision can never merge two different rows), which keeps the cost linear when duplicates are rare.
    """
    if not code_arrays or n == 0:
        return np.zeros(n, dtype=np.int64)
    h = row_hash(code_arrays, n)
    shared = pd.Series(h).duplicated(keep=False).to_numpy()
    ids = np.asarray(pd.factorize(h)[0], dtype=np.int64)
    if shared.any():
        idx = np.flatnonzero(shared)
        exact = row_ids([c[idx] for c in code_arrays], len(idx))
        ids[idx] = ids.max() + 1 + exact
        ids = np.asarray(pd.factorize(ids)[0], dtype=np.int64)
    return ids
