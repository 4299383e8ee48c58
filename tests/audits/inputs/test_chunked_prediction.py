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


def test_pipeline_final_step_predicts_cache_sized_blocks_with_the_same_values(monkeypatch):
    """A pipeline transforms once and its final estimator predicts row blocks: identical to one call."""
    from sklearn.compose import ColumnTransformer
    from sklearn.ensemble import HistGradientBoostingClassifier
    from sklearn.pipeline import Pipeline
    from sklearn.preprocessing import OneHotEncoder

    frame = make_binary_frame(5000, seed=9)
    X = frame[["x1"]].assign(colour=np.where(np.arange(len(frame)) % 3 == 0, "red", "blue"))
    pipe = Pipeline(
        [
            ("prep", ColumnTransformer([("cat", OneHotEncoder(), ["colour"])], remainder="passthrough")),
            ("model", HistGradientBoostingClassifier(max_iter=20, random_state=0)),
        ]
    ).fit(X, frame["label"])
    adapter = adapt_estimator(pipe)
    whole_proba, whole_labels = pipe.predict_proba(X), pipe.predict(X)
    # 3 transformed columns x 8 bytes x 1,024 rows per block -> 5 blocks for 5,000 rows
    monkeypatch.setattr(inputs, "CACHE_BLOCK_BYTES", 3 * 8 * 1024)
    blocks = []
    final = pipe.steps[-1][1]
    original = final.predict_proba
    monkeypatch.setattr(final, "predict_proba", lambda part: blocks.append(len(part)) or original(part))
    np.testing.assert_array_equal(adapter.predict_proba(X), whole_proba)
    assert blocks == [1024] * 4 + [5000 - 4 * 1024]
    labels, proba = adapter.predict_both(X)
    np.testing.assert_array_equal(labels, whole_labels)
    np.testing.assert_array_equal(proba, whole_proba)
