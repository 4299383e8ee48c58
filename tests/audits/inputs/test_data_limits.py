"""Dataset limits and duplicate names, decided before the file is parsed."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from audits import AuditInputError
from audits.inputs import load_dataset
from audits.limits import Limits


def _parquet(table: pa.Table) -> bytes:
    buf = io.BytesIO()
    pq.write_table(table, buf, compression="zstd")
    return buf.getvalue()


def test_duplicate_csv_columns_are_refused_not_renamed():
    with pytest.raises(AuditInputError) as err:
        load_dataset(b"sex,age,sex\nF,30,M\n", name="people.csv")
    assert "people.csv" in str(err.value) and "['sex']" in str(err.value)


def test_duplicate_csv_columns_are_found_with_any_delimiter():
    with pytest.raises(AuditInputError, match="duplicate column"):
        load_dataset(b"a;b;a\n1;2;3\n4;5;6\n", name="semi.csv")


def test_duplicate_parquet_columns_are_refused_from_the_schema():
    table = pa.Table.from_arrays([pa.array([1, 2]), pa.array([3, 4])], names=["sex", "sex"])
    with pytest.raises(AuditInputError, match=r"dup.parquet: duplicate column name\(s\) \['sex'\]"):
        load_dataset(_parquet(table), name="dup.parquet")


def test_file_size_is_checked_before_reading(tmp_path):
    path = tmp_path / "big.csv"
    with open(path, "wb") as fh:  # a sparse file: large on paper, no disk used
        fh.truncate(50 * 1024 * 1024)
    with pytest.raises(AuditInputError) as err:
        load_dataset(path, limits=Limits(max_data_bytes=10 * 1024 * 1024))
    message = str(err.value)
    assert "big.csv" in message and "RAI_AUDIT_MAX_DATA_BYTES" in message and "50 MB" in message


def test_a_file_object_is_read_only_up_to_the_cap():
    class CountingReader(io.BytesIO):
        asked: list[int] = []

        def read(self, n: int = -1) -> bytes:
            self.asked.append(n)
            return super().read(n)

    reader = CountingReader(b"a,b\n" + b"1,2\n" * 1000)
    with pytest.raises(AuditInputError, match="max_data_bytes"):
        load_dataset(reader, name="upload.csv", limits=Limits(max_data_bytes=100))
    assert reader.asked == [101]


def test_parquet_row_budget_comes_from_metadata():
    table = pa.table({"x": pa.array(np.zeros(200_000, dtype=np.int8))})
    with pytest.raises(AuditInputError, match=r"200,000 rows x 1 columns \(from the Parquet metadata\)"):
        load_dataset(_parquet(table), name="rows.parquet", limits=Limits(max_cells=100_000))


def test_parquet_compression_bomb_is_refused_by_default():
    table = pa.table({"x": pa.array(np.ones(40_000_000, dtype=np.int8))})
    raw = _parquet(table)
    assert len(raw) < 1_000_000
    with pytest.raises(AuditInputError, match="RAI_AUDIT_MAX_PARQUET_EXPANSION"):
        load_dataset(raw, name="bomb.parquet")


def test_column_cap_and_cell_budget_for_csv():
    wide = ",".join(f"c{i}" for i in range(60)) + "\n" + ",".join("1" * 60) + "\n"
    with pytest.raises(AuditInputError, match="60 columns"):
        load_dataset(wide.encode(), name="wide.csv", limits=Limits(max_columns=50))
    with pytest.raises(AuditInputError, match="max_cells"):
        load_dataset(b"a,b\n" + b"1,2\n" * 100, name="long.csv", limits=Limits(max_cells=100))


def test_ordinary_data_passes_and_env_raises_a_limit(monkeypatch):
    frame = load_dataset(b"a,b\n1,2\n3,4\n", name="ok.csv", limits=Limits(max_cells=10)).frame
    assert frame.shape == (2, 2)
    monkeypatch.setenv("RAI_AUDIT_MAX_CELLS", "3")
    with pytest.raises(AuditInputError, match="max_cells"):
        load_dataset(b"a,b\n1,2\n3,4\n", name="ok.csv")
    monkeypatch.setenv("RAI_AUDIT_MAX_CELLS", "lots")
    with pytest.raises(AuditInputError, match="RAI_AUDIT_MAX_CELLS='lots': must be a number"):
        load_dataset(b"a,b\n1,2\n", name="ok.csv")


def test_dataframe_input_refuses_duplicate_names():
    from audits.inputs import frame_as_data

    frame = pd.DataFrame([[1, 2]], columns=["a", "a"])
    with pytest.raises(AuditInputError, match="duplicate column"):
        frame_as_data(frame, name="frame")
