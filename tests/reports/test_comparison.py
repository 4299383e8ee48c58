"""The comparison report shows each item's method (paired with its correlation, or independent, and why) and the
drift between the audited datasets, in every format; it never prints a row ledger or a data profile."""

from __future__ import annotations

import json

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression
from sklearn.tree import DecisionTreeClassifier

from audits import AuditConfig, run_audit
from audits.compare import compare
from reports.comparison import build_comparison_document, render_comparison
from tests.conftest import make_binary_frame

CONFIG = AuditConfig.from_dict(
    {"target": "label", "protected": ["sex"], "features": ["x1"], "sections": ["performance", "fairness"],
     "policy": {"n_bootstrap": 0}}
)  # fmt: skip


@pytest.fixture(scope="module")
def results():
    frame = make_binary_frame(2000, seed=0).drop(columns=["score", "pred"])
    later = make_binary_frame(2000, seed=1).drop(columns=["score", "pred"])
    later["x1"] = later["x1"] + 1.0  # the feature moved
    X, y = frame[["x1"]], frame["label"]
    lr, tree = LogisticRegression().fit(X, y), DecisionTreeClassifier(max_depth=2, random_state=0).fit(X, y)
    a = run_audit(frame, config=CONFIG, model=lr, data_name="m1.csv")
    b = run_audit(frame, config=CONFIG, model=tree, data_name="m1.csv")
    c = run_audit(later, config=CONFIG, model=lr, data_name="m2.csv")
    return a, b, c


def _text(cmp, fmt: str) -> str:
    return render_comparison(cmp, fmt).decode("utf-8")


def test_a_paired_comparison_shows_each_items_method_and_correlation(results):
    a, b, _ = results
    cmp = compare(a, b)
    md = _text(cmp, "md")
    assert cmp.method == "paired" and "| Method |" in md
    accuracy = next(i for i in cmp.items if i.key == "accuracy")
    assert f"paired (ρ {accuracy.correlation:.2f})" in md
    assert "Tested with the independent standard error" in md and "roc_auc" in md
    assert "Data drift" in md and "not measured: both audits used the same data" in md
    html = _text(cmp, "html")
    assert "paired (ρ" in html


def test_different_data_shows_the_drift_table_in_every_format(results):
    a, _, c = results
    cmp = compare(a, c)
    flagged = [r.column for r in cmp.drifted]
    assert "x1" in flagged
    md = _text(cmp, "md")
    assert "| Column | Type | Distance | PSI |" in md and "Wasserstein / std" in md
    assert f"{len(flagged)} of {len(cmp.drift)} shared column(s) flagged" in md
    assert "x1" in _text(cmp, "html") and "Jensen–Shannon" in _text(cmp, "html")
    data = json.loads(_text(cmp, "json"))
    assert {r["column"] for r in data["drift"] if r["flagged"]} == set(flagged)
    assert "DQ_DRIFT" in data["drift_note"] and data["items"][0]["method"] == "independent"
    assert render_comparison(cmp, "pdf").startswith(b"%PDF")


def test_the_facts_name_the_method_and_the_drift(results):
    a, b, c = results
    paired = dict(build_comparison_document(compare(a, b)).facts)
    drifted = dict(build_comparison_document(compare(a, c)).facts)
    assert paired["Method"].startswith("paired (") and paired["Data drift"] == "not measured"
    assert drifted["Method"] == "independent" and "column(s) flagged" in drifted["Data drift"]


def test_no_comparison_format_prints_a_ledger_or_a_profile(results):
    a, b, c = results
    payload = a.row_ledger["payload"][:40]
    for cmp in (compare(a, b), compare(a, c)):
        for fmt in ("md", "html", "json"):
            text = _text(cmp, fmt)
            assert payload not in text and "label_sha256" not in text and "quantiles" not in text
    assert np.isfinite([r.statistic for r in compare(a, c).drift if r.statistic is not None]).all()
