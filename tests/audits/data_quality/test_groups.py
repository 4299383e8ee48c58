"""Protected-group checks: representation, base-rate gap, proxies and missingness by group."""

from __future__ import annotations

import numpy as np
import pytest

from audits.config import Policy, ProtectedAttribute
from tests.audits.data_quality.conftest import codes, make_ctx, no_errors, run


@pytest.fixture(scope="module")
def german(german_frame):
    ctx = make_ctx(
        german_frame,
        target="credit_risk",
        positive_label="good",
        protected=(
            "sex",
            ProtectedAttribute(
                column="age", bins=(25,), labels=("25 and under", "over 25"), reference_group="over 25"
            ),
        ),
    )
    res = run(ctx)
    no_errors(res)
    return res


def _by_group(entry, key):
    return dict(zip(entry["group"], entry[key], strict=True))


def test_german_credit_base_rates(german):
    sex = german.metrics["representation"]["sex"]
    assert _by_group(sex, "positives") == {"male": 499, "female": 201}
    assert _by_group(sex, "count") == {"male": 690, "female": 310}
    gap = german.metrics["base_rate_gap"]["sex"]
    assert gap["reference_group"] == "male"
    assert dict(zip(sex["group"], gap["ratio"], strict=True))["female"] == pytest.approx(0.896567, abs=5e-7)


def test_german_credit_configured_reference_group(german):
    age = german.metrics["representation"]["age"]
    assert _by_group(age, "base_rate")["25 and under"] == pytest.approx(110 / 190)
    gap = german.metrics["base_rate_gap"]["age"]
    assert gap["reference_group"] == "over 25" and gap["reference_how"] == "configured reference group"
    ratio = dict(zip(age["group"], gap["ratio"], strict=True))["25 and under"]
    assert ratio == pytest.approx(0.794826, abs=5e-7)
    f = [x for x in codes(german, "DQ_BASE_RATE") if x.subject == "age"]
    assert len(f) == 1 and f[0].evidence["group"] == "25 and under"
    assert not [x for x in codes(german, "DQ_BASE_RATE") if x.subject == "sex"]  # 0.897 >= 0.8


def test_intersections_partition_the_rows(german):
    inter = german.metrics["representation"]["sex × age"]
    assert sum(inter["count"]) == 1000 and len(inter["group"]) == 4
    assert german.tables["representation:sex × age"].columns[:6] == [
        "group",
        "count",
        "share",
        "positives",
        "negatives",
        "base_rate",
    ]


def test_small_groups_are_flagged_and_a_group_of_one_does_not_break(base_frame):
    df = base_frame.copy()
    df.loc[0, "g"] = "solo"
    df.loc[1:20, "g"] = "few"
    res = run(make_ctx(df))
    no_errors(res)
    rep = [f for f in codes(res, "DQ_REPRESENTATION") if f.severity == "warn"]
    assert len(rep) == 1 and rep[0].evidence["small_groups"] == {"few": 20, "solo": 1}
    e = res.metrics["representation"]["g"]
    assert _by_group(e, "count")["solo"] == 1
    assert _by_group(e, "base_rate")["solo"] in (0.0, 1.0)
    mbg = res.metrics["missing_by_group"]["g"]
    assert "solo" in mbg["groups"]
    note = dict(
        zip(
            res.tables["representation:g"].data["group"],
            res.tables["representation:g"].data["note"],
            strict=True,
        )
    )
    assert note["solo"] == "n < min size"


def test_few_events_are_marked_insufficient(base_frame):
    df = base_frame.copy()
    df.loc[df["g"] == "a", "y"] = "no"
    df.loc[df.index[df["g"] == "a"][:3], "y"] = "yes"
    res = run(make_ctx(df))
    info = [f for f in codes(res, "DQ_REPRESENTATION") if f.severity == "info"]
    assert info and info[0].evidence["groups"] == ["a"]


