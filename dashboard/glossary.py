"""Short explanations of the statistics, codes and words the result pages show, for tooltips (``help=``).

One place, so the same word is explained the same way on every page. :func:`help_for` gives the tooltip of a term
or a finding code; codes of the data-quality checks fall back to their catalog title, so no code is shown bare.
Tooltip text is Markdown written here (no data-derived text).
"""

from __future__ import annotations

from collections.abc import Iterable

TERMS: dict[str, str] = {
    # --- verdicts and badges
    "pass": "Every comparison lies within the tolerance (its whole confidence interval does).",
    "fail": "At least one comparison lies beyond the tolerance, even after the Holm correction for testing many "
    "groups.",
    "inconclusive": "The intervals straddle the tolerance: the data cannot tell whether the gap is acceptable.",
    "warn": "Something to review; no rule was broken.",
    "info": "This section describes; no policy rule gives it a pass or fail.",
    "undefined": "The value cannot be computed here (e.g. a rate of a group with no positive labels).",
    "measured": "Energy measured by codecarbon while the code ran (hardware counters, e.g. Intel RAPL).",
    "estimated": "Energy estimated by codecarbon from the hardware's rated power (TDP) and the run time, not "
    "measured.",
    "untracked": "codecarbon could not read this component's power and left it out of the total.",
    "extrapolated": "Computed on part of the rows and scaled up to all of them.",
    # --- fairness
    "reference group": "The group every other group is compared with: the configured one, else the largest.",
    "selection rate": "Share of the group's rows the model predicts positive.",
    "favourable rate": "Share of the group's rows that get the favourable outcome.",
    "tpr": "True positive rate (recall): share of the truly positive rows the model predicts positive.",
    "fpr": "False positive rate: share of the truly negative rows the model predicts positive.",
    "precision": "Share of the rows predicted positive that are truly positive.",
    "ratio": "Group rate divided by the reference group's rate; 1 is parity. Checked against [τ, 1/τ].",
    "difference": "Group rate minus the reference group's rate; 0 is parity. Checked against ±δ.",
    "four-fifths rule": "US EEOC heuristic: a selection-rate ratio below 0.8 suggests adverse impact. A rule of "
    "thumb, not a legal test.",
    "holm": "Holm's step-down correction: with many groups compared, each must clear a stricter level, so the "
    "chance of any false FAIL stays below 5%.",
    "excluded group": "Too few rows (or too few positives or negatives) for a reliable rate: shown, but left out of "
    "verdicts and of the threshold ratios.",
    "threshold": "A row is predicted positive when its score is at or above the threshold.",
    "confidence interval": "The range that holds the true value with the stated probability (95%) given the data.",
    "wilson": "Wilson score interval: a confidence interval for a rate that stays inside [0, 1] and is reliable for "
    "small groups.",
    # --- performance
    "roc auc": "Chance that a random positive row scores above a random negative one; 0.5 is guessing, 1 is "
    "perfect.",
    "roc curve": "TPR against FPR as the threshold moves from 1 down to 0.",
    "precision-recall curve": "Precision against recall as the threshold moves; the dashed line is the base rate, "
    "what a model without skill reaches.",
    "average precision": "Area under the precision-recall curve (step-wise): precision averaged over recall levels.",
    "confusion matrix": "Rows: the true class; columns: the predicted class. Each cell counts rows and gives its "
    "share of the true class.",
    "error cohort": "A set of rows described by feature ranges and groups. Cohorts are found by a shallow decision "
    "tree on half of the rows; their counts and intervals come from the other half, so the search does not "
    "flatter them.",
    "lift": "Cohort error rate divided by the overall error rate: 2 means twice as many errors as average.",
    "log loss": "Average penalty for the probability given to the true class; lower is better.",
    "brier score": "Mean squared difference between score and label; lower is better.",
    "calibration": "Whether scores mean what they say: of rows scored 0.7, about 70% should be positive.",
    # --- data quality
    "quality score": "0 to 100 from the findings' severities (100 = no findings). The grade restates the score; "
    "the section's verdict comes from the rules, not from the grade.",
    "cramér's v": "Strength of association between two categorical columns, 0 (none) to 1 (one determines the "
    "other).",
    "psi": "Population stability index: how much a column's distribution shifted; below 0.1 small, above 0.25 "
    "large.",
    "jensen–shannon": "Jensen–Shannon distance between two category distributions: 0 identical, 1 disjoint.",
    "wasserstein": "Earth mover's distance between two numeric distributions, divided by the reference's standard "
    "deviation: 0.1 means a shift of a tenth of a standard deviation.",
    "ks": "Kolmogorov–Smirnov test: largest gap between two cumulative distributions, with its p-value.",
    "p-value": "Chance of a difference at least this large if nothing changed; below 0.05 counts as drift.",
    "drift": "The audited data's distribution differs from the reference's (e.g. the training data).",
    "base rate": "Share of rows with the positive label.",
    "proxy": "A column that predicts a protected attribute: the model can use it to treat groups differently "
    "even without the attribute.",
    # --- explanations
    "shap": "SHAP value: how much a feature moved this row's output away from the average output (the base "
    "value). The values add up to the output.",
    "mean |shap|": "Average size of a feature's SHAP values over the explained rows: its overall importance.",
    "base value": "The model's average output over the background rows; every explanation starts from it.",
    "log-odds": "The model's output before the logistic function: probability = 1 / (1 + e^(−log-odds)). 0 is "
    "50%.",
    "interventional": "SHAP values computed by replacing features with values from background rows, as if set "
    "independently of the others (the model's own view, not the data's correlations).",
    "model-agnostic": "An explainer that only calls the model's predict function: works for any model, at "
    "hundreds of model calls per row.",
    "what-if": "Change some of a row's values and see the model's new prediction and SHAP values (the same "
    "explainer as the audit).",
    # --- emissions
    "co2eq": "CO₂ equivalent: greenhouse gases weighted by their warming effect relative to CO₂.",
    "carbon intensity": "Grams of CO₂eq emitted per kWh of electricity in the grid of the chosen country.",
    "re-fit": "The model trained again on the audited rows, to measure training energy when the trainer's own "
    "measurement is not given.",
}

