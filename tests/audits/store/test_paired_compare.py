"""Paired comparison of two audits of the same rows: the covariance of the two estimates, measured from the row
ledgers, makes a real change visible that the independent standard error hides, and never flags noise."""

from __future__ import annotations

import dataclasses

import numpy as np
import pandas as pd
import pytest

from audits import row_ledger as RL
from audits.compare import CHANGED, INDEPENDENT, NOISE, PAIRED, compare
from audits.config import AuditConfig
from audits.runner import run_audit

N, SHARE_F = 20_000, 0.25


class LookupModel:
    """A fitted binary classifier whose prediction of each row is fixed in advance (looked up by its row id)."""

    classes_ = np.array([0, 1])
    feature_names_in_ = np.array(["row", "x"])

    def __init__(self, predictions: np.ndarray):
        self.predictions = np.asarray(predictions)

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.predictions[X["row"].to_numpy()]


def _rows(seed: int = 0) -> tuple[pd.DataFrame, np.ndarray]:
    rng = np.random.default_rng(seed)
    sex = np.where(np.arange(N) < int(N * SHARE_F), "f", "m")
    frame = pd.DataFrame(
        {"row": np.arange(N), "x": rng.normal(size=N), "sex": sex, "y": rng.binomial(1, 0.4, N)}
    )
    pred = np.where(sex == "f", rng.binomial(1, 0.55, N), rng.binomial(1, 0.50, N))
    return frame, pred


CONFIG = AuditConfig.from_dict(
    {
        "target": "y",
        "protected": [{"column": "sex", "reference_group": "m"}],
        "sections": ["performance", "fairness"],
        "policy": {"n_bootstrap": 0},
    }
)


@pytest.fixture(scope="module")
def audits():
    """Model A, and model B that differs from A on 0.75% of the rows: 3% of group f turned positive, a true rise
    of 0.03 in f's selection rate (its difference to the reference group m moves by 0.03)."""
    frame, pred = _rows()
    flip = np.random.default_rng(1).choice(
        np.flatnonzero((frame["sex"] == "f") & (pred == 0)), 150, replace=False
    )
    pred_b = pred.copy()
    pred_b[flip] = 1
    assert (pred_b != pred).mean() <= 0.01
    a = run_audit(frame, config=CONFIG, model=LookupModel(pred), data_name="rows.csv")
    b = run_audit(frame, config=CONFIG, model=LookupModel(pred_b), data_name="rows.csv")
    return a, b


def _selection(cmp):
    return next(
        i for i in cmp.items if i.key.startswith("sex:selection_rate:") and i.key.endswith(":vs_reference")
    )


def test_a_true_change_is_flagged_paired_and_missed_independent(audits):
    a, b = audits
    paired = compare(a, b)
    item = _selection(paired)
    assert paired.method == PAIRED and item.method == PAIRED
    assert item.correlation is not None and item.correlation > 0.9
    assert item.verdict == CHANGED
    # The same two audits without their ledgers: the independent standard error cannot tell it from noise.
    unpaired = compare(dataclasses.replace(a, row_ledger=None), b)
    assert unpaired.method == INDEPENDENT and "not paired" in unpaired.method_note
    assert "Spark engine keeps none" in unpaired.method_note  # a result without a ledger entry at all
    assert _selection(unpaired).method == INDEPENDENT and _selection(unpaired).verdict == NOISE
    assert item.p_value < _selection(unpaired).p_value


def test_metrics_without_a_closed_form_covariance_stay_independent_and_say_so():
    frame, pred = _rows()
    score = np.clip(pred * 0.6 + np.random.default_rng(2).uniform(0, 0.4, N), 0, 1)

    class Scored(LookupModel):
        def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
            s = score[X["row"].to_numpy()]
            return np.column_stack([1 - s, s])

    a = run_audit(frame, config=CONFIG, model=Scored(pred), data_name="rows.csv")
    cmp = compare(a, a)
    auc = next(i for i in cmp.items if i.key == "roc_auc")
    assert auc.method == INDEPENDENT and "no closed-form paired covariance" in auc.method_note
    accuracy = next(i for i in cmp.items if i.key == "accuracy")
    assert accuracy.method == PAIRED and accuracy.correlation == pytest.approx(1.0)


def test_different_labels_on_the_same_file_hash_are_not_paired(audits):
    a, b = audits
    led = dict(b.row_ledger)
    led["label_sha256"] = "0" * 64
    cmp = compare(a, dataclasses.replace(b, row_ledger=led))
    assert cmp.method == INDEPENDENT and "label" in cmp.method_note


def test_the_delta_method_covariance_matches_a_seeded_simulation():
    """Resampling the rows of a population: the correlation of two models' group-rate differences across the
    samples equals the one the ledgers give (delta method), within Monte Carlo error."""
    rng = np.random.default_rng(3)
    pop = 200_000
    group = rng.binomial(1, 0.3, pop)
    y = rng.binomial(1, 0.4, pop)
    pa = rng.binomial(1, 0.5, pop)
    pb = np.where(rng.uniform(size=pop) < 0.05, 1 - pa, pa)  # B differs from A on 5% of rows
    n, reps = 2_000, 600
    diffs = np.empty((reps, 2))
    for r in range(reps):
        idx = rng.integers(0, pop, n)
        g = group[idx] == 1
        diffs[r] = [pa[idx][g].mean() - pa[idx][~g].mean(), pb[idx][g].mean() - pb[idx][~g].mean()]
    empirical = np.corrcoef(diffs.T)[0, 1]
    idx = rng.integers(0, pop, n)
    ledgers = [
        RL.read_ledger(
            RL.build_ledger(
                task="binary",
                classes=(0, 1),
                y_true=y[idx],
                y_pred=p[idx],
                sample_weight=None,
                groups={"g": (group[idx], ("0", "1"))},
            )  # fmt: skip
        )
        for p in (pa, pb)
    ]
    psi = []
    for led in ledgers:
        one = RL.rate_influence(led, "selection_rate", mask=led.group_mask("g", "1"))
        zero = RL.rate_influence(led, "selection_rate", mask=led.group_mask("g", "0"))
        psi.append(one[1] - zero[1])
    measured = RL.correlation(*psi)
    # Fisher z: the standard error of an empirical correlation over 600 samples is about 1/sqrt(597) in z
    assert abs(np.arctanh(measured) - np.arctanh(empirical)) < 4 / np.sqrt(reps - 3)
    assert measured > 0.8


def test_a_regression_audit_keeps_no_ledger_and_its_comparison_says_why():
    from sklearn.linear_model import LinearRegression

    rng = np.random.default_rng(4)
    frame = pd.DataFrame({"x": rng.normal(size=500), "sex": rng.choice(["f", "m"], 500)})
    frame["y"] = 2 * frame["x"] + rng.normal(size=500)
    model = LinearRegression().fit(frame[["x"]], frame["y"])
    config = AuditConfig.from_dict(
        {"target": "y", "protected": ["sex"], "features": ["x"], "task": "regression",
         "sections": ["performance", "fairness"], "policy": {"n_bootstrap": 50}}
    )  # fmt: skip
    result = run_audit(frame, config=config, model=model, data_name="reg.csv")
    assert result.row_ledger == RL.absent(RL.NO_LEDGER_REGRESSION)
    cmp = compare(result, result)
    assert cmp.method == INDEPENDENT and "regression audit keeps no row ledger" in cmp.method_note
