"""Build the bundled sample models reproducibly (fixed seeds, fixed splits).

Run: ``python sample_data/build_models.py``. Writes .skops models (safe to load), one .onnx export, the
train/test split files and nothing else. Adult rows 0-32,560 are the standard UCI train split and the rest the
test split (see adult/SOURCE.md); German credit is split 70/30 with a fixed seed, stratified by the label.
"""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import skops.io as sio
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

HERE = Path(__file__).resolve().parent
SEED = 0
ADULT_TRAIN_ROWS = 32_561

ADULT_NUMERIC = ["age", "education_num", "capital_gain", "capital_loss", "hours_per_week"]
ADULT_CATEGORICAL = [
    "workclass",
    "marital_status",
    "occupation",
    "relationship",
    "race",
    "sex",
    "native_country",
]
GERMAN_NUMERIC = [
    "duration",
    "credit_amount",
    "installment_commitment",
    "residence_since",
    "age",
    "existing_credits",
    "num_dependents",
]
GERMAN_CATEGORICAL = [
    "checking_status",
    "credit_history",
    "purpose",
    "savings_status",
    "employment",
    "personal_status",
    "other_parties",
    "property_magnitude",
    "other_payment_plans",
    "housing",
    "job",
    "own_telephone",
    "foreign_worker",
]


def _preprocessor(numeric: list[str], categorical: list[str], *, scale: bool) -> ColumnTransformer:
    num_steps = [("impute", SimpleImputer(strategy="median"))]
    if scale:
        num_steps.append(("scale", StandardScaler()))
    cat = Pipeline(
        [
            ("impute", SimpleImputer(strategy="constant", fill_value="missing")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False, min_frequency=20)),
        ]
    )
    return ColumnTransformer(
        [("num", Pipeline(num_steps), numeric), ("cat", cat, categorical)], verbose_feature_names_out=True
    )


def gradient_boosting(numeric: list[str], categorical: list[str]) -> Pipeline:
    return Pipeline(
        [
            ("prep", _preprocessor(numeric, categorical, scale=False)),
            (
                "model",
                HistGradientBoostingClassifier(
                    max_iter=150, learning_rate=0.1, max_leaf_nodes=31, random_state=SEED
                ),
            ),
        ]
    )


def logistic(numeric: list[str], categorical: list[str]) -> Pipeline:
    return Pipeline(
        [
            ("prep", _preprocessor(numeric, categorical, scale=True)),
            ("model", LogisticRegression(max_iter=2000, C=1.0)),
        ]
    )


def load_adult() -> pd.DataFrame:
    return pd.read_csv(HERE / "adult" / "adult.csv", na_values=["?"])


def load_german() -> pd.DataFrame:
    return pd.read_csv(HERE / "german_credit" / "german_credit.csv")


def _to_str_object(frame: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    # Fit on object columns so the models accept both pandas' str dtype and plain object columns.
    frame = frame.copy()
    for c in cols:
        frame[c] = frame[c].astype(object).where(frame[c].notna(), np.nan)
    return frame


def onnx_ready_logistic(numeric: list[str], categorical: list[str]) -> Pipeline:
    """Logistic pipeline whose categorical imputer reads '' as missing: skl2onnx converts string imputers only.

    RAI Audit's ONNX adapter feeds missing categorical cells as '' to match.
    """
    cat = Pipeline(
        [
            ("impute", SimpleImputer(missing_values="", strategy="constant", fill_value="missing")),
            ("onehot", OneHotEncoder(handle_unknown="ignore", sparse_output=False)),
        ]
    )
    num = Pipeline([("impute", SimpleImputer(strategy="median")), ("scale", StandardScaler())])
    prep = ColumnTransformer([("num", num, numeric), ("cat", cat, categorical)])
    return Pipeline([("prep", prep), ("model", LogisticRegression(max_iter=2000))])


def export_onnx(
    model: Pipeline, numeric: list[str], categorical: list[str], features: list[str], path: Path
) -> None:
    from skl2onnx import convert_sklearn
    from skl2onnx.common.data_types import FloatTensorType, StringTensorType

    initial = [
        (c, FloatTensorType([None, 1]) if c in numeric else StringTensorType([None, 1])) for c in features
    ]
    onx = convert_sklearn(
        model, initial_types=initial, options={id(model.steps[-1][1]): {"zipmap": False}}, target_opset=17
    )
    path.write_bytes(onx.SerializeToString())


def main() -> None:
    warnings.filterwarnings("ignore")
    adult = load_adult()
    features = ADULT_NUMERIC + ADULT_CATEGORICAL
    train, test = adult.iloc[:ADULT_TRAIN_ROWS], adult.iloc[ADULT_TRAIN_ROWS:]
    Xtr = _to_str_object(train[features], ADULT_CATEGORICAL)
    ytr = train["income"].astype(object)
    test.to_csv(HERE / "adult" / "adult_test.csv", index=False)
    train.to_csv(HERE / "adult" / "adult_train.csv", index=False)

    gb = gradient_boosting(ADULT_NUMERIC, ADULT_CATEGORICAL).fit(Xtr, ytr)
    sio.dump(gb, HERE / "adult" / "adult_gbm.skops")
    lr = logistic(ADULT_NUMERIC, ADULT_CATEGORICAL).fit(Xtr, ytr)
    sio.dump(lr, HERE / "adult" / "adult_logreg.skops")

    # ONNX export: the logistic pipeline with numeric inputs without missing values (onnx has no imputer for
    # strings), categorical inputs as strings with missing filled.
    Xtr_blank = Xtr.copy()
    Xtr_blank[ADULT_CATEGORICAL] = Xtr_blank[ADULT_CATEGORICAL].fillna("")
    Xtr_blank[ADULT_NUMERIC] = Xtr_blank[ADULT_NUMERIC].astype("float32")
    onnx_lr = onnx_ready_logistic(ADULT_NUMERIC, ADULT_CATEGORICAL).fit(Xtr_blank, ytr)
    export_onnx(onnx_lr, ADULT_NUMERIC, ADULT_CATEGORICAL, features, HERE / "adult" / "adult_logreg.onnx")

    german = load_german()
    gfeatures = GERMAN_NUMERIC + GERMAN_CATEGORICAL
    gtrain, gtest = train_test_split(german, test_size=0.3, random_state=SEED, stratify=german["credit_risk"])
    gtest.sort_index().to_csv(HERE / "german_credit" / "german_credit_test.csv", index=False)
    gtrain.sort_index().to_csv(HERE / "german_credit" / "german_credit_train.csv", index=False)
    glr = logistic(GERMAN_NUMERIC, GERMAN_CATEGORICAL).fit(
        _to_str_object(gtrain[gfeatures], GERMAN_CATEGORICAL), gtrain["credit_risk"].astype(object)
    )
    sio.dump(glr, HERE / "german_credit" / "german_logreg.skops")
    for p in sorted(HERE.rglob("*")):
        if p.suffix in {".skops", ".onnx"} or p.name.endswith(("_test.csv", "_train.csv")):
            print(f"{p.relative_to(HERE)}  {p.stat().st_size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
