"""Codes posing as numbers: sentinel spikes, numeric columns that look categorical, values outside a codebook."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from audits.errors import AuditInputError
from tests.audits.data_quality.conftest import codes, make_ctx, no_errors, run


def by_subject(result, code):
    return {f.subject: f for f in codes(result, code)}


def test_adult_capital_gain_cap_is_flagged_and_its_zeros_are_not(adult_result):
    hits = [f for f in codes(adult_result, "DQ_SENTINEL") if f.subject == "capital_gain"]
    assert [f.evidence["value"] for f in hits] == [99999.0]
    assert hits[0].evidence["end"] == "maximum" and hits[0].severity == "warn"
    assert "99,999" in hits[0].message and "next value 41,310" in hits[0].message
    # capital_loss and age have no spike at a code: nothing to say
    assert {f.subject for f in codes(adult_result, "DQ_SENTINEL")} <= {"capital_gain", "hours_per_week"}


def _bank(n: int = 2000, share: float = 0.8) -> pd.DataFrame:
    rng = np.random.default_rng(7)
    never = rng.random(n) < share
    return pd.DataFrame(
        {
            "pdays": np.where(never, -1, rng.integers(1, 400, size=n)),
            "balance": rng.normal(1000, 300, size=n).round(),
            "g": rng.choice(["a", "b"], size=n),
            "y": rng.choice(["no", "yes"], size=n),
        }
    )


def test_minus_one_never_contacted_in_most_rows_is_a_sentinel():
    res = run(make_ctx(_bank()))
    no_errors(res)
    f = by_subject(res, "DQ_SENTINEL")["pdays"]
    assert f.evidence["value"] == -1.0 and f.evidence["end"] == "minimum"
    assert f.evidence["share"] == pytest.approx(0.8, abs=0.02)
    assert "a common code" in f.message and "na_values" in f.message
    assert "balance" not in by_subject(res, "DQ_SENTINEL")


def test_a_rare_minus_one_is_still_a_spike_but_a_plain_minimum_is_not():
    df = _bank(share=0.05)
    res = run(make_ctx(df))
    assert "pdays" in by_subject(res, "DQ_SENTINEL")
    df["pdays"] = df["pdays"].where(df["pdays"] != -1, 1)  # the rows fold into an ordinary value
    assert "pdays" not in by_subject(run(make_ctx(df)), "DQ_SENTINEL")


def test_a_column_that_is_all_sentinels():
    df = _bank().assign(unknown=-999)
    res = run(make_ctx(df))
    no_errors(res)
    f = by_subject(res, "DQ_SENTINEL")["unknown"]
    assert f.evidence["value"] == -999.0 and "every non-missing row" in f.message
    assert "unknown" in by_subject(res, "DQ_CONSTANT")


def test_spike_threshold_comes_from_the_policy():
    from audits.config import Policy

    res = run(make_ctx(_bank(), policy=Policy(checks={"DQ_SENTINEL": {"spike": 1e9}})))
    assert not codes(res, "DQ_SENTINEL")


def _credit(n: int = 3000) -> pd.DataFrame:
    rng = np.random.default_rng(11)
    return pd.DataFrame(
        {
            # credit-card default's EDUCATION: 1-4 documented, 0, 5 and 6 are not
            "EDUCATION": rng.choice(
                [1, 2, 3, 4, 0, 5, 6], size=n, p=[0.355, 0.45, 0.16, 0.005, 0.004, 0.02, 0.006]
            ),
            "MARRIAGE": rng.choice([1, 2, 3, 0], size=n, p=[0.45, 0.53, 0.01, 0.01]),
            "LIMIT_BAL": rng.integers(10, 800, size=n) * 1000,
            "g": rng.choice(["a", "b"], size=n),
            "y": rng.choice(["no", "yes"], size=n),
        }
    )


def test_numeric_codes_are_named_with_their_rare_codes():
    res = run(make_ctx(_credit()))
    no_errors(res)
    found = by_subject(res, "DQ_NUMERIC_CODES")
    assert set(found) == {"EDUCATION", "MARRIAGE"}
    edu = found["EDUCATION"]
    assert edu.severity == "info" and "list EDUCATION under categorical" in edu.message
    assert edu.evidence["codes"] == ["0", "1", "2", "3", "4", "5", "6"]
    assert set(edu.evidence["rare_codes"]) == {"0", "4", "6"}


def test_allowed_values_report_undocumented_codes():
    df = _credit()
    res = run(make_ctx(df, allowed_values={"EDUCATION": [1, 2, 3, 4], "g": ["a", "b"]}))
    no_errors(res)
    found = by_subject(res, "DQ_ALLOWED_VALUES")
    assert set(found) == {"EDUCATION"}
    f = found["EDUCATION"]
    assert set(f.evidence["outside"]) == {"0", "5", "6"}
    assert f.evidence["rows"] == int(df["EDUCATION"].isin([0, 5, 6]).sum())
    assert "outside its allowed_values" in f.message and f.severity == "warn"


def test_allowed_values_match_codes_stored_as_floats():
    df = _credit().astype({"EDUCATION": float})
    res = run(make_ctx(df, allowed_values={"EDUCATION": ["0", "1", "2", "3", "4", "5", "6"]}))
    assert not codes(res, "DQ_ALLOWED_VALUES")


def test_allowed_values_for_a_column_that_does_not_exist_is_refused_at_the_entry():
    with pytest.raises(AuditInputError, match=r"'EDU'.*allowed_values.*Available columns"):
        make_ctx(_credit(), allowed_values={"EDU": [1, 2]})


def test_without_allowed_values_the_check_is_silent(base_frame):
    res = run(make_ctx(base_frame))
    assert not codes(res, "DQ_ALLOWED_VALUES")
    assert "DQ_ALLOWED_VALUES" not in {f.subject for f in codes(res, "DQ_NOT_APPLICABLE")}
