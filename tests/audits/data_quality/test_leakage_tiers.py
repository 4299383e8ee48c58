"""Leakage in tiers against the model's own score, post-outcome column names, and two-sided group checks."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits import AuditConfig, build_context, load_dataset, load_model
from audits.config import Policy
from audits.data_quality import run_data_quality
from audits.data_quality.checks import leakage_severity
from tests.audits.data_quality.conftest import ADULT, codes, make_ctx, no_errors, run

N = 20_000


def _scored(feature_auc: float, model_noise: float = 0.6, seed: int = 4) -> pd.DataFrame:
    """A binary label, a model score (AUC ~0.88 at noise 0.6) and a 0/1 feature equal to y with p = feature_auc."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, size=N)
    score = 1 / (1 + np.exp(-(2 * y - 1 + rng.normal(scale=model_noise * 2, size=N))))
    agree = rng.random(N) < feature_auc
    return pd.DataFrame(
        {
            "f": np.where(agree, y, 1 - y),
            "other": rng.normal(size=N),
            "g": rng.choice(["a", "b"], size=N),
            "s": score,
            "y": np.where(y == 1, "yes", "no"),
        }
    )


def _leak(df: pd.DataFrame, **cfg):
    res = run(make_ctx(df, score_column="s", **cfg))
    no_errors(res)
    return res, res.metrics["checks"]["DQ_LEAKAGE"]["values"]


def test_tiers_of_the_policy():
    kw = {"relative": 0.85, "absolute": 0.9, "fail": 0.95, "floor": 0.7}
    assert leakage_severity(0.96, 0.97, **kw)[0] == "fail"
    assert leakage_severity(0.91, 0.99, **kw)[0] == "warn"
    assert leakage_severity(0.78, 0.90, **kw)[0] == "warn"  # 0.867 of the model
    assert leakage_severity(0.75, 0.90, **kw)[0] == "pass"  # 0.833 of the model
    assert leakage_severity(0.55, 0.60, **kw)[0] == "pass"  # weak model, weak feature: under the floor
    assert leakage_severity(None, 0.9, **kw)[0] == "pass"


def test_feature_at_086_of_the_model_auc_warns():
    res, values = _leak(_scored(0.77))
    ratio = values["relative"]["f"]
    assert 0.855 <= ratio <= 0.875, ratio
    (f,) = codes(res, "DQ_LEAKAGE")
    assert f.subject == "f" and f.severity == "warn"
    assert f.evidence["model_score"] == pytest.approx(values["model_score"])
    assert "known at the moment the prediction is made" in f.message
    assert "of the model's own score" in f.message


def test_feature_under_085_of_the_model_auc_passes():
    res, values = _leak(_scored(0.72))
    assert values["relative"]["f"] < 0.84
    assert not codes(res, "DQ_LEAKAGE")


def test_relative_threshold_comes_from_the_policy():
    res, _ = _leak(_scored(0.72), policy=Policy(leakage_warn_relative=0.75))
    assert [f.subject for f in codes(res, "DQ_LEAKAGE")] == ["f"]


def test_regression_tiers_use_r2_against_the_model():
    rng = np.random.default_rng(2)
    n = 4000
    x = rng.normal(size=n)
    y = 2 * x + rng.normal(scale=0.8, size=n)
    df = pd.DataFrame({"x": x, "z": rng.normal(size=n), "g": rng.choice(["a", "b"], size=n), "y": y})
    df["p"] = 2 * x + rng.normal(scale=0.3, size=n)  # the model: R² ~0.85
    res = run(_reg_ctx(df))
    values = res.metrics["checks"]["DQ_LEAKAGE"]["values"]
    assert values["measure"] == "r2" and values["model_score"] == pytest.approx(0.84, abs=0.05)
    (f,) = codes(res, "DQ_LEAKAGE")
    assert f.subject == "x" and f.severity == "warn" and "R²" in f.message


def _reg_ctx(df: pd.DataFrame):
    from audits.inputs import frame_as_data

    cfg = AuditConfig(
        target="y", protected=("g",), prediction_column="p", exclude_columns=("p",), task="regression"
    )
    return build_context(frame_as_data(df, name="reg"), config=cfg)


