"""Checks between a reference dataset (train, or last month) and the audited one (CHECKS.md, two datasets).

Test per column type and size follows evidently's defaults: numeric columns with more than 5 distinct values
use the Kolmogorov–Smirnov test when the reference has at most 1,000 rows, else the Wasserstein distance
normalised by the reference standard deviation; other columns use the chi-square test (small) or the
Jensen–Shannon distance (large). Missing values are left out of the tests and counted separately.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from audits.data_quality.base import (
    CheckEnv,
    CheckOutput,
    ColumnProfile,
    chi2_pvalue,
    exact_row_ids,
    fmt_pct,
    js_distance,
    numeric_values,
    psi,
    row_hash,
    severity_by,
)
from audits.group_labels import MISSING_GROUP, group_labels, group_str
from audits.results import Table

NO_REFERENCE = "no reference dataset was given (pass reference=... or --reference to compare two datasets)"
NUMERIC_KINDS = ("numeric", "datetime")
PSI_BINS = 10


def _need_reference(env: CheckEnv) -> CheckOutput | None:
    return CheckOutput.not_applicable(NO_REFERENCE) if env.reference is None else None


def column_sets(env: CheckEnv) -> dict[str, list[str]]:
    """Audited columns shared with the reference, missing from it, and extra in it."""
    ref_cols = list(env.reference.frame.columns) if env.reference is not None else []
    ref_set = set(map(str, ref_cols))
    return {
        "common": [c for c in env.audited if c in ref_set],
        "missing_in_reference": [c for c in env.audited if c not in ref_set],
        "extra_in_reference": [str(c) for c in ref_cols if str(c) not in set(env.audited)],
    }


def _as_numeric(cur: ColumnProfile, ref: ColumnProfile) -> bool:
    return cur.kind in NUMERIC_KINDS and ref.kind in NUMERIC_KINDS


def aligned_counts(
    cur: ColumnProfile, ref: ColumnProfile
) -> tuple[list[Any], np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Categories of both columns with their counts, and the maps from each column's codes to them.

    Values of columns whose kinds differ are compared as text.
    """
    cu, ru = cur.uniques, ref.uniques
    if cur.kind != ref.kind:
        cu, ru = pd.Index(cu.astype(str)), pd.Index(ru.astype(str))
    both = pd.Index(cu).append(pd.Index(ru)) if len(cu) + len(ru) else pd.Index([])
    try:
        union_codes, union = pd.factorize(both.to_numpy(dtype=object) if both.dtype == object else both)
    except TypeError:
        union_codes, union = pd.factorize(both.astype(str))
    union_codes = np.asarray(union_codes, dtype=np.int64)
    cmap, rmap = union_codes[: len(cu)], union_codes[len(cu) :]
    k = len(union)
    c_counts = np.bincount(cmap, weights=cur.counts, minlength=k) if len(cmap) else np.zeros(k)
    r_counts = np.bincount(rmap, weights=ref.counts, minlength=k) if len(rmap) else np.zeros(k)
    return list(union), c_counts, r_counts, cmap, rmap


def finite_value_counts(prof: ColumnProfile) -> tuple[np.ndarray, np.ndarray]:
    """Sorted finite distinct values of a numeric (or datetime) column with their row counts."""
    vals = numeric_values(pd.Series(prof.uniques), prof.kind)
    if vals is None or len(vals) == 0:
        return np.empty(0), np.empty(0)
    ok = np.isfinite(vals)
    vals, counts = vals[ok], prof.counts[ok].astype(float)
    order = np.argsort(vals, kind="stable")
    return vals[order], counts[order]


def wasserstein_from_counts(rv: np.ndarray, rc: np.ndarray, cv: np.ndarray, cc: np.ndarray) -> float:
    """Wasserstein-1 distance of two weighted samples: the area between their CDFs (as scipy, in O(K log K))."""
    vals = np.concatenate([rv, cv])
    wr = np.concatenate([rc / rc.sum(), np.zeros(len(cv))])
    wc = np.concatenate([np.zeros(len(rv)), cc / cc.sum()])
    order = np.argsort(vals, kind="stable")
    v = vals[order]
    gap = np.abs(np.cumsum(wr[order]) - np.cumsum(wc[order]))[:-1]
    return float(np.sum(gap * np.diff(v)))


