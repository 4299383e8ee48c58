"""Which outcome is favourable, what kind of decision it is, and the metrics that lead the summary (the Aequitas
fairness tree)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from audits.errors import AuditInputError

if TYPE_CHECKING:
    from audits.context import AuditContext


@dataclass(frozen=True)
class Framing:
    """Which outcome is favourable, what kind of decision it is, and the metrics that lead the summary."""

    favourable: str
    adverse: str
    favourable_is_positive: bool
    decision: str
    lead: tuple[str, ...]


def framing(ctx: AuditContext) -> Framing:
    """The framing of an audit context (see :func:`make_framing`)."""
    cfg = ctx.config
    return make_framing(
        ctx.task,
        ctx.positive_label,
        ctx.classes,
        getattr(cfg, "favourable_label", None),
        str(getattr(cfg, "decision", "assistive") or "assistive"),
        target=cfg.target,
    )


def make_framing(
    task: str, positive_label: Any, classes: Any, favourable_label: Any, decision: str, *, target: str
) -> Framing:
    """The Aequitas fairness tree on this task's labels.

    The intervention is the favourable outcome for an assistive decision and the adverse one for a punitive
    decision. Punitive: false positive and false discovery rate parity of the intervention; assistive: false
    negative and false omission rate parity; representation: parity of the favourable outcome's rate. Metrics
    are stored for the positive class, so an intervention on the negative class swaps FPR with FNR and FDR
    with FOR.
    """
    if task != "binary":
        return Framing("", "", True, decision, ())
    pos = str(positive_label)
    others = [str(c) for c in classes if str(c) != pos]
    neg = others[0] if others else ""
    fav = pos if favourable_label is None else str(favourable_label)
    if fav not in (pos, neg):
        raise AuditInputError(
            f"config: favourable_label {favourable_label!r} is not one of the labels of '{target}' ({pos!r}, "
            f"{neg!r}). Set favourable_label (or --favourable-label) to one of them."
        )
    fav_pos = fav == pos
    if decision == "representation":
        lead: tuple[str, ...] = ("favourable_rate",)
    else:
        intervention_positive = fav_pos if decision == "assistive" else not fav_pos
        if decision == "punitive":
            lead = ("fpr", "fdr") if intervention_positive else ("fnr", "for_")
        else:
            lead = ("fnr", "for_") if intervention_positive else ("fpr", "fdr")
    return Framing(fav, neg if fav_pos else pos, fav_pos, decision, lead)