@pytest.fixture(scope="module")
def adult_gbm_result():
    cfg = AuditConfig.from_yaml(ADULT / "audit.yaml")
    data = load_dataset(ADULT / "adult_test.csv", na_values=cfg.na_values)
    ctx = build_context(data, config=cfg, model=load_model(ADULT / "adult_gbm.skops"))
    return run_data_quality(ctx, prior={}, progress=lambda f, m: None)


def test_adult_relationship_does_not_warn(adult_gbm_result):
    values = adult_gbm_result.metrics["checks"]["DQ_LEAKAGE"]["values"]
    assert values["model_score"] == pytest.approx(0.93, abs=0.01)
    assert values["relative"]["relationship"] == pytest.approx(0.83, abs=0.015)
    assert not codes(adult_gbm_result, "DQ_LEAKAGE")
    # the relationship proxy for sex stays as it was
    proxy = {r["feature"]: r for r in adult_gbm_result.metrics["proxies"]["sex"]}["relationship"]
    assert proxy["severity"] == "fail"


def test_post_outcome_names_are_an_info_finding(base_frame):
    df = base_frame.assign(
        call_duration=base_frame["x1"].abs(),
        loanStatusFinal=base_frame["c1"],
        default_after_90d=base_frame["c2"],
        postcode=base_frame["c2"],
    )
    res = run(make_ctx(df))
    found = {f.subject: f for f in codes(res, "DQ_POST_OUTCOME_NAME")}
    assert set(found) == {"call_duration", "loanStatusFinal", "default_after_90d"}
    assert all(f.severity == "info" for f in found.values())
    assert "known when the prediction is made" in found["call_duration"].message


def test_base_rate_is_two_sided_against_a_configured_reference_group():
    rng = np.random.default_rng(5)
    n = 3000
    age = rng.choice(["26-60", "over 60", "25 and under"], size=n, p=[0.6, 0.2, 0.2])
    rate = np.select([age == "over 60", age == "25 and under"], [0.416, 0.03], 0.106)
    df = pd.DataFrame({"age": age, "x": rng.normal(size=n), "y": np.where(rng.random(n) < rate, "yes", "no")})
    from audits.config import ProtectedAttribute

    res = run(make_ctx(df, protected=(ProtectedAttribute(column="age", reference_group="26-60"),)))
    found = {f.evidence["group"]: f for f in codes(res, "DQ_BASE_RATE")}
    assert set(found) == {"over 60", "25 and under"}
    assert found["over 60"].evidence["direction"] == "above" and found["over 60"].evidence["ratio"] > 3
    assert "> 1.25" in found["over 60"].message
    assert found["25 and under"].evidence["direction"] == "below"


def test_representation_is_two_sided_against_the_reference_data():
    rng = np.random.default_rng(6)

    def frame(n: int, p_a: float) -> pd.DataFrame:
        return pd.DataFrame(
            {
                "g": rng.choice(["a", "b", "c"], size=n, p=[p_a, 0.9 - p_a, 0.1]),
                "x": rng.normal(size=n),
                "y": rng.choice(["no", "yes"], size=n),
            }
        )

    res = run(make_ctx(frame(2000, 0.7), reference=frame(2000, 0.45)))
    found = {f.evidence["group"]: f for f in codes(res, "DQ_REPRESENTATION") if "direction" in f.evidence}
    assert found["a"].evidence["direction"] == "over" and found["a"].evidence["ratio"] > 1.25
    assert found["b"].evidence["direction"] == "under" and found["b"].evidence["ratio"] < 0.8
    assert "c" not in found
    rows = res.metrics["checks"]["DQ_REPRESENTATION"]["values"]["against_reference"]["g"]
    assert {r["group"] for r in rows} == {"a", "b", "c"}


def test_representation_without_reference_has_no_comparison(adult_result):
    assert adult_result.metrics["checks"]["DQ_REPRESENTATION"]["values"]["against_reference"] is None
