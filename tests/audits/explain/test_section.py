"""run_explanation: the result schema other parts read, its numbers' consistency, and the explain_rows API."""

from __future__ import annotations

import json

import numpy as np
import pytest

from audits import AuditConfig
from audits.explain import explain_rows, run_explanation
from audits.explain.local import ROW_OUT_OF_RANGE
from audits.results import SectionResult, Status

from .conftest import context

LOCAL_KEYS = {"row", "reason", "base_value", "output", "prediction", "label", "contributions", "values"}


def _run(ctx, progress=None):
    return run_explanation(ctx, prior={}, progress=progress or (lambda f, m: None))


@pytest.fixture(scope="module")
def german(german_ctx):
    return _run(german_ctx)


def test_global_importance_table(german, german_ctx):
    t = german.table("global_importance")
    assert t.columns == ["feature", "mean_abs_shap", "ci_low", "ci_high", "rank"]
    assert sorted(t.data["feature"]) == sorted(german_ctx.features)
    assert t.data["rank"] == list(range(1, len(german_ctx.features) + 1))
    values = t.data["mean_abs_shap"]
    assert values == sorted(values, reverse=True)
    for v, lo, hi in zip(values, t.data["ci_low"], t.data["ci_high"], strict=True):
        assert lo <= v + 1e-12 and v <= hi + 1e-12


def test_beeswarm_and_dependence_data(german, german_ctx):
    bee = german.metrics["beeswarm"]
    assert bee["rows"] == german.method["sample_size"] == german_ctx.n_rows  # 300 rows: all explained
    assert bee["features"] == german.table("global_importance").data["feature"][: len(bee["features"])]
    for f in bee["features"]:
        assert len(bee["shap"][f]) == len(bee["value"][f]) == bee["rows"]
        assert bee["kind"][f] in ("numeric", "categorical")
    assert (
        bee["kind"]["duration"] == "numeric"
        and bee["kind"].get("checking_status", "categorical") == "categorical"
    )
    dep = german.metrics["dependence"]
    assert list(dep) == bee["features"][:5]
    assert set(dep[bee["features"][0]]) == {"x", "shap", "kind"}


def test_group_tables_and_gap_add_up(german, german_ctx):
    for col in german_ctx.protected_columns:
        t = german.table(f"by_group:{col}")
        assert t.columns[:3] == ["group", "count", "mean_output"]
        assert t.columns[3:] == list(german_ctx.features)
        assert sum(t.data["count"]) == german.method["sample_size"]
    gap = german.metrics["group_gap"]["sex"]
    a, b = gap["groups"]
    assert gap["gap"] == pytest.approx(gap["mean_output"][a] - gap["mean_output"][b])
    # Linear SHAP is exact: the contributions add up to the gap.
    assert sum(gap["contributions"].values()) == pytest.approx(gap["gap"], abs=1e-9)
    assert "sex" in gap["sentence"] and "attributions, not causes" in gap["sentence"]
    # The bridge to the fairness section: the same groups' mean score on every row.
    every = german_ctx.sensitive["sex"].astype(str).to_numpy()
    assert gap["mean_score_all_rows"][a] == pytest.approx(german_ctx.y_score[every == a].mean())
    assert f"On all {german_ctx.n_rows:,} rows" in gap["sentence"]


def test_local_explanations(german, german_ctx):
    local = german.metrics["local"]
    reasons = [e["reason"] for e in local]
    assert reasons[:2] == ["highest score", "lowest score"]
    assert any(r.startswith("misclassified (sex = ") for r in reasons)
    for e in local:
        assert set(e) >= LOCAL_KEYS
        assert e["base_value"] + sum(e["contributions"].values()) == pytest.approx(e["output"], abs=1e-9)
        assert list(e["values"]) == list(german_ctx.features)
    top = local[0]
    assert german_ctx.y_score[top["row"]] == pytest.approx(german_ctx.y_score.max())


def test_method_states_how_the_numbers_were_obtained(german):
    m = german.method
    assert m["explainer"].startswith("LinearExplainer")
    assert m["output_space"] == "log-odds of class 'good'"
    assert m["mapping"].startswith("exact: one-hot columns summed")
    assert m["additivity_max_error"] < 1e-9
    for key in ("background_size", "sample_size", "sampling", "seed", "seconds", "additivity_mean_error"):
        assert key in m
    assert german.status == Status.PASS


def test_result_is_json_safe_and_round_trips(german):
    text = json.dumps(german.to_dict(), allow_nan=False)
    assert SectionResult.from_dict(json.loads(text)) == german


def test_summary_names_the_drivers_and_the_gap(german):
    top = german.table("global_importance").data["feature"][0]
    assert top in german.summary[0]
    assert any("sex = " in s for s in german.summary)


def test_progress_is_reported_in_order(german_ctx):
    seen = []
    _run(german_ctx, progress=lambda f, m: seen.append(f))
    assert seen[0] == 0.0 and seen[-1] == 1.0
    assert all(0.0 <= f <= 1.0 for f in seen)
    assert seen == sorted(seen)


def test_predictions_only_is_skipped(frame):
    ctx = context(frame.assign(pred=frame["label"]), None, prediction_column="pred")
    res = _run(ctx)
    assert res.status == Status.SKIPPED
    assert "no model was given; SHAP needs the model" in res.reason


def test_tree_on_one_hot_says_the_mapping_is_approximate(hgb_ctx):
    res = _run(hgb_ctx)
    assert res.status == Status.PASS
    assert res.method["mapping"].startswith("approximate")
    finding = next(f for f in res.findings if f.code == "EXPLAIN_MAPPING_APPROXIMATE")
    assert finding.severity == "info"
    assert res.method["additivity_max_error"] < 1e-6


def test_tree_on_ordinal_codes_is_exact(forest_ctx):
    res = _run(forest_ctx)
    assert res.method["mapping"].startswith("exact: each raw column feeds one")
    assert res.status == Status.PASS


def test_time_budget_cuts_the_sample(hgb_ctx):
    ctx = context(hgb_ctx.data, hgb_ctx.model.estimator, explain_sample_size=400, explain_time_budget_s=1e-6)
    res = _run(ctx)
    assert res.method["sample_size"] < res.method["sample_planned"] == 400
    assert "EXPLAIN_SAMPLE_CUT" in {f.code for f in res.findings}


def test_explain_rows_matches_the_section(german, german_ctx):
    row = german.metrics["local"][0]["row"]
    (entry,) = explain_rows(german_ctx, [row])
    assert entry["reason"] == "requested"
    assert entry["contributions"] == pytest.approx(german.metrics["local"][0]["contributions"])


def test_explain_rows_refuses_rows_outside_the_data(german_ctx):
    with pytest.raises(ValueError) as info:
        explain_rows(german_ctx, [german_ctx.n_rows])
    assert str(info.value) == ROW_OUT_OF_RANGE.format(row=german_ctx.n_rows, last=german_ctx.n_rows - 1)


def test_configured_sample_size_is_used(german_ctx):
    from audits.context import build_context
    from audits.inputs import frame_as_data

    cfg = german_ctx.config.replace(explain_sample_size=120)
    assert isinstance(cfg, AuditConfig)
    ctx = build_context(frame_as_data(german_ctx.data), config=cfg, model=german_ctx.model)
    res = _run(ctx)
    assert res.method["sample_size"] == 120
    assert "stratified by sex × age" in res.method["sampling"]
    assert np.isclose(sum(res.table("by_group:sex").data["count"]), 120)
