"""Static charts: PNG bytes from the stored numbers; many groups/features show the extremes and say so."""

from __future__ import annotations

from reports import charts
from tests.reports import synthetic

PNG = b"\x89PNG\r\n\x1a\n"


def test_group_chart_shows_extremes_of_200_groups():
    table = synthetic.groups_table([f"g{i}" for i in range(200)])
    (spec,) = charts.group_chart_specs(table)
    assert len(spec.groups) == charts.MAX_GROUP_BARS
    rates = table.data["selection_rate"]
    shown = [rates[i] for i in spec.groups]
    assert max(shown) == max(rates) and min(shown) == min(rates)
    assert "20 of 200 groups shown" in spec.caption
    assert charts.group_metric_chart(table, spec).startswith(PNG)


def test_few_groups_are_all_shown_with_undefined_values():
    table = synthetic.groups_table(["a", "b", "c"])
    (spec,) = charts.group_chart_specs(table)
    assert sorted(spec.groups) == [0, 1, 2] and "shown" not in spec.caption
    assert charts.group_metric_chart(table, spec).startswith(PNG)


def test_explanation_and_emissions_charts():
    ex = synthetic.explanation(n_features=25)
    imp = ex.table("global_importance")
    assert "Top 15 of 25 features" in charts.importance_caption(imp)
    assert charts.importance_chart(imp).startswith(PNG)
    assert charts.beeswarm_ok(ex.metrics["beeswarm"])
    assert charts.beeswarm_chart(ex.metrics["beeswarm"]).startswith(PNG)
    assert charts.group_attribution_chart(ex.table("by_group:region")).startswith(PNG)
    em = synthetic.emissions()
    bars = charts.emissions_bars_data(em)
    assert [b[0] for b in bars] == ["France", "Germany", "India"]
    assert charts.emissions_chart(bars).startswith(PNG)
    assert "(estimated)" in charts.emissions_statement(em)


def test_charts_are_opaque_rgb_pngs_at_the_report_dpi():
    # RGB: the PDF embeds them without a soft mask; the DPI sizes them on the page (reports.pdf._figure_size).
    import io

    from PIL import Image

    ex = synthetic.explanation(n_features=5)
    image = Image.open(io.BytesIO(charts.importance_chart(ex.table("global_importance"))))
    assert image.mode == "RGB"
    assert round(image.info["dpi"][0]) == charts.DPI
    assert image.getpixel((0, 0)) == (255, 255, 255)  # the figure's white background, not transparency
