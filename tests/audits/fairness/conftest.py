"""Fixtures of the fairness tests: contexts built from small generated frames and the German credit sample."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import pytest

from audits import AuditConfig, build_context, load_dataset, load_model
from audits.context import AuditContext
from audits.fairness.section import run_fairness
from audits.inputs import frame_as_data
from audits.results import SectionResult


def no_progress(fraction: float, message: str) -> None:
    return None


def context(frame: pd.DataFrame, **cfg: Any) -> AuditContext:
    """A predictions-only context over ``frame`` (label / pred [/ score] columns by default)."""
    base: dict[str, Any] = {
        "target": "label",
        "protected": ("sex",),
        "prediction_column": "pred",
        "exclude_columns": tuple(c for c in ("pred", "score", "w") if c in frame.columns),
    }
    base.update(cfg)
    return build_context(frame_as_data(frame), config=AuditConfig(**base))


def audit(
    frame: pd.DataFrame, *, prior: Mapping[str, SectionResult] | None = None, **cfg: Any
) -> tuple[AuditContext, SectionResult]:
    ctx = context(frame, **cfg)
    return ctx, run_fairness(ctx, prior=prior or {}, progress=no_progress)


def make_frame(
    n: int = 3000,
    *,
    seed: int = 0,
    groups: Mapping[str, float] | None = None,
    with_weights: bool = False,
) -> pd.DataFrame:
    """Binary labels, scores and predictions that depend on a protected 'sex' and a 'race' attribute."""
    rng = np.random.default_rng(seed)
    groups = groups or {"F": 0.4, "M": 0.6}
    sex = rng.choice(list(groups), size=n, p=list(groups.values()))
    race = rng.choice(["A", "B", "C"], size=n, p=[0.5, 0.3, 0.2])
    shift = {g: 0.5 * i for i, g in enumerate(groups)}
    logit = rng.normal(size=n) + np.vectorize(shift.get)(sex) + (race == "B") * 0.4 - 0.5
    y = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(int)
    score = 1 / (1 + np.exp(-(logit + rng.normal(scale=0.8, size=n))))
    out = pd.DataFrame(
        {
            "x": rng.normal(size=n),
            "sex": sex,
            "race": race,
            "label": y,
            "score": score,
            "pred": (score >= 0.5).astype(int),
        }
    )
    if with_weights:
        out["w"] = rng.uniform(0.2, 3.0, size=n)
    return out


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(scope="session")
def german_model_ctx(german_paths) -> AuditContext:
    cfg = AuditConfig.from_yaml(german_paths["config"])
    return build_context(
        load_dataset(german_paths["data"]), config=cfg, model=load_model(german_paths["model"])
    )


@pytest.fixture(scope="session")
def german_model_result(german_model_ctx) -> SectionResult:
    return run_fairness(german_model_ctx, prior={}, progress=no_progress)
