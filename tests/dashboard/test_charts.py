"""Charts are drawn from result numbers; undefined values are gaps with a label, never zeros."""

from __future__ import annotations

from dashboard import charts


def test_group_bars_leave_undefined_values_out_and_label_them():
    fig = charts.group_bars(["a", "b"], [None, 0.4], [None, 0.3], [None, 0.5], metric="precision")
    bar = fig.data[0]
    assert list(bar.y) == [None, 0.4]
    assert bar.error_y.array[0] == 0 and abs(bar.error_y.array[1] - 0.1) < 1e-12
    assert [a.text for a in fig.layout.annotations] == ["undefined"]


def test_excluded_groups_are_greyed():
    fig = charts.group_bars(["a", "b"], [0.1, 0.2], metric="tpr", excluded=[False, True])
    assert list(fig.data[0].marker.color) == [charts.BAR_COLOR, charts.MUTED]


def test_waterfall_keeps_the_largest_contributions_and_sums_the_rest():
    contributions = {f"f{i}": (i - 6) / 10 for i in range(14)}
    fig = charts.waterfall(
        {"base_value": 0.2, "output": 0.3, "contributions": contributions, "values": {}}, max_features=5
    )
    labels = list(fig.data[0].y)
    assert labels[0] == "9 other features"  # drawn bottom-up
    assert abs(sum(fig.data[0].x) - sum(contributions.values())) < 1e-12


def test_threshold_curves_have_one_line_per_group_and_mark_the_threshold():
    fig = charts.threshold_curves(
        [0.0, 0.5, 1.0], {"a": {"tpr": [1, 0.5, 0]}, "b": {"tpr": [1, None, 0]}}, metric="tpr", at=0.5
    )
    assert [t.name for t in fig.data] == ["a", "b"]
    assert list(fig.data[1].y) == [1.0, None, 0.0]
    assert fig.layout.shapes[0].x0 == 0.5


def test_beeswarm_draws_at_most_the_requested_features():
    data = {
        "features": [f"f{i}" for i in range(20)],
        "shap": {f"f{i}": [0.1, -0.1] for i in range(20)},
        "value": {f"f{i}": [1, 2] for i in range(20)},
    }
    fig = charts.beeswarm(data, max_features=5)
    assert len(fig.data) == 5
    assert list(fig.layout.yaxis.ticktext) == ["f4", "f3", "f2", "f1", "f0"]
