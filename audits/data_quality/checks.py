"""Single-dataset checks (CHECKS.md, "Data quality (one dataset)").

Each function takes a :class:`CheckEnv` and returns a :class:`CheckOutput`; thresholds come from
``env.opts`` (the policy's value, else the default declared in the registry).
"""

from __future__ import annotations

import re
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
# Spellings that commonly mean "missing" (pandas' default list among them), compared lower-cased and stripped.
# The reader keeps them as written unless na_values lists them, so a real category "None" stays a category.
NULL_TOKENS = (
    "", "na", "n/a", "n.a.", "#n/a", "<na>", "nan", "-nan", "none", "null", "nil", "?", "-", "--", "missing",
)  # fmt: skip
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


def null_token_hits(env: CheckEnv, column: str) -> np.ndarray:
    """Which distinct values of a text column are common missing-value spellings (shared by three checks)."""

    def compute() -> np.ndarray:
        p = env.data[column]
        if not _is_text_like(p) or p.values is not None:
            return np.zeros(p.distinct, dtype=bool)
        norm = pd.Series(p.uniques.astype(str), dtype=object).str.strip().str.lower()
        return norm.isin(NULL_TOKENS).to_numpy()

    return env.cached(f"null_tokens:{column}", compute)


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
        hit = null_token_hits(env, c)
        tokens = sorted({repr(str(v)) for v in p.uniques[hit]})
        kinds = tokens + (["NaN"] if p.n_missing else [])
        if len(kinds) < 2 or not tokens:
            continue  # a single token is DQ_NULL_TOKENS's finding, with its share
        found[c] = kinds
        n_tok = int(p.counts[hit].sum())
        out.add(
            "DQ_MIXED_NULLS",
            "fail",
            f"{c} spells missing values {len(kinds)} ways ({', '.join(kinds)}); only what na_values lists (and the "
            "empty cell) is read as missing, so the others are treated as categories.",
            subject=c,
            kinds=kinds,
            token_rows=n_tok,
        )
    out.values = {"columns": found}
    return out


def check_null_tokens(env: CheckEnv) -> CheckOutput:
    """Common missing-value spellings ('None', 'NA', 'null', '-', ...) held as values, with their share."""
    warn_numeric = bool(env.opts("warn_numeric"))
    na_values = [str(v) for v in env.ctx.config.na_values]
    out = CheckOutput(
        method=(
            f"values equal to one of {list(NULL_TOKENS)} (case and surrounding spaces ignored) in text columns; "
            f"the file was read with na_values {na_values} (the empty cell always), so these were kept as written"
        )
    )
    found: dict[str, dict[str, Any]] = {}
    for c in env.audited:
        p = env.data[c]
        if not _is_text_like(p):
            continue
        hit = null_token_hits(env, c)
        if not hit.any():
            continue
        shares = {str(v): int(k) / p.n for v, k in zip(p.uniques[hit], p.counts[hit], strict=True)}
        rest = ~hit
        # a number column with a token in it is read as text: the token changed the column's type
        numeric_rest = bool(rest.any()) and bool(_numberlike(p.uniques[rest]).all())
        found[c] = {"tokens": shares, "rest_is_numeric": numeric_rest}
        share = sum(shares.values())
        listed = ", ".join(
            f"{v!r} in {fmt_pct(s_)} of rows" for v, s_ in sorted(shares.items(), key=lambda t: -t[1])
        )
        tokens = ", ".join(repr(v) for v in shares)
        if numeric_rest:
            msg = (
                f"{c} holds {listed}; its other values are numbers, so the whole column is read as text. Add "
                f"{tokens} to na_values if it means missing (the column then reads as numbers)."
            )
            sev = "warn" if warn_numeric else "info"
        else:
            msg = (
                f"{c} holds {listed}, read as a category; add {tokens} to na_values if it means missing, keep it "
                "if it is a real answer (e.g. 'None' = test not taken)."
            )
            sev = "info"
        out.add(
            "DQ_NULL_TOKENS", sev, msg, subject=c, share=share, tokens=shares, rest_is_numeric=numeric_rest
        )
    out.values = {"columns": found, "na_values": na_values}
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


