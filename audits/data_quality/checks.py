"""Single-dataset checks (CHECKS.md, "Data quality (one dataset)").

Each function takes a :class:`CheckEnv` and returns a :class:`CheckOutput`; thresholds come from
``env.opts`` (the policy's value, else the default declared in the registry).
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from audits.data_quality.base import (
    HIST_TREE_BINS,
    CheckEnv,
    CheckOutput,
    ColumnProfile,
    contingency,
    correlation_ratio,
    cramers_v,
    exact_row_ids,
    fmt_pct,
    leaf_codes,
    oof_class_probs,
    oof_means,
    rank_auc_fast,
    severity_by,
    stratified_folds,
    stratified_sample,
    weighted_ovr_auc,
)

# Case, whitespace and these separators do not make a different category; symbols such as < > = + do.
SEPARATORS = r"[\s.,;:\-_'\"/\\()\[\]]+"
NULL_TOKENS = ("", "na", "n/a", "nan", "none", "null", "?", "-")
MAX_PAIRS_KEPT = 100
CATEGORY_KINDS = ("categorical", "boolean")


def _short(v: Any, limit: int = 40) -> str:
    s = str(v)
    return s if len(s) <= limit else s[: limit - 1] + "…"


def _label_column(env: CheckEnv) -> str:
    return env.ctx.target


def _is_text_like(p: ColumnProfile) -> bool:
    return p.kind == "categorical" and p.distinct > 0


def _rows(n: int) -> str:
    return f"{n:,} row" + ("" if n == 1 else "s")


# ------------------------------------------------------------------------------------------------------------
def check_missing(env: CheckEnv) -> CheckOutput:
    """Share of missing cells per column."""
    warn, fail = env.opts("warn"), env.opts("fail")
    out = CheckOutput(
        method="share of missing cells per column (NaN, None, NaT and the configured na_values)"
    )
    shares: dict[str, float | None] = {}
    any_missing = np.zeros(env.data.n, dtype=bool)
    for c in env.audited:
        p = env.data[c]
        shares[c] = p.missing_share
        if p.n_missing:
            any_missing |= p.missing_mask
        sev = severity_by(p.missing_share, warn=warn, fail=fail)
        if sev != "pass":
            out.add(
                "DQ_MISSING",
                sev,
                f"{c} is missing in {fmt_pct(p.missing_share)} of rows ({p.n_missing:,} of {p.n:,}).",
                subject=c,
                share=p.missing_share,
                missing=p.n_missing,
                rows=p.n,
            )
    out.values = {
        "share": shares,
        "rows_with_any_missing": int(any_missing.sum()),
        "rows_with_any_missing_share": float(any_missing.mean()) if env.data.n else None,
    }
    return out


def check_mixed_nulls(env: CheckEnv) -> CheckOutput:
    """Different spellings of 'missing' in one column ('', 'N/A', '?', real NaN, ...)."""
    out = CheckOutput(
        method=f"distinct null tokens among {list(NULL_TOKENS)} (case and surrounding spaces ignored) plus real NaN"
    )
    found: dict[str, list[str]] = {}
    for c in env.audited:
        p = env.data[c]
        if not _is_text_like(p):
            continue
        norm = pd.Series(p.uniques.astype(str), dtype=object).str.strip().str.lower()
        hit = norm.isin(NULL_TOKENS).to_numpy()
        tokens = sorted({repr(str(v)) for v in p.uniques[hit]})
        kinds = tokens + (["NaN"] if p.n_missing else [])
        if not tokens:
            continue
        found[c] = kinds
        n_tok = int(p.counts[hit].sum())
        if len(kinds) > 1:
            out.add(
                "DQ_MIXED_NULLS",
                "fail",
                f"{c} spells missing values {len(kinds)} ways ({', '.join(kinds)}); only real NaN is counted as "
                "missing, so the others are treated as categories.",
                subject=c,
                kinds=kinds,
                token_rows=n_tok,
            )
        else:
            out.add(
                "DQ_MIXED_NULLS",
                "info",
                f"{c} uses {kinds[0]} in {_rows(n_tok)}, which looks like a missing value but is read as a "
                "category; add it to na_values if it means missing.",
                subject=c,
                kinds=kinds,
                token_rows=n_tok,
            )
    out.values = {"columns": found}
    return out


def check_constant(env: CheckEnv) -> CheckOutput:
    """Columns with at most one distinct non-missing value."""
    out = CheckOutput(method="number of distinct non-missing values per column")
    constant = []
    for c in env.audited:
        p = env.data[c]
        if p.distinct == 0:
            constant.append(c)
            out.add("DQ_CONSTANT", "fail", f"{c} has no values at all (every row is missing).", subject=c)
        elif p.distinct == 1:
            constant.append(c)
            out.add(
                "DQ_CONSTANT",
                "fail",
                f"{c} has the single value {_short(p.uniques[0])!r} in every non-missing row; it carries no "
                "information.",
                subject=c,
                value=_short(p.uniques[0]),
            )
    out.values = {"columns": constant}
    return out


def check_identifier(env: CheckEnv) -> CheckOutput:
    """Identifier-like columns (every value distinct), and row order that predicts the label."""
    min_rows, order_auc = int(env.opts("min_rows")), float(env.opts("order_auc"))
    out = CheckOutput(
        method=(
            f"non-float columns whose values are all distinct (at least {min_rows} rows); row order and "
            "identifier values vs the label by rank ROC AUC (binary tasks)"
        )
    )
    n = env.data.n
    ids: list[str] = []
    target = _label_column(env)
    binary = env.ctx.task == "binary"
    y = np.asarray(env.ctx.y_true).astype(bool) if binary else None
    for c in env.audited:
        if c == target:
            continue
        p = env.data[c]
        is_float = p.kind == "numeric" and pd.api.types.is_float_dtype(env.data.frame[c].dtype)
        if n < min_rows or is_float or p.kind in ("empty", "boolean") or p.n_missing or p.distinct != n:
            continue
        ids.append(c)
        extra = ""
        auc = None
        if binary and p.values is not None:
            auc = rank_auc_fast(y, p.values)
            if auc is not None and max(auc, 1 - auc) >= order_auc:
                extra = f"; its values predict {target} with AUC {max(auc, 1 - auc):.2f}, so ids carry label information"
        out.add(
            "DQ_IDENTIFIER",
            "warn",
            f"{c} has a different value in every row, like an identifier; do not use it as a feature{extra}.",
            subject=c,
            distinct=p.distinct,
            label_auc=auc,
        )
    order = None
    if binary and n >= min_rows:
        # the AUC of the row position: ranks are the positions themselves
        n1 = int(y.sum())
        n0 = n - n1
        if n1 and n0:
            order = float((np.flatnonzero(y).sum() + n1 - n1 * (n1 + 1) / 2) / (n1 * n0))
            if max(order, 1 - order) >= order_auc:
                out.add(
                    "DQ_IDENTIFIER",
                    "warn",
                    f"Row order predicts {target} with AUC {max(order, 1 - order):.2f}: the file is sorted by the "
                    "label, so any row number or time column leaks it; shuffle before splitting.",
                    subject="(row order)",
                    auc=order,
                )
    out.values = {"columns": ids, "row_order_auc": order}
    return out


def check_high_cardinality(env: CheckEnv) -> CheckOutput:
    """Categorical columns with many distinct values."""
    limit = int(env.opts("max_distinct"))
    out = CheckOutput(method=f"distinct values of categorical columns (> {limit} flagged)")
    found = {}
    for c in env.audited:
        p = env.data[c]
        if p.kind == "categorical" and p.distinct > limit:
            found[c] = p.distinct
            out.add(
                "DQ_HIGH_CARDINALITY",
                "warn",
                f"{c} has {p.distinct:,} distinct categories (> {limit}); one-hot encoding it makes many rare "
                "columns and groups too small to audit.",
                subject=c,
                distinct=p.distinct,
            )
    out.values = {"columns": found}
    return out


def check_dominant_category(env: CheckEnv) -> CheckOutput:
    """Imbalance of a categorical column: 1 - entropy / log(K)."""
    limit = float(env.opts("imbalance"))
    out = CheckOutput(method="imbalance = 1 - entropy / log(K) over the K categories (missing excluded)")
    scores = {}
    for c in env.audited:
        p = env.data[c]
        if p.kind not in CATEGORY_KINDS or p.distinct < 2:
            continue
        share = p.counts / p.counts.sum()
        nz = share[share > 0]
        score = float(1 + (nz * np.log(nz)).sum() / np.log(len(share)))
        scores[c] = score
        if score > limit:
            top = int(np.argmax(p.counts))
            out.add(
                "DQ_DOMINANT_CATEGORY",
                "info",
                f"{c} is dominated by {_short(p.uniques[top])!r} ({fmt_pct(float(share[top]))} of rows; "
                f"imbalance {score:.2f}).",
                subject=c,
                imbalance=score,
                top=_short(p.uniques[top]),
                top_share=float(share[top]),
            )
    out.values = {"imbalance": scores}
    return out


def check_label_imbalance(env: CheckEnv) -> CheckOutput:
    """Rarest / commonest class count of the label."""
    ctx = env.ctx
    if ctx.task == "regression":
        return CheckOutput.not_applicable("the task is a regression; class balance does not apply")
    limit = float(env.opts("min_ratio"))
    k = len(ctx.classes)
    counts = np.bincount(np.asarray(ctx.y_true, dtype=np.int64), minlength=2 if ctx.task == "binary" else k)
    labels = ["other", ctx.positive_label_str] if ctx.task == "binary" else [str(c) for c in ctx.classes]
    ratio = float(counts.min() / counts.max()) if counts.max() else None
    out = CheckOutput(
        method="rarest class count / commonest class count",
        values={"counts": dict(zip(labels, counts.tolist(), strict=True)), "ratio": ratio},
    )
    if ratio is not None and ratio < limit:
        rare = labels[int(np.argmin(counts))]
        out.add(
            "DQ_LABEL_IMBALANCE",
            "warn",
            f"The label {ctx.target} is imbalanced: class {rare!r} has {int(counts.min()):,} rows, "
            f"{ratio:.3f} times the commonest class; accuracy will hide errors on it.",
            subject=ctx.target,
            ratio=ratio,
        )
    return out


def _numeric_columns(env: CheckEnv, *, min_distinct: int = 1, exclude_target: bool = False) -> list[str]:
    cols = []
    for c in env.audited:
        if exclude_target and c == _label_column(env):
            continue
        p = env.data[c]
        if p.kind == "numeric" and p.distinct >= min_distinct:
            cols.append(c)
    return cols


def check_zeros_infinite(env: CheckEnv) -> CheckOutput:
    """Shares of infinities and zeros in numeric columns."""
    inf_fail, zeros_info = float(env.opts("inf_fail")), float(env.opts("zeros_info"))
    numeric = _numeric_columns(env)
    if not numeric:
        return CheckOutput.not_applicable("no numeric column")
    # zeros are only remarkable in columns with at least 3 distinct values (not in 0/1 indicators)
    cols = set(_numeric_columns(env, min_distinct=3))
    out = CheckOutput(method="shares of ±inf and of exact zeros among all rows of each numeric column")
    vals = {}
    for c in numeric:
        p = env.data[c]
        v = p.values
        inf = int(np.isinf(v).sum())
        zeros = int((v == 0).sum())
        vals[c] = {"infinite_share": inf / p.n, "zeros_share": zeros / p.n}
        if inf:
            sev = "fail" if inf / p.n > inf_fail else "info"
            out.add(
                "DQ_ZEROS_INFINITE",
                sev,
                f"{c} holds {inf:,} infinite value(s) ({fmt_pct(inf / p.n, 2)} of rows); most models cannot use them.",
                subject=c,
                infinite=inf,
                share=inf / p.n,
            )
        if c in cols and zeros / p.n > zeros_info:
            out.add(
                "DQ_ZEROS_INFINITE",
                "info",
                f"{c} is zero in {fmt_pct(zeros / p.n)} of rows; check that 0 means zero and not 'unknown'.",
                subject=c,
                zeros=zeros,
                share=zeros / p.n,
            )
    out.values = {"columns": vals}
    return out


def check_skew(env: CheckEnv) -> CheckOutput:
    """Sample skewness of numeric columns."""
    limit = float(env.opts("max_abs_skew"))
    cols = _numeric_columns(env, min_distinct=3)
    if not cols:
        return CheckOutput.not_applicable("no numeric column with at least 3 distinct values")
    out = CheckOutput(method="adjusted Fisher–Pearson sample skewness of the finite values")
    from scipy.stats import skew

    vals = {}
    for c in cols:
        v = env.data[c].finite_values()
        if len(v) < 3 or np.ptp(v) == 0:
            vals[c] = None
            continue
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            sk = float(skew(v - v.mean(), bias=False))
        vals[c] = sk if np.isfinite(sk) else None
        if vals[c] is not None and abs(sk) > limit:
            out.add(
                "DQ_SKEW",
                "info",
                f"{c} is very skewed (skewness {sk:.1f}); a log transform or robust scaling may help.",
                subject=c,
                skewness=sk,
            )
    out.values = {"skewness": vals}
    return out


def check_duplicates(env: CheckEnv) -> CheckOutput:
    """Share of rows that exactly repeat an earlier row."""
    warn, fail = float(env.opts("warn")), float(env.opts("fail"))
    n = env.data.n
    ids = exact_row_ids([env.data[c].codes for c in env.audited], n)
    dup_mask = pd.Series(ids).duplicated().to_numpy()
    dups = int(dup_mask.sum())
    share = dups / n if n else None
    out = CheckOutput(
        method="rows equal in every audited column to an earlier row (missing equals missing), over all rows",
        values={
            "duplicate_rows": dups,
            "share": share,
            "first_positions": np.flatnonzero(dup_mask)[:5].tolist(),
        },
    )
    sev = severity_by(share, warn=warn, fail=fail)
    if dups and sev == "pass":
        sev = "warn"
    if sev != "pass":
        out.add(
            "DQ_DUPLICATES",
            sev,
            f"{dups:,} rows ({fmt_pct(share, 2)}) exactly repeat an earlier row; duplicates overweight some people "
            "and leak between train and test splits.",
            duplicate_rows=dups,
            share=share,
        )
    return out


def check_conflicting_labels(env: CheckEnv) -> CheckOutput:
    """Rows whose identical feature vector appears with more than one label."""
    ctx = env.ctx
    if ctx.task == "regression":
        return CheckOutput.not_applicable(
            "the task is a regression; labels of identical rows may differ by noise"
        )
    fail = float(env.opts("fail"))
    feats = [c for c in ctx.features if c in env.data.frame.columns]
    n = env.data.n
    fid = exact_row_ids([env.data[c].codes for c in feats], n)
    y = np.asarray(ctx.y_true, dtype=np.int64)
    k = int(y.max()) + 1 if n else 1
    pair = np.asarray(pd.factorize(fid * k + y)[0])
    # number of distinct labels per feature vector = number of distinct (vector, label) pairs per vector
    first = np.zeros(pair.max() + 1 if n else 0, dtype=np.int64)
    first[pair] = fid
    labels_per_vec = np.bincount(first, minlength=int(fid.max()) + 1 if n else 0)
    conflict = labels_per_vec[fid] > 1
    rows = int(conflict.sum())
    share = rows / n if n else None
    out = CheckOutput(
        method=f"rows grouped by their exact values of the {len(feats)} model features; a group with more than one label conflicts",
        values={"conflicting_rows": rows, "share": share, "feature_vectors": int((labels_per_vec > 1).sum())},
    )
    if share is not None and share > fail:
        if ctx.model is None and ctx.config.features is None:
            # Predictions-only: the file's other columns are a guess at the model's inputs, so a conflict here
            # may only mean the model saw features this file lacks.
            out.add(
                "DQ_CONFLICTING_LABELS",
                "warn",
                f"{rows:,} rows ({fmt_pct(share, 2)}) share their values in the {len(feats)} non-label column(s) of "
                "this file with a row of another label. No model was given, so the model's own features are unknown: "
                "list them in 'features' to make this a check of conflicting labels.",
                conflicting_rows=rows,
                share=share,
            )
            return out
        out.add(
            "DQ_CONFLICTING_LABELS",
            "fail",
            f"{rows:,} rows ({fmt_pct(share, 2)}) share their exact features with a row of another label; no model "
            "can get them all right, and they may be labelling errors.",
            conflicting_rows=rows,
            share=share,
        )
    return out


def check_string_mismatch(env: CheckEnv) -> CheckOutput:
    """Categories that differ only by case, punctuation or whitespace ('US', 'u.s.')."""
    fail, cap = float(env.opts("fail")), int(env.opts("max_distinct"))
    out = CheckOutput(
        method=f"categories equal after lower-casing and removing whitespace and separators such as . , - _ / ( ) (columns with <= {cap:,} categories)"
    )
    found = {}
    skipped = []
    for c in env.audited:
        p = env.data[c]
        if not _is_text_like(p):
            continue
        if p.distinct > cap:
            skipped.append(c)
            continue
        norm = (
            pd.Series(p.uniques.astype(str), dtype=object)
            .str.lower()
            .str.replace(SEPARATORS, "", regex=True)
            .to_numpy()
        )
        codes, keys = pd.factorize(norm)
        multi = np.bincount(codes, minlength=len(keys)) > 1
        groups = []
        minority_rows = 0
        for g in np.flatnonzero(multi):
            if keys[g] == "":
                continue  # null-like tokens: the mixed-nulls check covers them
            members = np.flatnonzero(codes == g)
            cnt = p.counts[members]
            minority_rows += int(cnt.sum() - cnt.max())
            groups.append([_short(p.uniques[m]) for m in members[np.argsort(-cnt)]])
        if not groups:
            continue
        share = minority_rows / max(int(p.counts.sum()), 1)
        found[c] = {"variants": groups[:20], "n_groups": len(groups), "minority_share": share}
        sev = "fail" if share > fail else "warn"
        example = ", ".join(repr(v) for v in groups[0][:3])
        out.add(
            "DQ_STRING_MISMATCH",
            sev,
            f"{c} spells the same category in different ways ({example}; {len(groups)} such group(s), "
            f"{fmt_pct(share, 2)} of rows use a minority spelling).",
            subject=c,
            groups=groups[:10],
            minority_share=share,
        )
    out.values = {"columns": found, "skipped_high_cardinality": skipped}
    return out


def _numberlike(uniques: pd.Index) -> np.ndarray:
    """True for values that are numbers or strings that parse as numbers."""
    vals = uniques.to_numpy(dtype=object)
    is_num = np.array(
        [isinstance(v, int | float | np.number) and not isinstance(v, bool | np.bool_) for v in vals]
    )
    strs = np.array([isinstance(v, str) for v in vals])
    if strs.any():
        parsed = pd.to_numeric(pd.Series(vals[strs], dtype=object).str.strip(), errors="coerce").notna()
        is_num[np.flatnonzero(strs)] = parsed.to_numpy()
    return is_num


def check_mixed_types(env: CheckEnv) -> CheckOutput:
    """Numbers and text in one column; the share of the rarer type."""
    low, high = float(env.opts("low")), float(env.opts("high"))
    out = CheckOutput(method="values that are numbers or parse as numbers vs other text, weighted by rows")
    found = {}
    for c in env.audited:
        p = env.data[c]
        if not _is_text_like(p):
            continue
        is_num = _numberlike(p.uniques)
        num_rows = int(p.counts[is_num].sum())
        txt_rows = int(p.counts[~is_num].sum())
        if not num_rows or not txt_rows:
            continue
        rare = min(num_rows, txt_rows) / (num_rows + txt_rows)
        rare_type = "numbers" if num_rows < txt_rows else "text"
        found[c] = {"numbers": num_rows, "text": txt_rows, "rare_share": rare}
        sev = "warn" if low <= rare <= high else "info"
        out.add(
            "DQ_MIXED_TYPES",
            sev,
            f"{c} mixes numbers and text: {fmt_pct(rare, 2)} of its values are {rare_type}; a stray type often "
            "marks entry errors or a code for 'unknown'.",
            subject=c,
            numbers=num_rows,
            text=txt_rows,
            rare_share=rare,
        )
    out.values = {"columns": found}
    return out


def check_outliers(env: CheckEnv) -> CheckOutput:
    """Rows outside Q1 - k*IQR .. Q3 + k*IQR in any numeric column."""
    k, warn = float(env.opts("iqr_factor")), float(env.opts("warn"))
    cols = _numeric_columns(env, min_distinct=3, exclude_target=True)
    if not cols:
        return CheckOutput.not_applicable("no numeric feature with at least 3 distinct values")
    n = env.data.n
    flagged = np.zeros(n, dtype=bool)
    per_col, skipped = {}, []
    for c in cols:
        v = env.data[c].values
        fin = np.isfinite(v)
        if not fin.any():
            continue
        q1, q3 = np.quantile(v[fin], [0.25, 0.75])
        iqr = q3 - q1
        if iqr <= 0:
            skipped.append(c)
            continue
        with np.errstate(invalid="ignore"):
            out_c = fin & ((v < q1 - k * iqr) | (v > q3 + k * iqr))
        flagged |= out_c
        per_col[c] = {"outliers": int(out_c.sum()), "low": float(q1 - k * iqr), "high": float(q3 + k * iqr)}
    rows = int(flagged.sum())
    share = rows / n if n else None
    out = CheckOutput(
        method=f"rows outside Q1 - {k:g}·IQR .. Q3 + {k:g}·IQR in any numeric feature; columns with IQR 0 skipped",
        values={"outlier_rows": rows, "share": share, "columns": per_col, "skipped_zero_iqr": skipped},
    )
    if share is not None and share > warn:
        worst = sorted(per_col, key=lambda c: -per_col[c]["outliers"])[:3]
        out.add(
            "DQ_OUTLIERS",
            "warn",
            f"{rows:,} rows ({fmt_pct(share, 2)}) have an extreme value (outside {k:g}×IQR), mostly in "
            f"{', '.join(worst)}.",
            outlier_rows=rows,
            share=share,
            columns={c: per_col[c]["outliers"] for c in worst},
        )
    return out


def _association_pairs(
    env: CheckEnv, cols: list[str], cap: int, rows: np.ndarray | None
) -> list[dict[str, Any]]:
    """Spearman (numeric pairs), bias-corrected Cramér's V (categorical), correlation ratio (mixed)."""
    num = [c for c in cols if env.data[c].kind in ("numeric", "datetime") and env.data[c].distinct > 2]
    cat = [
        c for c in cols if c not in num and env.data[c].kind != "empty" and 2 <= env.data[c].distinct <= cap
    ]

    def codes(c: str) -> np.ndarray:
        return env.data[c].codes if rows is None else env.data[c].codes[rows]

    def values(c: str) -> np.ndarray:
        v = env.data[c].values if rows is None else env.data[c].values[rows]
        return np.where(np.isfinite(v), v, np.nan)

    pairs: list[dict[str, Any]] = []
    if len(num) >= 2:
        ranks = pd.DataFrame({c: pd.Series(values(c)).rank() for c in num})
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            corr = ranks.corr().to_numpy()
        for i in range(len(num)):
            for j in range(i + 1, len(num)):
                v = corr[i, j]
                pairs.append(
                    {
                        "a": num[i],
                        "b": num[j],
                        "measure": "spearman",
                        "value": float(v) if np.isfinite(v) else None,
                    }
                )
    cat_codes = {c: codes(c) for c in cat}
    for i in range(len(cat)):
        ka = env.data[cat[i]].distinct
        for j in range(i + 1, len(cat)):
            kb = env.data[cat[j]].distinct
            table = contingency(cat_codes[cat[i]], ka, cat_codes[cat[j]], kb, missing_as_category=True)
            pairs.append({"a": cat[i], "b": cat[j], "measure": "cramers_v", "value": cramers_v(table)})
    for a in num:
        va = values(a)
        for b in cat:
            v = correlation_ratio(cat_codes[b], env.data[b].distinct, va)
            pairs.append({"a": a, "b": b, "measure": "correlation_ratio", "value": v})
    return pairs


