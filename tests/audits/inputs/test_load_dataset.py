"""load_dataset: formats, sniffing, missing-value spellings, and clear errors for bad files."""

from __future__ import annotations

import pandas as pd
import pytest

from audits import AuditInputError, load_dataset


def test_question_marks_are_missing_only_when_the_user_says_so(tmp_path):
    p = tmp_path / "d.csv"
    p.write_text("a,b\n1,x\n?,y\n3,\n", encoding="utf-8")
    data = load_dataset(p, na_values=["?"])
    assert data.frame["a"].isna().sum() == 1
    assert data.frame["b"].isna().sum() == 1
    as_written = load_dataset(p)  # default: only the empty cell is missing; '?' stays a value
    assert as_written.frame["a"].isna().sum() == 0 and "?" in set(as_written.frame["a"])
    assert as_written.frame["b"].isna().sum() == 1
    assert data.provenance()["rows"] == 3
    assert len(data.sha256) == 64


def test_semicolon_delimiter_and_latin1_are_sniffed(tmp_path):
    p = tmp_path / "d.csv"
    p.write_bytes("ville;n\nÎle-de-France;1\nÑuñoa;2\n".encode("latin-1"))
    frame = load_dataset(p).frame
    assert list(frame.columns) == ["ville", "n"]
    assert frame["ville"].tolist() == ["Île-de-France", "Ñuñoa"]


def test_parquet_round_trip(tmp_path):
    p = tmp_path / "d.parquet"
    pd.DataFrame({"a": [1, 2], "b": ["x", "y"]}).to_parquet(p)
    assert load_dataset(p).frame.shape == (2, 2)


def test_bytes_upload_with_name():
    data = load_dataset(b"a,b\n1,2\n", name="upload.csv")
    assert data.name == "upload.csv"


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b"", "the file is empty"),
        (b"   \n", "the file is empty"),
        (b"a,b,c\n", "header but no data rows"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)), "binary bytes"),
    ],
)
def test_bad_files_name_the_file_and_the_fix(tmp_path, content, expected):
    p = tmp_path / "bad.csv"
    p.write_bytes(content)
    with pytest.raises(AuditInputError) as err:
        load_dataset(p)
    assert expected in str(err.value)
    assert "bad.csv" in str(err.value)


def test_missing_file_and_unknown_suffix(tmp_path):
    with pytest.raises(AuditInputError, match="does not exist"):
        load_dataset(tmp_path / "nope.csv")
    p = tmp_path / "d.xlsx"
    p.write_bytes(b"whatever")
    with pytest.raises(AuditInputError, match="unknown data format '.xlsx'"):
        load_dataset(p)


def test_corrupt_parquet(tmp_path):
    p = tmp_path / "d.parquet"
    p.write_bytes(b"PAR1 not really parquet")
    with pytest.raises(AuditInputError, match="could not be read as Parquet"):
        load_dataset(p)


def test_duplicate_column_names_are_refused(tmp_path):
    p = tmp_path / "d.parquet"
    df = pd.DataFrame([[1, 2]], columns=["a", "b"])
    df.columns = ["a", "a"]
    with pytest.raises((AuditInputError, ValueError)):
        df.to_parquet(p)
        load_dataset(p)
