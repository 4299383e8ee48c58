"""The re-fit: on which rows (training file, else reference, else audited), once per audit, within a time
budget (extrapolated past it); the tracker calibrated once per process; inference only as long as needed."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from audits import AuditConfig, build_context
from audits import emissions as em
from audits.context import AuditContext
from audits.emissions import run_emissions, tracker_calibration
from audits.inputs import adapt_estimator, frame_as_data

from .conftest import FAST, FEATURES, make_frame, no_progress

SECONDS_PER_ROW = 1e-4


class SlowLogistic(LogisticRegression):
    """A logistic regression whose fit takes time proportional to its rows (a stand-in for a slow model)."""

    def fit(self, X, y, sample_weight=None):  # noqa: ANN001, ANN201 - scikit-learn's signature
        time.sleep(len(X) * SECONDS_PER_ROW)
        return super().fit(X, y, sample_weight=sample_weight)


def _ctx(
    model: object, data: pd.DataFrame, *, reference: pd.DataFrame | None = None, **emissions: object
) -> AuditContext:
    cfg = AuditConfig(
        target="label", protected=("group",), positive_label="yes", emissions={**FAST, **emissions}
    )
    return build_context(
        frame_as_data(data, name="audited.csv"),
        config=cfg,
        model=adapt_estimator(model, name="m"),
        reference=None if reference is None else frame_as_data(reference, name="train.csv"),
    )


@pytest.fixture(scope="module")
def audited() -> pd.DataFrame:
    return make_frame(n=1000, seed=1)


@pytest.fixture(scope="module")
def big() -> pd.DataFrame:
    return make_frame(n=20_000, seed=2)


def test_reference_is_the_training_data_when_none_is_designated(audited, big):
    model = LogisticRegression().fit(big[FEATURES], big["label"])
    res = run_emissions(_ctx(model, audited, reference=big), prior={}, progress=no_progress)
    t = res.metrics["training"]
    assert t["training_origin"] == "reference" and t["rows"] == 20_000
    assert "the reference train.csv" in t["training_source"]
    assert t["agreement"] > 0.99


def test_audited_data_is_the_last_resort_and_says_so(audited, logreg):
    res = run_emissions(_ctx(logreg, audited), prior={}, progress=no_progress)
    t = res.metrics["training"]
    assert t["training_origin"] == "audited" and t["rows"] == 1000
    assert "no training data or reference given" in t["training_source"]
    assert t["training_source"] in res.summary[0]


def test_reference_without_the_model_columns_falls_back_and_names_them(audited, logreg, big):
    res = run_emissions(
        _ctx(logreg, audited, reference=big.drop(columns=["x3"])), prior={}, progress=no_progress
    )
    t = res.metrics["training"]
    assert t["training_origin"] == "audited" and "lacks 'x3'" in t["training_source"]


def test_training_file_with_other_columns_is_used_and_says_so(audited, logreg, tmp_path: Path):
    path = tmp_path / "train.csv"
    make_frame(n=1500, seed=5).assign(extra_id=range(1500), note="x").to_csv(path, index=False)
    res = run_emissions(_ctx(logreg, audited, training_data=str(path)), prior={}, progress=no_progress)
    t = res.metrics["training"]
    assert t["training_origin"] == "training_data" and t["rows"] == 1500
    assert (
        "3 other column(s) not used by the model ignored: 'group', 'extra_id', 'note'" in t["training_source"]
    )


def test_the_refit_runs_once(audited, monkeypatch: pytest.MonkeyPatch):
    calls: list[int] = []

    class Counting(LogisticRegression):
        def fit(self, X, y, sample_weight=None):  # noqa: ANN001, ANN201
            calls.append(len(X))
            return super().fit(X, y, sample_weight=sample_weight)

    model = Counting().fit(audited[FEATURES], audited["label"])
    calls.clear()
    res = run_emissions(_ctx(model, audited), prior={}, progress=no_progress)
    assert calls == [1000]  # no second, untracked fit
    t = res.metrics["training"]
    assert 0 < t["untracked_fit_s"] <= t["fit_s"]
    assert "measured once per process" in t["untracked_fit_how"]


def test_tracker_calibration_is_measured_once_per_process(audited, logreg):
    run_emissions(_ctx(logreg, audited), prior={}, progress=no_progress)
    before = tracker_calibration.cache_info()
    run_emissions(_ctx(logreg, audited), prior={}, progress=no_progress)
    after = tracker_calibration.cache_info()
    assert after.misses == before.misses and after.hits == before.hits + 1


def _slow_model(frame: pd.DataFrame) -> SlowLogistic:
    return SlowLogistic().fit(frame[FEATURES].iloc[:200], frame["label"].iloc[:200])


def test_past_the_budget_the_cost_is_extrapolated_from_samples(audited, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(em, "PILOT_FROM_ROWS", 1_000)
    monkeypatch.setattr(em, "FIRST_SAMPLE_ROWS", 1_000)
    ref = make_frame(n=40_000, seed=2)
    full_s = 40_000 * SECONDS_PER_ROW  # 4 s
    budget = 2.0
    ctx = _ctx(_slow_model(ref), audited, reference=ref, refit_time_budget_s=budget)
    tracker_calibration(ctx.config.emissions.country_iso_code, None)  # the once-per-process cost, paid before
    res = run_emissions(ctx, prior={}, progress=no_progress)
    t = res.metrics["training"]
    assert t["extrapolated"] and t["rows"] == 40_000 and t["fitted_rows"] < 40_000
    ex = t["extrapolation"]
    assert ex["label"] == f"extrapolated from {t['fitted_rows']:,} rows"
    assert [p["rows"] for p in ex["points"]] == [1000, 4000, 16000][: len(ex["points"])]
    # conservative: never cheaper than linear from the largest sample, whose fixed costs it carries along; the
    # bounds come from the measured sample times, not the wall clock's nominal rate, so a busy machine (where a
    # sleep-bound fit takes longer than 0.1 ms a row) does not fail the test
    largest = ex["points"][-1]
    linear = largest["fit_s"] * 40_000 / largest["rows"]
    assert min(full_s, linear) * 0.9 <= ex["predicted_full_fit_s"] <= max(full_s, linear) * 2.0
    assert 1.0 <= ex["b"] <= em.MAX_EXPONENT
    # the growing samples stop once the next would pass the budget (checked on the samples' own times)
    assert sum(p["fit_s"] for p in ex["points"][:-1]) <= budget * 1.1
    # energy scaled from the samples' measured energy by the predicted time
    assert t["energy_kwh"] == pytest.approx(
        ex["measured_energy_kwh"] * ex["predicted_full_fit_s"] / ex["measured_s"]
    )
    assert "extrapolated from" in res.summary[0]
    assert "EMIS_EXTRAPOLATED" in {f.code for f in res.findings}
    assert "extrapolated" in str(res.tables["training"].data["how"])


def test_curve_goes_through_the_largest_sample_and_is_never_sublinear():
    a, b = em._power_law([(1000, 0.5), (4000, 1.0)])  # fixed costs make this look sublinear
    assert b == 1.0 and a * 4000 == pytest.approx(1.0)
    a, b = em._power_law([(1000, 0.1), (4000, 1.6)])  # quadratic
    assert b == pytest.approx(2.0) and a * 4000**b == pytest.approx(1.6)


def test_within_the_budget_a_large_set_is_fitted_whole(audited, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(em, "PILOT_FROM_ROWS", 1_000)
    monkeypatch.setattr(em, "FIRST_SAMPLE_ROWS", 200)
    ref = make_frame(n=6000, seed=9)
    res = run_emissions(
        _ctx(_slow_model(ref), audited, reference=ref, refit_time_budget_s=30.0),
        prior={},
        progress=no_progress,
    )
    t = res.metrics["training"]
    assert not t["extrapolated"] and t["fitted_rows"] == t["rows"] == 6000 and t["extrapolation"] is None


def test_inference_stopping_rule():
    steady = [0.010] * 5
    noisy = [0.005, 0.02, 0.005, 0.02, 0.005]
    assert em.inference_done(steady, 0.6, min_s=0.5, cap=3.0)
    assert not em.inference_done(steady, 0.4, min_s=0.5, cap=3.0)  # not before the minimum
    assert not em.inference_done(steady[:4], 0.6, min_s=0.5, cap=3.0)  # not before 5 batches
    assert not em.inference_done(noisy, 0.6, min_s=0.5, cap=3.0)
    assert em.inference_done(noisy, 3.0, min_s=0.5, cap=3.0)  # the limit stops it regardless


def test_inference_states_its_spread_and_whether_it_settled(audited, logreg):
    res = run_emissions(_ctx(logreg, audited, inference_max_seconds=3.0), prior={}, progress=no_progress)
    inf = res.metrics["inference"]
    assert inf["passes"] >= 5
    assert inf["energy_kwh_per_1000_spread"] == pytest.approx(
        inf["energy_kwh_per_1000"] * inf["relative_spread"]
    )
    assert "spread" in inf["method"] and "±" in res.summary[1]
    if inf["stable"]:  # a quiet machine settles well before the limit
        assert (
            inf["relative_spread"] <= em.INFERENCE_STABLE_RSE
            and "once the per-pass time was stable" in inf["method"]
        )
    else:  # a busy one runs to the limit and says so
        assert inf["duration_s"] >= 3.0 and "before the per-pass time settled" in inf["method"]


def test_regression_refit_of_a_boosting_model_agrees_by_r2():
    from sklearn.ensemble import HistGradientBoostingRegressor

    rng = np.random.default_rng(0)
    frame = make_frame(n=1500, seed=4)
    frame["amount"] = 3 * frame["x1"] - frame["x2"] ** 2 + rng.normal(scale=0.3, size=len(frame))
    model = HistGradientBoostingRegressor(max_iter=50, random_state=1).fit(frame[FEATURES], frame["amount"])
    cfg = AuditConfig(
        target="amount", protected=("group",), emissions=FAST, exclude_columns=("label",), task="regression"
    )
    ctx = build_context(frame_as_data(frame), config=cfg, model=adapt_estimator(model))
    res = run_emissions(ctx, prior={}, progress=no_progress)
    t = res.metrics["training"]
    assert t["agreement"] > 0.99  # the same rows and seed: the re-fit reproduces the upload
    assert "EMIS_REFIT_DISAGREES" not in {f.code for f in res.findings}
