"""Verdict names and the labels of the policy checks.

The verdicts themselves are given in :mod:`audits.fairness.reference` (each group against the reference
group, Holm-adjusted FAIL, intersection–union PASS). undefined: no comparison could be made; descriptive rows
(between groups, to overall) carry no verdict.
"""

from __future__ import annotations

PASS = "pass"
FAIL = "fail"
INCONCLUSIVE = "inconclusive"
UNDEFINED = "undefined"

FOUR_FIFTHS_LABEL = "four-fifths rule (US EEOC heuristic)"


def ratio_label(metric: str, tolerance: float) -> str:
    """Label of a ratio check; the 0.8 selection-rate ratio is the EEOC four-fifths heuristic, not a law."""
    if metric in ("demographic_parity", "selection_rate", "favourable_rate") and abs(tolerance - 0.8) < 1e-12:
        return FOUR_FIFTHS_LABEL
    return f"ratio within [{tolerance:g}, {1 / tolerance:.4g}] (policy)"


def difference_label(tolerance: float) -> str:
    """Label of a difference check against the policy tolerance."""
    return f"difference within ±{tolerance:g} (policy)"
