"""Property tests on random small inputs: equal to fairlearn where defined, None only at a zero denominator."""

from __future__ import annotations

import numpy as np
import pandas as pd
from fairlearn.metrics import MetricFrame, false_positive_rate, selection_rate, true_positive_rate
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.audits.fairness.conftest import audit

FAIRLEARN = {"selection_rate": selection_rate, "tpr": true_positive_rate, "fpr": false_positive_rate}


@st.composite
def small_data(draw):
    n = draw(st.integers(min_value=8, max_value=60))
    k = draw(st.integers(min_value=2, max_value=4))
    groups = draw(st.lists(st.sampled_from("ABCD"[:k]), min_size=n, max_size=n))
    y = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    p = draw(st.lists(st.integers(0, 1), min_size=n, max_size=n))
    # Both classes must occur in the labels (an entry check of the context).
    y[0], y[1] = 0, 1
    return pd.DataFrame({"sex": groups, "label": y, "pred": p, "x": np.arange(n)})


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(small_data())
def test_group_rates_equal_fairlearn_or_are_none_at_zero_denominators(f):
    _, res = audit(f, policy={"n_bootstrap": 20, "min_group_size": 1, "min_group_events": 0})
    mf = MetricFrame(metrics=FAIRLEARN, y_true=f["label"], y_pred=f["pred"], sensitive_features=f["sex"])
    for g, row in mf.by_group.iterrows():
        sub = f[f["sex"] == g]
        ours = res.metrics["groups"]["sex"][g]
        dens = {
            "selection_rate": len(sub),
            "tpr": int(sub["label"].sum()),
            "fpr": int((1 - sub["label"]).sum()),
        }
        for m in FAIRLEARN:
            if dens[m] == 0:
                assert ours[m]["value"] is None and ours[m]["reason"]
            else:
                assert abs(ours[m]["value"] - float(row[m])) <= 1e-12
    rates = [v["selection_rate"]["value"] for v in res.metrics["groups"]["sex"].values()]
    dp = next(
        r
        for r in res.metrics["disparities"]
        if (r["metric"], r["kind"], r["method"]) == ("demographic_parity", "difference", "between_groups")
    )
    if len(rates) >= 2:
        assert abs(dp["value"] - (max(rates) - min(rates))) <= 1e-12
    else:
        assert dp["value"] is None