def weighted_std(v: np.ndarray, w: np.ndarray) -> float:
    mean = np.average(v, weights=w)
    return float(np.sqrt(np.average((v - mean) ** 2, weights=w)))


def numeric_psi(rv: np.ndarray, rc: np.ndarray, cv: np.ndarray, cc: np.ndarray) -> float | None:
    """PSI over the reference deciles (inverted-CDF quantiles; ties merge bins)."""
    cdf = np.cumsum(rc) / rc.sum()
    qs = np.linspace(0, 1, PSI_BINS + 1)[1:-1]
    edges = np.unique(rv[np.minimum(np.searchsorted(cdf, qs, side="left"), len(rv) - 1)])
    k = len(edges) + 1
    r_bins = np.bincount(np.searchsorted(edges, rv, side="right"), weights=rc, minlength=k)
    c_bins = np.bincount(np.searchsorted(edges, cv, side="right"), weights=cc, minlength=k)
    return psi(r_bins, c_bins)


def column_drift(
    cur: ColumnProfile, ref: ColumnProfile, *, small_n: int, p_threshold: float, distance_threshold: float
) -> dict[str, Any]:
    """Drift test, statistic, p-value and PSI of one column (missing values left out)."""
    numeric = _as_numeric(cur, ref)
    if numeric:
        cv, cc = finite_value_counts(cur)
        rv, rc = finite_value_counts(ref)
        numeric = len(np.union1d(cv, rv)) > 5
    row: dict[str, Any] = {
        "type": "numeric" if numeric else "categorical",
        "test": None,
        "statistic": None,
        "p_value": None,
        "psi": None,
        "drifted": None,
        "note": "",
    }
    if cur.kind != ref.kind and not _as_numeric(cur, ref):
        row["note"] = f"kinds differ ({ref.kind} in reference, {cur.kind} here); compared as text"
    if numeric:
        if cc.sum() == 0 or rc.sum() == 0:
            row["note"] = "no finite value in one of the datasets"
            return row
        if ref.n <= small_n:
            from scipy.stats import ks_2samp

            res = ks_2samp(ref.finite_values(), cur.finite_values())
            row.update(test="ks", statistic=float(res.statistic), p_value=float(res.pvalue))
            row["drifted"] = bool(res.pvalue < p_threshold)
        else:
            w = wasserstein_from_counts(rv, rc, cv, cc)
            sd = weighted_std(rv, rc)
            stat = w / sd if sd > 0 else (0.0 if w == 0 else float("inf"))
            row.update(test="wasserstein_normed", statistic=stat)
            row["drifted"] = bool(stat >= distance_threshold)
        row["psi"] = numeric_psi(rv, rc, cv, cc)
        return row
    _, cc, rc, _, _ = aligned_counts(cur, ref)
    if cc.sum() == 0 or rc.sum() == 0:
        row["note"] = (row["note"] + "; " if row["note"] else "") + "no value in one of the datasets"
        return row
    if ref.n <= small_n:
        p = chi2_pvalue(np.stack([rc, cc]))
        row.update(test="chi_square", p_value=p)
        if p is not None:
            from scipy.stats import chi2_contingency

            tab = np.stack([rc, cc])
            tab = tab[:, tab.sum(axis=0) > 0]
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                row["statistic"] = float(chi2_contingency(tab, correction=False).statistic)
            row["drifted"] = bool(p < p_threshold)
        else:
            row["drifted"] = False
            row["note"] = (row["note"] + "; " if row["note"] else "") + "a single category in both datasets"
    else:
        d = js_distance(rc, cc)
        row.update(
            test="jensen_shannon", statistic=d, drifted=bool(d is not None and d >= distance_threshold)
        )
    row["psi"] = psi(rc, cc)
    return row


