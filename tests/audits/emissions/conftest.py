"""Shared fixtures: a small generated binary task (2,000 rows) and a LogisticRegression fitted on it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LogisticRegression

from audits import AuditConfig, build_context
from audits.context import AuditContext
from audits.inputs import adapt_estimator, frame_as_data

FEATURES = ["x1", "x2", "x3", "x4"]
FAST = {"inference_max_seconds": 0.2}


def make_frame(n: int = 2000, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(FEATURES)))
    logits = X @ np.array([1.5, -1.0, 0.5, 0.0]) + rng.normal(scale=0.5, size=n)
    frame = pd.DataFrame(X, columns=FEATURES)
    frame["group"] = rng.choice(["a", "b"], size=n)
    frame["label"] = np.where(logits > 0, "yes", "no")
    return frame


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(scope="session")
def logreg(frame: pd.DataFrame) -> LogisticRegression:
    return LogisticRegression(max_iter=200).fit(frame[FEATURES], frame["label"])


@pytest.fixture(scope="session")
def make_ctx(frame: pd.DataFrame, logreg: LogisticRegression) -> Callable[..., AuditContext]:
    """Build a context over the generated data; keyword arguments override emissions options."""

    def build(*, model: Any = "default", data: pd.DataFrame | None = None, **emissions: Any) -> AuditContext:
        est = logreg if model == "default" else model
        cfg = AuditConfig(
            target="label",
            protected=("group",),
            positive_label="yes",
            emissions={**FAST, **emissions},
            prediction_column=None if est is not None else "pred",
        )
        adapter = None if est is None else (est if hasattr(est, "kind") else adapt_estimator(est, name="m"))
        return build_context(frame_as_data(frame if data is None else data), config=cfg, model=adapter)

    return build


def no_progress(fraction: float, message: str) -> None:
    return None