SENTINEL_CODES = (-1.0, -9.0, -99.0, -999.0, -9999.0, 9.0, 99.0, 999.0, 9999.0, 99999.0, 999999.0)


def _fmt_num(v: float) -> str:
    return f"{int(v):,}" if float(v).is_integer() else f"{v:,.6g}"


def _edge_sentinels(
    u: np.ndarray, cnt: np.ndarray, *, spike: float, far: float, min_rows: int
) -> list[dict[str, Any]]:
    """Sentinel candidates at the two ends of a numeric column's distinct values ``u`` (counts ``cnt``).

    An end value is a sentinel when it is a spike (at least ``spike`` times the rows of a typical other value
    and of its neighbour, and ``min_rows`` rows) and either a common code (-1, 99, 999, ...) or far from the
    rest (its gap to the next value exceeds ``far`` times the range of the other values).
    """
    k = len(u)
    if k < 3:
        return []
    order = np.argsort(u, kind="stable")
    found = []
    for end, nb, other in ((order[0], order[1], order[1:]), (order[-1], order[-2], order[:-1])):
        v, c = float(u[end]), int(cnt[end])
        typical = max(float(np.median(cnt[other])), float(cnt[nb]))
        if c < min_rows or c < spike * typical:
            continue
        rest_range = float(u[other].max() - u[other].min())
        gap = abs(v - float(u[nb]))
        is_code = v in SENTINEL_CODES
        is_far = rest_range > 0 and gap > far * rest_range
        if is_code or is_far:
            found.append(
                {
                    "value": v,
                    "rows": c,
                    "end": "minimum" if end == order[0] else "maximum",
                    "next_value": float(u[nb]),
                    "typical_rows": typical,
                    "common_code": is_code,
                    "far_from_rest": is_far,
                }
            )
    return found