def drift_stats(env: CheckEnv) -> dict[str, Any]:
    """Per-column drift of the shared columns (label excluded), computed once for several checks."""

    def compute() -> dict[str, Any]:
        o = env.ctx.policy
        opts = {
            "small_n": int(o.check_option("DQ_DRIFT", "small_n", 1000)),
            "p_threshold": float(o.check_option("DQ_DRIFT", "p_value", 0.05)),
            "distance_threshold": float(o.check_option("DQ_DRIFT", "distance", 0.1)),
        }
        cols = [c for c in column_sets(env)["common"] if c != env.ctx.target]
        out = {}
        for c in cols:
            cur, ref = env.data[c], env.reference[c]
            if cur.kind == "empty" or ref.kind == "empty":
                out[c] = {
                    "type": cur.kind,
                    "test": None,
                    "statistic": None,
                    "p_value": None,
                    "psi": None,
                    "drifted": None,
                    "note": "all values missing in one of the datasets",
                }
                continue
            out[c] = column_drift(cur, ref, **opts)
        return {"columns": out, "options": opts}

    return env.cached("drift_stats", compute)


def check_reference_columns(env: CheckEnv) -> CheckOutput:
    """Columns that differ between the reference and the audited data."""
    if (na := _need_reference(env)) is not None:
        return na
    sets = column_sets(env)
    out = CheckOutput(method="column names and kinds of the reference vs the audited data", values=dict(sets))
    if sets["missing_in_reference"]:
        out.add(
            "DQ_REFERENCE_COLUMNS",
            "warn",
            f"The reference dataset lacks {len(sets['missing_in_reference'])} column(s) of the audited data: "
            f"{', '.join(sets['missing_in_reference'][:20])}; their drift cannot be measured.",
            subject="reference",
            missing=sets["missing_in_reference"],
        )
    if sets["extra_in_reference"]:
        out.add(
            "DQ_REFERENCE_COLUMNS",
            "info",
            f"The reference dataset has {len(sets['extra_in_reference'])} column(s) that the audited data lacks: "
            f"{', '.join(sets['extra_in_reference'][:20])}.",
            subject="reference",
            extra=sets["extra_in_reference"],
        )
    kinds = {}
    for c in sets["common"]:
        kc, kr = env.data[c].kind, env.reference[c].kind
        if kc != kr and "empty" not in (kc, kr) and {kc, kr} != {"numeric", "datetime"}:
            kinds[c] = {"reference": kr, "current": kc}
            out.add(
                "DQ_REFERENCE_COLUMNS",
                "warn",
                f"{c} is {kr} in the reference but {kc} in the audited data; it is compared as text.",
                subject=c,
                reference_kind=kr,
                current_kind=kc,
            )
    out.values["kind_mismatch"] = kinds
    if not sets["common"]:
        out.add(
            "DQ_REFERENCE_COLUMNS",
            "fail",
            "The reference dataset shares no column with the audited data.",
            subject="reference",
        )
    return out


def check_drift(env: CheckEnv) -> CheckOutput:
    """Per-feature drift with the test suited to the column's type and size."""
    if (na := _need_reference(env)) is not None:
        return na
    stats = drift_stats(env)
    if not stats["columns"]:
        return CheckOutput.not_applicable("no column is shared with the reference")
    o = stats["options"]
    sev = str(env.opts("severity"))
    out = CheckOutput(
        method=(
            f"numeric (> 5 distinct values): KS test p < {o['p_threshold']:g} when the reference has <= {o['small_n']:,} "
            f"rows, else Wasserstein distance / reference std >= {o['distance_threshold']:g}; categorical: chi-square "
            f"p < {o['p_threshold']:g} (small) or Jensen–Shannon distance >= {o['distance_threshold']:g}; PSI over "
            f"{PSI_BINS} reference quantile bins or the categories; missing values left out; reference "
            f"{env.reference.n:,} rows, current {env.data.n:,} rows"
        ),
    )
    cols = stats["columns"]
    n_drift = sum(1 for r in cols.values() if r["drifted"])
    tested = sum(1 for r in cols.values() if r["drifted"] is not None)
    out.metrics = {
        "drift": {
            "columns": cols,
            "n_drifted": n_drift,
            "n_columns": tested,
            "share_drifted": n_drift / tested if tested else None,
        }
    }
    out.tables["drift"] = Table(
        title="Drift: reference vs audited data",
        data={
            "column": list(cols),
            **{
                k: [r[k] for r in cols.values()]
                for k in ("type", "test", "statistic", "p_value", "psi", "drifted", "note")
            },
        },
        note=out.method,
    )
    for c, r in cols.items():
        if r["drifted"]:
            stat = (
                f"p = {r['p_value']:.2g}"
                if r["p_value"] is not None
                else f"{r['test'].replace('_', ' ')} {r['statistic']:.3f}"
            )
            out.add(
                "DQ_DRIFT",
                sev,
                f"{c} has drifted between the reference and the audited data ({stat}); the model sees a different "
                "population than it was built on.",
                subject=c,
                **{k: r[k] for k in ("type", "test", "statistic", "p_value", "psi")},
            )
    return out


