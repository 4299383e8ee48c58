"""build_context: validation at the entry, one prediction pass, label encodings and group construction."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits import AuditConfig, AuditInputError, ProtectedAttribute, build_context, load_dataset, load_model
from audits.inputs import adapt_estimator, frame_as_data


def _ctx(frame, **cfg):
    cfg.setdefault("target", "label")
    cfg.setdefault("protected", ("sex",))
    return build_context(frame_as_data(frame, name="data.csv"), config=AuditConfig(**cfg))


def test_adult_gbm_context(adult_paths):
    cfg = AuditConfig.from_yaml(adult_paths["config"])
    ctx = build_context(load_dataset(adult_paths["data"]), config=cfg, model=load_model(adult_paths["gbm"]))
    assert ctx.task == "binary" and ctx.positive_label == ">50K"
    assert ctx.y_true.dtype == np.int8 and set(np.unique(ctx.y_true)) == {0, 1}
    assert ctx.y_score is not None and ctx.y_score.shape == (16_281,)
    # predict once: labels equal argmax of the probabilities the context holds
    assert np.array_equal(ctx.y_pred, (ctx.y_score > 0.5).astype(np.int8))
    assert not ctx.y_pred.flags.writeable
    assert set(ctx.sensitive["age"].cat.categories) == {"25 and under", "26-60", "over 60"}
    assert ctx.intersection_columns == ("sex × race", "sex × age", "race × age")
    assert "Female × White" in set(ctx.sensitive["sex × race"].astype(str))


def test_default_positive_label_follows_sklearn(binary_frame):
    ctx = _ctx(
        binary_frame, prediction_column="pred", score_column="score", exclude_columns=("pred", "score")
    )
    assert ctx.positive_label == 1
    assert any("larger sorted label" in n for n in ctx.notes)
    assert "pred" not in ctx.features and "score" not in ctx.features


def test_string_positive_label_matches_int_column(binary_frame):
    ctx = _ctx(binary_frame, prediction_column="pred", positive_label="0")
    assert ctx.positive_label == 0
    assert ctx.y_true.sum() == (binary_frame["label"] == 0).sum()


def test_missing_protected_values_become_their_own_group(binary_frame):
    f = binary_frame.copy()
    f.loc[:9, "sex"] = None
    ctx = _ctx(f, prediction_column="pred")
    assert (ctx.sensitive["sex"] == "missing").sum() == 10


def test_numeric_protected_without_bins_is_binned_at_quartiles(binary_frame):
    f = binary_frame.assign(age=np.arange(len(binary_frame)) % 70 + 18)
    ctx = _ctx(f, prediction_column="pred", protected=("age",))
    assert ctx.sensitive["age"].nunique() == 4
    assert ctx.binning["age"]["how"].startswith("quartiles")


@pytest.mark.parametrize(
    ("change", "cfg", "message"),
    [
        (lambda f: f.drop(columns="label"), {}, "column 'label' (target) is not in the data"),
        (lambda f: f.assign(label=1), {}, "has a single value"),
        (lambda f: f.drop(columns="sex"), {}, "column 'sex' (protected attribute)"),
        (lambda f: f.assign(sex=None), {}, "has no values (all missing)"),
        (lambda f: f.assign(pred=f["pred"] + 5), {}, "not labels of target 'label'"),
        (lambda f: f.assign(pred=f["score"]), {}, "look like scores"),
        (lambda f: f, {"positive_label": "yes"}, "does not occur in target column"),
        (lambda f: f.assign(label=np.arange(len(f)) % 3), {"task": "binary"}, "has 3 distinct values"),
        (lambda f: f.assign(score=f["score"] * 3), {"score_column": "score"}, "between 0 and 1"),
    ],
)
def test_bad_input_gives_a_clear_error(binary_frame, change, cfg, message):
    cfg = {"prediction_column": "pred", **cfg}
    with pytest.raises(AuditInputError) as err:
        _ctx(change(binary_frame), **cfg)
    assert message in str(err.value)


def test_no_model_and_no_prediction_column(binary_frame):
    with pytest.raises(AuditInputError, match="No model and no prediction column"):
        _ctx(binary_frame)


def test_model_expects_columns_the_data_lacks(adult_paths):
    data = load_dataset(adult_paths["data"])
    frame = data.frame.drop(columns=["age", "occupation"])
    cfg = AuditConfig(target="income", protected=("sex",))
    with pytest.raises(AuditInputError) as err:
        build_context(frame_as_data(frame, name="x.csv"), config=cfg, model=load_model(adult_paths["gbm"]))
    assert "expects 2 column(s)" in str(err.value)
    assert "'age'" in str(err.value) and "'occupation'" in str(err.value)


def test_model_classes_disagree_with_target(german_paths):
    frame = pd.read_csv(german_paths["data"]).assign(
        credit_risk=lambda f: f["credit_risk"].map({"good": "yes", "bad": "no"})
    )
    with pytest.raises(AuditInputError, match="do not match the values of target"):
        build_context(
            frame_as_data(frame),
            config=AuditConfig(target="credit_risk", protected=("sex",)),
            model=load_model(german_paths["model"]),
        )


def test_multiclass_and_regression_detection(binary_frame):
    f = binary_frame.assign(label=np.arange(len(binary_frame)) % 3, pred=np.arange(len(binary_frame)) % 3)
    ctx = _ctx(f, prediction_column="pred")
    assert ctx.task == "multiclass" and len(ctx.classes) == 3
    g = binary_frame.assign(label=binary_frame["x1"] * 2.5, pred=binary_frame["x1"] * 2.4)
    ctx = _ctx(g, prediction_column="pred")
    assert ctx.task == "regression" and ctx.y_true.dtype == float


def test_bool_and_minus_one_labels(binary_frame):
    f = binary_frame.assign(label=binary_frame["label"].astype(bool), pred=binary_frame["pred"].astype(bool))
    assert _ctx(f, prediction_column="pred").positive_label is True
    g = binary_frame.assign(label=binary_frame["label"] * 2 - 1, pred=binary_frame["pred"] * 2 - 1)
    ctx = _ctx(g, prediction_column="pred")
    assert ctx.positive_label == 1 and ctx.y_true.sum() == binary_frame["label"].sum()


def test_protected_bins_on_non_numeric_column(binary_frame):
    with pytest.raises(AuditInputError, match="not numeric"):
        _ctx(binary_frame, prediction_column="pred", protected=(ProtectedAttribute(column="sex", bins=(1,)),))


def test_all_zero_weights_and_target_as_protected_are_refused(binary_frame):
    with pytest.raises(AuditInputError, match="sums to 0"):
        _ctx(binary_frame.assign(w=0.0), prediction_column="pred", sample_weight_column="w")
    with pytest.raises(AuditInputError, match="both the target and a protected attribute"):
        _ctx(binary_frame, prediction_column="pred", protected=("label",))


def test_regressor_on_a_class_target_says_so(binary_frame):
    from sklearn.linear_model import LinearRegression

    reg = LinearRegression().fit(binary_frame[["x1"]], binary_frame["label"])
    with pytest.raises(AuditInputError, match="looks like a regressor"):
        build_context(
            frame_as_data(binary_frame, name="data.csv"),
            config=AuditConfig(target="label", protected=("sex",), task="binary"),
            model=adapt_estimator(reg, name="reg.skops"),
        )


def test_predict_failure_names_empty_columns(binary_frame):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression().fit(binary_frame[["x1"]], binary_frame["label"])
    with pytest.raises(AuditInputError) as err:
        build_context(
            frame_as_data(binary_frame.assign(x1=np.nan), name="data.csv"),
            config=AuditConfig(target="label", protected=("sex",)),
            model=adapt_estimator(clf, name="clf.skops"),
        )
    assert "Column(s) with no values at all: 'x1'" in str(err.value)


def test_integer_protected_column_gets_integer_quartile_edges(binary_frame):
    f = binary_frame.assign(age=(np.arange(len(binary_frame)) * 7) % 61 + 18)
    ctx = _ctx(f, prediction_column="pred", protected=("age",))
    assert all(float(e).is_integer() for e in ctx.binning["age"]["edges"])


def test_sections_may_be_a_single_name(binary_frame):
    assert AuditConfig(target="label", protected="sex", sections="fairness").sections == ("fairness",)
