"""Upgrade saved audit results to the current schema, one version at a time.

``UPGRADERS`` maps a schema version to the function that turns a result dict of that version into the next
one; :func:`upgrade` chains them up to ``audits.results.SCHEMA_VERSION``. An upgrader recomputes what the saved
numbers allow and says plainly what they do not (a note at the top of the section's summary, a warning
finding ``RESULT_UPGRADED`` and ``metrics["upgrade"]``).

1.0 -> 1.1 (fairness verdicts against a reference group): for a binary audit without sample weights, each
group's confusion counts follow exactly from its row counts and rates (tp = TPR × positives, fp = FPR ×
negatives), so the rate intervals, the reference-group table and the verdicts are recomputed as a 1.1 audit
would give them; the ROC AUC intervals are kept. Elsewhere (sample weights, multiclass, regression) the 1.0
verdicts cannot be recomputed: they are withdrawn (``undefined``), the section is ``inconclusive`` and the
note says to re-run the audit.

1.1 -> 1.2 (the row ledger and the data profile of :func:`audits.compare.compare`): a 1.1 result kept neither,
and neither can be rebuilt from its numbers. Both become ``{"status": "absent", "reason": ...}``: a comparison
with such a result is not paired (the independent standard error is used, which is conservative) and computes
no data drift. The sections are unchanged.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from audits.errors import AuditInputError

UNKNOWN_VERSION = (
    "{source}: this audit result has schema version {found!r}; this version of RAI Audit reads schema "
    "{expected!r} and can upgrade {known}. Re-run the audit with this version (rai-audit run ...) to produce a "
    "readable result."
)
UPGRADE_CODE = "RESULT_UPGRADED"


def _warning(section: dict[str, Any], note: str, details: Mapping[str, Any]) -> None:
    section["summary"] = [note, *section.get("summary", [])]
    section["findings"] = [
        {"code": UPGRADE_CODE, "severity": "warn", "message": note, "subject": "", "evidence": dict(details)},
        *section.get("findings", []),
    ]
    section.setdefault("metrics", {})["upgrade"] = {"from": "1.0", "to": "1.1", "note": note, **details}


def _descriptive(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """1.0 disparity rows as 1.1 has them: between_groups / to_overall described, signed rows dropped."""
    from audits.fairness import disparities as D
    from audits.fairness import verdicts as V

    out = []
    for r in rows:
        if r.get("method") == "signed":
            continue
        defined = r.get("value") is not None
        out.append(
            {
                **r,
                "ci_low": None,
                "ci_high": None,
                "tolerance": None,
                "verdict": D.DESCRIPTIVE if defined else V.UNDEFINED,
                "label": D.DESCRIPTIVE_LABEL if defined else "",
            }
        )
    return out


def _counts(data: Mapping[str, list]) -> np.ndarray | None:
    """(g, 4) confusion counts (tp, fp, tn, fn) from a 1.0 groups table, or None when they do not follow."""
    out = []
    for j in range(len(data["group"])):
        n, pos, neg = data["count"][j], data["positives"][j], data["negatives"][j]
        if n is None or pos is None or neg is None:
            return None
        tpr, fpr, sel = data["tpr"][j], data["fpr"][j], data["selection_rate"][j]
        tp = 0 if pos == 0 else round((tpr or 0.0) * pos)
        fp = 0 if neg == 0 else round((fpr or 0.0) * neg)
        # The rates must be reproduced exactly by whole counts, else the table is not what we think it is.
        if (pos and abs(tp / pos - tpr) > 1e-9) or (neg and abs(fp / neg - fpr) > 1e-9):
            return None
        if sel is not None and n and abs((tp + fp) / n - sel) > 1e-9:
            return None
        out.append([tp, fp, neg - fp, pos - tp])
    return np.asarray(out, dtype=np.int64)


def _settings_of(method: Mapping[str, Any], policy: Mapping[str, Any]) -> Any:
    """The fairness settings a 1.0 section ran with, from its method record (the policy's where it is silent)."""
    from audits.fairness.compute import Settings

    return Settings(
        n_boot=int(method.get("n_bootstrap", 0)),
        level=float(method.get("confidence_level", 0.95)),
        row_cap=int(method.get("row_cap", 1)),
        min_group_size=int(method.get("min_group_size", policy.get("min_group_size", 30))),
        min_group_events=int(method.get("min_group_events", policy.get("min_group_events", 10))),
    )


def _framing_of(config: Mapping[str, Any]) -> Any:
    from audits.fairness.framing import make_framing

    return make_framing(
        "binary",
        config.get("_positive_label"),
        config.get("_classes") or (),
        config.get("favourable_label"),
        str(config.get("decision") or "assistive"),
        target=str(config.get("target", "the target")),
    )


def _configured_references(config: Mapping[str, Any]) -> dict[str, Any]:
    return {
        p.get("column"): p.get("reference_group")
        for p in config.get("protected", [])
        if isinstance(p, Mapping) and p.get("reference_group") is not None
    }


@dataclass
class _Rejudged:
    """What re-judging the group tables of a 1.0 section gives, column by column."""

    reference_rows: list[dict[str, Any]] = field(default_factory=list)
    verdicts: list[dict[str, Any]] = field(default_factory=list)
    references: dict[str, str] = field(default_factory=dict)
    overall: dict[str, Any] | None = None


def _write_group_intervals(metrics: dict[str, Any], col: str, data: dict[str, Any], cells: Mapping) -> None:
    """Replace the saved percentile intervals of one group table (and its metric cells) by score intervals."""
    names = [str(g) for g in data["group"]]
    for m, c in cells.items():
        if f"{m}_ci_low" not in data:
            continue
        data[f"{m}_ci_low"], data[f"{m}_ci_high"] = c["ci_low"], c["ci_high"]
        for g, lo, hi in zip(names, c["ci_low"], c["ci_high"], strict=True):
            cell = metrics.get("groups", {}).get(col, {}).get(g, {}).get(m)
            if isinstance(cell, dict):
                cell["ci_low"], cell["ci_high"] = lo, hi


def _rejudge_columns(
    metrics: dict[str, Any], tables: dict[str, Any], s: Any, config: Mapping[str, Any], fr: Any
) -> _Rejudged | str:
    """Intervals, reference rows and verdicts of every group table from its whole counts; why not, as text."""
    from audits.fairness import DISPARITY_COLUMNS
    from audits.fairness.cells import metric_cells, overall_cells
    from audits.fairness.compute import binary_from_counts
    from audits.fairness.counts import Groups
    from audits.fairness.families import reference_families
    from audits.group_labels import GROUPS_PREFIX

    method = config.get("_method", {})
    diff_tol = float(method.get("difference_tolerance", 0.1))
    ratio_tol = float(method.get("ratio_tolerance", 0.8))
    refs = _configured_references(config)
    out = _Rejudged()
    for key in [k for k in tables if k.startswith(GROUPS_PREFIX)]:
        col = key.removeprefix(GROUPS_PREFIX)
        data = tables[key]["data"]
        counts = _counts(data)
        if counts is None:
            return f"group table '{col}' whose rates do not follow from whole counts"
        names = tuple(str(g) for g in data["group"])
        groups = Groups(column=col, names=names, codes=np.zeros(0, dtype=np.int64), sizes=counts.sum(axis=1))
        cs = binary_from_counts(groups, counts, counts, None, s, with_score=False)
        _write_group_intervals(metrics, col, data, metric_cells(cs, s.level))
        ref = names.index(str(refs[col])) if str(refs.get(col)) in names else int(np.argmax(groups.sizes))
        out.references[col] = names[ref]
        rows, ver = reference_families(cs, ref, level=s.level, diff_tol=diff_tol, ratio_tol=ratio_tol, fr=fr)
        out.reference_rows += rows
        out.verdicts += [{k: r.get(k, "") for k in DISPARITY_COLUMNS} for r in ver]
        if out.overall is None:
            out.overall = overall_cells(cs, s.level)
    return out


def _rejudge_fairness(section: dict[str, Any], config: Mapping[str, Any]) -> str:
    """Recompute the 1.1 fairness verdicts of a binary, unweighted 1.0 section in place; '' or why not."""
    from audits.fairness import DISPARITY_COLUMNS, REFERENCE_COLUMNS
    from audits.fairness.summary import headline_rows, status_of, summarise

    metrics, method, tables = section.get("metrics", {}), section.get("method", {}), section.get("tables", {})
    if metrics.get("task") != "binary":
        return f"a {metrics.get('task', 'non-binary')} audit"
    if method.get("weights", "none") != "none":
        return "an audit with sample weights (the weighted counts were not saved)"
    s = _settings_of(method, config.get("policy") or {})
    fr = _framing_of(config)
    done = _rejudge_columns(metrics, tables, s, {**config, "_method": method}, fr)
    if isinstance(done, str):
        return done
    for m, cell in (done.overall or {}).items():
        if m in metrics.get("overall", {}):
            metrics["overall"][m].update({k: cell[k] for k in ("ci_low", "ci_high")})
    rows = done.verdicts + _descriptive(metrics.get("disparities", []))
    headline = headline_rows(done.verdicts, "binary", fr.lead)
    protected = [p.get("column") if isinstance(p, Mapping) else str(p) for p in config.get("protected", [])]
    metrics.update(
        disparities=rows,
        reference=done.reference_rows,
        verdicts=done.verdicts,
        reference_groups=done.references,
        headline=headline,
        framing={
            "favourable_label": fr.favourable or None,
            "adverse_label": fr.adverse or None,
            "favourable_is_positive": fr.favourable_is_positive,
            "decision": fr.decision,
            "lead_metrics": list(fr.lead),
        },
    )
    tables["disparities"] = {
        **tables.get("disparities", {"title": "Disparities", "note": ""}),
        "data": {k: [r.get(k) for r in rows] for k in DISPARITY_COLUMNS},
    }
    tables["reference_groups"] = {
        "title": "Each group against the reference group",
        "data": {k: [r.get(k) for r in done.reference_rows] for k in REFERENCE_COLUMNS},
        "note": "Recomputed from the group counts of a schema 1.0 result.",
    }
    section["status"] = str(status_of(headline))
    section["summary"] = summarise(
        headline, level=s.level, protected=[p for p in protected if p], framing=fr, rows=method.get("rows")
    )
    section["findings"] = [
        f for f in section.get("findings", []) if not str(f.get("code", "")).startswith("FAIR_")
    ]
    method.update(
        interval="score",
        interval_method="Wilson score interval (recomputed from the saved counts)",
        lead_metrics=list(fr.lead),
        decision=fr.decision,
    )
    return ""


def _withdraw_fairness(section: dict[str, Any]) -> None:
    """Withdraw 1.0 verdicts that cannot be recomputed: their intervals were percentile intervals of extremes."""
    from audits.fairness import verdicts as V

    metrics = section.get("metrics", {})
    metrics["disparities"] = _descriptive(metrics.get("disparities", []))
    metrics["headline"] = [
        {**r, "verdict": V.UNDEFINED, "note": "schema 1.0 verdict withdrawn: re-run the audit"}
        for r in metrics.get("headline", [])
    ]
    metrics.setdefault("reference", [])
    metrics.setdefault("verdicts", [])
    if "disparities" in section.get("tables", {}):
        from audits.fairness import DISPARITY_COLUMNS

        section["tables"]["disparities"]["data"] = {
            k: [r.get(k) for r in metrics["disparities"]] for k in DISPARITY_COLUMNS
        }
    section["findings"] = [
        f for f in section.get("findings", []) if not str(f.get("code", "")).startswith("FAIR_")
    ]
    section["status"] = "inconclusive"


def upgrade_1_0(d: dict[str, Any]) -> dict[str, Any]:
    """Schema 1.0 -> 1.1: fairness verdicts against a reference group with score intervals."""
    out = copy.deepcopy(d)
    sections = out.get("sections")
    provenance = out.get("provenance")
    if not isinstance(sections, list) or not isinstance(provenance, Mapping):
        # Malformed: leave it to the result's own checks, which name what is missing.
        out["schema_version"] = "1.1"
        return out
    config = dict(provenance.get("config") or {})
    # The label names only word the sentences: 1.0 saved the configured positive label and the model's classes.
    classes = [str(c) for c in (provenance.get("model") or {}).get("classes") or ()]
    positive = config.get("positive_label")
    positive = str(positive) if positive is not None else (classes[1] if len(classes) == 2 else "positive")
    others = [c for c in classes if c != positive]
    config["_positive_label"] = positive
    config["_classes"] = (others[0] if others else "negative", positive)
    for section in sections:
        if not isinstance(section, dict) or section.get("name") != "fairness":
            continue
        if section.get("status") in ("error", "skipped"):
            continue
        try:
            why = _rejudge_fairness(section, config)
        except (KeyError, TypeError, ValueError, IndexError, AttributeError):
            why = "a fairness section whose saved tables are incomplete"
        if why:
            try:
                _withdraw_fairness(section)
            except (KeyError, TypeError, ValueError, AttributeError):
                section["status"] = "inconclusive"
            note = (
                f"Upgraded from result schema 1.0: the fairness verdicts of {why} cannot be recomputed from the "
                "saved numbers and are withdrawn (1.0 judged extreme-group gaps by percentile bootstrap). Group "
                "metrics are as saved; re-run the audit for verdicts against a reference group."
            )
            _warning(section, note, {"recomputed": False, "reason": why})
        else:
            note = (
                "Upgraded from result schema 1.0: rate intervals, the reference-group table and the verdicts were "
                "recomputed from the saved group counts (default framing: favourable = positive label, "
                "assistive decision); ROC AUC intervals are as saved."
            )
            _warning(section, note, {"recomputed": True})
    out["schema_version"] = "1.1"
    return out


NO_LEDGER_1_1 = (
    "upgraded from result schema 1.1, which kept no row ledger: paired comparison not available, independent "
    "standard error used, which is conservative"
)
NO_PROFILE_1_1 = (
    "upgraded from result schema 1.1, which kept no data profile: the drift between the audited datasets "
    "cannot be computed"
)


def upgrade_1_1(d: dict[str, Any]) -> dict[str, Any]:
    """Schema 1.1 -> 1.2: the row ledger and the data profile, both absent (with the reason)."""
    out = dict(d)  # the sections are not touched, so a shallow copy leaves the original as it was
    out["row_ledger"] = {"status": "absent", "reason": NO_LEDGER_1_1}
    out["data_profile"] = {"status": "absent", "reason": NO_PROFILE_1_1}
    out["schema_version"] = "1.2"
    return out


# version -> upgrader to the next version; chained by :func:`upgrade`.
UPGRADERS: dict[str, Callable[[dict[str, Any]], dict[str, Any]]] = {"1.0": upgrade_1_0, "1.1": upgrade_1_1}


def upgrade(d: Mapping[str, Any], *, target: str, source: str = "audit result") -> dict[str, Any]:
    """``d`` upgraded step by step to schema ``target``; an unknown version is an input error."""
    out = dict(d)
    seen = set()
    while out.get("schema_version") != target:
        found = out.get("schema_version")
        step = UPGRADERS.get(str(found))
        if step is None or found in seen:
            raise AuditInputError(
                UNKNOWN_VERSION.format(
                    source=source, found=found, expected=target, known=", ".join(sorted(UPGRADERS)) or "none"
                )
            )
        seen.add(found)
        out = step(out)
    return out
