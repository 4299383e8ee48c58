"""Data files and predictions that would give a silently wrong audit are refused and named."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from audits import AuditConfig, load_dataset, run_audit
from audits.errors import AuditInputError
from audits.limits import Limits
from tests.conftest import make_binary_frame
from tests.security.conftest import GERMAN_DATA, GERMAN_MODEL, assert_cli_refused, run_cli, write

CONFIG = AuditConfig(target="label", protected=("sex",), sections=("performance", "fairness"))


def test_a_duplicate_csv_column_is_refused_not_renamed(tmp_path: Path) -> None:
    path = write(tmp_path / "dup.csv", "sex,x1,sex,label\nF,1,M,0\nM,2,F,1\n")
    with pytest.raises(AuditInputError) as info:
        load_dataset(path)
    message = str(info.value)
    assert str(path) in message and "sex" in message and "sex.1" not in message


def test_a_duplicate_csv_column_differing_by_spaces_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "dup.csv", "sex, sex ,label\nF,M,0\nM,F,1\n")
    with pytest.raises(AuditInputError, match="sex"):
        load_dataset(path)


def test_a_duplicate_parquet_column_is_refused() -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    table = pa.Table.from_arrays(
        [pa.array(["F", "M"]), pa.array(["M", "F"]), pa.array([0, 1])], names=["sex", "sex", "label"]
    )
    buf = io.BytesIO()
    pq.write_table(table, buf)
    with pytest.raises(AuditInputError) as info:
        load_dataset(buf.getvalue(), name="dup.parquet")
    assert "dup.parquet" in str(info.value) and "sex" in str(info.value)


def test_the_cli_refuses_a_duplicate_column(tmp_path: Path) -> None:
    frame = pd.read_csv(GERMAN_DATA)
    frame.insert(0, "sex_copy", frame["sex"].iloc[::-1].to_numpy())
    text = frame.to_csv(index=False).replace("sex_copy", "sex", 1)
    data = write(tmp_path / "credit.csv", text)
    proc = run_cli(
        "run", "--data", data, "--model", GERMAN_MODEL, "--target", "credit_risk", "--protected", "sex",
        "--sections", "performance", "--out", tmp_path / "out", "--quiet",
    )  # fmt: skip
    assert_cli_refused(proc, "credit.csv", "sex")


def test_too_many_columns_are_refused_before_parsing(tmp_path: Path) -> None:
    n = 6_000
    header = ",".join(f"c{i}" for i in range(n))
    path = write(tmp_path / "wide.csv", header + "\n" + ",".join("1" for _ in range(n)) + "\n")
    with pytest.raises(AuditInputError) as info:
        load_dataset(path)
    assert str(path) in str(info.value) and "RAI_AUDIT_MAX_COLUMNS" in str(info.value)


def test_a_csv_over_the_cell_budget_is_refused(tmp_path: Path) -> None:
    path = write(tmp_path / "rows.csv", "a,b\n" + "1,2\n" * 1000)
    with pytest.raises(AuditInputError, match="max_cells|MAX_CELLS"):
        load_dataset(path, limits=Limits(max_cells=500))


# --- predictions and scores ----------------------------------------------------------------------------------------
class _Model:
    """A classifier whose outputs are chosen by the test (fitted attributes as scikit-learn sets them)."""

    def __init__(self, proba: object = None, labels: object = None) -> None:
        self.classes_ = np.array([0, 1])
        self._proba, self._labels = proba, labels

    def fit(self, X: pd.DataFrame, y: object) -> _Model:
        return self

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        if self._labels is not None:
            return self._labels(len(X))
        return (self.predict_proba(X)[:, 1] > 0.5).astype(int)

    def predict_proba(self, X: pd.DataFrame) -> np.ndarray:
        return self._proba(len(X))


def _frame() -> pd.DataFrame:
    return make_binary_frame(400)[["x1", "sex", "label", "score", "pred"]]


def _valid(n: int) -> np.ndarray:
    p = np.linspace(0.05, 0.95, n)
    return np.column_stack([1 - p, p])


WRONG_MODELS = {
    "proba-three-columns": _Model(proba=lambda n: np.full((n, 3), 1 / 3)),
    "proba-too-few-rows": _Model(proba=lambda n: _valid(n)[: n // 2]),
    "proba-nan": _Model(proba=lambda n: np.where(np.arange(n)[:, None] % 7 == 0, np.nan, _valid(n))),
    "proba-above-one": _Model(proba=lambda n: _valid(n) * 3),
    "proba-negative": _Model(proba=lambda n: _valid(n) - 0.5),
    "labels-too-few": _Model(proba=_valid, labels=lambda n: np.zeros(n - 5, dtype=int)),
    "labels-2d": _Model(proba=_valid, labels=lambda n: np.zeros((n, 2), dtype=int)),
}


@pytest.mark.parametrize("case", sorted(WRONG_MODELS))
def test_model_outputs_of_the_wrong_shape_or_range_are_refused(case: str) -> None:
    with pytest.raises(AuditInputError):
        run_audit(_frame()[["x1", "sex", "label"]], model=WRONG_MODELS[case], config=CONFIG, model_name="m")


def test_nan_scores_in_predictions_only_mode_are_refused() -> None:
    frame = _frame()
    frame.loc[frame.index[::9], "score"] = np.nan
    cfg = CONFIG.replace(prediction_column="pred", score_column="score")
    with pytest.raises(AuditInputError, match="score"):
        run_audit(frame, config=cfg, data_name="scores.csv")


def test_scores_out_of_range_in_predictions_only_mode_are_refused() -> None:
    frame = _frame()
    frame["score"] = frame["score"] * 4 - 1
    cfg = CONFIG.replace(prediction_column="pred", score_column="score")
    with pytest.raises(AuditInputError, match="score"):
        run_audit(frame, config=cfg, data_name="scores.csv")


def test_nan_predictions_in_predictions_only_mode_are_refused() -> None:
    frame = _frame().astype({"pred": float})
    frame.loc[frame.index[::11], "pred"] = np.nan
    with pytest.raises(AuditInputError, match="pred"):
        run_audit(frame, config=CONFIG.replace(prediction_column="pred"), data_name="preds.csv")


def test_the_cli_refuses_nan_scores_with_exit_2(tmp_path: Path) -> None:
    frame = _frame()
    frame.loc[frame.index[::9], "score"] = np.nan
    data = write(tmp_path / "scores.csv", frame.to_csv(index=False))
    proc = run_cli(
        "run", "--data", data, "--prediction", "pred", "--score", "score", "--target", "label",
        "--protected", "sex", "--sections", "performance", "--out", tmp_path / "out", "--quiet",
    )  # fmt: skip
    assert_cli_refused(proc, "scores.csv", "score")
