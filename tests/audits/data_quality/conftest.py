"""Fixtures of the data-quality tests: contexts built from small generated frames and from the samples."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from audits import AuditConfig, build_context, load_dataset
from audits.context import AuditContext
from audits.data_quality import run_data_quality
from audits.inputs import LoadedData, frame_as_data
from audits.results import SectionResult

ROOT = Path(__file__).resolve().parents[3]
ADULT = ROOT / "sample_data" / "adult"
GERMAN = ROOT / "sample_data" / "german_credit"
PRED = "__pred"


def make_ctx(
    df: pd.DataFrame,
    *,
    target: str = "y",
    protected: Any = ("g",),
    reference: pd.DataFrame | None = None,
    raw: bool = False,
    **config: Any,
) -> AuditContext:
    """A predictions-only context whose predictions copy the label (the section does not read them).

    ``raw`` wraps the frames without hashing them (a Parquet file can hold list cells, which the in-memory
    hashing of ``frame_as_data`` cannot digest).
    """
    df = df.copy()
    df[PRED] = df[target]
    cfg = AuditConfig(
        target=target, protected=protected, prediction_column=PRED, exclude_columns=(PRED,), **config
    )

    def wrap(frame: pd.DataFrame, name: str) -> LoadedData:
        if raw:
            return LoadedData(frame=frame, name=name, sha256="-", n_bytes=0, format="dataframe")
        return frame_as_data(frame, name=name)

    ref = None if reference is None else wrap(reference, "reference")
    return build_context(wrap(df, "data"), config=cfg, reference=ref)


def run(ctx: AuditContext) -> SectionResult:
    return run_data_quality(ctx, prior={}, progress=lambda f, m: None)


def codes(result: SectionResult, code: str) -> list[Any]:
    """Findings of one code."""
    return [f for f in result.findings if f.code == code]


def no_errors(result: SectionResult) -> None:
    errors = [f.message for f in result.findings if f.code == "DQ_CHECK_ERROR"]
    assert not errors, errors


@pytest.fixture(scope="session")
def make() -> Callable[..., AuditContext]:
    return make_ctx


@pytest.fixture(scope="session")
def base_frame() -> pd.DataFrame:
    """400 clean rows: two numeric and two categorical features, a group g and a binary label y."""
    rng = np.random.default_rng(1)
    n = 400
    g = rng.choice(["a", "b"], size=n)
    return pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.gamma(2.0, size=n),
            "c1": rng.choice(["red", "green", "blue"], size=n),
            "c2": rng.choice(["p", "q", "r", "s"], size=n),
            "g": g,
            "y": rng.choice(["no", "yes"], size=n),
        }
    )


@pytest.fixture(scope="session")
def adult_ctx() -> AuditContext:
    """All 48,842 rows of adult.csv ('?' read as missing), predictions-only mode."""
    ld = load_dataset(ADULT / "adult.csv")
    df = ld.frame.copy()
    df["pred"] = df["income"]
    cfg = AuditConfig(
        target="income", protected=("sex", "race"), prediction_column="pred", exclude_columns=("pred",)
    )
    return build_context(frame_as_data(df, name="adult.csv"), config=cfg)


@pytest.fixture(scope="session")
def adult_result(adult_ctx: AuditContext) -> SectionResult:
    return run(adult_ctx)


@pytest.fixture(scope="session")
def german_frame() -> pd.DataFrame:
    return load_dataset(GERMAN / "german_credit.csv").frame
