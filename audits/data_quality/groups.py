"""Checks that concern protected groups (CHECKS.md, "Data checks that concern protected groups").

Their numbers are published in the section's metrics (``representation``, ``base_rate_gap``, ``proxies``,
``missing_by_group``) so that the fairness section and the model card read them instead of recomputing.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from audits.data_quality.base import (
    CheckEnv,
    CheckOutput,
    chi2_pvalue,
    contingency,
    correlation_ratio,
    cramers_v,
    fmt_pct,
    stratified_folds,
    stratified_sample,
)
from audits.data_quality.checks import single_feature_power, tree_method
from audits.results import Table


def _group_codes(env: CheckEnv, column: str) -> tuple[np.ndarray, list[str]]:
    s = env.ctx.sensitive[column]
    return np.asarray(s.cat.codes, dtype=np.int64), [str(c) for c in s.cat.categories]


def representation_of(env: CheckEnv) -> dict[str, dict[str, Any]]:
    """Count, share, positives, negatives and base rate per group of every group column (cached)."""

    def compute() -> dict[str, dict[str, Any]]:
        ctx = env.ctx
        binary = ctx.task == "binary"
        y = np.asarray(ctx.y_true, dtype=float) if binary else None
        n = ctx.n_rows
        rep = {}
        for gc in ctx.group_columns:
            codes, cats = _group_codes(env, gc)
            counts = np.bincount(codes, minlength=len(cats))
            order = [
                i for i in sorted(range(len(cats)), key=lambda i: (-counts[i], cats[i])) if counts[i] > 0
            ]
            entry: dict[str, Any] = {
                "group": [cats[i] for i in order],
                "count": [int(counts[i]) for i in order],
                "share": [counts[i] / n for i in order],
            }
            if binary:
                pos = np.bincount(codes, weights=y, minlength=len(cats)).round().astype(int)
                entry["positives"] = [int(pos[i]) for i in order]
                entry["negatives"] = [int(counts[i] - pos[i]) for i in order]
                entry["base_rate"] = [pos[i] / counts[i] if counts[i] else None for i in order]
            else:
                entry["positives"] = [None] * len(order)
                entry["negatives"] = [None] * len(order)
                entry["base_rate"] = [None] * len(order)
            rep[gc] = entry
        return rep

    return env.cached("representation", compute)


def check_representation(env: CheckEnv) -> CheckOutput:
    """Count and share per group and intersection; small groups and groups with few events."""
    ctx = env.ctx
    min_size = int(env.opts("min_group_size") or ctx.policy.min_group_size)
    min_events = int(env.opts("min_group_events") or ctx.policy.min_group_events)
    rep = representation_of(env)
    out = CheckOutput(
        method=(
            f"rows per group of each protected attribute and intersection; groups under {min_size} rows, or with "
            f"fewer than {min_events} positives or negatives, are marked insufficient for error-rate metrics; with "
            f"a reference, each group's share against its reference share, judged both ways (ratio < "
            f"{ctx.policy.ratio_tolerance:g} or > {1 / ctx.policy.ratio_tolerance:.3g}, groups of at least "
            f"{min_size} rows in either)"
        ),
        metrics={"representation": rep},
    )
    small_all: dict[str, list[str]] = {}
    for gc, e in rep.items():
        groups = e["group"]
        if len(groups) < 2:
            out.add(
                "DQ_REPRESENTATION",
                "info",
                f"{gc} has a single group ({groups[0]!r}); differences between groups are not defined.",
                subject=gc,
                groups=groups,
            )
        small = [(g, c) for g, c in zip(groups, e["count"], strict=True) if c < min_size]
        few = [
            (g, p, q)
            for g, c, p, q in zip(groups, e["count"], e["positives"], e["negatives"], strict=True)
            if p is not None and c >= min_size and min(p, q) < min_events
        ]
        small_all[gc] = [g for g, _ in small]
        if small:
            listed = ", ".join(f"{g} ({c})" for g, c in small[:5]) + (" …" if len(small) > 5 else "")
            out.add(
                "DQ_REPRESENTATION",
                "warn",
                f"{gc}: {len(small)} group(s) have fewer than {min_size} rows ({listed}); their metrics are "
                "unreliable and they are left out of headline disparities.",
                subject=gc,
                small_groups={g: c for g, c in small},
                min_group_size=min_size,
            )
        if few:
            listed = ", ".join(f"{g} ({p} positive, {q} negative)" for g, p, q in few[:5])
            out.add(
                "DQ_REPRESENTATION",
                "info",
                f"{gc}: {len(few)} group(s) have fewer than {min_events} positive or negative labels ({listed}); "
                "their error rates are marked insufficient.",
                subject=gc,
                groups=[g for g, _, _ in few],
                min_group_events=min_events,
            )
        note = [
            "n < min size"
            if c < min_size
            else ("few events" if p is not None and min(p, q) < min_events else "")
            for c, p, q in zip(e["count"], e["positives"], e["negatives"], strict=True)
        ]
        e_table = dict(e)
        gap = base_rate_gap_of(env).get(gc) if ctx.task == "binary" else None
        e_table["base_rate_difference"] = gap["difference"] if gap else [None] * len(groups)
        e_table["base_rate_ratio"] = gap["ratio"] if gap else [None] * len(groups)
        e_table["note"] = note
        out.tables[f"representation:{gc}"] = Table(
            title=f"Representation: {gc}",
            data=e_table,
            note=f"{ctx.n_rows:,} rows; positive class {ctx.positive_label!r}."
            if ctx.task == "binary"
            else f"{ctx.n_rows:,} rows; positives and base rates apply to binary tasks only.",
        )
    out.values = {"small_groups": small_all, "against_reference": _representation_vs_reference(env, out)}
    return out


def _representation_vs_reference(env: CheckEnv, out: CheckOutput) -> dict[str, Any] | None:
    """Each group's share against its share in the reference data, judged both ways (under and over).

    A group can shrink (under-represented: its errors weigh less than in training) or grow (over-represented:
    the audit is dominated by people the model saw few of); both change what the model was built for.
    """
    if env.reference is None:
        return None
    from audits.data_quality.drift import reference_group_counts  # drift imports this package's base only

    ctx = env.ctx
    tol = float(ctx.policy.ratio_tolerance)
    min_size = int(ctx.policy.min_group_size)
    result: dict[str, Any] = {}
    for pc in ctx.protected_columns:
        if pc not in env.reference.frame.columns:
            continue
        ref_counts, _ = reference_group_counts(env, pc)
        if not ref_counts:
            continue
        e = representation_of(env)[pc]
        ref_total = sum(ref_counts.values())
        rows = []
        for g, c, share in zip(e["group"], e["count"], e["share"], strict=True):
            rc = ref_counts.get(g, 0)
            rshare = rc / ref_total if ref_total else None
            ratio = share / rshare if rshare else None
            rows.append({"group": g, "share": share, "reference_share": rshare, "ratio": ratio})
            if ratio is None or max(c, rc) < min_size or tol <= ratio <= 1 / tol:
                continue
            under = ratio < tol
            out.add(
                "DQ_REPRESENTATION",
                "warn",
                f"{pc} = {g} is {fmt_pct(share)} of the audited rows vs {fmt_pct(rshare)} of the reference "
                f"(ratio {ratio:.2f} {'<' if under else '>'} {tol if under else 1 / tol:.3g}): "
                f"{'under' if under else 'over'}-represented compared with the data the model was built on.",
                subject=pc,
                group=g,
                share=share,
                reference_share=rshare,
                ratio=ratio,
                direction="under" if under else "over",
            )
        result[pc] = rows
    return result


def _reference_group(env: CheckEnv, gc: str, e: dict[str, Any], min_size: int) -> tuple[str | None, str]:
    ctx = env.ctx
    for attr in ctx.config.protected:
        if attr.column == gc and attr.reference_group is not None and str(attr.reference_group) in e["group"]:
            return str(attr.reference_group), "configured reference group"
    rates = [
        (r, g)
        for g, c, r in zip(e["group"], e["count"], e["base_rate"], strict=True)
        if r is not None and c >= min_size
    ]
    if not rates:
        rates = [(r, g) for g, r in zip(e["group"], e["base_rate"], strict=True) if r is not None]
    if not rates:
        return None, "no group has a defined base rate"
    best = max(rates, key=lambda t: t[0])
    return best[1], f"most favoured group (highest base rate among groups of at least {min_size} rows)"


def base_rate_gap_of(env: CheckEnv) -> dict[str, dict[str, Any]]:
    def compute() -> dict[str, dict[str, Any]]:
        min_size = int(env.ctx.policy.min_group_size)
        gaps = {}
        for gc, e in representation_of(env).items():
            ref, how = _reference_group(env, gc, e, min_size)
            if ref is None:
                diff = ratio = [None] * len(e["group"])
            else:
                rr = e["base_rate"][e["group"].index(ref)]
                diff = [None if r is None else r - rr for r in e["base_rate"]]
                ratio = [None if (r is None or not rr) else r / rr for r in e["base_rate"]]
            gaps[gc] = {"reference_group": ref, "reference_how": how, "difference": diff, "ratio": ratio}
        return gaps

    return env.cached("base_rate_gap", compute)


def check_base_rate(env: CheckEnv) -> CheckOutput:
    """P(label = positive | group): difference and ratio to the reference (most favoured) group."""
    ctx = env.ctx
    if ctx.task != "binary":
        return CheckOutput.not_applicable(f"base rates apply to binary tasks; this task is {ctx.task}")
    tol = env.opts("ratio_warn")
    tol = float(ctx.policy.ratio_tolerance if tol is None else tol)
    min_size = int(ctx.policy.min_group_size)
    rep = representation_of(env)
    gaps = base_rate_gap_of(env)
    out = CheckOutput(
        method=(
            f"share of label {ctx.positive_label!r} per group; difference and ratio to the reference group, judged "
            f"both ways (ratio < {tol:g} or > {1 / tol:.3g}); groups under {min_size} rows shown but not judged"
        ),
        metrics={"base_rate_gap": gaps},
    )
    for gc, gap in gaps.items():
        e = rep[gc]
        ref = gap["reference_group"]
        if ref is None:
            continue
        judged = [
            (g, r, q)
            for g, c, r, q in zip(e["group"], e["count"], e["base_rate"], gap["ratio"], strict=True)
            if q is not None and c >= min_size and g != ref
        ]
        if not judged:
            continue
        rr = e["base_rate"][e["group"].index(ref)]
        low = min(judged, key=lambda t: t[2])
        high = max(judged, key=lambda t: t[2])
        # a configured reference group can sit anywhere: a group far above it is as much a gap as one below
        for (g, r, q), hit, sign in ((low, low[2] < tol, "<"), (high, high[2] > 1 / tol, ">")):
            if not hit:
                continue
            bound = tol if sign == "<" else 1 / tol
            out.add(
                "DQ_BASE_RATE",
                "warn",
                f"The share of {ctx.target} = {ctx.positive_label!r} is {r:.3f} for {gc} = {g} vs {rr:.3f} for "
                f"{ref} (ratio {q:.2f} {sign} {bound:.3g}): a model that learns these labels inherits the gap.",
                subject=gc,
                group=g,
                reference_group=ref,
                base_rate=r,
                reference_rate=rr,
                ratio=q,
                difference=r - rr,
                direction="below" if sign == "<" else "above",
            )
    return out


def check_proxy(env: CheckEnv) -> CheckOutput:
    """Features that reveal a protected attribute: association and cross-validated AUC of a one-feature tree."""
    ctx = env.ctx
    o = env.opts
    warn_v, fail_v = float(o("warn_association")), float(o("fail_association"))
    warn_auc, fail_auc = float(o("warn_auc")), float(o("fail_auc"))
    size, n_folds, cap = int(o("sample_size")), int(o("folds")), int(o("max_categories"))
    rng = np.random.default_rng(ctx.seed)
    n = ctx.n_rows
    proxies: dict[str, list[dict[str, Any]]] = {}
    out = CheckOutput()
    methods = []
    for pc in ctx.protected_columns:
        a_codes, cats = _group_codes(env, pc)
        k = len(cats)
        feats = [c for c in ctx.features if c != pc and c in env.data.frame.columns]
        if k < 2 or not feats:
            proxies[pc] = []
            out.add(
                "DQ_NOT_APPLICABLE",
                "info",
                f"Proxy check for {pc}: not applicable ({'a single group' if k < 2 else 'no other feature'}).",
                subject=pc,
            )
            continue
        idx = stratified_sample(a_codes, size, rng)
        ya = a_codes[idx]
        folds = stratified_folds(ya, n_folds, rng)
        method = tree_method(len(idx), n, n_folds, ctx.seed, pc)
        methods.append(method)
        rows = []
        for f in feats:
            prof = env.data[f]
            if prof.kind in ("numeric", "datetime") and prof.distinct > 2:
                measure = "correlation_ratio"
                assoc = correlation_ratio(a_codes, k, np.where(np.isfinite(prof.values), prof.values, np.nan))
            elif prof.kind == "empty" or prof.distinct > cap:
                measure, assoc = "cramers_v", None
            else:
                measure = "cramers_v"
                assoc = cramers_v(
                    contingency(prof.codes, prof.distinct, a_codes, k, missing_as_category=True)
                )
            auc = single_feature_power(prof, idx, ya, k, folds, n_folds) if prof.kind != "empty" else None
            sev = "pass"
            if (assoc is not None and assoc >= fail_v) or (auc is not None and auc >= fail_auc):
                sev = "fail"
            elif (assoc is not None and assoc >= warn_v) or (auc is not None and auc >= warn_auc):
                sev = "warn"
            rows.append(
                {
                    "feature": f,
                    "association": assoc,
                    "measure": measure,
                    "auc": auc,
                    "auc_method": method,
                    "severity": sev,
                }
            )
        rows.sort(key=lambda r: -max(r["association"] or 0.0, 2 * ((r["auc"] or 0.5) - 0.5)))
        proxies[pc] = rows
        for r in rows:
            if r["severity"] == "pass":
                continue
            what = f"AUC {r['auc']:.2f}" if r["auc"] is not None else "an unknown AUC"
            name = "Cramér's V" if r["measure"] == "cramers_v" else "correlation ratio"
            assoc_txt = f", {name} {r['association']:.2f}" if r["association"] is not None else ""
            out.add(
                "DQ_PROXY",
                r["severity"],
                f"{r['feature']} predicts {pc} with {what}{assoc_txt}: it can act as a proxy.",
                subject=f"{r['feature']} → {pc}",
                protected=pc,
                feature=r["feature"],
                auc=r["auc"],
                association=r["association"],
                measure=r["measure"],
            )
        out.tables[f"proxies:{pc}"] = Table(
            title=f"Proxy features for {pc}",
            data={
                key: [r[key] for r in rows]
                for key in ("feature", "measure", "association", "auc", "severity")
            },
            note=f"Association on all {n:,} rows (bias-corrected Cramér's V with missing values as a category, or correlation ratio); AUC: {method}.",
        )
    out.metrics = {"proxies": proxies}
    out.method = methods[0] if len(methods) == 1 else "; ".join(sorted(set(methods)))
    out.values = {
        "thresholds": {
            "warn_association": warn_v,
            "fail_association": fail_v,
            "warn_auc": warn_auc,
            "fail_auc": fail_auc,
        }
    }
    return out


def check_missing_by_group(env: CheckEnv) -> CheckOutput:
    """Missing rate per column per group: max/min ratio and chi-square test."""
    ctx = env.ctx
    low, high, alpha = float(env.opts("ratio_low")), float(env.opts("ratio_high")), float(env.opts("alpha"))
    min_size = int(ctx.policy.min_group_size)
    out = CheckOutput(
        method=(
            f"missing share per column per group; ratio = max / min over groups of at least {min_size} rows; "
            f"chi-square test of group × missing; flagged when the ratio is outside {low:g}–{high:g} and p < {alpha:g}"
        )
    )
    result: dict[str, Any] = {}
    for pc in ctx.protected_columns:
        codes, cats = _group_codes(env, pc)
        k = len(cats)
        counts = np.bincount(codes, minlength=k)
        present = [i for i in range(k) if counts[i] > 0]
        groups = [cats[i] for i in present]
        judged = np.array([counts[i] >= min_size for i in present])
        cols = [c for c in env.audited if c != pc and env.data[c].n_missing > 0]
        any_mask = np.zeros(len(codes), dtype=bool)
        for c in cols:
            any_mask |= env.data[c].missing_mask
        entry: dict[str, Any] = {
            "groups": groups,
            "count": [int(counts[i]) for i in present],
            "any_missing": [],
            "columns": {},
        }
        table: dict[str, list] = {"column": []}
        for g in groups:
            table[f"missing: {g}"] = []
        table.update(ratio=[], p_value=[], flagged=[])
        for c, mask in [("(any column)", any_mask)] + [(c, env.data[c].missing_mask) for c in cols]:
            miss = np.bincount(codes, weights=mask.astype(float), minlength=k)[present]
            tot = counts[present]
            rates = miss / tot
            jr = rates[judged] if judged.sum() >= 2 else np.array([])
            ratio = None
            if len(jr):
                ratio = float(jr.max() / jr.min()) if jr.min() > 0 else None
            p = chi2_pvalue(np.stack([miss, tot - miss], axis=1)) if k >= 2 else None
            differs = len(jr) > 0 and jr.max() > 0 and (ratio is None or not low <= ratio <= high)
            flagged = bool(differs and p is not None and p < alpha)
            if c == "(any column)":
                entry["any_missing"] = rates.tolist()
                entry["any_missing_ratio"] = ratio
                entry["any_missing_p_value"] = p
            else:
                entry["columns"][c] = {
                    "rates": rates.tolist(),
                    "ratio": ratio,
                    "p_value": p,
                    "flagged": flagged,
                }
            table["column"].append(c)
            for g, r in zip(groups, rates, strict=True):
                table[f"missing: {g}"].append(float(r))
            table["ratio"].append(ratio)
            table["p_value"].append(p)
            table["flagged"].append(flagged)
            if flagged:
                gi = [i for i in range(len(groups)) if judged[i]]
                hi = max(gi, key=lambda i: rates[i])
                lo = min(gi, key=lambda i: rates[i])
                what = "Rows with any missing value" if c == "(any column)" else f"{c} is missing"
                ratio_txt = f"ratio {ratio:.2f}" if ratio is not None else "missing in one group only"
                out.add(
                    "DQ_MISSING_BY_GROUP",
                    "warn",
                    f"{what}: {fmt_pct(rates[hi])} for {pc} = {groups[hi]} vs {fmt_pct(rates[lo])} for "
                    f"{groups[lo]} ({ratio_txt}, chi-square p = {p:.2g}); imputation or dropping rows will treat "
                    "the groups differently.",
                    subject=f"{c} by {pc}",
                    protected=pc,
                    column=c,
                    rates=dict(zip(groups, rates.tolist(), strict=True)),
                    ratio=ratio,
                    p_value=p,
                )
        result[pc] = entry
        out.tables[f"missing_by_group:{pc}"] = Table(
            title=f"Missing values by {pc}",
            data=table,
            note=f"Share of rows missing per group; {len(cols)} column(s) with any missing value; {ctx.n_rows:,} rows.",
        )
    out.metrics = {"missing_by_group": result}
    return out
