"""Real models still load under the exact-name allow list, predict as before, and crafted tree nodes are refused."""

from __future__ import annotations

import io
import warnings
import zipfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import (
    ExtraTreesClassifier,
    GradientBoostingClassifier,
    HistGradientBoostingClassifier,
    HistGradientBoostingRegressor,
    RandomForestClassifier,
)
from sklearn.impute import SimpleImputer
from sklearn.linear_model import Lasso, LinearRegression, LogisticRegression, Ridge
from sklearn.neighbors import KNeighborsClassifier
from sklearn.neural_network import MLPClassifier
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import FunctionTransformer, OneHotEncoder, OrdinalEncoder, StandardScaler
from sklearn.svm import SVC
from sklearn.tree import DecisionTreeClassifier

from audits import AuditInputError, load_model

SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"


def _frame(n: int = 240) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    X = pd.DataFrame(
        {
            "a": rng.normal(size=n),
            "b": rng.normal(size=n),
            "c": rng.choice(["x", "y", "z"], size=n),
            "d": rng.choice(["p", "q"], size=n),
        }
    )
    X.loc[::17, "a"] = np.nan
    y = (X["b"] + (X["c"] == "x") > 0).astype(int).to_numpy()
    return X, y, X["b"].to_numpy() * 2 + 1


def _pipeline() -> Pipeline:
    prep = ColumnTransformer(
        [
            ("num", Pipeline([("impute", SimpleImputer()), ("scale", StandardScaler())]), ["a", "b"]),
            ("onehot", OneHotEncoder(handle_unknown="ignore"), ["c"]),
            ("ordinal", OrdinalEncoder(), ["d"]),
            ("identity", FunctionTransformer(None), ["b"]),
        ]
    )
    return Pipeline([("prep", prep), ("model", LogisticRegression())])


NUMERIC = ["a", "b"]
FITTED: dict[str, tuple[Callable[[], object], str]] = {
    # name: (estimator factory, target kind)
    "logistic": (LogisticRegression, "class"),
    "random_forest": (lambda: RandomForestClassifier(n_estimators=5, random_state=0), "class"),
    "gradient_boosting": (lambda: GradientBoostingClassifier(n_estimators=5, random_state=0), "class"),
    "hist_gradient_boosting": (lambda: HistGradientBoostingClassifier(max_iter=10), "class"),
    "hist_gradient_boosting_regressor": (lambda: HistGradientBoostingRegressor(max_iter=10), "reg"),
    "decision_tree": (lambda: DecisionTreeClassifier(max_depth=4, random_state=0), "class"),
    "extra_trees": (lambda: ExtraTreesClassifier(n_estimators=5, random_state=0), "class"),
    "svc": (lambda: SVC(probability=True, random_state=0), "class"),
    "knn": (KNeighborsClassifier, "class"),
    "ridge": (Ridge, "reg"),
    "lasso": (Lasso, "reg"),
    "linear_regression": (LinearRegression, "reg"),
    "mlp": (lambda: MLPClassifier(max_iter=30, random_state=0), "class"),
    "pipeline": (_pipeline, "class"),
    "hgb_native_categorical": (
        lambda: HistGradientBoostingClassifier(max_iter=10, categorical_features="from_dtype"),
        "class",
    ),
}


def _fit(name: str):
    X, y, y_reg = _frame()
    factory, kind = FITTED[name]
    if name == "pipeline":
        X_fit = X
    elif name == "hgb_native_categorical":
        X_fit = X.astype({"c": "category", "d": "category"})
    elif name.startswith("hist_gradient"):
        X_fit = X[NUMERIC]
    else:
        X_fit = X[NUMERIC].fillna(0.0)
    est = factory()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # convergence warnings of the tiny fits
        est.fit(X_fit, y if kind == "class" else y_reg)
    return est, X_fit


def _assert_same_predictions(original, loaded, X) -> None:
    np.testing.assert_array_equal(loaded.predict(X), original.predict(X))
    if hasattr(original, "predict_proba"):
        np.testing.assert_allclose(loaded.predict_proba(X), original.predict_proba(X))


@pytest.mark.parametrize("name", sorted(FITTED))
def test_fitted_estimator_loads_and_predicts_the_same(tmp_path, name):
    est, X = _fit(name)
    path = tmp_path / f"{name}.skops"
    sio.dump(est, path)
    model = load_model(path)
    assert model.load_format == "skops"
    _assert_same_predictions(est, model.estimator, X)


def test_lightgbm_classifier_loads_and_predicts_the_same(tmp_path):
    lightgbm = pytest.importorskip("lightgbm")
    X, y, _ = _frame()
    est = lightgbm.LGBMClassifier(n_estimators=5, verbose=-1).fit(X[NUMERIC], y)
    path = tmp_path / "lgbm.skops"
    sio.dump(est, path)
    _assert_same_predictions(est, load_model(path).estimator, X[NUMERIC])


