"""run_emissions: contract keys, statuses, skips and the honesty rules (measured vs estimated, agreement)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, ClassifierMixin

from audits.context import AuditContext
from audits.emissions import REFIT_DISABLED, REFIT_NOT_POSSIBLE_ONNX, run_emissions
from audits.errors import AuditInputError
from audits.results import SectionResult, Status

from .conftest import FEATURES, make_frame, no_progress

TRAINING_KEYS = {
    "duration_s", "energy_kwh", "cpu_energy_kwh", "gpu_energy_kwh", "ram_energy_kwh", "emissions_kg",
    "emissions_rate_kg_per_s", "country_iso_code", "country_name", "region", "carbon_intensity_g_per_kwh",
    "cpu_model", "cpu_count", "gpu_model", "gpu_count", "ram_total_gb", "tracking_mode", "pue",
    "cpu_power_method", "gpu_power_method", "ram_power_method", "overall_method", "rows", "untracked_fit_s",
    "agreement", "codecarbon_version",
}  # fmt: skip
INFERENCE_KEYS = {
    "passes", "rows_per_pass", "duration_s", "energy_kwh_per_1000", "emissions_kg_per_1000", "method",
}  # fmt: skip


@pytest.fixture(scope="module")
def result(make_ctx: Callable[..., AuditContext]) -> SectionResult:
    return run_emissions(make_ctx(), prior={}, progress=no_progress)


def test_contract_keys_and_tables(result: SectionResult) -> None:
    assert (result.name, result.title) == ("emissions", "Environmental impact")
    assert set(result.metrics["training"]) >= TRAINING_KEYS
    assert set(result.metrics["inference"]) >= INFERENCE_KEYS
    assert result.metrics["imported"] is None
    for e in result.metrics["equivalents"]:
        assert {"label", "value", "unit", "factor", "source"} <= set(e) and e["source"]
    for c in result.metrics["country_comparison"]:
        assert {"country_iso_code", "country_name", "carbon_intensity_g_per_kwh", "emissions_kg"} <= set(c)
    assert {"training", "inference", "equivalents", "countries"} <= set(result.tables)
    assert "comparison" not in result.tables


def test_refit_of_a_deterministic_model_passes_and_agrees(result: SectionResult) -> None:
    t = result.metrics["training"]
    assert result.status == Status.PASS
    assert t["energy_kwh"] > 0 and t["emissions_kg"] > 0 and t["duration_s"] > 0
    assert t["rows"] == 2000 and t["untracked_fit_s"] > 0
    assert t["agreement"] == 1.0  # LogisticRegression (lbfgs) re-fit on the same rows
    assert t["country_iso_code"] == "USA" and t["codecarbon_version"]


def test_measured_or_estimated_is_said_plainly(result: SectionResult) -> None:
    t = result.metrics["training"]
    assert t["overall_method"] in ("measured", "estimated")
    word = "MEASURED" if t["overall_method"] == "measured" else "ESTIMATED"
    assert any(word in s for s in result.summary)
    for key in ("cpu_power_method", "ram_power_method", "gpu_power_method"):
        assert t[key] and t[key] != "unknown"
    if t["overall_method"] == "estimated":
        assert "EMIS_ESTIMATED" in [f.code for f in result.findings]
    assert result.method["offline"] is True
    assert result.method["tracker"] == "codecarbon.OfflineEmissionsTracker"
    assert "default" in result.method["country_source"]
    assert set(result.method["how_obtained"]) >= {"energy_kwh", "emissions_kg", "cpu_energy_kwh"}


def test_emissions_arithmetic_in_the_result(result: SectionResult) -> None:
    t = result.metrics["training"]
    assert t["emissions_kg"] == pytest.approx(
        t["energy_kwh"] * t["carbon_intensity_g_per_kwh"] / 1000, rel=1e-9
    )
    i = result.metrics["inference"]
    n = i["passes"] * i["rows_per_pass"]
    assert i["energy_kwh_per_1000"] == pytest.approx(i["energy_kwh"] / n * 1000, rel=1e-12)
    assert i["passes"] >= 1 and i["duration_s"] >= 0.2


def test_result_survives_a_json_round_trip(result: SectionResult) -> None:
    assert SectionResult.from_dict(result.to_dict()) == result


def test_predictions_only_is_skipped(make_ctx: Callable[..., AuditContext], frame: pd.DataFrame) -> None:
    data = frame.assign(pred=frame["label"])
    res = run_emissions(make_ctx(model=None, data=data), prior={}, progress=no_progress)
    assert res.status == Status.SKIPPED and "Predictions-only" in res.reason


def test_disabled_is_skipped(make_ctx: Callable[..., AuditContext]) -> None:
    res = run_emissions(make_ctx(enabled=False), prior={}, progress=no_progress)
    assert res.status == Status.SKIPPED and "disabled" in res.reason


def test_refit_disabled_still_measures_inference(make_ctx: Callable[..., AuditContext]) -> None:
    res = run_emissions(make_ctx(refit=False), prior={}, progress=no_progress)
    assert res.status == Status.PASS
    assert res.metrics["training"] is None and res.metrics["training_not_measured"] == REFIT_DISABLED
    assert res.metrics["inference"]["energy_kwh_per_1000"] > 0
    assert "not measured" in str(res.tables["training"].data["value"][0])
    assert res.metrics["comparison_basis"] == "the energy of 1,000 predictions"


def test_onnx_model_measures_inference_only(make_ctx: Callable[..., AuditContext]) -> None:
    from audits import AuditConfig, build_context, load_dataset, load_model

    root = Path(__file__).resolve().parents[3] / "sample_data" / "adult"
    cfg = AuditConfig.from_yaml(root / "audit.yaml").replace(
        emissions={"inference_max_seconds": 0.2, "country_iso_code": "FRA"}
    )
    data = load_dataset(root / "adult_test.csv", na_values=cfg.na_values)
    small = data.frame.iloc[:500]
    from audits.inputs import frame_as_data

    ctx = build_context(frame_as_data(small), config=cfg, model=load_model(root / "adult_logreg.onnx"))
    res = run_emissions(ctx, prior={}, progress=no_progress)
    assert res.status == Status.PASS
    assert res.metrics["training"] is None
    assert res.metrics["training_not_measured"] == REFIT_NOT_POSSIBLE_ONNX
    assert res.metrics["inference"]["rows_per_pass"] == 500
    assert res.method["country_source"].startswith("set in the config")


class FitFails(ClassifierMixin, BaseEstimator):
    """Predicts fine (as uploaded) but cannot be fitted again."""

    def fit(self, X: Any, y: Any) -> FitFails:
        raise ValueError("this estimator cannot be re-fitted")

    def predict(self, X: Any) -> np.ndarray:
        return np.where(np.asarray(X)[:, 0] > 0, "yes", "no")


def test_failing_fit_is_a_warning_with_the_reason(make_ctx: Callable[..., AuditContext]) -> None:
    est = FitFails()
    est.classes_ = np.array(["no", "yes"])
    est.feature_names_in_ = np.array(FEATURES, dtype=object)
    res = run_emissions(make_ctx(model=est), prior={}, progress=no_progress)
    assert res.status == Status.WARN
    assert "EMIS_REFIT_FAILED" in [f.code for f in res.findings]
    assert "cannot be re-fitted" in res.metrics["training_not_measured"]
    assert res.metrics["inference"]["call"] == "predict"


def test_training_data_file_is_used(make_ctx: Callable[..., AuditContext], tmp_path: Path) -> None:
    path = tmp_path / "train.csv"
    make_frame(n=1500, seed=0).to_csv(path, index=False)
    res = run_emissions(make_ctx(training_data=str(path)), prior={}, progress=no_progress)
    t = res.metrics["training"]
    assert t["rows"] == 1500 and "train.csv" in t["training_source"]
    assert t["agreement"] > 0.9


def test_training_file_without_needed_columns_is_a_warning(
    make_ctx: Callable[..., AuditContext], tmp_path: Path
) -> None:
    path = tmp_path / "train.csv"
    make_frame(n=100).drop(columns=["x3"]).to_csv(path, index=False)
    res = run_emissions(make_ctx(training_data=str(path)), prior={}, progress=no_progress)
    assert res.status == Status.WARN and "'x3'" in res.metrics["training_not_measured"]


def test_refit_on_other_data_warns_about_disagreement(
    make_ctx: Callable[..., AuditContext], tmp_path: Path
) -> None:
    # Labels flipped in the training file: the re-fit predicts the opposite of the upload.
    other = make_frame(n=500, seed=1)
    other["label"] = other["label"].map({"yes": "no", "no": "yes"})
    path = tmp_path / "flipped.csv"
    other.to_csv(path, index=False)
    res = run_emissions(make_ctx(training_data=str(path)), prior={}, progress=no_progress)
    assert res.metrics["training"]["agreement"] < 0.5
    assert res.status == Status.WARN and "EMIS_REFIT_DISAGREES" in [f.code for f in res.findings]


def test_unknown_country_is_a_warning(make_ctx: Callable[..., AuditContext]) -> None:
    with pytest.raises(AuditInputError, match="ZZZ"):
        make_ctx(country_iso_code="ZZZ", refit=False)
    ctx = make_ctx(refit=False)
    em = dataclasses.replace(ctx.config.emissions, country_iso_code="ZZZ")
    res = run_emissions(
        dataclasses.replace(ctx, config=ctx.config.replace(emissions=em)), prior={}, progress=no_progress
    )
    assert res.status == Status.WARN and "EMIS_COUNTRY_UNKNOWN" in [f.code for f in res.findings]
    assert res.method["carbon_intensity_g_per_kwh"] == pytest.approx(475)  # codecarbon's world average


def test_region_uses_codecarbon_regional_figure(make_ctx: Callable[..., AuditContext]) -> None:
    res = run_emissions(make_ctx(region="California", refit=False), prior={}, progress=no_progress)
    assert res.method["region"] == "California"
    national = res.metrics["country_comparison"]
    assert (
        national[0]["carbon_intensity_g_per_kwh"] < 369.473
    )  # California's grid is cleaner than the US mean
    i = res.metrics["inference"]
    assert i["emissions_kg_per_1000"] == pytest.approx(
        i["energy_kwh_per_1000"] * res.method["carbon_intensity_g_per_kwh"] / 1000, rel=1e-9
    )


def test_progress_is_reported(make_ctx: Callable[..., AuditContext]) -> None:
    seen: list[tuple[float, str]] = []
    run_emissions(make_ctx(refit=False), prior={}, progress=lambda f, m: seen.append((f, m)))
    fractions = [f for f, _ in seen]
    assert fractions == sorted(fractions) and fractions[-1] == 1.0


def test_model_card_block_from_the_refit(result: SectionResult) -> None:
    block = result.metrics["co2_eq_emissions"]
    t = result.metrics["training"]
    assert block["emissions"] == pytest.approx(t["emissions_kg"] * 1000)
    assert "re-fit" in block["training_type"] and t["overall_method"] in block["source"]
    assert block["geographical_location"] == "United States"
    assert str(t["cpu_count"]) in block["hardware_used"]


def test_model_card_block_absent_without_training_or_import(make_ctx: Callable[..., AuditContext]) -> None:
    res = run_emissions(make_ctx(refit=False), prior={}, progress=no_progress)
    assert res.metrics["co2_eq_emissions"] is None


def test_refit_on_undesignated_data_is_capped_and_says_so(make_ctx: Callable[..., AuditContext]) -> None:
    ctx = make_ctx(refit_max_rows=500)
    res = run_emissions(ctx, prior={}, progress=no_progress)
    t = res.metrics["training"]
    assert t["rows"] == 500 < ctx.n_rows
    assert "random sample of 500" in t["training_source"]
    assert "random sample of 500" in res.summary[0]