def check_psi(env: CheckEnv) -> CheckOutput:
    """Population stability index per column."""
    if (na := _need_reference(env)) is not None:
        return na
    warn, fail = float(env.opts("warn")), float(env.opts("fail"))
    cols = drift_stats(env)["columns"]
    out = CheckOutput(
        method=f"PSI = sum((p_ref - p_cur) ln(p_ref / p_cur)), shares floored at 1e-4; < {warn:g} stable, "
        f"{warn:g}–{fail:g} warn, > {fail:g} fail",
        values={"psi": {c: r["psi"] for c, r in cols.items()}},
    )
    for c, r in cols.items():
        sev = severity_by(r["psi"], warn=warn, fail=fail)
        if sev != "pass":
            out.add(
                "DQ_PSI",
                sev,
                f"{c}: population stability index {r['psi']:.3f} ({'major' if sev == 'fail' else 'moderate'} shift).",
                subject=c,
                psi=r["psi"],
            )
    return out


def check_dataset_drift(env: CheckEnv) -> CheckOutput:
    """Share of drifted columns."""
    if (na := _need_reference(env)) is not None:
        return na
    limit = float(env.opts("share"))
    cols = drift_stats(env)["columns"]
    tested = [c for c, r in cols.items() if r["drifted"] is not None]
    if not tested:
        return CheckOutput.not_applicable("no column could be tested for drift")
    drifted = [c for c in tested if cols[c]["drifted"]]
    share = len(drifted) / len(tested)
    out = CheckOutput(
        method=f"share of drifted columns among the {len(tested)} tested (see DQ_DRIFT); >= {limit:g} is dataset drift",
        values={"share": share, "drifted": drifted, "tested": len(tested)},
    )
    if share >= limit:
        out.add(
            "DQ_DATASET_DRIFT",
            "fail",
            f"The dataset has drifted: {len(drifted)} of {len(tested)} columns ({fmt_pct(share, 0)}) changed "
            "distribution; results on the reference do not carry over.",
            share=share,
            drifted=drifted,
        )
    return out


def check_label_drift(env: CheckEnv) -> CheckOutput:
    """Drift of the label between reference and audited data."""
    if (na := _need_reference(env)) is not None:
        return na
    target = env.ctx.target
    if target not in env.reference.frame.columns:
        return CheckOutput.not_applicable(f"the reference dataset has no label column {target!r}")
    o = drift_stats(env)["options"]
    cur, ref = env.data[target], env.reference[target]
    if ref.kind == "empty":
        return CheckOutput.not_applicable(f"the label {target!r} is empty in the reference")
    if env.ctx.task != "regression":
        # a class label is categorical even when coded as numbers
        cur = ColumnProfile(**{**cur.__dict__, "kind": "categorical", "values": None})
        ref = ColumnProfile(**{**ref.__dict__, "kind": "categorical", "values": None})
    r = column_drift(cur, ref, **o)
    out = CheckOutput(method="as DQ_DRIFT, on the label (a class label is categorical)", values=r)
    if r["drifted"]:
        stat = "" if r["p_value"] is None else f" p = {r['p_value']:.2g}"
        if r["statistic"] is not None:
            stat += f", statistic {r['statistic']:.3f}"
        out.add(
            "DQ_LABEL_DRIFT",
            "fail",
            f"The label {target} has drifted ({r['test'].replace('_', ' ')}{stat}); base rates and error rates "
            "measured on the reference no longer hold.",
            subject=target,
            **r,
        )
    return out