def test_protected_attribute_with_one_group(base_frame):
    res = run(make_ctx(base_frame.assign(g="only")))
    no_errors(res)
    msgs = [f.message for f in codes(res, "DQ_REPRESENTATION")]
    assert any("single group" in m for m in msgs)
    assert res.metrics["proxies"]["g"] == []
    assert any(f.subject == "g" and "not applicable" in f.message for f in codes(res, "DQ_NOT_APPLICABLE"))
    assert res.metrics["base_rate_gap"]["g"]["ratio"] == [1.0]


def test_proxy_detection_on_a_planted_proxy(base_frame):
    rng = np.random.default_rng(6)
    df = base_frame.copy()
    flip = rng.random(len(df)) < 0.05
    df["proxy_cat"] = np.where((df["g"] == "a") ^ flip, "u", "v")
    df["proxy_num"] = np.where(df["g"] == "a", 0.0, 3.0) + rng.normal(size=len(df))
    res = run(make_ctx(df))
    rows = {r["feature"]: r for r in res.metrics["proxies"]["g"]}
    assert rows["proxy_cat"]["severity"] == "fail" and rows["proxy_cat"]["auc"] > 0.9
    assert rows["proxy_num"]["measure"] == "correlation_ratio" and rows["proxy_num"]["auc"] > 0.9
    assert rows["x1"]["severity"] == "pass" and rows["x1"]["auc"] < 0.65
    assert res.metrics["proxies"]["g"][-1]["feature"] not in ("proxy_cat", "proxy_num")
    assert [r["feature"] for r in res.metrics["proxies"]["g"][:2]] in (
        ["proxy_cat", "proxy_num"],
        ["proxy_num", "proxy_cat"],
    )
    assert res.tables["proxies:g"].columns == ["feature", "measure", "association", "auc", "severity"]


def test_proxy_thresholds_from_policy(base_frame):
    res = run(make_ctx(base_frame, policy=Policy(checks={"DQ_PROXY": {"warn_auc": 0.0}})))
    assert {f.evidence["feature"] for f in codes(res, "DQ_PROXY")} == {"x1", "x2", "c1", "c2"}


def test_proxies_for_a_multigroup_attribute(base_frame):
    rng = np.random.default_rng(7)
    df = base_frame.assign(g3=rng.choice(["p", "q", "r"], size=len(base_frame)))
    df["tell"] = df["g3"].map({"p": "1", "q": "2", "r": "3"})
    res = run(make_ctx(df, protected=("g", "g3")))
    top = res.metrics["proxies"]["g3"][0]
    assert (
        top["feature"] == "tell"
        and top["auc"] == pytest.approx(1.0)
        and top["association"] == pytest.approx(1.0)
    )


def test_missing_by_group_flags_a_gap_and_passes_an_even_spread(base_frame):
    df = base_frame.copy()
    a_rows = df.index[df["g"] == "a"]
    df.loc[a_rows[:60], "x1"] = np.nan  # missing only in group a
    df.loc[::20, "x2"] = np.nan  # evenly spread
    res = run(make_ctx(df))
    cols = res.metrics["missing_by_group"]["g"]["columns"]
    assert cols["x1"]["flagged"] and cols["x1"]["ratio"] is None and cols["x1"]["p_value"] < 1e-6
    assert not cols["x2"]["flagged"]
    flagged = {f.evidence["column"] for f in codes(res, "DQ_MISSING_BY_GROUP")}
    assert "x1" in flagged and "x2" not in flagged
    table = res.tables["missing_by_group:g"]
    assert table.columns == ["column", "missing: a", "missing: b", "ratio", "p_value", "flagged"]


def test_multiclass_task_representation_has_none_events(base_frame):
    df = base_frame.assign(y=np.random.default_rng(8).choice(["l", "m", "h"], size=len(base_frame)))
    res = run(make_ctx(df))
    no_errors(res)
    e = res.metrics["representation"]["g"]
    assert e["positives"] == [None, None] and e["base_rate"] == [None, None]
    assert res.metrics["base_rate_gap"]["g"]["ratio"] == [None, None]
    assert res.metrics["checks"]["DQ_BASE_RATE"]["applicable"] is False