def check_sentinels(env: CheckEnv) -> CheckOutput:
    """Codes posing as numbers: a spike at -1, 99, 999, ... or at a minimum/maximum far from the rest."""
    spike, far, min_rows = float(env.opts("spike")), float(env.opts("far")), int(env.opts("min_rows"))
    cols = _numeric_columns(env, exclude_target=True)
    if not cols:
        return CheckOutput.not_applicable("no numeric feature")
    out = CheckOutput(
        method=(
            f"per numeric column, its smallest and largest value: flagged when it is a spike (>= {spike:g}x the rows "
            f"of a typical other value and of its neighbour, >= {min_rows} rows) and either a common code "
            f"({', '.join(_fmt_num(v) for v in SENTINEL_CODES)}) or far from the rest (gap to the next value > "
            f"{far:g}x the range of the other values); a column holding one common code only is flagged too"
        )
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for c in cols:
        p = env.data[c]
        u = np.asarray(p.uniques, dtype=float)
        fin = np.isfinite(u)
        u, cnt = u[fin], p.counts[fin]
        if len(u) == 1 and float(u[0]) in SENTINEL_CODES:
            v = float(u[0])
            found[c] = [{"value": v, "rows": int(cnt[0]), "end": "only value", "common_code": True}]
            out.add(
                "DQ_SENTINEL",
                "warn",
                f"{c} holds the code {_fmt_num(v)} in every non-missing row ({_rows(int(cnt[0]))}): it is all "
                "sentinel and carries no measured value. Declare the code in na_values or drop the column.",
                subject=c,
                value=v,
                share=int(cnt[0]) / p.n,
            )
            continue
        hits = _edge_sentinels(u, cnt, spike=spike, far=far, min_rows=min_rows)
        if not hits:
            continue
        found[c] = hits
        for h in hits:
            share = h["rows"] / p.n
            why = []
            if h["common_code"]:
                why.append("a common code for 'unknown' or 'not applicable'")
            if h["far_from_rest"]:
                why.append(f"far from the rest (next value {_fmt_num(h['next_value'])})")
            out.add(
                "DQ_SENTINEL",
                "warn",
                f"{c} holds {_fmt_num(h['value'])} in {fmt_pct(share, 2)} of rows ({_rows(h['rows'])}), its "
                f"{h['end']}, {' and '.join(why)}: it looks like a code or a cap, not a measured number. If it "
                "means missing, add it to na_values; if it is a category, list the column under categorical or "
                "add an indicator column.",
                subject=c,
                value=h["value"],
                share=share,
                rows=h["rows"],
                end=h["end"],
            )
    out.values = {"columns": found}
    return out


def check_numeric_codes(env: CheckEnv) -> CheckOutput:
    """Numeric columns that look like category codes (few distinct whole numbers), and their rare codes."""
    max_distinct, min_rows = int(env.opts("max_distinct")), int(env.opts("min_rows"))
    rare = float(env.opts("rare_share"))
    declared = set(env.ctx.config.categorical)
    cols = [c for c in _numeric_columns(env, min_distinct=3, exclude_target=True) if c not in declared]
    out = CheckOutput(
        method=(
            f"numeric columns (not listed under categorical) with 3 to {max_distinct} distinct whole-number values "
            f"and at least {min_rows} rows; codes under {fmt_pct(rare)} of rows listed as rare"
        )
    )
    if env.data.n < min_rows:
        return CheckOutput.not_applicable(f"fewer than {min_rows} rows")
    found: dict[str, dict[str, Any]] = {}
    for c in cols:
        p = env.data[c]
        if p.distinct > max_distinct:
            continue
        u = np.asarray(p.uniques, dtype=float)
        if not (np.isfinite(u).all() and np.all(np.mod(u, 1) == 0)):
            continue
        order = np.argsort(u)
        codes_txt = [_fmt_num(v) for v in u[order]]
        rare_codes = [_fmt_num(u[i]) for i in order if p.counts[i] / p.n < rare]
        found[c] = {"codes": codes_txt, "rare_codes": rare_codes}
        extra = (
            f"; code(s) {', '.join(rare_codes)} hold under {fmt_pct(rare)} of rows each: check that they are "
            "documented (allowed_values)"
            if rare_codes
            else ""
        )
        out.add(
            "DQ_NUMERIC_CODES",
            "info",
            f"{c} holds only {p.distinct} distinct whole numbers ({', '.join(codes_txt)}): if they are codes rather "
            f"than quantities, list {c} under categorical so the checks and groups treat each code as a "
            f"category{extra}.",
            subject=c,
            codes=codes_txt,
            rare_codes=rare_codes,
        )
    out.values = {"columns": found}
    return out


def _as_code(v: Any) -> str:
    """A value as codebook text: 1.0 -> '1' (an integer code stored as float), else ``str``."""
    if isinstance(v, float | np.floating) and float(v).is_integer():
        return str(int(v))
    return str(v).strip()


def check_allowed_values(env: CheckEnv) -> CheckOutput:
    """Values outside the codebook given in the config's ``allowed_values``."""
    books = dict(env.ctx.config.allowed_values)
    out = CheckOutput(
        method="distinct non-missing values of each column compared as text with its allowed_values (1.0 = 1)"
        if books
        else "no allowed_values in the config: no codebook to compare with"
    )
    found: dict[str, dict[str, Any]] = {}
    for c, allowed in books.items():
        if c not in env.data.frame.columns:
            continue  # refused at the entry (build_context); kept safe for in-memory callers
        p = env.data[c]
        book = {_as_code(v) for v in allowed}
        outside = [i for i, v in enumerate(p.uniques) if _as_code(v) not in book]
        if not outside:
            found[c] = {"outside": {}, "rows": 0, "share": 0.0}
            continue
        outside.sort(key=lambda i: -p.counts[i])
        vals = {_short(p.uniques[i]): int(p.counts[i]) for i in outside}
        rows = int(sum(vals.values()))
        share = rows / p.n
        found[c] = {"outside": vals, "rows": rows, "share": share}
        listed = ", ".join(f"{v!r} ({k:,})" for v, k in list(vals.items())[:8]) + (
            f", … (+{len(vals) - 8} more)" if len(vals) > 8 else ""
        )
        out.add(
            "DQ_ALLOWED_VALUES",
            "warn",
            f"{c} holds {len(vals)} value(s) outside its allowed_values in {_rows(rows)} ({fmt_pct(share, 2)}): "
            f"{listed}. Correct them, or add them to the codebook if they are valid codes.",
            subject=c,
            outside=vals,
            rows=rows,
            share=share,
        )
    out.values = {"columns": found}
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
        token = null_token_hits(env, c)  # reported by DQ_NULL_TOKENS, not as a stray type
        num_rows = int(p.counts[is_num].sum())
        txt_rows = int(p.counts[~is_num & ~token].sum())
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


def _model_score(ctx: Any, idx: np.ndarray, y: np.ndarray) -> tuple[float | None, str]:
    """The model's own score on the rows ``idx``: ROC AUC of its scores (labels without scores), or R²."""
    if ctx.task == "regression":
        pred = np.asarray(ctx.y_pred, dtype=float)[idx]
        ss = float(((y - y.mean()) ** 2).sum())
        if ss <= 0 or not np.isfinite(pred).all():
            return None, "R² undefined (constant target or non-finite predictions)"
        return 1 - float(((y - pred) ** 2).sum()) / ss, "R² of the model's predictions"
    if ctx.y_score is not None:
        score = np.asarray(ctx.y_score, dtype=float)[idx]
        how = "ROC AUC of the model's scores"
    else:
        score = np.asarray(ctx.y_pred)[idx]
        how = "ROC AUC of the model's predicted labels (no scores given)"
    if ctx.task == "binary":
        return rank_auc_fast(y == 1, score.ravel()), how
    k = int(max(y.max(), np.asarray(ctx.y_true).max())) + 1
    if score.ndim == 1:  # labels only: one-hot "probabilities"
        onehot = np.zeros((len(score), k))
        onehot[np.arange(len(score)), score.astype(np.int64)] = 1.0
        score = onehot
    return weighted_ovr_auc(y, score), how


def leakage_severity(
    value: float | None, model: float | None, *, relative: float, absolute: float, fail: float, floor: float
) -> tuple[str, str]:
    """``fail`` / ``warn`` / ``pass`` of a single feature's power, and which tier decided it.

    The relative tier applies only to features with real power of their own (at least ``floor``), so that a
    weak model does not make every weak feature look like a leak.
    """
    if value is None or not np.isfinite(value):
        return "pass", ""
    if value >= fail:
        return "fail", f"at or above {fail:g}"
    if value >= absolute:
        return "warn", f"at or above {absolute:g}"
    if model is not None and model > 0 and value >= floor and value >= relative * model:
        return "warn", f"{value / model:.2f} of the model's own score (warn from {relative:g})"
    return "pass", ""


def check_leakage(env: CheckEnv) -> CheckOutput:
    """Predictive power of each single feature for the label, in tiers against the model's own score."""
    ctx = env.ctx
    pol = ctx.policy
    relative, absolute, fail = (
        float(pol.leakage_warn_relative),
        float(pol.leakage_warn_absolute),
        float(pol.leakage_fail),
    )
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
        measure, floor = "r2", float(env.opts("relative_floor_r2"))
    else:
        y_all = np.asarray(ctx.y_true, dtype=np.int64)
        idx = stratified_sample(y_all, size, rng)
        y = y_all[idx]
        k = int(y_all.max()) + 1
        folds = stratified_folds(y, n_folds, rng)
        for c in feats:
            powers[c] = single_feature_power(env.data[c], idx, y, k, folds, n_folds)
        out.method = tree_method(len(idx), n, n_folds, ctx.seed, "label")
        measure, floor = "auc", float(env.opts("relative_floor_auc"))
    model, model_how = _model_score(ctx, idx, y)
    out.method += (
        f"; the model's own score on the same rows: {model_how}; warn at {relative:g}x the model's score (features "
        f"of at least {floor:g}) or at {absolute:g}, fail at {fail:g} (policy leakage_warn_relative, "
        "leakage_warn_absolute, leakage_fail)"
    )
    label = "AUC" if measure == "auc" else "R²"
    out.values = {
        "measure": measure,
        "power": powers,
        "sample_size": int(len(idx)),
        "model_score": model,
        "model_score_how": model_how,
        "relative": {c: (v / model if v is not None and model else None) for c, v in powers.items()},
        "thresholds": {"warn_relative": relative, "warn_absolute": absolute, "fail": fail, "floor": floor},
    }
    for c, v in powers.items():
        sev, tier = leakage_severity(v, model, relative=relative, absolute=absolute, fail=fail, floor=floor)
        if sev == "pass":
            continue
        own = f" (the model's own {label}: {model:.3f})" if model is not None else ""
        out.add(
            "DQ_LEAKAGE",
            sev,
            f"{c} alone predicts {ctx.target} with {label} {v:.3f}, {tier}{own}: check that {c} is known at the "
            "moment the prediction is made, not recorded after the outcome.",
            subject=c,
            measure=measure,
            value=v,
            model_score=model,
            ratio=(v / model) if model else None,
            tier=tier,
        )
    return out


# Words in a column name that suggest information recorded after the outcome (the call's duration, the loan's
# final status, a payment made later); an info finding only: the name is a hint, not evidence.
POST_OUTCOME_WORDS = frozenset(
    {
        "duration", "outcome", "outcomes", "result", "results", "paid", "repaid", "payoff", "settled", "closed",
        "final", "resolution", "disposition", "discharge", "discharged", "followup", "churned", "readmitted",
        "readmission", "recovered", "recovery", "chargeoff", "writeoff", "collected", "collection",
    }
)  # fmt: skip
POST_OUTCOME_PHRASES = ("default_after", "after_", "_after", "post_", "days_to_", "time_to_", "follow_up")


def _name_words(name: str) -> list[str]:
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1_\2", name)
    return [w for w in re.split(r"[^0-9a-zA-Z]+", spaced.lower()) if w]


def check_post_outcome_names(env: CheckEnv) -> CheckOutput:
    """Feature names that suggest post-outcome information (duration, outcome, result, paid, ...)."""
    ctx = env.ctx
    feats = [c for c in ctx.features if c != ctx.target]
    out = CheckOutput(
        method=(
            f"feature names containing one of the words {sorted(POST_OUTCOME_WORDS)} or the parts "
            f"{list(POST_OUTCOME_PHRASES)} (case and separators ignored); a hint, not a measurement"
        )
    )
    found: dict[str, list[str]] = {}
    for c in feats:
        words = _name_words(str(c))
        joined = "_" + "_".join(words) + "_"
        hits = [w for w in words if w in POST_OUTCOME_WORDS]
        hits += [ph.strip("_") for ph in POST_OUTCOME_PHRASES if ph in joined]
        if not hits:
            continue
        found[c] = sorted(set(hits))
        out.add(
            "DQ_POST_OUTCOME_NAME",
            "info",
            f"The name of {c} suggests information recorded after the outcome ({', '.join(found[c])}): check that "
            "its value is known when the prediction is made; if not, the model leaks the answer.",
            subject=c,
            words=found[c],
        )
    out.values = {"columns": found}
    return out
