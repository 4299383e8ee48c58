"""Headline verdicts, the section status and the plain-language summary.

The headline holds, for every group column, the verdict rows (each group against the reference group) of the
metrics that lead the summary: for binary tasks the Aequitas fairness tree chooses them from the decision type
(see :func:`audits.fairness.framing`); multiclass: accuracy and each class's selection rate; regression: the
mean prediction and the worst-group error relative to everyone's.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from audits.fairness import verdicts as V
from audits.fairness.metrics import METRIC_TITLES
from audits.method import format_ci

if TYPE_CHECKING:
    from audits.fairness.framing import Framing

_VERDICT_WORDS = {
    V.PASS: "passes",
    V.FAIL: "fails",
    V.INCONCLUSIVE: "is inconclusive against",
    V.UNDEFINED: "cannot be checked against",
}
_ORDER = {V.FAIL: 0, V.INCONCLUSIVE: 1, V.PASS: 2, V.UNDEFINED: 3}


def headline_rows(
    rows: Sequence[dict[str, Any]], task: str, lead: Sequence[str] = ()
) -> list[dict[str, Any]]:
    """The verdict rows (``vs_reference``) that decide the status, lead metrics first."""
    if task == "binary":
        keep = list(lead)
    elif task == "multiclass":
        keep = ["accuracy"] + sorted({r["metric"] for r in rows if r["metric"].startswith("selection_rate[")})
    else:
        keep = ["mean_prediction", "mae_to_overall"]
    rank = {m: i for i, m in enumerate(keep)}
    out = [r for r in rows if r["method"] == "vs_reference" and r["metric"] in rank]
    return sorted(out, key=lambda r: rank[r["metric"]])


def status_of(headline: Sequence[dict[str, Any]]) -> str:
    """fail if any headline verdict fails, pass if every defined one passes, else inconclusive (the values of
    ``audits.results.Status``; plain strings so that this module does not import the result types)."""
    verdicts = {r["verdict"] for r in headline} - {V.UNDEFINED}
    if V.FAIL in verdicts:
        return V.FAIL
    if verdicts == {V.PASS}:
        return V.PASS
    return V.INCONCLUSIVE


def _ci(r: dict[str, Any], level: float) -> str:
    if r["ci_low"] is None or r["ci_high"] is None:
        return "no interval"
    note = str(r.get("note", ""))
    if r["verdict"] == V.FAIL and "Holm-adjusted " in note:
        pct = note.split("Holm-adjusted ", 1)[1].split("%", 1)[0]
        return format_ci(r["ci_low"], r["ci_high"], f"Holm-adjusted {pct}%", ".2f")
    return format_ci(r["ci_low"], r["ci_high"], level, ".2f")


def _tolerance_words(r: dict[str, Any]) -> str:
    if r["label"] == V.FOUR_FIFTHS_LABEL:
        return "the four-fifths heuristic (US EEOC)"
    if r["kind"] == "ratio" and r["metric"] != "mae_to_overall":
        return f"the policy band of {r['tolerance']:g}x to {1 / r['tolerance']:.3g}x"
    if r["kind"] == "ratio":
        return f"the policy limit of {r['tolerance']:.3g}x"
    return f"the policy tolerance of ±{r['tolerance']:g}"


def _outcome_phrases(metric: str, framing: Framing | None) -> tuple[str, str] | None:
    """(ratio phrase, difference phrase) for a binary rate, in words about the outcomes."""
    if framing is None or not framing.favourable:
        return None
    pos = framing.favourable if framing.favourable_is_positive else framing.adverse
    neg = framing.adverse if framing.favourable_is_positive else framing.favourable
    words = {
        "favourable_rate": f"receives the favourable outcome '{framing.favourable}'",
        "selection_rate": f"is predicted '{pos}'",
        "fpr": f"is wrongly predicted '{pos}' (truly '{neg}')",
        "fnr": f"is wrongly predicted '{neg}' (truly '{pos}')",
        "fdr": f"gets wrong '{pos}' predictions (false discoveries)",
        "for_": f"gets wrong '{neg}' predictions (false omissions)",
        "tpr": f"is rightly predicted '{pos}'",
        "tnr": f"is rightly predicted '{neg}'",
    }
    w = words.get(metric)
    return None if w is None else (w, w)


def _title(metric: str) -> str:
    base, _, cls = metric.partition("[")
    if metric == "mae_to_overall":
        return "mean absolute error"
    return METRIC_TITLES.get(base, base) + (f" of class {cls.rstrip(']')}" if cls else "")


def sentence(r: dict[str, Any], level: float, framing: Framing | None = None) -> str:
    """One plain sentence for a verdict row: the group, the reference, the metric and the verdict."""
    attr, metric = r["attribute"], r["metric"]
    if r["value"] is None:
        return f"For {attr}, the {_title(metric)} cannot be compared with the reference group: {r['note']}."
    g, ref = r.get("group") or "a group", r.get("reference") or "the reference group"
    tail = f" ({_ci(r, level)}): {_VERDICT_WORDS[r['verdict']]} {_tolerance_words(r)}."
    if r["tolerance"] is None:
        tail = f" ({_ci(r, level)}); no tolerance applies."
    phrases = _outcome_phrases(metric, framing)
    if metric == "mae_to_overall":
        return f"By {attr}, {g}'s mean absolute error is {r['value']:.2f}x everyone's" + tail
    if r["kind"] == "ratio":
        if phrases is not None:
            return f"By {attr}, {g} {phrases[0]} at {r['value']:.2f}x the rate of {ref}" + tail
        if metric.startswith("selection_rate["):
            return (
                f"By {attr}, {g} is predicted class {metric[15:-1]} at {r['value']:.2f}x the rate of {ref}"
                + tail
            )
        return f"By {attr}, {g}'s {_title(metric)} is {r['value']:.2f}x that of {ref}" + tail
    if phrases is not None:
        return (
            f"By {attr}, the rate at which {g} {phrases[1]} differs from {ref}'s by {r['value']:+.2f}" + tail
        )
    return f"By {attr}, {g}'s {_title(metric)} differs from {ref}'s by {r['value']:+.3g}" + tail


def _severity(r: dict[str, Any]) -> tuple[int, float]:
    v = r["value"]
    if v is None:
        gap = 0.0
    elif r["kind"] == "difference":
        gap = abs(v)
    else:
        gap = abs(1 - v)
    return _ORDER[r["verdict"]], -gap


def _context_sentence(
    headline: Sequence[dict[str, Any]],
    *,
    protected: Sequence[str],
    framing: Framing | None,
    rows: int | None,
    n_excluded: int,
    notes: Sequence[str],
) -> str:
    """The closing sentence: why verdicts are inconclusive, the framing, the given notes, what was left out."""
    extra = []
    counted = [r for r in headline if r["verdict"] != V.UNDEFINED]
    n_inc = sum(1 for r in counted if r["verdict"] == V.INCONCLUSIVE)
    if counted and n_inc * 2 > len(counted):
        extra.append(
            f"{n_inc} of {len(counted)} headline verdicts are inconclusive"
            + (f": with {rows:,} rows" if rows else ": with these group sizes")
            + " the intervals are too wide to show the gaps within or beyond the tolerance, and inconclusive is "
            "the honest answer, not a pass"
        )
    if framing is not None and framing.lead:
        titles = " and ".join(_title(m) for m in framing.lead)
        extra.append(
            f"favourable outcome '{framing.favourable}', {framing.decision} decision: {titles} parity lead "
            "(Aequitas fairness tree)"
        )
    extra += [n for n in notes if n]
    inter = [r for r in headline if r["attribute"] not in protected and r["verdict"] == V.FAIL]
    if inter:
        extra.append(f"{len(inter)} intersectional check(s) fail")
    if n_excluded:
        extra.append(f"{n_excluded} small group(s) are left out of the comparisons and listed separately")
    if not extra:
        return ""
    text = "; ".join(extra) + "."
    return text[0].upper() + text[1:]


def summarise(
    headline: Sequence[dict[str, Any]],
    *,
    level: float,
    protected: Sequence[str],
    framing: Framing | None = None,
    rows: int | None = None,
    n_excluded: int = 0,
    base_rate_note: str = "",
    extra_note: str = "",
) -> list[str]:
    """Two or three sentences: the deciding comparison, the next lead metric, then context."""
    if not headline:
        return [
            "No comparison with a reference group could be made (a single group, or too few rows per group)."
        ]
    by_prot = [r for r in headline if r["attribute"] in protected] or list(headline)
    ranked = sorted(by_prot, key=_severity)
    out = [sentence(ranked[0], level, framing)]
    nxt = next((r for r in ranked[1:] if r["metric"] != ranked[0]["metric"]), None)
    worst = sorted(headline, key=_severity)[0]
    if worst["verdict"] == V.FAIL and ranked[0]["verdict"] != V.FAIL:
        # The section fails on an intersection: say so first, so the verdict and its first sentence agree.
        out.insert(0, sentence(worst, level, framing))
    elif nxt is not None:
        out.append(sentence(nxt, level, framing))
    context = _context_sentence(
        headline,
        protected=protected,
        framing=framing,
        rows=rows,
        n_excluded=n_excluded,
        notes=[base_rate_note, extra_note],
    )
    if context:
        out.append(context)
    return out[:3]
