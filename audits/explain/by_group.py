"""SHAP by protected group: mean attributions per group and which features drive the gap between two groups.

For two groups a and b, the per-feature contribution to the gap is ``mean SHAP in a - mean SHAP in b``. Because
every row's SHAP values add up to its output minus the (shared) base value, these contributions add up to the gap
in mean model output, ``mean output in a - mean output in b``, up to the additivity error. This is the bridge
between the fairness section (how large the gap is) and the explanation section (what produces it).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from audits.context import AuditContext
from audits.explain.shap_values import Attributions
from audits.group_labels import as_str_array
from audits.results import Table

MIN_GAP_ROWS = 20  # a group needs this many explained rows to take part in the gap comparison
SENTENCE_FEATURES = 3


def _wmean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    return np.average(x, axis=0, weights=w)


def group_means(
    att: Attributions, weights: np.ndarray, groups: np.ndarray, features: tuple[str, ...]
) -> pd.DataFrame:
    """One row per group: explained rows, weighted mean output and weighted mean SHAP per feature."""
    rows = []
    for g in pd.unique(groups):
        m = groups == g
        w = weights[m]
        row: dict[str, Any] = {
            "group": str(g),
            "count": int(m.sum()),
            "mean_output": float(_wmean(att.output[m], w)),
        }
        means = _wmean(att.values[m], w)
        row.update({f: float(v) for f, v in zip(features, means, strict=True)})
        rows.append(row)
    frame = pd.DataFrame(rows, columns=["group", "count", "mean_output", *features])
    return frame.sort_values("count", ascending=False, kind="stable").reset_index(drop=True)


def _pick_pair(frame: pd.DataFrame, reference: str | None) -> tuple[str, str] | None:
    big = frame[frame["count"] >= MIN_GAP_ROWS]
    if len(big) < 2:
        return None
    ref = reference if reference is not None and reference in set(big["group"]) else str(big.iloc[0]["group"])
    ref_out = float(big.loc[big["group"] == ref, "mean_output"].iloc[0])
    others = big[big["group"] != ref]
    other = str(others.iloc[int(np.argmax(np.abs(others["mean_output"].to_numpy() - ref_out)))]["group"])
    return ref, other


def group_gap(
    frame: pd.DataFrame, column: str, features: tuple[str, ...], *, reference: str | None, space: str
) -> dict[str, Any] | None:
    """Contribution of each feature to the gap in mean output between the reference (or largest) group and the
    group whose mean output differs most from it (both with at least ``MIN_GAP_ROWS`` explained rows)."""
    pair = _pick_pair(frame, reference)
    if pair is None:
        return None
    a, b = pair
    ra = frame[frame["group"] == a].iloc[0]
    rb = frame[frame["group"] == b].iloc[0]
    gap = float(ra["mean_output"] - rb["mean_output"])
    contributions = {f: float(ra[f] - rb[f]) for f in features}
    return {
        "groups": [a, b],
        "gap": gap,
        "mean_output": {a: float(ra["mean_output"]), b: float(rb["mean_output"])},
        "contributions": contributions,
        "unexplained": gap - sum(contributions.values()),
        "sentence": gap_sentence(column, a, b, gap, contributions, space=space),
    }


def gap_sentence(
    column: str, a: str, b: str, gap: float, contributions: dict[str, float], *, space: str
) -> str:
    """Plain language: which features drive the difference in scores between two groups."""
    if gap == 0 or not contributions:
        return f"The mean model output ({space}) is the same for {column} = {a} and {column} = {b}."
    higher, lower = (a, b) if gap > 0 else (b, a)
    sign = np.sign(gap)
    ranked = sorted(contributions.items(), key=lambda kv: -sign * kv[1])
    widening = [(f, v) for f, v in ranked if sign * v > 0][:SENTENCE_FEATURES]
    parts = [f"{f} ({abs(v) / abs(gap):.0%})" for f, v in widening]
    sentence = (
        f"The mean model output ({space}) is {abs(gap):.3g} higher for {column} = {higher} than for "
        f"{column} = {lower}"
    )
    if parts:
        sentence += "; SHAP attributes the difference mostly to " + ", ".join(parts)
    narrowing = [(f, v) for f, v in ranked[::-1] if sign * v < 0][:1]
    if narrowing and abs(narrowing[0][1]) >= 0.05 * abs(gap):
        f, v = narrowing[0]
        sentence += f", while {f} narrows it by {abs(v) / abs(gap):.0%}"
    listed = {f for f, _ in widening}
    if column in contributions and column not in listed and sign * contributions[column] > 0:
        sentence += (
            f". The protected column {column} itself accounts for {abs(contributions[column]) / abs(gap):.0%}"
        )
    return sentence + " (shares of the gap; attributions, not causes)."


def by_group(
    ctx: AuditContext, att: Attributions, weights: np.ndarray, *, space: str
) -> tuple[dict[str, Table], dict[str, Any]]:
    """Tables ``by_group:<column>`` and ``group_gap`` entries for every protected column."""
    tables: dict[str, Table] = {}
    gaps: dict[str, Any] = {}
    reference = {a.column: a.reference_group for a in ctx.config.protected}
    for col in ctx.protected_columns:
        groups = as_str_array(ctx.sensitive[col])[att.rows]
        frame = group_means(att, weights, groups, ctx.features)
        tables[f"by_group:{col}"] = Table.from_frame(
            frame,
            title=f"Mean SHAP value per {col} group",
            note=(
                f"{len(att.rows):,} explained rows; count = explained rows in the group; means use design weights; "
                f"output space: {space}."
            ),
        )
        if ctx.task != "multiclass":
            gap = group_gap(frame, col, ctx.features, reference=reference.get(col), space=space)
            if gap is not None:
                if ctx.task == "binary" and ctx.y_score is not None:
                    # The same two groups' mean score on every row: the figure the fairness section reports.
                    every = as_str_array(ctx.sensitive[col])
                    scores = {g: float(np.mean(ctx.y_score[every == g])) for g in gap["groups"]}
                    gap["mean_score_all_rows"] = scores
                    a, b = gap["groups"]
                    gap["sentence"] = gap["sentence"] + (
                        f" On all {ctx.n_rows:,} rows the mean predicted probability of {ctx.positive_label_str!r} "
                        f"is {scores[a]:.3f} for {a} and {scores[b]:.3f} for {b}."
                    )
                gaps[col] = gap
    return tables, gaps
