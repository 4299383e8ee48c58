"""Large prediction passes are split into chunks predicted in threads: same labels and probabilities, same order."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from audits import inputs
from audits.inputs import adapt_estimator
from tests.conftest import make_binary_frame


@pytest.fixture()
def model_and_rows():
    frame = make_binary_frame(3000, seed=5)
    X = frame[["x1"]].assign(x2=np.arange(len(frame)) % 7)
    return adapt_estimator(LogisticRegression().fit(X, frame["label"])), X


def test_chunked_predictions_equal_one_call_in_row_order(model_and_rows, monkeypatch):
    adapter, X = model_and_rows
    whole_proba = adapter.estimator.predict_proba(X)
    whole_labels = adapter.estimator.predict(X)
    monkeypatch.setattr(inputs, "PARALLEL_PREDICT_ROWS", 500)
    monkeypatch.setattr(inputs.os, "cpu_count", lambda: 3)  # 6 chunks of 500 rows
    calls = []
    original = adapter.estimator.predict_proba

    def counting(part):
        calls.append(len(part))
        return original(part)

    monkeypatch.setattr(adapter.estimator, "predict_proba", counting)
    np.testing.assert_array_equal(adapter.predict_proba(X), whole_proba)
    assert len(calls) == 6 and sum(calls) == len(X)
    np.testing.assert_array_equal(adapter.predict(X), whole_labels)


def test_small_passes_are_one_call(model_and_rows, monkeypatch):
    adapter, X = model_and_rows
    calls = []
    original = adapter.estimator.predict_proba
    monkeypatch.setattr(
        adapter.estimator, "predict_proba", lambda part: calls.append(len(part)) or original(part)
    )
    adapter.predict_proba(X)
    assert calls == [len(X)]