def check_new_categories(env: CheckEnv) -> CheckOutput:
    """Share of current rows with a category never seen in the reference."""
    if (na := _need_reference(env)) is not None:
        return na
    max_distinct = float(env.opts("max_distinct_share"))
    out = CheckOutput(
        method="share of non-missing current rows whose category does not occur in the reference (categorical "
        f"columns whose distinct values are at most {max_distinct:.0%} of the reference rows)"
    )
    found = {}
    for c in column_sets(env)["common"]:
        cur, ref = env.data[c], env.reference[c]
        if _as_numeric(cur, ref) or "empty" in (cur.kind, ref.kind):
            continue
        if ref.distinct > max_distinct * max(ref.n, 1):
            continue
        union, cc, rc, _, _ = aligned_counts(cur, ref)
        new = (rc == 0) & (cc > 0)
        if not new.any():
            continue
        share = float(cc[new].sum() / cc.sum())
        values = [str(union[i]) for i in np.flatnonzero(new)[:10]]
        found[c] = {"share": share, "new": values}
        out.add(
            "DQ_NEW_CATEGORIES",
            "warn",
            f"{c}: {fmt_pct(share, 2)} of rows have a category unseen in the reference ({', '.join(map(repr, values[:5]))}); "
            "the model has never learned from them.",
            subject=c,
            share=share,
            new=values,
        )
    out.values = {"columns": found}
    return out


def check_train_test_overlap(env: CheckEnv) -> CheckOutput:
    """Share of current rows that also appear (identically) in the reference."""
    if (na := _need_reference(env)) is not None:
        return na
    fail = float(env.opts("fail"))
    common = column_sets(env)["common"]
    if not common:
        return CheckOutput.not_applicable("no column is shared with the reference")
    n, m = env.data.n, env.reference.n
    cur_codes, ref_codes = [], []
    for c in common:
        cur, ref = env.data[c], env.reference[c]
        _, _, _, cmap, rmap = aligned_counts(cur, ref)
        # one gather per column: code -1 (missing) picks the appended -1
        cur_codes.append(np.append(cmap, -1)[cur.codes])
        ref_codes.append(np.append(rmap, -1)[ref.codes])
    # hash both sides; only rows whose hash occurs on the other side are compared exactly
    h_cur, h_ref = row_hash(cur_codes, n), row_hash(ref_codes, m)
    cand_cur = np.flatnonzero(pd.Series(h_cur).isin(pd.Series(h_ref)).to_numpy())
    in_ref = np.zeros(n, dtype=bool)
    if len(cand_cur):
        cand_ref = np.flatnonzero(pd.Series(h_ref).isin(pd.Series(h_cur[cand_cur])).to_numpy())
        k = len(cand_cur)
        ids = exact_row_ids(
            [np.concatenate([a[cand_cur], b[cand_ref]]) for a, b in zip(cur_codes, ref_codes, strict=True)],
            k + len(cand_ref),
        )
        in_ref[cand_cur] = np.isin(ids[:k], ids[k:])
    del cur_codes, ref_codes
    rows = int(in_ref.sum())
    share = rows / n if n else None
    out = CheckOutput(
        method=f"current rows equal in all {len(common)} shared columns to some reference row",
        values={"overlapping_rows": rows, "share": share, "columns": len(common)},
    )
    if share is not None and share > fail:
        out.add(
            "DQ_TRAIN_TEST_OVERLAP",
            "fail",
            f"{rows:,} audited rows ({fmt_pct(share, 1)}) also appear in the reference; metrics on them are "
            "optimistic (the model may have seen them).",
            overlapping_rows=rows,
            share=share,
        )
    elif rows:
        out.add(
            "DQ_TRAIN_TEST_OVERLAP",
            "info",
            f"{rows:,} audited rows ({fmt_pct(share, 2)}) also appear in the reference.",
            overlapping_rows=rows,
            share=share,
        )
    return out


