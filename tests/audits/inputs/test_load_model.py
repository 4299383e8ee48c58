"""load_model: safe formats load, unsafe ones are refused with an explanation."""

from __future__ import annotations

import pickle

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.linear_model import LogisticRegression

from audits import AuditInputError, load_dataset, load_model
from audits.errors import PICKLE_NOT_TRUSTED


class NotAllowed(LogisticRegression):
    """A subclass defined outside the trusted libraries: skops must refuse it."""


def _tiny_model(cls=LogisticRegression):
    X = pd.DataFrame({"a": [0.0, 1.0, 2.0, 3.0], "b": [1.0, 0.0, 1.0, 0.0]})
    return cls().fit(X, [0, 0, 1, 1])


def test_skops_sample_loads_with_classes_and_features(adult_paths):
    m = load_model(adult_paths["gbm"])
    assert m.kind == "sklearn" and m.load_format == "skops"
    assert [str(c) for c in m.classes] == ["<=50K", ">50K"]
    assert "age" in m.feature_names
    assert m.is_refittable and m.has_proba
    assert "HistGradientBoostingClassifier" in m.description


def test_onnx_sample_predicts_like_the_sklearn_pipeline(adult_paths):
    onnx = load_model(adult_paths["onnx"])
    assert onnx.kind == "onnx" and not onnx.is_refittable
    assert [str(c) for c in onnx.classes] == ["<=50K", ">50K"]
    X = load_dataset(adult_paths["data"]).frame.head(300)[onnx.feature_names]
    labels, proba = onnx.predict_both(X)
    assert proba.shape == (300, 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1, atol=1e-5)
    assert set(map(str, labels)) <= {"<=50K", ">50K"}


def test_untrusted_type_is_refused_and_named(tmp_path):
    p = tmp_path / "m.skops"
    sio.dump(_tiny_model(NotAllowed), p)
    with pytest.raises(AuditInputError) as err:
        load_model(p)
    assert "NotAllowed" in str(err.value)
    assert "trusted" in str(err.value)


def test_pickle_refused_without_trust_and_loaded_with_it(tmp_path, monkeypatch):
    monkeypatch.delenv("RAI_AUDIT_ALLOW_PICKLE", raising=False)
    p = tmp_path / "m.pkl"
    p.write_bytes(pickle.dumps(_tiny_model()))
    with pytest.raises(AuditInputError) as err:
        load_model(p)
    assert str(err.value) == PICKLE_NOT_TRUSTED.format(file=str(p))
    assert load_model(p, trust_pickle=True).load_format == "pickle"
    monkeypatch.setenv("RAI_AUDIT_ALLOW_PICKLE", "1")
    assert load_model(p).kind == "sklearn"


def test_truncated_and_unknown_model_files(tmp_path, adult_paths):
    raw = adult_paths["gbm"].read_bytes()
    p = tmp_path / "cut.skops"
    p.write_bytes(raw[: len(raw) // 3])
    with pytest.raises(AuditInputError, match="truncated"):
        load_model(p)
    q = tmp_path / "cut.onnx"
    q.write_bytes(adult_paths["onnx"].read_bytes()[:100])
    with pytest.raises(AuditInputError, match="could not be read"):
        load_model(q)
    r = tmp_path / "model.h5"
    r.write_bytes(b"xx")
    with pytest.raises(AuditInputError, match="unknown model format '.h5'"):
        load_model(r)
    with pytest.raises(AuditInputError, match="does not exist"):
        load_model(tmp_path / "missing.skops")