def check_correlation(env: CheckEnv) -> CheckOutput:
    """Pairs of features that are (nearly) redundant."""
    limit, cap, size = (
        float(env.opts("max_abs")),
        int(env.opts("max_categories")),
        int(env.opts("sample_size")),
    )
    cols = [c for c in env.ctx.features if c in env.data.frame.columns]
    if len(cols) < 2:
        return CheckOutput.not_applicable("fewer than two features")
    n = env.data.n
    rows = None
    if n > size:
        rows = np.sort(np.random.default_rng(env.ctx.seed).choice(n, size=size, replace=False))
    pairs = _association_pairs(env, cols, cap, rows)
    where = "all rows" if rows is None else f"a random sample of {size:,} of {n:,} rows, seed {env.ctx.seed}"
    out = CheckOutput(
        method=(
            "Spearman rank correlation (numeric pairs, pairwise complete rows), bias-corrected Cramér's V "
            f"(categorical pairs, categories <= {cap}, missing as a category), correlation ratio (numeric vs "
            f"categorical); {where}"
        ),
        # the strongest pairs only: a wide table has thousands
        values={
            "pairs": sorted(pairs, key=lambda p: -abs(p["value"] or 0.0))[:MAX_PAIRS_KEPT],
            "n_pairs": len(pairs),
            "rows": n if rows is None else size,
        },
    )
    for pr in pairs:
        v = pr["value"]
        if v is not None and abs(v) > limit:
            out.add(
                "DQ_CORRELATION",
                "warn",
                f"{pr['a']} and {pr['b']} are almost redundant ({pr['measure'].replace('_', ' ')} {v:.2f}); one of "
                "them may be dropped, and a protected attribute can hide behind either.",
                subject=f"{pr['a']} ~ {pr['b']}",
                **pr,
            )
    return out


