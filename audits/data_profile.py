"""A compact profile of the audited data, kept in the result, and the drift between two audits' profiles.

Two audits of different data (last month's rows, this month's) are compared with :func:`audits.compare.compare`;
this module tells how the data moved. Each result carries a profile of its audited columns (the columns the
data-quality section audits: every column but the prediction, score and weight columns), built once in the run
with the data-quality section's own column profiles (:func:`audits.data_quality.base.profile_column`):

* every column: kind, rows, missing values, distinct values;
* categorical and boolean columns: the :data:`TOP` most frequent values with their counts, and the count of all
  the others (``other``);
* numeric and datetime columns: :data:`QUANTILES` quantiles at the probabilities (i + ½) / 100 of the finite
  values (inverted CDF), their mean and standard deviation, and the exact value counts when the column has at
  most :data:`TOP` distinct values.

:func:`profile_drift` compares two profiles per shared column, with the data-quality section's statistics and
the thresholds of the policy's ``DQ_DRIFT`` (``distance``) and ``DQ_PSI`` (``warn``, ``fail``) checks:
categorical columns (and numeric ones with at most 5 distinct values), the Jensen–Shannon distance and the PSI
of the value counts (values outside the top :data:`TOP` of either side are pooled as "other"); numeric columns,
the Wasserstein distance normalised by the reference's standard deviation and the PSI over the reference's
deciles, exact from the value counts when both sides have them, else from the quantile sketches (each quantile
weighs 1/100; the row says "sketch").
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from audits.data_quality.base import DatasetProfile, js_distance, psi, severity_by
from audits.data_quality.drift import finite_value_counts, numeric_psi, wasserstein_from_counts

PROFILE_VERSION = 1
TOP = 100
QUANTILES = 100
MAX_COLUMNS = 1_000
NUMERIC = ("numeric", "datetime")
# The policy's drift checks whose thresholds a comparison reuses: (check code, option).
THRESHOLDS = (("DQ_DRIFT", "distance"), ("DQ_PSI", "warn"), ("DQ_PSI", "fail"))


def _numeric_profile(prof: Any) -> dict[str, Any]:
    vals, counts = finite_value_counts(prof)
    out: dict[str, Any] = {"finite": int(counts.sum())}
    if not len(vals):
        return out
    cdf = np.cumsum(counts) / counts.sum()
    probs = (np.arange(QUANTILES) + 0.5) / QUANTILES
    out["quantiles"] = vals[np.minimum(np.searchsorted(cdf, probs, side="left"), len(vals) - 1)].tolist()
    mean = float(np.average(vals, weights=counts))
    out["mean"] = mean
    out["std"] = float(np.sqrt(np.average((vals - mean) ** 2, weights=counts)))
    if len(vals) <= TOP:
        out["values"], out["counts"] = vals.tolist(), counts.astype(int).tolist()
    return out


def _categorical_profile(prof: Any) -> dict[str, Any]:
    names = [str(u) for u in prof.uniques]
    order = sorted(range(len(names)), key=lambda i: (-int(prof.counts[i]), names[i]))
    top = order[:TOP]
    return {
        "values": [names[i] for i in top],
        "counts": [int(prof.counts[i]) for i in top],
        "other": int(sum(int(prof.counts[i]) for i in order[TOP:])),
    }


def build_profile(
    frame: pd.DataFrame, *, columns: list[str] | None = None, categorical: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The JSON-safe profile of ``columns`` of ``frame`` (all columns when None), at most :data:`MAX_COLUMNS`."""
    if not all(isinstance(c, str) for c in frame.columns):
        frame = frame.rename(columns=str)
    data = DatasetProfile(frame, columns=columns, categorical=categorical)
    cols = data.columns[:MAX_COLUMNS]
    out: dict[str, Any] = {}
    for c in cols:
        prof = data[c]
        row: dict[str, Any] = {
            "kind": prof.kind,
            "missing": prof.n_missing,
            "distinct": prof.distinct,
        }
        if prof.kind in NUMERIC:
            row |= _numeric_profile(prof)
        elif prof.kind != "empty":
            row |= _categorical_profile(prof)
        out[c] = row
    note = (
        f"the first {MAX_COLUMNS:,} of {len(data.columns):,} columns"
        if len(data.columns) > MAX_COLUMNS
        else ""
    )
    return {
        "status": "present",
        "version": PROFILE_VERSION,
        "rows": data.n,
        "columns": out,
        "note": note,
    }


def profile_from_context(ctx: Any) -> dict[str, Any]:
    """The profile of an audit context's audited columns (those of the data-quality section)."""
    from audits.data_quality import audited_columns

    return build_profile(ctx.data, columns=audited_columns(ctx), categorical=tuple(ctx.config.categorical))


# --- drift between two profiles -----------------------------------------------------------------------------


@dataclass(frozen=True)
class DriftRow:
    """The drift of one column from audit A (the reference) to audit B."""

    column: str
    type: str  # "numeric" or "categorical"
    test: str | None  # "jensen_shannon" or "wasserstein_normed"; None when not computed
    statistic: float | None
    psi: float | None
    drifted: bool | None  # statistic at or above the policy's DQ_DRIFT distance
    psi_level: str  # "pass", "warn" or "fail" by the policy's DQ_PSI thresholds; "" when no PSI
    missing_a: float | None  # share of missing values
    missing_b: float | None
    source: str  # "exact" (value counts) or "sketch" (quantiles, or values pooled as "other")
    note: str = ""

    @property
    def flagged(self) -> bool:
        return bool(self.drifted) or self.psi_level in ("warn", "fail")

    def to_dict(self) -> dict[str, Any]:
        return {f: getattr(self, f) for f in self.__dataclass_fields__} | {"flagged": self.flagged}


