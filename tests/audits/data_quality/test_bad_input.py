"""Columns of every dtype, degenerate groups and random frames: the section never crashes.

A random frame may be refused at the entry (AuditInputError from build_context); nothing else may be raised,
and no check may fail internally (DQ_CHECK_ERROR).
"""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audits.errors import AuditInputError
from tests.audits.data_quality.conftest import codes, make_ctx, no_errors, run


def dtype_zoo(n: int = 120) -> pd.DataFrame:
    rng = np.random.default_rng(0)
    i = np.arange(n)
    return pd.DataFrame(
        {
            "bool": i % 3 == 0,
            "boolean_na": pd.array([True, False, None] * (n // 3), dtype="boolean"),
            "category": pd.Categorical(
                rng.choice(["lo", "mid", "hi"], size=n), categories=["lo", "mid", "hi", "unused"]
            ),
            "datetime": pd.date_range("2020-01-01", periods=n, freq="D"),
            "datetime_tz_nat": pd.Series(
                pd.date_range("2021-01-01", periods=n, freq="h", tz="Europe/Paris")
            ).where(i % 7 != 0),
            "timedelta": pd.to_timedelta(i % 5, unit="s"),
            "mixed_object": pd.Series(
                [1, "a", 2.5, None, dt.date(2020, 1, 1), b"x"] * (n // 6), dtype=object
            ),
            "unhashable": pd.Series([[1], {"a": 1}, {2}, None] * (n // 4), dtype=object),
            "all_null": [None] * n,
            "all_nan_float": np.full(n, np.nan),
            "int_na": pd.array([1, None, 3, 4] * (n // 4), dtype="Int64"),
            "float_inf": np.where(i % 10 == 0, np.inf, rng.normal(size=n)),
            "long_text": ["x" * 20_000 + str(k % 4) for k in i],
            "unicode": rng.choice(["café", "naïve", "東京", "🙂", "Zürich", "ZÜRICH "], size=n),
            "complex": i + 1j * (i % 3),
            "period": pd.period_range("2020-01", periods=n, freq="M"),
            "interval": pd.arrays.IntervalArray.from_breaks(np.arange(n + 1)),
            "const": 5,
            "y": np.where(rng.random(n) < 0.4, "yes", "no"),
        }
    )


@pytest.fixture(scope="module")
def zoo():
    return dtype_zoo()


@pytest.mark.parametrize("protected", ["unicode", "bool", "category", "int_na", "boolean_na", "datetime"])
def test_every_dtype_as_data_and_as_protected_attribute(zoo, protected):
    res = run(make_ctx(zoo, protected=(protected,), raw=True))
    no_errors(res)
    json.dumps(res.to_dict(), allow_nan=False)
    cols = res.metrics["columns"]
    assert cols["all_null"]["kind"] == "empty" and cols["datetime"]["kind"] == "datetime"
    assert cols["bool"]["kind"] == "boolean" and cols["int_na"]["kind"] == "numeric"
    assert {"all_null", "all_nan_float", "const"} <= {f.subject for f in codes(res, "DQ_CONSTANT")}
    assert protected in res.metrics["representation"]


def test_every_dtype_against_a_reference(zoo):
    ref = dtype_zoo().sample(frac=1.0, random_state=1).reset_index(drop=True)
    ref["unicode"] = "café"
    res = run(make_ctx(zoo, protected=("category", "unicode"), reference=ref, raw=True))
    no_errors(res)
    assert "drift" in res.tables and "group_mix_drift" in res.tables
    json.dumps(res.to_dict(), allow_nan=False)


def test_boolean_target_and_regression_on_odd_columns(zoo):
    res = run(make_ctx(zoo.assign(y=zoo["bool"]), protected=("unicode",), raw=True))
    no_errors(res)
    res = run(make_ctx(zoo.assign(y=np.linspace(0, 1, len(zoo))), protected=("category",), raw=True))
    no_errors(res)
    assert res.metrics["checks"]["DQ_LEAKAGE"]["values"]["measure"] == "r2"


def test_tiny_frames():
    for n in (2, 3, 5):
        df = pd.DataFrame(
            {
                "x": np.arange(n, dtype=float),
                "g": ["a"] * (n - 1) + ["b"],
                "y": [0, 1] * (n // 2) + [0] * (n % 2),
            }
        )
        no_errors(run(make_ctx(df)))


# --- property-based: random frames ---------------------------------------------------------------------------
def _column(kind: str, n: int, draw) -> pd.Series:
    ints = draw(st.lists(st.integers(-5, 5), min_size=n, max_size=n))
    base = pd.Series(ints)
    mask = pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)))
    if kind == "int":
        return base
    if kind == "int_na":
        return base.astype("Int64").mask(mask)
    if kind == "float":
        floats = draw(
            st.lists(st.floats(allow_nan=True, allow_infinity=True, width=32), min_size=n, max_size=n)
        )
        return pd.Series(floats, dtype=float)
    if kind == "bool":
        return base > 0
    if kind == "text":
        words = draw(st.lists(st.text(max_size=6), min_size=n, max_size=n))
        return pd.Series(words, dtype="str").mask(mask)
    if kind == "category":
        return base.map(lambda v: f"c{v % 3}").astype("category")
    if kind == "datetime":
        return pd.Series(pd.to_datetime(base, unit="D")).mask(mask)
    if kind == "object":
        return pd.Series([v if v % 2 else str(v) for v in ints], dtype=object).mask(mask)
    return pd.Series([None] * n, dtype=object)  # all null


KINDS = ["int", "int_na", "float", "bool", "text", "category", "datetime", "object", "null"]


@st.composite
def random_frames(draw):
    n = draw(st.integers(1, 40))
    k = draw(st.integers(0, 5))
    df = pd.DataFrame(
        {
            f"c{j}_{kind}": _column(kind, n, draw)
            for j, kind in enumerate(draw(st.lists(st.sampled_from(KINDS), min_size=k, max_size=k)))
        }
    )
    df["g"] = _column(draw(st.sampled_from(["text", "int", "bool", "category", "null", "float"])), n, draw)
    df["y"] = _column(draw(st.sampled_from(["bool", "int", "text", "float"])), n, draw)
    with_ref = draw(st.booleans())
    ref = None
    if with_ref:
        ref = df.sample(frac=0.5, random_state=0, replace=True) if n else df
        if draw(st.booleans()) and df.shape[1] > 2:
            ref = ref.drop(columns=[df.columns[0]])
    return df, ref


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large]
)
@given(random_frames())
def test_random_frames_raise_nothing_but_input_errors(frame_and_ref):
    df, ref = frame_and_ref
    try:
        ctx = make_ctx(df, reference=ref)
    except AuditInputError:
        return
    res = run(ctx)
    no_errors(res)
    assert res.status in ("pass", "warn", "fail")
    json.dumps(res.to_dict(), allow_nan=False)
