"""Tree SHAP on third-party boosting libraries (LightGBM is in the dev extra, so CI runs this)."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder

from audits import AuditConfig, run_audit
from tests.conftest import make_binary_frame

lightgbm = pytest.importorskip("lightgbm")


def test_lightgbm_pipeline_uses_tree_shap_and_adds_up():
    f = make_binary_frame(1500, seed=4)
    X = f[["x1", "color", "sex"]]
    prep = ColumnTransformer(
        [("cat", OneHotEncoder(sparse_output=False), ["color", "sex"])], remainder="passthrough"
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pipe = Pipeline([("prep", prep), ("model", lightgbm.LGBMClassifier(n_estimators=40, verbose=-1))])
        pipe.fit(X, f["label"])
    cfg = AuditConfig(
        target="label",
        protected=("sex",),
        features=("x1", "color", "sex"),
        sections=("performance", "explanation"),
        explain_sample_size=400,
    )
    res = run_audit(f.drop(columns=["pred", "score"]), model=pipe, config=cfg).section("explanation")
    assert res.status == "pass", res.reason
    assert res.method["explainer"].startswith("TreeExplainer")
    assert res.method["additivity_max_error"] < 1e-6
    importance = res.tables["global_importance"].to_frame()
    assert set(importance["feature"]) == {"x1", "color", "sex"}
    assert np.all(importance["mean_abs_shap"].astype(float) >= 0)