@pytest.mark.parametrize("path", sorted(SAMPLES.glob("*/*.skops")), ids=lambda p: p.name)
def test_bundled_model_loads_and_predicts_as_skops_alone_would(path):
    model = load_model(path)
    reference = sio.load(path, trusted=sio.get_untrusted_types(file=path))
    data = pd.read_csv(next(path.parent.glob("*_test.csv")), nrows=400)
    X = data[list(model.feature_names)]
    _assert_same_predictions(reference, model.estimator, X)


# --- crafted node arrays ---------------------------------------------------------------------------------------
def _rewrite_arrays(raw: bytes, field: str, corrupt: Callable[[np.ndarray], None]) -> bytes:
    """Rewrite every structured .npy member that has ``field``, as an attacker editing the zip would."""
    src = zipfile.ZipFile(io.BytesIO(raw))
    out = io.BytesIO()
    changed = 0
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename.endswith(".npy"):
                arr = np.load(io.BytesIO(data), allow_pickle=False)
                if arr.dtype.names and field in arr.dtype.names:
                    corrupt(arr)
                    buf = io.BytesIO()
                    np.save(buf, arr, allow_pickle=False)
                    data, changed = buf.getvalue(), changed + 1
            dst.writestr(info.filename, data)
    assert changed, f"no node array with field {field}"
    return out.getvalue()


def _first_internal(arr: np.ndarray, left: str) -> int:
    return (
        int(np.flatnonzero(arr[left] > 0)[0]) if left == "left" else int(np.flatnonzero(arr[left] != -1)[0])
    )


def _set(field: str, value, *, left: str = "left_child"):
    def corrupt(arr: np.ndarray) -> None:
        arr[field][_first_internal(arr, left)] = value

    return corrupt


TREE_CASES = {
    "child_out_of_range": ("left_child", _set("left_child", 10**6), "left child 1000000"),
    "child_cycle": ("right_child", _set("right_child", 0), "right child 0"),
    "negative_feature": ("feature", _set("feature", -7), "feature -7"),
    "feature_past_width": ("feature", _set("feature", 50), "feature 50"),
    "nan_threshold": ("threshold", _set("threshold", np.nan), "threshold is not a finite number"),
    "one_child": ("right_child", _set("right_child", -1), "exactly one child"),
}


@pytest.mark.parametrize("case", sorted(TREE_CASES))
def test_crafted_decision_tree_nodes_are_refused(tmp_path, case):
    field, corrupt, expected = TREE_CASES[case]
    est, _ = _fit("random_forest")
    path = tmp_path / "forest.skops"
    path.write_bytes(_rewrite_arrays(sio.dumps(est), field, corrupt))
    with pytest.raises(AuditInputError) as err:
        load_model(path)
    msg = str(err.value)
    assert msg.startswith(f"{path}: ") and "estimators_" in msg and expected in msg
    assert "was not used" in msg


PREDICTOR_CASES = {
    "child_out_of_range": ("left", _set("left", 70_000, left="left"), "left child 70000"),
    "child_cycle": ("right", _set("right", 0, left="left"), "right child 0"),
    "feature_past_width": ("feature_idx", _set("feature_idx", 9, left="left"), "feature 9"),
    "inf_threshold": ("num_threshold", _set("num_threshold", np.inf, left="left"), "not a finite number"),
    "categorical_split_without_bitset": (
        "is_categorical",
        _set("is_categorical", 1, left="left"),
        "categorical split",
    ),
}


@pytest.mark.parametrize("case", sorted(PREDICTOR_CASES))
def test_crafted_hist_gradient_boosting_nodes_are_refused(tmp_path, case):
    field, corrupt, expected = PREDICTOR_CASES[case]
    est, _ = _fit("hist_gradient_boosting")
    path = tmp_path / "hgb.skops"
    path.write_bytes(_rewrite_arrays(sio.dumps(est), field, corrupt))
    with pytest.raises(AuditInputError) as err:
        load_model(path)
    msg = str(err.value)
    assert "_predictors[" in msg and expected in msg


def test_crafted_neighbour_tree_index_is_refused(tmp_path):
    est, _ = _fit("knn")
    raw = sio.dumps(est)
    src = zipfile.ZipFile(io.BytesIO(raw))
    idx_member = None
    for info in src.infolist():  # the KD tree's sample index: a permutation of 0..n-1
        if info.filename.endswith(".npy"):
            arr = np.load(io.BytesIO(src.read(info)), allow_pickle=False)
            if arr.dtype == np.intp and arr.ndim == 1 and sorted(arr.tolist()) == list(range(len(arr))):
                idx_member = info.filename
    assert idx_member is not None
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == idx_member:
                buf = io.BytesIO()
                np.save(buf, np.full(len(np.load(io.BytesIO(data))), 10**9, dtype=np.intp))
                data = buf.getvalue()
            dst.writestr(info.filename, data)
    path = tmp_path / "knn.skops"
    path.write_bytes(out.getvalue())
    with pytest.raises(AuditInputError, match="index array points outside its data"):
        load_model(path)
