"""Model output is checked at the entry: shape, missing values and probability range (no silently wrong audit)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits import AuditConfig, AuditInputError
from audits.context import build_context
from audits.inputs import adapt_estimator, frame_as_data


class Model:
    """A classifier whose outputs a test sets by hand."""

    classes_ = np.array([0, 1])

    def __init__(self, labels=None, proba=None):
        self._labels, self._proba = labels, proba

    def fit(self, X, y):
        return self

    def predict(self, X):
        return self._labels if self._labels is not None else np.zeros(len(X), dtype=int)

    def predict_proba(self, X):
        return self._proba


@pytest.fixture()
def data():
    rng = np.random.default_rng(0)
    n = 200
    frame = pd.DataFrame(
        {"x": rng.normal(size=n), "sex": rng.choice(["F", "M"], n), "y": rng.integers(0, 2, n)}
    )
    return frame_as_data(frame, name="people.csv")


def _ctx(data, model):
    cfg = AuditConfig(target="y", protected=["sex"], features=("x",))
    return build_context(data, config=cfg, model=adapt_estimator(model, name="model.skops"))


@pytest.mark.parametrize(
    ("proba", "match"),
    [
        (lambda n: np.full((n, 3), 1 / 3), r"shape \(200, 3\); expected \(200, 2\)"),
        (lambda n: np.full((n - 1, 2), 0.5), r"shape \(199, 2\)"),
        (
            lambda n: np.where(np.arange(n)[:, None] == 0, np.nan, 0.5) * np.ones((n, 2)),
            "missing or infinite",
        ),
        (lambda n: np.full((n, 2), 1.5), "between 0 and 1"),
    ],
)
def test_bad_probabilities_are_refused_naming_the_model(data, proba, match):
    with pytest.raises(AuditInputError, match=match) as err:
        _ctx(data, Model(proba=proba(200)))
    assert "model.skops" in str(err.value)


def test_wrong_number_of_labels_is_refused(data):
    class LabelsOnly:
        classes_ = np.array([0, 1])

        def predict(self, X):
            return np.zeros(150, dtype=int)

    with pytest.raises(AuditInputError, match="150 values for 200 rows"):
        _ctx(data, LabelsOnly())


def test_valid_output_still_builds_the_context(data):
    p = np.linspace(0.01, 0.99, 200)
    ctx = _ctx(data, Model(proba=np.column_stack([1 - p, p])))
    assert ctx.n_rows == 200 and ctx.y_score is not None
