"""Data read exactly as written: missing means only what na_values says; tokens kept as values are reported;
``categorical`` treats numeric codes as categories in the checks and the groups; Parquet types are kept."""

from __future__ import annotations

import io

import numpy as np
import pandas as pd
import pytest

from audits import AuditConfig, build_context, load_dataset
from audits.inputs import frame_as_data
from tests.audits.data_quality.conftest import codes, make_ctx, no_errors, run

# "None" is a real answer here (test not taken), as in the hospital readmission table of issue 14.
HOSPITAL = "age,A1Cresult,g,y\n" + "".join(
    f"{30 + i % 40},{'None' if i % 6 else ('>8' if i % 12 else 'Norm')},{'ab'[i % 2]},{'no' if i % 3 else 'yes'}\n"
    for i in range(600)
)


def test_csv_keeps_pandas_default_tokens_as_values():
    ld = load_dataset(HOSPITAL.encode(), name="hospital.csv", na_values=("",))
    col = ld.frame["A1Cresult"]
    assert col.isna().sum() == 0
    assert (col == "None").mean() == pytest.approx(5 / 6, abs=0.01)


def test_csv_reads_as_missing_exactly_the_configured_tokens():
    raw = b"a,b\n1,NA\n,null\n3,?\n4,N/A\n"
    frame = load_dataset(raw, name="t.csv", na_values=("?",)).frame
    assert frame["a"].isna().tolist() == [False, True, False, False]  # the empty cell always
    assert frame["b"].isna().tolist() == [False, False, True, False]  # only '?' of the four spellings
    frame = load_dataset(raw, name="t.csv", na_values=("NA", "null")).frame
    assert frame["b"].isna().tolist() == [True, True, False, False]


def test_provenance_records_what_was_applied():
    prov = load_dataset(b"a,b\n1,x\n2,y\n", name="t.csv", na_values=("?",)).provenance()
    assert prov["na_values"] == ["", "?"]
    assert prov["pandas_default_na_values"] is False


def test_config_default_reads_only_the_empty_cell():
    assert AuditConfig(target="y", protected=("g",)).na_values == ("",)


def test_bundled_adult_config_declares_its_question_mark():
    from tests.audits.data_quality.conftest import ADULT

    assert "?" in AuditConfig.from_yaml(ADULT / "audit.yaml").na_values


def test_none_category_is_reported_with_its_share_and_the_fix():
    frame = load_dataset(HOSPITAL.encode(), name="hospital.csv").frame
    res = run(make_ctx(frame))
    no_errors(res)
    (f,) = [f for f in codes(res, "DQ_NULL_TOKENS") if f.subject == "A1Cresult"]
    assert f.severity == "info"
    assert "'None' in 83.3% of rows" in f.message and "read as a category" in f.message
    assert "add 'None' to na_values if it means missing" in f.message
    assert f.evidence["share"] == pytest.approx(500 / 600)
    assert not codes(res, "DQ_MISSING")  # nothing was turned into a missing value


def test_token_in_a_number_column_warns_that_the_column_became_text(base_frame):
    df = base_frame.copy()
    df["x_txt"] = df["x1"].round(3).astype(str)
    df.loc[:19, "x_txt"] = "NA"
    res = run(make_ctx(df))
    (f,) = [f for f in codes(res, "DQ_NULL_TOKENS") if f.subject == "x_txt"]
    assert f.severity == "warn" and f.evidence["rest_is_numeric"]
    assert "read as text" in f.message and "'NA' in 5.0% of rows" in f.message
    # the token is not a second finding as a stray type
    assert "x_txt" not in {g.subject for g in codes(res, "DQ_MIXED_TYPES")}


def test_na_token_as_a_real_category_is_kept_and_named(base_frame):
    df = base_frame.copy()
    df["grade"] = np.where(np.arange(len(df)) % 4 == 0, "NA", "A")  # "NA" = "not assessed", a category
    res = run(make_ctx(df))
    assert res.metrics["columns"]["grade"]["missing_share"] == 0
    assert "grade" in {f.subject for f in codes(res, "DQ_NULL_TOKENS")}


