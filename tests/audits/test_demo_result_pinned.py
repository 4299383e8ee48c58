"""The Adult demo's deterministic sections give the same result as before the refactor of issue 13.

The digests below were taken from the result JSON of the code before the refactor (build_context split into
pieces, run_performance and run_fairness split into compute and assemble, the fairness package reorganised) and
are equal to the result of the code after it, key by key, except the listed intended changes, which are left
out of the digest:

* ``metrics["method"]`` in performance, fairness and data quality: the shared method record
  (``audits.method.Method``);
* ``metrics["curves"]``, ``metrics["error_analysis"]`` and ``tables["error_cohorts"]`` in performance: the error
  analysis of issue 15 (``audits/error_analysis.py``), added to the section at the same time.

Updated since: the performance calibration table's note states its exact decimal edges (issue 12 item 6; the
bins of the Adult demo are unchanged, only the note's text); issue 12 item 1: the performance intervals are
closed forms (Wilson, MOVER, Jaccard–Wilson for F1, DeLong for ROC AUC) or BCa (log loss, Brier), and the
fairness section's ROC AUC intervals are DeLong's — the values are unchanged, the intervals and method texts
changed (row method names shortened to a few words).

Timings (``duration_s``, data quality's ``method.timings_s``) are left out, and floats are rounded to 10
significant digits so that the last bits of a platform's arithmetic do not matter. A change that is meant to
alter these sections' output updates the digest here and says why in the commit.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import pytest

from audits.config import AuditConfig
from audits.runner import run_audit

PINNED = {
    "performance": "86f4c741bc965665c2096daffb2a121de6a79ab6cf7230f733772080eea837bc",
    "data_quality": "f9b68f5affd8a2746cb610ef5fd9cc77392addf7735bf8a0bc0807e3e56c6503",
    "fairness": "6b45afbd8f20a6a173fd7802deaa9b628e0c1b556afd6779433e6b396515f44d",
}
INTENDED = {
    ("performance", "metrics", "method"),
    ("fairness", "metrics", "method"),
    ("data_quality", "metrics", "method"),
    ("performance", "metrics", "curves"),
    ("performance", "metrics", "error_analysis"),
    ("performance", "tables", "error_cohorts"),
}
VOLATILE = {"duration_s", "timings_s"}


def _canonical(x: Any, path: tuple[str, ...]) -> Any:
    if isinstance(x, dict):
        return {
            k: _canonical(v, (*path, k))
            for k, v in x.items()
            if k not in VOLATILE and (*path, k) not in INTENDED
        }
    if isinstance(x, list):
        return [_canonical(v, path) for v in x]
    if isinstance(x, float):
        return float(f"{x:.10g}")
    return x


def section_digest(section: dict[str, Any]) -> str:
    """SHA-256 of a section's JSON with the intended changes, timings and float noise taken out."""
    text = json.dumps(_canonical(section, (section["name"],)), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@pytest.mark.slow
def test_adult_demo_deterministic_sections_are_unchanged(adult_paths):
    config = AuditConfig.from_yaml(adult_paths["config"]).replace(sections=tuple(PINNED))
    result = run_audit(
        adult_paths["data"], config=config, model=adult_paths["gbm"], reference=adult_paths["train"]
    ).to_dict()
    found = {s["name"]: section_digest(s) for s in result["sections"] if s["name"] in PINNED}
    assert found == PINNED


def test_the_digest_sees_a_changed_number_but_not_the_intended_changes():
    section = {
        "name": "performance",
        "metrics": {"overall": {"accuracy": {"value": 0.87}}},
        "duration_s": 1.0,
    }
    base = section_digest(section)
    assert section_digest({**section, "duration_s": 2.0}) == base
    assert section_digest({**section, "metrics": {**section["metrics"], "method": {"seed": 1}}}) == base
    assert section_digest({**section, "metrics": {"overall": {"accuracy": {"value": 0.8700001}}}}) != base
