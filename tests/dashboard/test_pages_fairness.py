"""The Fairness page with an attribute of 50 groups: scoped to the chosen attribute, groups sorted with the middle
behind "show all", small-multiple threshold curves, and a slider that recomputes the verdicts."""

from __future__ import annotations

import pytest

from audits.fairness import reference as R
from dashboard import components as ui
from dashboard import state
from tests.dashboard import many_groups
from tests.dashboard.conftest import new_app, no_exception, open_page


@pytest.fixture(scope="module")
def result():
    return many_groups.result()


@pytest.fixture()
def page(result):
    at = new_app(result=result)
    at.session_state[state.FAIR_ATTRIBUTE] = "region"
    at.run()
    return open_page(at, "fairness")


def _bars(at):
    fig = next(
        c for c in at.get("plotly_chart") if '"orientation":"h"' in c.proto.spec and "(n=" in c.proto.spec
    )
    return fig.proto.spec


def _group_bar_count(at) -> int:
    import json

    spec = json.loads(_bars(at))
    return len(spec["data"][0]["y"])


def test_fifty_groups_show_the_top_and_bottom_ten_until_show_all(page):
    no_exception(page)
    assert _group_bar_count(page) == 20
    assert any("30 groups in the middle of the order are hidden" in c.value for c in page.caption)
    page.toggle(key="fair.show_all").set_value(True).run()
    no_exception(page)
    assert _group_bar_count(page) == 50


def test_sorting_by_size_puts_the_largest_group_first_and_natural_order_sorts_bins(result):
    at = new_app(result=result)
    at.session_state[state.FAIR_ATTRIBUTE] = "age"
    at.run()
    open_page(at, "fairness")
    at.radio(key="fair.sort").set_value("natural").run()
    no_exception(at)
    table = next(
        d.value for d in at.dataframe if "Group" in d.value.columns and "Positives" in d.value.columns
    )
    assert table["Group"].tolist() == ["<=33", "(33, 39]", "(39, 48]", ">48"]
    at.radio(key="fair.sort").set_value("size").run()
    table = next(
        d.value for d in at.dataframe if "Group" in d.value.columns and "Positives" in d.value.columns
    )
    counts = [int(c.replace(",", "")) for c in table["Count"]]
    assert counts == sorted(counts, reverse=True)


def test_the_page_is_scoped_to_the_chosen_attribute(page, result):
    section = result.section("fairness")
    text = " ".join(m.value for m in page.markdown) + " ".join(s.value for s in page.subheader)
    assert "Findings about region" in text
    assert "Groups of region left out of the verdicts" in text
    # the excluded-groups table lists the small regions only, not the intersections' small cells
    excluded = section.tables["excluded_groups"]
    n_region = sum(1 for a in excluded.data["attribute"] if a == "region")
    assert n_region < excluded.n_rows
    shown = [d.value for d in page.dataframe if "Reason" in d.value.columns]
    assert shown and all(len(t) == n_region and set(t["Attribute"]) == {"region"} for t in shown)
    others = [f for f in section.findings if f.subject != "region"]
    assert not any(f.message in text for f in others if f.message not in section.summary)


def test_the_slider_recomputes_the_verdicts_at_the_threshold(page, result):
    n_small = sum(result.section("fairness").tables["groups:region"].data["excluded"])
    page.slider(key=state.FAIR_THRESHOLD).set_value(0.3).run()
    no_exception(page)
    verdicts = next(m.value for m in page.markdown if m.value.startswith("Verdicts at t = 0.30"))
    assert "Selection rate" in verdicts and "TPR" in verdicts and "FPR" in verdicts
    page.slider(key=state.FAIR_THRESHOLD).set_value(0.9).run()
    later = next(m.value for m in page.markdown if m.value.startswith("Verdicts at t = 0.90"))
    assert later != verdicts
    ratio = next(m.value for m in page.markdown if "(lowest / highest group)" in m.value)
    assert f"leaving out the {n_small} groups too small for verdicts" in ratio


def test_the_curves_are_small_multiples_of_the_picked_metric(page):
    import json

    page.get("button_group")[-1].set_value("tpr").run()
    no_exception(page)
    spec = next(
        json.loads(c.proto.spec) for c in page.get("plotly_chart") if "against the threshold" in c.proto.spec
    )
    assert "True Positive Rate" in spec["layout"]["title"]["text"] or "TPR" in spec["layout"]["title"]["text"]
    titles = [a["text"] for a in spec["layout"]["annotations"] if a["text"].startswith("region")]
    assert len(titles) == 20  # one panel per group shown above


def test_threshold_verdicts_use_the_audit_rule_and_leave_excluded_groups_out(result):
    section = result.section("fairness")
    curves = section.metrics["threshold_curves"]["region"]
    data = section.tables["groups:region"].data
    ref = section.metrics["reference_groups"]["region"]
    used, verdicts, rows = ui.threshold_verdicts(
        curves, data, 0.5, attribute="region", reference=ref, method=section.method
    )
    assert used == 0.5 and [v["metric"] for v in verdicts] == ["selection_rate", "tpr", "fpr"]
    tiny = {g for g, e in zip(data["group"], data["excluded"], strict=True) if e}
    assert 3 <= len(tiny) < len(data["group"])
    assert all(r["verdict"] == "undefined" for r in rows if r["group"] in tiny)
    # at the audit's own threshold the selection-rate verdict is the audit's favourable/selection verdict
    audit = next(
        r
        for r in section.metrics["verdicts"]
        if r["attribute"] == "region" and r["metric"] == "selection_rate" and r["method"] == "vs_reference"
    )
    assert verdicts[0]["verdict"] == audit["verdict"]
    assert verdicts[0]["group"] == audit["group"]
    assert (
        R.family_verdict([r["verdict"] for r in rows if r["metric"] == "selection_rate"]) == audit["verdict"]
    )


def test_the_ratio_leaves_excluded_groups_out():
    rows = [
        {"group": "a", "selection_rate": 0.5},
        {"group": "b", "selection_rate": 0.4},
        {"group": "t", "selection_rate": 0},
    ]
    assert ui.eligible_ratio(rows, "selection_rate", {"t"}) == pytest.approx(0.8)
    assert ui.eligible_ratio(rows, "selection_rate", set()) == 0
