"""Regression and multiclass audits (real sections, generated data) render in every format."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.linear_model import LinearRegression, LogisticRegression

from audits import AuditConfig, run_audit
from reports.export import render_markdown, render_pdf
from reports.model_card import build_model_card
from tests.reports.conftest import pdf_text

SECTIONS = ("performance", "data_quality", "fairness")


@pytest.fixture(scope="module")
def frame() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    n = 400
    df = pd.DataFrame(
        {
            "x1": rng.normal(size=n),
            "x2": rng.normal(size=n),
            "region": rng.choice(["Île-de-France", "Ñuñoa", "Zürich"], n),
        }
    )
    df["y"] = 2 * df["x1"] + rng.normal(size=n)
    df["c"] = rng.choice(["a", "b", "c"], n)
    return df


@pytest.mark.parametrize(
    ("target", "task", "estimator", "metric"),
    [
        ("y", "regression", LinearRegression(), "mae"),
        ("c", "multiclass", LogisticRegression(max_iter=300), "accuracy"),
    ],
)
def test_other_tasks_render(frame, target, task, estimator, metric):
    model = estimator.fit(frame[["x1", "x2"]], frame[target])
    cfg = AuditConfig(
        target=target, protected=("region",), features=("x1", "x2"), task=task, sections=SECTIONS
    )
    result = run_audit(frame, model=model, config=cfg)
    md = render_markdown(result)
    text = " ".join(" ".join(pdf_text(render_pdf(result))).split())
    assert "layout could not be drawn" not in md and "layout could not be drawn" not in text
    assert "Ñuñoa" in md and "Ñuñoa" in text
    card = build_model_card(result)
    assert metric in card.front_matter()["metrics"]