def reference_group_counts(env: CheckEnv, column: str) -> tuple[dict[str, int] | None, str]:
    """Rows per group of a protected column in the reference, grouped as in the audited data."""
    s = env.reference.frame[column]
    info = env.ctx.binning.get(column)
    counts: dict[str, int] = {}
    if info:
        if not pd.api.types.is_numeric_dtype(s) or pd.api.types.is_bool_dtype(s):
            return None, f"{column} is binned in the audited data but not numeric in the reference"
        counts = {str(k): int(v) for k, v in group_labels(s, info).value_counts().items()}
    else:
        prof = env.reference[column]  # distinct values once, not a Python call per row
        for u, v in zip(prof.uniques, prof.counts, strict=True):
            label = group_str(u)
            counts[label] = counts.get(label, 0) + int(v)
        if prof.n_missing:
            counts[MISSING_GROUP] = counts.get(MISSING_GROUP, 0) + prof.n_missing
    return {k: v for k, v in counts.items() if v > 0}, ""


def check_group_mix_drift(env: CheckEnv) -> CheckOutput:
    """Change of the protected-group mix between reference and audited data."""
    if (na := _need_reference(env)) is not None:
        return na
    warn, fail = float(env.opts("warn")), float(env.opts("fail"))
    ctx = env.ctx
    out = CheckOutput(
        method=f"group shares per protected attribute in both datasets; PSI (warn >= {warn:g}, fail > {fail:g}) "
        "and chi-square test; reference binned with the audited data's bins"
    )
    metrics: dict[str, Any] = {}
    table: dict[str, list] = {
        k: []
        for k in (
            "protected",
            "group",
            "reference_count",
            "reference_share",
            "current_count",
            "current_share",
            "difference",
        )
    }
    for pc in ctx.protected_columns:
        if pc not in env.reference.frame.columns:
            out.add(
                "DQ_NOT_APPLICABLE",
                "info",
                f"Group mix drift of {pc}: the reference has no column {pc!r}.",
                subject=pc,
            )
            continue
        ref_counts, why = reference_group_counts(env, pc)
        if ref_counts is None:
            out.add("DQ_NOT_APPLICABLE", "info", f"Group mix drift of {pc}: {why}.", subject=pc)
            continue
        cur_counts = {str(k): int(v) for k, v in ctx.sensitive[pc].value_counts().items() if v > 0}
        groups = sorted(set(cur_counts) | set(ref_counts))
        cc = np.array([cur_counts.get(g, 0) for g in groups], dtype=float)
        rc = np.array([ref_counts.get(g, 0) for g in groups], dtype=float)
        p_value = chi2_pvalue(np.stack([rc, cc]))
        value = psi(rc, cc)
        cs, rs = cc / max(cc.sum(), 1), rc / max(rc.sum(), 1)
        metrics[pc] = {
            "group": groups,
            "reference_share": rs.tolist(),
            "current_share": cs.tolist(),
            "reference_count": rc.astype(int).tolist(),
            "current_count": cc.astype(int).tolist(),
            "psi": value,
            "p_value": p_value,
        }
        for i, g in enumerate(groups):
            table["protected"].append(pc)
            table["group"].append(g)
            table["reference_count"].append(int(rc[i]))
            table["reference_share"].append(float(rs[i]))
            table["current_count"].append(int(cc[i]))
            table["current_share"].append(float(cs[i]))
            table["difference"].append(float(cs[i] - rs[i]))
        new = [g for g, r, c in zip(groups, rc, cc, strict=True) if r == 0 and c > 0]
        gone = [g for g, r, c in zip(groups, rc, cc, strict=True) if c == 0 and r > 0]
        sev = severity_by(value, warn=warn, fail=fail)
        if sev == "pass" and (new or gone):
            sev = "warn"
        if sev != "pass":
            i = int(np.argmax(np.abs(cs - rs)))
            extra = (f"; new group(s): {', '.join(new)}" if new else "") + (
                f"; absent group(s): {', '.join(gone)}" if gone else ""
            )
            out.add(
                "DQ_GROUP_MIX_DRIFT",
                sev,
                f"The mix of {pc} groups has changed (PSI {value:.3f}): {groups[i]} went from {fmt_pct(rs[i])} to "
                f"{fmt_pct(cs[i])} of rows{extra}; fairness results on the reference do not carry over.",
                subject=pc,
                psi=value,
                p_value=p_value,
                new_groups=new,
                absent_groups=gone,
            )
    out.metrics = {"group_mix_drift": metrics}
    out.tables["group_mix_drift"] = Table(
        title="Protected-group mix: reference vs audited data", data=table, note=out.method
    )
    return out
