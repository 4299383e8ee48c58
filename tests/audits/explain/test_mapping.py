"""Pipeline -> raw column mapping, read from the fitted structure."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, PolynomialFeatures, StandardScaler

from audits.explain.mapping import FeatureMapping, MappingUnavailable, map_preprocessor

from .conftest import CATEGORICAL, FEATURES, NUMERIC, onehot_prep, ordinal_prep


class NoNames(TransformerMixin, BaseEstimator):
    """A transformer without get_feature_names_out."""

    def fit(self, X, y=None):
        return self

    def transform(self, X):
        return np.asarray(X, dtype=float)


def test_one_hot_columns_map_to_their_source(frame):
    prep = onehot_prep().fit(frame[FEATURES])
    m = map_preprocessor(prep, FEATURES)
    names = prep.get_feature_names_out()
    # Independent check by name prefix (the mapping itself never parses names).
    for name, src in zip(names, m.sources, strict=True):
        assert name.split("__", 1)[1].startswith(FEATURES[src])
    assert m.expanded() == {"color": 3, "sex": 2}
    assert not m.one_to_one


def test_ordinal_encoding_is_one_to_one(frame):
    m = map_preprocessor(ordinal_prep().fit(frame[FEATURES]), FEATURES)
    assert m.one_to_one
    assert [m.raw_columns[s] for s in m.sources] == NUMERIC + CATEGORICAL


def test_caller_column_order_is_respected(frame):
    prep = onehot_prep().fit(frame[FEATURES])
    order = ["sex", "x2", "color", "x1"]
    m = map_preprocessor(prep, order)
    assert m.raw_columns == tuple(order)
    assert [order[s] for s in m.sources[:2]] == ["x1", "x2"]


def test_dropped_columns_are_reported_unused(frame):
    prep = ColumnTransformer([("num", StandardScaler(), ["x1"])], remainder="drop").fit(frame[FEATURES])
    m = map_preprocessor(prep, FEATURES)
    assert m.unused == ["x2", "color", "sex"]


def test_imputer_indicator_maps_back_to_its_column(frame):
    prep = ColumnTransformer([("num", SimpleImputer(add_indicator=True), NUMERIC)]).fit(frame[FEATURES])
    m = map_preprocessor(prep, FEATURES)
    assert [FEATURES[s] for s in m.sources] == ["x1", "x2", "x2"]  # x2 has gaps: one indicator


def test_steps_after_the_column_transformer_are_followed(frame):
    prep = Pipeline([("ct", onehot_prep()), ("scale", StandardScaler())]).fit(frame[FEATURES])
    m = map_preprocessor(prep, FEATURES)
    assert m.expanded() == {"color": 3, "sex": 2}


def test_transformer_without_feature_names_is_refused(frame):
    prep = ColumnTransformer([("x", NoNames(), NUMERIC), ("cat", OneHotEncoder(), CATEGORICAL)]).fit(
        frame[FEATURES]
    )
    with pytest.raises(MappingUnavailable, match="get_feature_names_out"):
        map_preprocessor(prep, FEATURES)


def test_mixing_transformer_is_refused(frame):
    prep = ColumnTransformer([("poly", PolynomialFeatures(2), NUMERIC)]).fit(frame[FEATURES].fillna(0))
    with pytest.raises(MappingUnavailable, match="PolynomialFeatures"):
        map_preprocessor(prep, FEATURES)


def test_group_sums_transformed_values():
    m = FeatureMapping(raw_columns=("a", "b"), transformed_names=("a", "b_1", "b_2"), sources=(0, 1, 1))
    out = m.group(np.array([[1.0, 2.0, 3.0], [0.5, -1.0, 1.0]]))
    np.testing.assert_allclose(out, [[1.0, 5.0], [0.5, 0.0]])
    out3 = m.group(np.ones((2, 3, 4)))
    assert out3.shape == (2, 2, 4)
    np.testing.assert_allclose(out3[:, 1], 2.0)