def _codes_frame(n: int = 600) -> pd.DataFrame:
    rng = np.random.default_rng(3)
    edu = rng.choice([1, 2, 3, 4, 0, 5, 6], size=n, p=[0.35, 0.3, 0.2, 0.12, 0.01, 0.01, 0.01])
    return pd.DataFrame(
        {
            "EDUCATION": edu,
            "LIMIT": rng.normal(size=n),
            "g": rng.choice(["a", "b"], size=n),
            "y": rng.choice(["no", "yes"], size=n),
        }
    )


def test_categorical_config_treats_numeric_codes_as_categories():
    df = _codes_frame()
    plain = run(make_ctx(df))
    assert plain.metrics["columns"]["EDUCATION"]["kind"] == "numeric"
    declared = run(make_ctx(df, categorical=("EDUCATION",)))
    no_errors(declared)
    assert declared.metrics["columns"]["EDUCATION"]["kind"] == "categorical"
    assert declared.metrics["columns"]["EDUCATION"]["dtype"] == "int64"  # reported as written
    assert "EDUCATION" not in {f.subject for f in codes(declared, "DQ_NUMERIC_CODES")}
    # the proxy measure follows the kind: a category gets Cramér's V, a number the correlation ratio
    df2 = df.assign(code=df["EDUCATION"] * 10 + 3)
    res = run(make_ctx(df2, protected=("g",), categorical=("code",)))
    rows = {r["feature"]: r for r in res.metrics["proxies"]["g"]}
    assert rows["code"]["measure"] == "cramers_v" and rows["EDUCATION"]["measure"] == "correlation_ratio"


def test_categorical_protected_codes_are_groups_not_quartiles():
    rng = np.random.default_rng(0)
    n = 800
    df = pd.DataFrame(
        {"region": rng.integers(1, 16, size=n), "x": rng.normal(size=n), "y": rng.choice(["a", "b"], size=n)}
    )
    binned = make_ctx(df, protected=("region",))
    assert binned.binning["region"]["how"] == "quartiles (automatic)"
    coded = make_ctx(df, protected=("region",), categorical=("region",))
    assert "region" not in coded.binning
    assert set(coded.sensitive["region"].astype(str)) == {str(v) for v in range(1, 16)}


def test_categorical_column_that_does_not_exist_is_refused_at_the_entry(base_frame):
    from audits.errors import AuditInputError

    with pytest.raises(AuditInputError, match=r"'EDUCATON'.*categorical.*Available columns"):
        make_ctx(base_frame, categorical=("EDUCATON",))


def test_parquet_types_are_kept_as_written():
    frame = pd.DataFrame(
        {
            "code": pd.array([1, 2, None], dtype="Int64"),
            "word": ["None", "NA", "x"],
            "flag": [True, False, True],
        }
    )
    buf = io.BytesIO()
    frame.to_parquet(buf)
    back = load_dataset(buf.getvalue(), name="t.parquet").frame
    assert str(back["code"].dtype) == "Int64" and back["code"].isna().tolist() == [False, False, True]
    assert back["word"].tolist() == ["None", "NA", "x"]
    assert back["flag"].dtype == bool


def test_context_on_exactly_read_csv_keeps_none_as_a_group():
    ld = load_dataset(HOSPITAL.encode(), name="hospital.csv")
    df = ld.frame.assign(pred=ld.frame["y"])
    cfg = AuditConfig(
        target="y", protected=("A1Cresult",), prediction_column="pred", exclude_columns=("pred",)
    )
    ctx = build_context(frame_as_data(df, name="hospital.csv"), config=cfg)
    assert "None" in set(ctx.sensitive["A1Cresult"].astype(str))
    assert "missing" not in set(ctx.sensitive["A1Cresult"].astype(str))


def test_categorical_codes_drift_as_categories_against_a_reference():
    df = _codes_frame()
    ref = _codes_frame().sample(frac=1.0, random_state=1).reset_index(drop=True)
    res = run(make_ctx(df, reference=ref, categorical=("EDUCATION",)))
    no_errors(res)
    assert res.metrics["drift"]["columns"]["EDUCATION"]["type"] == "categorical"
    assert res.metrics["drift"]["columns"]["LIMIT"]["type"] == "numeric"
