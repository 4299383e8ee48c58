"""The section's result follows the documented schema, round-trips through JSON and reads well."""

from __future__ import annotations

import json

import pytest

from audits import AuditConfig, run_audit
from audits.fairness import DISPARITY_COLUMNS, EXCLUDED_COLUMNS
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
    f = make_frame(4000, seed=73, groups={"Women": 0.5, "Men": 0.5})
    f.loc[f["sex"] == "Women", "pred"] = (f.loc[f["sex"] == "Women", "score"] > 0.75).astype(int)
    _, res = audit(f)
    first = res.summary[0]
    assert first.startswith("By sex, Women is selected at ")
    assert "x the rate of Men (95% CI " in first
    assert first.endswith("fails the four-fifths heuristic (US EEOC).")


@pytest.mark.slow
def test_runs_inside_run_audit_on_german_credit(german_paths):
    cfg = AuditConfig.from_yaml(german_paths["config"]).replace(
        sections=("performance", "data_quality", "fairness")
    )
    result = run_audit(german_paths["data"], model=german_paths["model"], config=cfg)
    fair = result.section("fairness")
    assert fair.status.value in ("pass", "fail", "inconclusive"), fair.reason
    assert fair.metrics["label_source"]["sex"] in ("data_quality", "computed")
