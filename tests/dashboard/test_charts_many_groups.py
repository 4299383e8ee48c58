"""Charts that stay readable with many groups, and the new quality, drift and distribution charts."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from dashboard import charts
from dashboard.components import plain_quantity
from dashboard.text import plot_escape

AGE = {"age": {"edges": [33, 39, 48], "labels": ["<=33", "(33, 39]", "(39, 48]", ">48"]}}


def test_bins_sort_in_their_binning_order_not_as_text():
    groups = ["(33, 39]", ">48", "<=33", "missing", "(39, 48]"]
    order = charts.natural_order(groups, "age", AGE)
    assert [groups[i] for i in order] == ["<=33", "(33, 39]", "(39, 48]", ">48", "missing"]


def test_intersections_sort_by_each_attribute_in_turn():
    groups = [">48 × student", "<=33 × clerk", ">48 × clerk", "<=33 × student"]
    order = charts.natural_order(groups, "age × job", AGE)
    assert [groups[i] for i in order] == ["<=33 × clerk", "<=33 × student", ">48 × clerk", ">48 × student"]


def test_numbers_sort_by_value_and_text_alphabetically_without_a_binning():
    assert [["10", "9", "100"][i] for i in charts.natural_order(["10", "9", "100"], "code")] == [
        "9",
        "10",
        "100",
    ]


def test_order_by_size_and_by_metric_puts_undefined_last():
    groups = ["a", "b", "c"]
    assert charts.order_groups(groups, by="size", counts=[5, 50, 20]) == [1, 2, 0]
    assert charts.order_groups(groups, by="metric", values=[0.2, None, 0.9]) == [2, 0, 1]
    with pytest.raises(ValueError, match="'by' parameter"):
        charts.order_groups(groups, by="colour")


def test_top_and_bottom_hide_the_middle_until_show_all():
    order = list(range(50))
    shown, hidden = charts.top_and_bottom(order, 10)
    assert shown == list(range(10)) + list(range(40, 50)) and hidden == 30
    assert charts.top_and_bottom(order, 10, show_all=True) == (order, 0)
    assert charts.top_and_bottom(list(range(15)), 10) == (list(range(15)), 0)


def test_fifty_groups_are_drawn_as_labelled_horizontal_bars_with_their_sizes():
    groups = [f"g{i:02d}" for i in range(50)]
    fig = charts.group_bars(groups, np.linspace(0.1, 0.6, 50), metric="tpr", counts=list(range(50, 100)))
    bar = fig.data[0]
    assert bar.orientation == "h"
    assert bar.y[-1] == "g00 (n=50)"  # the first group in the order is drawn on top
    assert fig.layout.height >= 50 * 22


def test_group_labels_are_escaped_and_a_quote_stays_text():
    fig = charts.group_bars(["> 48 × student", "<b>x</b>"], [0.1, 0.2], metric="tpr")
    assert list(fig.data[0].x) == [plot_escape("> 48 × student"), "&lt;b&gt;x&lt;/b&gt;"]


def test_threshold_panels_give_each_group_its_own_panel_and_the_reference_in_grey():
    groups = {f"g{i}": {"tpr": [1.0, 0.5, 0.0]} for i in range(12)}
    fig = charts.threshold_panels(
        [0, 0.5, 1], groups, metric="tpr", order=[f"g{i}" for i in range(12)], at=0.5, reference="g0"
    )
    titles = [a.text for a in fig.layout.annotations]
    assert titles[:12] == [f"g{i}" for i in range(12)]
    grey = [t for t in fig.data if t.line.color == charts.MUTED]
    assert len(grey) == 11  # the reference behind every other group
    assert len({t.line.color for t in fig.data}) == 2  # one colour for groups, grey for the reference


def test_drift_puts_each_test_on_its_own_axis_with_its_threshold():
    fig = charts.drift_bars(
        ["age", "job", "hours"],
        [0.02, 0.3, 0.15],
        [False, True, True],
        score_name="x",
        tests=["wasserstein_normed", "jensen_shannon", "wasserstein_normed"],
        p_values=[None, None, None],
        thresholds={"distance": 0.1},
    )
    assert len(fig.data) == 2  # one panel per test
    assert {s.x0 for s in fig.layout.shapes} == {0.1}
    assert "e-" not in " ".join(str(t) for d in fig.data for t in d.text)


def test_roc_and_pr_charts_mark_the_model_threshold():
    roc = {"fpr": [0, 0.2, 1], "tpr": [0, 0.7, 1], "threshold": [None, 0.5, 0.1], "auc": 0.8}
    fig = charts.roc_chart(roc, at=0.5)
    assert "AUC 0.800" in fig.layout.title.text
    assert list(fig.data[-1].x) == [0.2]
    pr = {"recall": [0, 0.7, 1], "precision": [1, 0.8, 0.3], "threshold": [None, 0.5, 0.1], "base_rate": 0.3}
    assert "base rate 0.300" in charts.pr_chart(pr).layout.annotations[0].text


def test_confusion_matrix_shows_counts_and_row_shares():
    fig = charts.confusion_chart(["yes", "no"], ["predicted yes", "predicted no"], [[30, 10], [5, 55]])
    assert fig.data[0].text[0][0] == "30<br>75.0% of row"
    assert fig.data[0].z[1][1] == pytest.approx(55 / 60)


def test_distributions_compare_shares_not_counts():
    rng = np.random.default_rng(0)
    cur = pd.Series(rng.normal(0, 1, 5000))
    ref = pd.Series(rng.normal(1, 1, 500))
    fig = charts.distribution_chart("x", cur, ref)
    assert [t.name for t in fig.data] == ["reference", "audited data"]
    assert sum(fig.data[0].y) == pytest.approx(1.0) and sum(fig.data[1].y) == pytest.approx(1.0)
    cats = charts.distribution_chart("job", pd.Series(["a", "b", "b"]), pd.Series(["a", "a", "c"]))
    assert list(cats.data[1].x) == ["a", "b", "c"]


@pytest.mark.parametrize(
    ("value", "unit", "text"),
    [
        (3.44e-05, "days", "2.97 s"),
        (2.84e-09, "km", "2.84 µm"),
        (8.91e-07, "kWh", "891 µWh"),
        (2.5, "km", "2.5 km"),
    ],
)
def test_tiny_quantities_read_in_plain_units(value, unit, text):
    assert plain_quantity(value, unit) == text


def test_group_sizes_show_the_largest_groups_and_the_rest_as_one_bar():
    counts = {f"g{i:02d}": 100 + i for i in range(50)}
    fig = charts.group_sizes({"job": counts, "sex": {"f": 30, "m": 70}, "empty": {}}, checked_rows=200_000)
    assert fig.layout.title.text == "Rows per protected group (the first 200,000 rows)"
    job, sex = fig.data  # the attribute without groups gets no panel
    assert list(job.y[:3]) == ["g49", "g48", "g47"] and job.y[-1] == "40 other groups"
    assert len(job.y) == charts.GROUP_SIZES_SHOWN + 1
    assert job.text[-1] == f"{sum(100 + i for i in range(40)):,}"
    assert abs(sum(job.x) - 1.0) < 1e-12
    assert list(sex.y) == ["m", "f"] and list(sex.x) == [0.7, 0.3]
