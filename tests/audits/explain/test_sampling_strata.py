"""Strata labels and categorical-aware string conversion: the same labels as a per-row string join."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits.explain.sampling import strata_labels
from audits.group_labels import as_str_array


def test_strata_labels_equal_a_per_row_join():
    rng = np.random.default_rng(0)
    n = 500
    frame = pd.DataFrame(
        {
            "sex": pd.Categorical(rng.choice(["F", "M"], n)),
            "race": rng.choice(["White", "Black", "Asian"], n),
            "age": pd.Categorical(rng.choice(["<25", "25-60", ">60"], n), categories=[">60", "25-60", "<25"]),
        }
    )
    columns = ("sex", "race", "age")
    expected = [" | ".join(f"{c}={frame[c].iloc[i]}" for c in columns) for i in range(n)]
    assert strata_labels(frame, columns).tolist() == expected
    assert strata_labels(frame, ()).tolist() == ["all"] * n


def test_as_str_array_of_a_categorical_takes_its_categories_by_code():
    s = pd.Series(pd.Categorical(["b", "a", "b"], categories=["b", "a", "unused"]))
    assert as_str_array(s).tolist() == ["b", "a", "b"]
    assert as_str_array(pd.Series([1, 2])).tolist() == ["1", "2"]