CODES: dict[str, str] = {
    "DQ_PROXY": "A column that predicts a protected attribute (strength measured by Cramér's V or mutual "
    "information): a possible proxy for it.",
    "DQ_LEAKAGE": "A column that predicts the label almost perfectly: it may encode the outcome (leakage).",
    "DQ_DRIFT": "A column whose distribution differs from the reference dataset's.",
    "DQ_PSI": "A column whose population stability index against the reference is high.",
    "DQ_REPRESENTATION": "A protected group much smaller than the others, or than in the reference.",
    "DQ_BASE_RATE": "The label's positive rate differs between protected groups.",
    "DQ_MISSING_BY_GROUP": "Missing values concentrated in some protected groups.",
    "DQ_GROUP_MIX_DRIFT": "The mix of protected groups differs from the reference.",
    "FAIR_SMALL_GROUPS": "Groups too small for reliable rates: left out of the verdicts.",
    "EXPLAIN_PROTECTED_FEATURE": "A protected attribute is itself an input of the model.",
    "EXPLAIN_FALLBACK": "The fast explainer could not read the model; a model-agnostic one was used.",
    "EXPLAIN_ADDITIVITY": "SHAP values do not add up exactly to the model output for some rows.",
    "EMIS_ESTIMATED": "Energy estimated from rated power, not measured.",
    "EMIS_EXTRAPOLATED": "Energy measured on part of the rows and scaled up.",
    "PERF_BELOW_BASELINE": "The model does no better than always predicting the most frequent class.",
}


def _catalog_titles() -> dict[str, str]:
    """The data-quality catalog's titles, so a check without a written explanation still has one."""
    try:
        from audits.data_quality.registry import CHECKS
    except ImportError:  # the catalog is optional for the tooltips
        return {}
    return {c.code: f"Data-quality check: {c.title.lower()}." for c in CHECKS}


def help_for(*keys: str) -> str | None:
    """The tooltip text of the first known term or code among ``keys`` (case-insensitive), else None."""
    titles: dict[str, str] | None = None
    for key in keys:
        k = str(key).strip()
        if k.lower() in TERMS:
            return TERMS[k.lower()]
        if k.upper() in CODES:
            return CODES[k.upper()]
        if k.upper().startswith("DQ_"):
            titles = titles if titles is not None else _catalog_titles()
            if k.upper() in titles:
                return titles[k.upper()]
    return None


def help_text(keys: Iterable[str]) -> str:
    """Several terms' tooltips, one line each (``**term**: text``), for a heading that introduces them."""
    lines = []
    for k in keys:
        text = help_for(k)
        if text:
            lines.append(f"**{k}**: {text}")
    return "\n\n".join(lines)
