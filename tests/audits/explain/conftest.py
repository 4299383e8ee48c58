"""Fixtures of the explanation tests: small generated data and fitted models, built once per session."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, OrdinalEncoder, StandardScaler
from threadpoolctl import threadpool_limits

from audits import AuditConfig, build_context, load_dataset, load_model
from audits.context import AuditContext
from audits.inputs import adapt_estimator, frame_as_data

SAMPLES = Path(__file__).resolve().parents[3] / "sample_data"
NUMERIC = ["x1", "x2"]
CATEGORICAL = ["color", "sex"]
FEATURES = NUMERIC + CATEGORICAL


def make_frame(n: int = 400, *, seed: int = 0, classes: int = 2) -> pd.DataFrame:
    """Numeric (with a few gaps) and string features, a protected column used as a feature, and a label."""
    rng = np.random.default_rng(seed)
    sex = rng.choice(["F", "M"], size=n, p=[0.4, 0.6])
    color = rng.choice(["red", "green", "blue"], size=n)
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    x2[rng.random(n) < 0.05] = np.nan
    logit = 1.2 * x1 + 0.6 * (sex == "M") + 0.8 * (color == "red") - 0.3 + 0.5 * np.nan_to_num(x2) * x1
    if classes == 2:
        y = np.where(rng.random(n) < 1 / (1 + np.exp(-logit)), "yes", "no")
    else:
        y = np.array(["low", "mid", "high"])[np.digitize(logit + rng.normal(scale=0.5, size=n), [-0.5, 0.8])]
    return pd.DataFrame({"x1": x1, "x2": x2, "color": color, "sex": sex, "label": y})


def onehot_prep(*, scale: bool = False) -> ColumnTransformer:
    num = [("impute", SimpleImputer(strategy="median"))] + ([("scale", StandardScaler())] if scale else [])
    cat = Pipeline([("impute", SimpleImputer(strategy="most_frequent")), ("onehot", OneHotEncoder())])
    return ColumnTransformer([("num", Pipeline(num), NUMERIC), ("cat", cat, CATEGORICAL)])


def ordinal_prep() -> ColumnTransformer:
    return ColumnTransformer(
        [("num", "passthrough", NUMERIC), ("cat", OrdinalEncoder(), CATEGORICAL)],
        verbose_feature_names_out=False,
    )


def fit(model: object, frame: pd.DataFrame) -> object:
    # One OpenMP thread: HistGradientBoosting's threads only contend on a small, busy test machine.
    with threadpool_limits(limits=1, user_api="openmp"):
        return model.fit(frame[FEATURES], frame["label"])


def context(
    frame: pd.DataFrame, model: object, *, protected: tuple[str, ...] = ("sex",), **config: object
) -> AuditContext:
    cfg = AuditConfig(target="label", protected=protected, **config)
    adapter = None if model is None else adapt_estimator(model, name=type(model).__name__)
    return build_context(frame_as_data(frame, name="generated"), config=cfg, model=adapter)


@pytest.fixture(scope="session")
def frame() -> pd.DataFrame:
    return make_frame()


@pytest.fixture(scope="session")
def logreg_ctx(frame: pd.DataFrame) -> AuditContext:
    model = fit(Pipeline([("prep", onehot_prep(scale=True)), ("model", LogisticRegression())]), frame)
    return context(frame, model, explain_sample_size=300)


@pytest.fixture(scope="session")
def hgb_ctx(frame: pd.DataFrame) -> AuditContext:
    model = fit(
        Pipeline(
            [("prep", onehot_prep()), ("model", HistGradientBoostingClassifier(max_iter=30, random_state=0))]
        ),
        frame,
    )
    return context(frame, model, explain_sample_size=200)


@pytest.fixture(scope="session")
def forest_ctx(frame: pd.DataFrame) -> AuditContext:
    model = fit(
        Pipeline(
            [("prep", ordinal_prep()), ("model", RandomForestClassifier(n_estimators=20, random_state=0))]
        ),
        frame,
    )
    return context(frame, model, explain_sample_size=100)


@pytest.fixture(scope="session")
def german_ctx() -> AuditContext:
    d = SAMPLES / "german_credit"
    cfg = AuditConfig.from_yaml(d / "audit.yaml")
    return build_context(
        load_dataset(d / "german_credit_test.csv"), config=cfg, model=load_model(d / "german_logreg.skops")
    )