def single_feature_power(
    prof: ColumnProfile, idx: np.ndarray, y: np.ndarray, n_classes: int, folds: np.ndarray, n_folds: int
) -> float | None:
    """Cross-validated ROC AUC of a one-feature histogram tree predicting classes ``y`` on rows ``idx``."""
    vals = None
    if prof.values is not None and prof.distinct > HIST_TREE_BINS:
        vals = prof.values[idx]
    leaf, n_leaves = leaf_codes(prof.codes[idx], vals)
    probs = oof_class_probs(leaf, n_leaves, y, n_classes, folds, n_folds)
    return weighted_ovr_auc(y, probs)


def tree_method(sample: int, n: int, folds: int, seed: int, stratum: str) -> str:
    return (
        f"{folds}-fold stratified cross-validated ROC AUC (weighted one-vs-rest beyond two classes) of a "
        f"one-feature histogram tree (a leaf per category; numbers in {HIST_TREE_BINS} quantile bins; missing "
        f"its own leaf; leaves smoothed to the training prior) on a sample of {sample:,} of {n:,} rows "
        f"stratified by {stratum}, seed {seed}"
    )


def check_leakage(env: CheckEnv) -> CheckOutput:
    """Predictive power of each single feature for the label."""
    ctx = env.ctx
    fail_auc, fail_r2 = float(env.opts("fail_auc")), float(env.opts("fail_r2"))
    size, n_folds = int(env.opts("sample_size")), int(env.opts("folds"))
    feats = [c for c in ctx.features if c in env.data.frame.columns and c != ctx.target]
    if not feats:
        return CheckOutput.not_applicable("no feature")
    rng = np.random.default_rng(ctx.seed)
    n = env.data.n
    out = CheckOutput()
    powers: dict[str, float | None] = {}
    if ctx.task == "regression":
        y_all = np.asarray(ctx.y_true, dtype=float)
        finite = np.flatnonzero(np.isfinite(y_all))  # an infinite target has no R²
        idx = np.sort(rng.choice(finite, size=min(len(finite), size), replace=False))
        if len(idx) < 2 * n_folds:
            return CheckOutput.not_applicable(f"fewer than {2 * n_folds} rows with a finite target")
        y = y_all[idx]
        folds = rng.permutation(len(idx)) % n_folds
        ss = float(((y - y.mean()) ** 2).sum())
        for c in feats:
            prof = env.data[c]
            vals = prof.values[idx] if prof.values is not None and prof.distinct > HIST_TREE_BINS else None
            leaf, n_leaves = leaf_codes(prof.codes[idx], vals)
            pred = oof_means(leaf, n_leaves, y, folds, n_folds)
            powers[c] = 1 - float(((y - pred) ** 2).sum()) / ss if ss > 0 else None
        out.method = tree_method(len(idx), n, n_folds, ctx.seed, "nothing (simple random sample)").replace(
            "ROC AUC (weighted one-vs-rest beyond two classes)", "R²"
        )
        measure, limit = "r2", fail_r2
    else:
        y_all = np.asarray(ctx.y_true, dtype=np.int64)
        idx = stratified_sample(y_all, size, rng)
        y = y_all[idx]
        k = int(y_all.max()) + 1
        folds = stratified_folds(y, n_folds, rng)
        for c in feats:
            powers[c] = single_feature_power(env.data[c], idx, y, k, folds, n_folds)
        out.method = tree_method(len(idx), n, n_folds, ctx.seed, "label")
        measure, limit = "auc", fail_auc
    out.values = {"measure": measure, "power": powers, "sample_size": int(len(idx))}
    for c, v in powers.items():
        if v is not None and v >= limit:
            what = f"AUC {v:.3f}" if measure == "auc" else f"R² {v:.3f}"
            out.add(
                "DQ_LEAKAGE",
                "fail",
                f"{c} alone predicts {ctx.target} with {what}: it may leak the label (recorded after the outcome).",
                subject=c,
                measure=measure,
                value=v,
            )
    return out
