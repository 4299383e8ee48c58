"""The section's result follows the documented schema, round-trips through JSON and reads well."""

from __future__ import annotations

import json

import pytest

from audits import AuditConfig, run_audit
from audits.fairness import DISPARITY_COLUMNS, EXCLUDED_COLUMNS, REFERENCE_COLUMNS
from audits.results import SectionResult
from tests.audits.fairness.conftest import audit, make_frame


def test_schema_keys(german_model_ctx, german_model_result):
    res = german_model_result
    assert (res.name, res.title) == ("fairness", "Fairness")
    for col in german_model_ctx.group_columns:
        assert f"groups:{col}" in res.tables
        assert col in res.metrics["groups"]
    assert tuple(res.tables["disparities"].columns) == DISPARITY_COLUMNS
    assert tuple(res.tables["excluded_groups"].columns) == EXCLUDED_COLUMNS
    assert res.metrics["disparities"] == res.tables["disparities"].rows()
    assert tuple(res.tables["reference_groups"].columns) == REFERENCE_COLUMNS
    assert res.metrics["reference"] == res.tables["reference_groups"].rows()
    assert all(r["method"] == "vs_reference" for r in res.metrics["verdicts"])
    assert set(res.metrics["framing"]) >= {"favourable_label", "decision", "lead_metrics"}
    for key in ("overall", "threshold_curves", "threshold", "headline", "excluded", "group_counts", "task"):
        assert key in res.metrics
    for key in ("n_bootstrap", "seed", "confidence_level", "interval_method", "row_cap", "excluded"):
        assert key in res.method
    assert 2 <= len(res.summary) <= 3


def test_json_round_trip(german_model_result):
    d = json.loads(json.dumps(german_model_result.to_dict(), allow_nan=False))
    assert SectionResult.from_dict(d) == german_model_result


def test_status_follows_headline_verdicts():
    # Strong disparity: fail.
    f = make_frame(4000, seed=71, groups={"F": 0.5, "M": 0.5})
    f.loc[f["sex"] == "F", "pred"] = (f.loc[f["sex"] == "F", "score"] > 0.8).astype(int)
    _, res = audit(f)
    assert res.status.value == "fail"
    assert any(r["verdict"] == "fail" for r in res.metrics["headline"])
    assert any(fd.severity.value == "fail" for fd in res.findings)
    # Predictions independent of the group with large samples: pass.
    g = make_frame(20000, seed=72, groups={"F": 0.5, "M": 0.5})
    g["pred"] = (g["x"] > 0).astype(int)
    g["label"] = g["pred"]
    _, ok = audit(g)
    assert ok.status.value == "pass", ok.metrics["headline"]


def test_summary_sentence_reads_like_the_example():
    from audits.config import ProtectedAttribute

    f = make_frame(4000, seed=73, groups={"Women": 0.5, "Men": 0.5})
    f.loc[f["sex"] == "Women", "pred"] = (f.loc[f["sex"] == "Women", "score"] > 0.75).astype(int)
    _, res = audit(
        f, decision="representation", protected=(ProtectedAttribute(column="sex", reference_group="Men"),)
    )
    first = res.summary[0]
    assert first.startswith("By sex, Women receives the favourable outcome '1' at ")
    assert "x the rate of Men (95% CI " in first
    assert first.endswith("fails the four-fifths heuristic (US EEOC).")


def test_punitive_decision_leads_with_false_positive_parity_of_the_adverse_outcome():
    # Positive label 1 = "reoffends" (adverse); favourable outcome 0; a punitive decision.
    f = make_frame(6000, seed=74, groups={"A": 0.5, "B": 0.5})
    f.loc[f["sex"] == "B", "pred"] = (f.loc[f["sex"] == "B", "score"] > 0.3).astype(int)
    from audits.config import ProtectedAttribute

    _, res = audit(
        f,
        favourable_label=0,
        decision="punitive",
        protected=(ProtectedAttribute(column="sex", reference_group="A"),),
    )
    assert res.metrics["framing"]["lead_metrics"] == ["fpr", "fdr"]
    assert {r["metric"] for r in res.metrics["headline"]} == {"fpr", "fdr"}
    fpr = next(r for r in res.metrics["headline"] if r["metric"] == "fpr" and r["attribute"] == "sex")
    assert fpr["verdict"] == "fail" and fpr["group"] == "B"
    assert "B is wrongly predicted '1' (truly '0')" in " ".join(res.summary)
    # Favourable = the positive label with a punitive decision: the intervention is the negative class.
    _, other = audit(f, decision="punitive")
    assert other.metrics["framing"]["lead_metrics"] == ["fnr", "for_"]
    _, assist = audit(f, favourable_label=0)
    assert assist.metrics["framing"]["lead_metrics"] == ["fpr", "fdr"]


def test_unknown_favourable_label_is_an_input_error():
    from audits.errors import AuditInputError

    with pytest.raises(AuditInputError, match="favourable_label"):
        audit(make_frame(500, seed=75), favourable_label="yes")


@pytest.mark.slow
def test_runs_inside_run_audit_on_german_credit(german_paths):
    cfg = AuditConfig.from_yaml(german_paths["config"]).replace(
        sections=("performance", "data_quality", "fairness")
    )
    result = run_audit(german_paths["data"], model=german_paths["model"], config=cfg)
    fair = result.section("fairness")
    assert fair.status.value in ("pass", "fail", "inconclusive"), fair.reason
    assert fair.metrics["label_source"]["sex"] in ("data_quality", "computed")


def test_small_data_is_mostly_inconclusive_and_the_summary_says_it_is_the_honest_answer(german_model_result):
    # German credit's 300-row test split: intervals are wide, so most verdicts cannot be decided.
    verdicts = [r["verdict"] for r in german_model_result.metrics["headline"]]
    assert verdicts.count("inconclusive") * 2 > len(verdicts)
    assert any("inconclusive is the honest answer" in s for s in german_model_result.summary)
    first = german_model_result.summary[0]
    head = german_model_result.metrics["headline"]
    # The headline names the group, the reference and the metric that decided it.
    assert any(r["group"] in first and r["reference"] in first for r in head)
