"""Shared fixtures: paths to the bundled samples and small generated datasets."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "sample_data"


@pytest.fixture(scope="session")
def samples() -> Path:
    return SAMPLES


@pytest.fixture(scope="session")
def german_paths() -> dict[str, Path]:
    d = SAMPLES / "german_credit"
    return {
        "data": d / "german_credit_test.csv",
        "full": d / "german_credit.csv",
        "model": d / "german_logreg.skops",
        "config": d / "audit.yaml",
    }


@pytest.fixture(scope="session")
def adult_paths() -> dict[str, Path]:
    d = SAMPLES / "adult"
    return {
        "data": d / "adult_test.csv",
        "train": d / "adult_train.csv",
        "full": d / "adult.csv",
        "gbm": d / "adult_gbm.skops",
        "logreg": d / "adult_logreg.skops",
        "onnx": d / "adult_logreg.onnx",
        "config": d / "audit.yaml",
    }


def make_binary_frame(n: int = 600, *, seed: int = 0) -> pd.DataFrame:
    """A small binary dataset with a protected attribute, a numeric and a categorical feature, and predictions."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], size=n, p=[0.4, 0.6])
    x1 = rng.normal(size=n)
    color = rng.choice(["red", "green", "blue"], size=n)
    logit = 0.8 * x1 + (sex == "M") * 0.7 - 0.3
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    score = 1 / (1 + np.exp(-(logit + rng.normal(scale=0.5, size=n))))
    return pd.DataFrame(
        {"x1": x1, "color": color, "sex": sex, "label": y, "score": score, "pred": (score > 0.5).astype(int)}
    )


@pytest.fixture()
def binary_frame() -> pd.DataFrame:
    return make_binary_frame()
