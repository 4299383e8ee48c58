"""Headline disparities, the section status and the plain-language summary."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from audits.fairness import verdicts as V
from audits.fairness.metrics import METRIC_TITLES
from audits.results import Status

# (metric, kind) pairs, between groups, that make the headline of each task.
HEADLINE = {
    "binary": (
        ("demographic_parity", "ratio"),
        ("demographic_parity", "difference"),
        ("equalized_odds", "difference"),
        ("equal_opportunity", "difference"),
    ),
    "multiclass": (("accuracy", "difference"),),
    "regression": (("mae", "ratio"), ("mean_prediction", "ratio")),
}

_VERDICT_WORDS = {
    V.PASS: "passes",
    V.FAIL: "fails",
    V.INCONCLUSIVE: "is inconclusive against",
    V.UNDEFINED: "cannot be checked against",
}


def headline_rows(rows: Sequence[dict[str, Any]], task: str) -> list[dict[str, Any]]:
    """The between-groups rows that decide the status (multiclass: also per-class selection-rate ratios)."""
    keys = set(HEADLINE[task])
    out = []
    for r in rows:
        if r["method"] != "between_groups" or r["tolerance"] is None:
            continue
        if (r["metric"], r["kind"]) in keys or (
            task == "multiclass" and r["metric"].startswith("selection_rate[") and r["kind"] == "ratio"
        ):
            out.append(r)
    return out


def status_of(headline: Sequence[dict[str, Any]]) -> Status:
    """fail if any headline verdict fails, else inconclusive if any is inconclusive (or none is defined)."""
    verdicts = {r["verdict"] for r in headline}
    if V.FAIL in verdicts:
        return Status.FAIL
    if V.INCONCLUSIVE in verdicts or not (verdicts - {V.UNDEFINED}):
        return Status.INCONCLUSIVE
    return Status.PASS


def _ci(r: dict[str, Any], level: float) -> str:
    if r["ci_low"] is None or r["ci_high"] is None:
        return "no interval"
    return f"{level:.0%} CI {r['ci_low']:.2f}–{r['ci_high']:.2f}"


def _tolerance_words(r: dict[str, Any]) -> str:
    if r["label"] == V.FOUR_FIFTHS_LABEL:
        return "the four-fifths heuristic (US EEOC)"
    return f"the policy tolerance of {r['tolerance']:g}"


def sentence(r: dict[str, Any], level: float) -> str:
    """One plain sentence for a headline row."""
    if r["value"] is not None and r["tolerance"] is None:
        return (
            f"By {r['attribute']}, the {r['metric'].replace('_', ' ')} {r['kind']} is {r['value']:.2f} "
            f"({_ci(r, level)}); no tolerance applies ({r['note']})."
        )
    verdict = _VERDICT_WORDS[r["verdict"]]
    low, high = r.get("group") or "the lowest group", r.get("reference") or "the highest group"
    attr = r["attribute"]
    if r["value"] is None:
        return f"For {attr}, the {r['metric'].replace('_', ' ')} {r['kind']} is undefined: {r['note']}."
    if r["metric"] == "demographic_parity" and r["kind"] == "ratio":
        return (
            f"By {attr}, {low} is selected at {r['value']:.2f}x the rate of {high} ({_ci(r, level)}): "
            f"{verdict} {_tolerance_words(r)}."
        )
    if r["metric"] == "demographic_parity":
        return (
            f"By {attr}, selection rates differ by {r['value']:.2f} between {high} and {low} "
            f"({_ci(r, level)}): {verdict} {_tolerance_words(r)}."
        )
    if r["metric"] in ("equalized_odds", "equal_opportunity"):
        what = (
            "true or false positive rates"
            if r["metric"] == "equalized_odds"
            else "true positive rates (equal opportunity)"
        )
        return (
            f"By {attr}, {what} differ by up to {r['value']:.2f} between {high} and {low} ({_ci(r, level)}): "
            f"{verdict} {_tolerance_words(r)}."
        )
    base, _, cls = r["metric"].partition("[")
    title = METRIC_TITLES.get(base, base) + (f" of class {cls.rstrip(']')}" if cls else "")
    return (
        f"By {attr}, the {title} {r['kind']} between {low} and {high} is {r['value']:.2f} ({_ci(r, level)}): "
        f"{verdict} {_tolerance_words(r)}."
    )


def _severity(r: dict[str, Any]) -> tuple[int, float]:
    order = {V.FAIL: 0, V.INCONCLUSIVE: 1, V.PASS: 2, V.UNDEFINED: 3}
    v = r["value"]
    gap = 0.0 if v is None else (v if r["kind"] == "difference" else 1 - v)
    return order[r["verdict"]], -gap


def summarise(
    headline: Sequence[dict[str, Any]],
    *,
    level: float,
    protected: Sequence[str],
    n_excluded: int,
    base_rate_note: str = "",
    extra_note: str = "",
) -> list[str]:
    """Two or three sentences: the worst selection-rate gap, the worst error-rate gap, and context."""
    out: list[str] = []
    if not headline:
        return ["No disparity could be computed (a single group, or too few rows per group)."]
    by_prot = [r for r in headline if r["attribute"] in protected] or list(headline)
    dp = sorted(
        (r for r in by_prot if r["metric"] == "demographic_parity" and r["kind"] == "ratio"), key=_severity
    )
    if dp:
        out.append(sentence(dp[0], level))
    others = sorted((r for r in by_prot if r["metric"] != "demographic_parity"), key=_severity)
    if others:
        out.append(sentence(others[0], level))
    worst = sorted(headline, key=_severity)[0]
    shown = ([dp[0]] if dp else []) + ([others[0]] if others else [])
    if worst["verdict"] == V.FAIL and all(r["verdict"] != V.FAIL for r in shown):
        # The section fails on an intersection: say so first, so the verdict and its first sentence agree.
        out.insert(0, sentence(worst, level))
    if not dp:
        # Multiclass and regression: a second headline of another metric.
        nxt = next((r for r in others[1:] if r["metric"] != others[0]["metric"]), None)
        if nxt is not None:
            out.append(sentence(nxt, level))
    extra = []
    also = [r for r in dp[1:] if r["verdict"] == V.FAIL]
    if also:
        extra.append(
            "selection-rate ratios also fail by "
            + ", ".join(
                f"{r['attribute']} ({r['group']} at {r['value']:.2f}x {r['reference']})" for r in also
            )
        )
    if base_rate_note:
        extra.append(base_rate_note)
    if extra_note:
        extra.append(extra_note)
    inter = [r for r in headline if r["attribute"] not in protected and r["verdict"] == V.FAIL]
    if inter:
        extra.append(f"{len(inter)} intersectional check(s) fail")
    if n_excluded:
        extra.append(
            f"{n_excluded} small group(s) are excluded from headline disparities and listed separately"
        )
    if extra:
        text = "; ".join(extra) + "."
        out.append(text[0].upper() + text[1:])
    return out[:3]