def _counts_aligned(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[np.ndarray, np.ndarray, bool]:
    """Value counts of both sides over the union of their listed values, plus "other"; exact when neither
    side pooled any value."""
    names = list(dict.fromkeys([*map(str, a.get("values", [])), *map(str, b.get("values", []))]))
    index = {n: i for i, n in enumerate(names)}

    def vec(side: Mapping[str, Any]) -> np.ndarray:
        v = np.zeros(len(names) + 1)
        for name, count in zip(side.get("values", []), side.get("counts", []), strict=True):
            v[index[str(name)]] += count
        v[-1] = side.get("other", 0)
        return v

    ca, cb = vec(a), vec(b)
    return ca, cb, not (ca[-1] or cb[-1])


def _numeric_drift(a: Mapping[str, Any], b: Mapping[str, Any]) -> tuple[float | None, float | None, str]:
    if "counts" in a and "counts" in b:
        rv, rc = np.asarray(a["values"], dtype=float), np.asarray(a["counts"], dtype=float)
        cv, cc = np.asarray(b["values"], dtype=float), np.asarray(b["counts"], dtype=float)
        source = "exact"
    else:
        rv, cv = np.asarray(a["quantiles"], dtype=float), np.asarray(b["quantiles"], dtype=float)
        rc, cc = np.ones(len(rv)), np.ones(len(cv))
        source = "sketch"
    w = wasserstein_from_counts(rv, rc, cv, cc)
    sd = float(a.get("std") or 0.0)
    stat = w / sd if sd > 0 else (0.0 if w == 0 else None)
    return stat, numeric_psi(rv, rc, cv, cc), source


def _share(missing: Any, rows: Any) -> float | None:
    return float(missing) / float(rows) if rows else None


def _column_drift(
    col: str, a: Mapping[str, Any], b: Mapping[str, Any], rows: tuple[int, int], th: Mapping[str, float]
) -> DriftRow:
    miss = (_share(a.get("missing"), rows[0]), _share(b.get("missing"), rows[1]))
    numeric = a.get("kind") in NUMERIC and b.get("kind") in NUMERIC
    if numeric and "quantiles" in a and "quantiles" in b:
        union = set(a.get("values", [])) | set(b.get("values", []))
        numeric = not ("counts" in a and "counts" in b and len(union) <= 5)
    if numeric:
        if "quantiles" not in a or "quantiles" not in b:
            return DriftRow(col, "numeric", None, None, None, None, "", *miss, "exact",
                            "no finite value in one of the audits")  # fmt: skip
        stat, p, source = _numeric_drift(a, b)
        test = "wasserstein_normed"
    else:
        ca, cb, exact = _counts_aligned(a, b)
        if ca.sum() == 0 or cb.sum() == 0:
            return DriftRow(col, "categorical", None, None, None, None, "", *miss, "exact",
                            "no value in one of the audits")  # fmt: skip
        stat, p, source, test = (
            js_distance(ca, cb),
            psi(ca, cb),
            "exact" if exact else "sketch",
            "jensen_shannon",
        )
    note = ""
    if a.get("kind") != b.get("kind"):
        note = f"kinds differ ({a.get('kind')} in A, {b.get('kind')} in B)"
    return DriftRow(
        column=col,
        type="numeric" if numeric else "categorical",
        test=test,
        statistic=stat,
        psi=p,
        drifted=None if stat is None else bool(stat >= th["DQ_DRIFT.distance"]),
        psi_level="" if p is None else severity_by(p, warn=th["DQ_PSI.warn"], fail=th["DQ_PSI.fail"]),
        missing_a=miss[0],
        missing_b=miss[1],
        source=source,
        note=note,
    )


def profile_drift(
    a: Mapping[str, Any], b: Mapping[str, Any], thresholds: Mapping[str, float]
) -> tuple[tuple[DriftRow, ...], tuple[str, ...], tuple[str, ...]]:
    """(drift rows of the shared columns, columns only in A, columns only in B) of two present profiles.

    ``thresholds`` maps ``"DQ_DRIFT.distance"``, ``"DQ_PSI.warn"`` and ``"DQ_PSI.fail"`` to their values.
    """
    ca, cb = dict(a.get("columns") or {}), dict(b.get("columns") or {})
    rows = (int(a.get("rows") or 0), int(b.get("rows") or 0))
    drift = []
    for col in (c for c in ca if c in cb):
        if ca[col].get("kind") == "empty" or cb[col].get("kind") == "empty":
            drift.append(
                DriftRow(
                    col,
                    str(cb[col].get("kind")),
                    None,
                    None,
                    None,
                    None,
                    "",
                    _share(ca[col].get("missing"), rows[0]),
                    _share(cb[col].get("missing"), rows[1]),
                    "exact",
                    "all values missing in one of the audits",
                )  # fmt: skip
            )
            continue
        drift.append(_column_drift(col, ca[col], cb[col], rows, thresholds))
    return (
        tuple(drift),
        tuple(c for c in ca if c not in cb),
        tuple(c for c in cb if c not in ca),
    )


def policy_thresholds(policy: Any) -> dict[str, float]:
    """The drift thresholds of a policy (a :class:`audits.config.Policy`, its dict, or None): the options of its
    ``DQ_DRIFT`` and ``DQ_PSI`` checks, else the registry's defaults."""
    from audits.data_quality.registry import check_by_code

    checks: Mapping[str, Any] = {}
    if isinstance(policy, Mapping):
        checks = policy.get("checks") or {}
    elif policy is not None:
        checks = getattr(policy, "checks", None) or {}
    out = {}
    for code, option in THRESHOLDS:
        value = (checks.get(code) or {}).get(option, check_by_code(code).defaults[option])
        out[f"{code}.{option}"] = float(value)
    return out
