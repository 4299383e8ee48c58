"""Plotly figures drawn from the numbers of an AuditResult (never from raw data).

Each function takes plain result data (lists, dicts, tables) and returns a ``plotly.graph_objects.Figure``; the
figures that show points say in their title or caption how many were sampled. Colours follow
``reports.formatting.STATUS_COLOR`` so verdicts look the same in the dashboard and the reports.

Plotly renders a subset of HTML (links, images via styles, ``<br>``) in titles, tick labels, legends and hover
text, and group values, column names and feature names come from the data: every such label goes through
:func:`dashboard.text.plot_escape` (``_esc`` here).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import plotly.graph_objects as go

from audits.results import Status
from dashboard.text import plot_escape as _esc
from reports.formatting import STATUS_COLOR, humanize

VERDICT_COLOR = {
    "pass": STATUS_COLOR[Status.PASS],
    "fail": STATUS_COLOR[Status.FAIL],
    "inconclusive": STATUS_COLOR[Status.INCONCLUSIVE],
    "warn": STATUS_COLOR[Status.WARN],
    "undefined": "#8c959f",
}
BAR_COLOR = "#0969da"
MUTED = "#afb8c1"
POSITIVE_COLOR = "#cf222e"  # SHAP pushing the output up
NEGATIVE_COLOR = "#0969da"  # SHAP pushing the output down
MAX_BEESWARM_FEATURES = 12
MAX_WATERFALL_FEATURES = 10
MAX_HEATMAP_FEATURES = 12
HORIZONTAL_FROM = 12  # more groups than this: horizontal bars, one labelled row per group
PANEL_COLUMNS = 5  # small multiples per row
EXCLUDED_LINE = "#6e7781"  # a group too small for verdicts: darker than the reference curve behind it


def _num(x: Any) -> float | None:
    if isinstance(x, bool) or x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return v if math.isfinite(v) else None


def _layout(fig: go.Figure, *, title: str = "", height: int = 380, **kw: Any) -> go.Figure:
    fig.update_layout(
        title={"text": _esc(title), "font": {"size": 15}},
        height=height,
        margin={"l": 10, "r": 10, "t": 50 if title else 20, "b": 10},
        legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "xanchor": "right", "x": 1},
        **kw,
    )
    return fig


def group_bars(
    groups: Sequence[str],
    values: Sequence[Any],
    lows: Sequence[Any] | None = None,
    highs: Sequence[Any] | None = None,
    *,
    metric: str,
    excluded: Sequence[bool] | None = None,
    overall: float | None = None,
    title: str = "",
    counts: Sequence[Any] | None = None,
    horizontal: bool | None = None,
) -> go.Figure:
    """One bar per group, in the order given, with its confidence interval as error bars; excluded (small) groups
    are greyed. More than ``HORIZONTAL_FROM`` groups are drawn as horizontal bars (labels stay readable), and the
    height grows with the number of groups. ``counts`` adds each group's size to its label and hover text."""
    if horizontal is None:
        horizontal = len(groups) > HORIZONTAL_FROM
    vals = [_num(v) for v in values]
    lo = [_num(v) for v in (lows or [None] * len(vals))]
    hi = [_num(v) for v in (highs or [None] * len(vals))]
    ex = list(excluded or [False] * len(vals))
    plus = [(h - v) if (h is not None and v is not None) else 0 for v, h in zip(vals, hi, strict=True)]
    minus = [(v - low) if (low is not None and v is not None) else 0 for v, low in zip(vals, lo, strict=True)]
    sizes = [_num(c) for c in counts] if counts is not None else [None] * len(vals)
    labels = [_esc(g if n is None else f"{g} (n={int(n):,})") for g, n in zip(groups, sizes, strict=True)]
    text = ["undefined" if v is None else f"{v:.3f}" for v in vals]
    error = {
        "type": "data",
        "array": plus,
        "arrayminus": minus,
        # no interval given (e.g. a plain base rate): no error bars rather than zero-length ones
        "visible": lows is not None and highs is not None,
        "color": "#24292f",
    }
    cat, num = (labels[::-1], vals[::-1]) if horizontal else (labels, vals)  # horizontal: first group on top
    fig = go.Figure(
        go.Bar(
            x=num if horizontal else cat,
            y=cat if horizontal else num,  # None leaves a gap: an undefined rate is not drawn as 0
            orientation="h" if horizontal else "v",
            error_x=({**error, "array": plus[::-1], "arrayminus": minus[::-1]} if horizontal else None),
            error_y=None if horizontal else error,
            marker_color=[MUTED if e else BAR_COLOR for e in (ex[::-1] if horizontal else ex)],
            text=text[::-1] if horizontal else text,
            textposition="inside",
            insidetextanchor="start",
            name=_esc(humanize(metric)),
            hovertemplate=("%{y}: %{text}" if horizontal else "%{x}: %{text}") + "<extra></extra>",
        )
    )
    for label, v in zip(labels, vals, strict=True):
        if v is None:
            at = {"y": label, "x": 0, "xshift": 30} if horizontal else {"x": label, "y": 0, "yshift": 12}
            fig.add_annotation(text="undefined", showarrow=False, font={"color": "#57606a"}, **at)
    if overall is not None:
        line = {
            "line_dash": "dash",
            "line_color": "#57606a",
            "annotation_text": f"overall {overall:.3f}",
            # horizontal bars fill the top row: the label goes below the axis end instead
            "annotation_position": "bottom right" if horizontal else "top left",
        }
        (fig.add_vline(x=overall, **line) if horizontal else fig.add_hline(y=overall, **line))
    value_axis = {"title": _esc(humanize(metric)), "rangemode": "tozero"}
    group_axis = {"title": "group", "type": "category", "automargin": True}
    if horizontal:
        fig.update_xaxes(**value_axis)
        fig.update_yaxes(**group_axis)
        return _layout(fig, title=title, height=max(300, 90 + 22 * len(labels)), showlegend=False)
    fig.update_yaxes(**value_axis)
    fig.update_xaxes(**group_axis)
    return _layout(fig, title=title, showlegend=False)


def disparity_intervals(rows: Sequence[Mapping[str, Any]], *, title: str = "") -> go.Figure:
    """Disparities as points with intervals, coloured by verdict, with the tolerance marked."""
    fig = go.Figure()
    labels = [
        _esc(
            f"{humanize(str(r.get('metric', '')))} ({r.get('kind', '')}, {str(r.get('method', '')).replace('_', ' ')})"
        )
        for r in rows
    ]
    for verdict in ("pass", "fail", "inconclusive", "undefined"):
        idx = [i for i, r in enumerate(rows) if str(r.get("verdict")) == verdict]
        if not idx:
            continue
        vals = [_num(rows[i].get("value")) for i in idx]
        lo = [_num(rows[i].get("ci_low")) for i in idx]
        hi = [_num(rows[i].get("ci_high")) for i in idx]
        fig.add_trace(
            go.Scatter(
                x=vals,
                y=[labels[i] for i in idx],
                mode="markers",
                marker={"color": VERDICT_COLOR[verdict], "size": 10},
                error_x={
                    "type": "data",
                    "array": [
                        (h - v) if (h is not None and v is not None) else 0
                        for v, h in zip(vals, hi, strict=True)
                    ],
                    "arrayminus": [
                        (v - lw) if (lw is not None and v is not None) else 0
                        for v, lw in zip(vals, lo, strict=True)
                    ],
                    "color": VERDICT_COLOR[verdict],
                },
                name=verdict,
            )
        )
        for i in idx:
            tol = _num(rows[i].get("tolerance"))
            if tol is not None:
                fig.add_trace(
                    go.Scatter(
                        x=[tol],
                        y=[labels[i]],
                        mode="markers",
                        marker={"symbol": "line-ns-open", "size": 16, "color": "#24292f"},
                        name="tolerance",
                        showlegend=False,
                        hovertemplate="tolerance %{x}<extra></extra>",
                    )
                )
    fig.update_xaxes(title="value (| marks the tolerance)")
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title=title, height=max(240, 60 + 34 * len(rows)))


def threshold_curves(
    thresholds: Sequence[float],
    groups: Mapping[str, Mapping[str, Sequence[Any]]],
    *,
    metric: str,
    at: float | None = None,
    title: str = "",
) -> go.Figure:
    """One line per group of ``metric`` against the decision threshold, with the chosen threshold marked."""
    fig = go.Figure()
    for name, curves in groups.items():
        ys = [_num(v) for v in curves.get(metric, [])]
        fig.add_trace(go.Scatter(x=list(thresholds), y=ys, mode="lines", name=_esc(name), connectgaps=False))
    if at is not None:
        fig.add_vline(x=at, line_dash="dash", line_color="#57606a", annotation_text=f"t = {at:.2f}")
    fig.update_xaxes(title="decision threshold (score ≥ t → positive)", range=[0, 1])
    fig.update_yaxes(title=_esc(humanize(metric)), range=[0, 1.02])
    return _layout(fig, title=title, height=340)


def importance_bars(
    features: Sequence[str],
    values: Sequence[Any],
    lows: Sequence[Any] | None = None,
    highs: Sequence[Any] | None = None,
    *,
    title: str = "",
) -> go.Figure:
    """Global importance (mean |SHAP|), largest on top, with bootstrap intervals."""
    order = list(range(len(features)))[::-1]
    vals = [_num(values[i]) or 0.0 for i in order]
    fig = go.Figure(
        go.Bar(
            x=vals,
            y=[_esc(features[i]) for i in order],
            orientation="h",
            marker_color=BAR_COLOR,
            error_x=None
            if lows is None or highs is None
            else {
                "type": "data",
                "array": [max((_num(highs[i]) or 0) - v, 0) for i, v in zip(order, vals, strict=True)],
                "arrayminus": [max(v - (_num(lows[i]) or v), 0) for i, v in zip(order, vals, strict=True)],
                "color": "#24292f",
            },
        )
    )
    fig.update_xaxes(title="mean |SHAP value| (impact on the model output)")
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title=title, height=max(260, 40 + 26 * len(features)), showlegend=False)


def _normalise(values: Sequence[Any]) -> tuple[list[float | None], bool]:
    """Feature values mapped to [0, 1] by rank (numeric) for colouring; categorical -> None."""
    nums = [_num(v) for v in values]
    finite = [v for v in nums if v is not None]
    if not finite or len(finite) < 0.8 * len(values):
        return [None] * len(values), False
    arr = np.array(finite)
    lo, hi = np.nanpercentile(arr, 5), np.nanpercentile(arr, 95)
    span = (hi - lo) or 1.0
    return [None if v is None else float(min(max((v - lo) / span, 0), 1)) for v in nums], True


def beeswarm(
    data: Mapping[str, Any], *, max_features: int = MAX_BEESWARM_FEATURES, seed: int = 0
) -> go.Figure:
    """SHAP beeswarm: one point per explained row and feature, coloured by the feature's value (low→high)."""
    features = list(data.get("features", []))[:max_features]
    shap = data.get("shap", {})
    value = data.get("value", {})
    rng = np.random.default_rng(seed)
    fig = go.Figure()
    for rank, feat in enumerate(features[::-1]):
        xs = [_num(v) for v in shap.get(feat, [])]
        vals = list(value.get(feat, [None] * len(xs)))
        colour, numeric = _normalise(vals)
        ys = rank + rng.uniform(-0.3, 0.3, size=len(xs))
        # float32 arrays: plotly sends them as packed binary (a third of the JSON text of the same numbers) and
        # validates them at once instead of number by number; a point's position needs no more precision
        fig.add_trace(
            go.Scattergl(
                x=np.array([0.0 if x is None else x for x in xs], dtype=np.float32),
                y=ys.astype(np.float32),
                mode="markers",
                marker={
                    "size": 4,
                    "opacity": 0.7,
                    "color": np.array([0.5 if c is None else c for c in colour], dtype=np.float32)
                    if numeric
                    else "#8c959f",
                    "colorscale": [[0, NEGATIVE_COLOR], [1, POSITIVE_COLOR]],
                    "cmin": 0,
                    "cmax": 1,
                    "showscale": rank == len(features) - 1,
                    "colorbar": {
                        "title": "feature value",
                        "tickvals": [0, 1],
                        "ticktext": ["low", "high"],
                        "thickness": 12,
                    },
                },
                # the feature name goes in as the trace name, not into the template: no "%{...}" from data
                name=_esc(feat),
                text=[_esc(v) for v in vals],
                hovertemplate="%{fullData.name} = %{text}<br>SHAP %{x:.3f}<extra></extra>",
                showlegend=False,
            )
        )
    fig.update_yaxes(
        tickvals=list(range(len(features))), ticktext=[_esc(f) for f in features[::-1]], automargin=True
    )
    fig.update_xaxes(title="SHAP value (impact on the model output)", zeroline=True, zerolinecolor="#57606a")
    return _layout(fig, height=max(300, 60 + 34 * len(features)))


def dependence(feature: str, data: Mapping[str, Any]) -> go.Figure:
    """SHAP dependence: the feature's value against its SHAP value (box plots for a categorical feature)."""
    xs = list(data.get("x", []))
    ys = [_num(v) for v in data.get("shap", [])]
    kind = data.get("kind") or (
        "numeric" if all(_num(x) is not None for x in xs if x is not None) else "categorical"
    )
    if kind == "categorical":
        fig = go.Figure(
            go.Box(
                x=[_esc(x) for x in xs],
                y=ys,
                boxpoints="outliers",
                marker_color=BAR_COLOR,
                name=_esc(feature),
            )
        )
        fig.update_xaxes(type="category")
    else:
        fig = go.Figure(
            go.Scattergl(
                x=np.array([_num(x) for x in xs], dtype=np.float64).astype(np.float32),  # None -> nan: a gap
                y=np.array(ys, dtype=np.float64).astype(np.float32),
                mode="markers",
                marker={"size": 5, "opacity": 0.6, "color": BAR_COLOR},
            )
        )
    fig.update_xaxes(title=_esc(feature))
    fig.update_yaxes(title=_esc(f"SHAP value of {feature}"))
    return _layout(fig, height=360, showlegend=False)


def waterfall(explanation: Mapping[str, Any], *, max_features: int = MAX_WATERFALL_FEATURES) -> go.Figure:
    """How one row's output is built from the base value by its features' SHAP values (largest first)."""
    contrib = {k: _num(v) or 0.0 for k, v in dict(explanation.get("contributions", {})).items()}
    values = dict(explanation.get("values", {}))
    ranked = sorted(contrib, key=lambda k: -abs(contrib[k]))
    top, rest = ranked[:max_features], ranked[max_features:]
    labels = [_esc(f"{k} = {values.get(k, '')}") for k in top]
    amounts = [contrib[k] for k in top]
    if rest:
        labels.append(f"{len(rest)} other features")
        amounts.append(sum(contrib[k] for k in rest))
    base = _num(explanation.get("base_value")) or 0.0
    fig = go.Figure(
        go.Waterfall(
            orientation="h",
            base=base,
            measure=["relative"] * len(amounts),
            y=labels[::-1],
            x=amounts[::-1],
            increasing={"marker": {"color": POSITIVE_COLOR}},
            decreasing={"marker": {"color": NEGATIVE_COLOR}},
            text=[f"{a:+.3f}" for a in amounts[::-1]],
            textposition="outside",
        )
    )
    output = _num(explanation.get("output"))
    fig.add_vline(
        x=base,
        line_dash="dot",
        line_color="#57606a",
        annotation_text=f"base {base:.3f}",
        annotation_position="top left",
    )
    if output is not None:
        fig.add_vline(
            x=output, line_dash="dash", line_color="#24292f", annotation_text=f"output {output:.3f}"
        )
    fig.update_yaxes(type="category", automargin=True)
    fig.update_xaxes(title="model output")
    return _layout(fig, height=max(300, 60 + 30 * len(labels)), showlegend=False)


def group_heatmap(
    groups: Sequence[str], features: Sequence[str], matrix: Sequence[Sequence[Any]], *, title: str = ""
) -> go.Figure:
    """Mean SHAP value per group (rows) and feature (columns), diverging around zero."""
    z = [[_num(v) for v in row] for row in matrix]
    finite = [abs(v) for row in z for v in row if v is not None]
    m = max(finite) if finite else 1.0
    fig = go.Figure(
        go.Heatmap(
            z=z,
            x=[_esc(f) for f in features],
            y=[_esc(g) for g in groups],
            zmin=-m,
            zmax=m,
            colorscale=[[0, NEGATIVE_COLOR], [0.5, "#f6f8fa"], [1, POSITIVE_COLOR]],
            colorbar={"title": "mean SHAP", "thickness": 12},
            hovertemplate="%{y} · %{x}: %{z:.3f}<extra></extra>",
        )
    )
    fig.update_xaxes(tickangle=-35, type="category")
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title=title, height=max(260, 120 + 30 * len(groups)))


def signed_bars(
    labels: Sequence[str], values: Sequence[Any], *, title: str = "", axis: str = ""
) -> go.Figure:
    """Horizontal bars of signed contributions (e.g. features' share of a gap between two groups)."""
    vals = [_num(v) or 0.0 for v in values]
    order = sorted(range(len(vals)), key=lambda i: abs(vals[i]))
    fig = go.Figure(
        go.Bar(
            x=[vals[i] for i in order],
            y=[_esc(labels[i]) for i in order],
            orientation="h",
            marker_color=[POSITIVE_COLOR if vals[i] > 0 else NEGATIVE_COLOR for i in order],
        )
    )
    fig.update_xaxes(title=axis, zeroline=True, zerolinecolor="#57606a")
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title=title, height=max(240, 60 + 26 * len(vals)), showlegend=False)


DRIFT_TESTS = {
    # test -> (what is plotted, axis title, threshold key, drifted when)
    "wasserstein_normed": ("statistic", "Wasserstein distance / reference std", "distance", "above"),
    "jensen_shannon": ("statistic", "Jensen–Shannon distance", "distance", "above"),
    "ks": ("p_value", "KS test p-value", "p_value", "below"),
    "chi_square": ("p_value", "chi-square test p-value", "p_value", "below"),
}


def drift_bars(
    columns: Sequence[str],
    scores: Sequence[Any],
    drifted: Sequence[Any],
    *,
    score_name: str,
    title: str = "",
    tests: Sequence[Any] | None = None,
    p_values: Sequence[Any] | None = None,
    thresholds: Mapping[str, float] | None = None,
) -> go.Figure:
    """Drift per column, one panel per test (each statistic on its own axis, with its threshold drawn); drifted
    columns in the fail colour. Without ``tests`` every score shares one axis titled ``score_name``."""
    from plotly.subplots import make_subplots

    n = len(columns)
    kinds = [str(t) if t else "" for t in (tests or [""] * n)]
    present = [k for k in DRIFT_TESTS if k in kinds] + sorted({k for k in kinds if k not in DRIFT_TESTS})
    limits = {"distance": 0.1, "p_value": 0.05, **dict(thresholds or {})}
    rows_of = {k: [i for i in range(n) if kinds[i] == k] for k in present}
    heights = [max(len(v), 1) for v in rows_of.values()]
    fig = make_subplots(
        rows=len(present),
        cols=1,
        row_heights=heights,
        vertical_spacing=min(0.12, 0.4 / max(len(present), 1)),
        subplot_titles=[_esc(DRIFT_TESTS.get(k, ("", score_name))[1]) for k in present],
    )
    for r, kind in enumerate(present, start=1):
        field, _, limit_key, direction = DRIFT_TESTS.get(kind, ("statistic", score_name, "", ""))
        source = p_values if field == "p_value" and p_values is not None else scores
        idx = sorted(rows_of[kind], key=lambda i: _num(source[i]) or 0.0)
        if direction == "below":
            idx = idx[::-1]  # smallest p-value (most drifted) on top
        vals = [_num(source[i]) for i in idx]
        fig.add_trace(
            go.Bar(
                x=[v or 0.0 for v in vals],
                y=[_esc(columns[i]) for i in idx],
                orientation="h",
                marker_color=[VERDICT_COLOR["fail"] if bool(drifted[i]) else BAR_COLOR for i in idx],
                text=["undefined" if v is None else _plain_number(v) for v in vals],
                textposition="auto",
                hovertemplate="%{y}: %{text}<extra></extra>",
            ),
            row=r,
            col=1,
        )
        if limit_key:
            fig.add_vline(
                x=limits[limit_key],
                line_dash="dash",
                line_color="#24292f",
                annotation_text=f"drift {'≥' if direction == 'above' else '<'} {limits[limit_key]:g}",
                annotation_position="top right",
                row=r,
                col=1,
            )
        fig.update_yaxes(type="category", automargin=True, row=r, col=1)
        if field == "p_value":
            fig.update_xaxes(range=[0, 1], row=r, col=1)
    return _layout(fig, title=title, height=max(260, 80 * len(present) + 24 * n), showlegend=False)


def _plain_number(v: float) -> str:
    """Three significant digits in plain decimals (never ``1e-05``)."""
    from reports.formatting import fmt_sig

    return fmt_sig(v)


def country_bars(
    names: Sequence[str],
    emissions_g: Sequence[Any],
    intensities: Sequence[Any],
    *,
    highlight: str | None = None,
    title: str = "",
) -> go.Figure:
    """The same energy's CO2 in each country's grid, with the audit's country highlighted."""
    vals = [_num(v) or 0.0 for v in emissions_g]
    order = sorted(range(len(vals)), key=lambda i: vals[i])
    fig = go.Figure(
        go.Bar(
            x=[vals[i] for i in order],
            y=[_esc(names[i]) for i in order],
            orientation="h",
            marker_color=[
                POSITIVE_COLOR if highlight and str(names[i]).startswith(highlight) else BAR_COLOR
                for i in order
            ],
            text=[f"{_num(intensities[i]) or 0:.0f} gCO₂/kWh" for i in order],
            textposition="auto",
            hovertemplate="%{y}: %{x:.3g} g CO₂eq<extra></extra>",
        )
    )
    fig.update_xaxes(title="g CO₂eq for the same energy")
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title=title, height=max(260, 60 + 30 * len(vals)), showlegend=False)


# --- many groups: order, top and bottom, small multiples ---------------------------------------------------------
SORTS = ("size", "metric", "natural")


def _bin_rank(part: str, labels: Sequence[str]) -> tuple[int, float | str]:
    """Rank of one group label: its position among the binning's labels, then numbers by value, then text;
    the 'missing' group last."""
    if part in labels:
        return (0, labels.index(part))
    if part == "missing":
        return (3, 0.0)
    number = _num(part.replace(",", "")) if part.strip() else None
    return (1, number) if number is not None else (2, part.casefold())


def natural_order(
    groups: Sequence[str], attribute: str, binning: Mapping[str, Any] | None = None
) -> list[int]:
    """Indices of ``groups`` in their natural order: bins as the binning cut them ("<=33" before "(33, 39]"),
    numbers by value, text alphabetically; an intersection "a × b" by its first attribute, then its second."""
    from audits.group_labels import INTERSECTION_SEP

    columns = attribute.split(INTERSECTION_SEP)
    labels = [list(ui_labels((binning or {}).get(c))) for c in columns]

    def key(i: int) -> tuple[Any, ...]:
        parts = str(groups[i]).split(INTERSECTION_SEP) if len(columns) > 1 else [str(groups[i])]
        return tuple(_bin_rank(p, labels[k] if k < len(labels) else []) for k, p in enumerate(parts))

    return sorted(range(len(groups)), key=key)


def ui_labels(info: Any) -> Sequence[str]:
    """The group labels a binning entry records, in the order of its bins (empty when not binned)."""
    return [str(x) for x in info.get("labels", [])] if isinstance(info, Mapping) else []


def order_groups(
    groups: Sequence[str],
    *,
    by: str,
    counts: Sequence[Any] | None = None,
    values: Sequence[Any] | None = None,
    attribute: str = "",
    binning: Mapping[str, Any] | None = None,
) -> list[int]:
    """Indices of ``groups`` sorted ``by`` size (largest first), by the metric (highest first, undefined last) or
    in their natural order."""
    if by not in SORTS:
        raise ValueError(f"The 'by' parameter of order_groups must be one of {SORTS}. Got {by!r} instead.")
    natural = natural_order(groups, attribute, binning)
    if by == "natural":
        return natural
    source = counts if by == "size" else values
    if source is None:
        return natural
    rank = {i: k for k, i in enumerate(natural)}
    nums = [_num(v) for v in source]
    return sorted(range(len(groups)), key=lambda i: (nums[i] is None, -(nums[i] or 0.0), rank[i]))


def top_and_bottom(order: Sequence[int], limit: int, *, show_all: bool = False) -> tuple[list[int], int]:
    """The first and last ``limit`` entries of ``order`` (all when ``show_all`` or when that is not fewer), and how
    many were left out."""
    order = list(order)
    if show_all or len(order) <= 2 * limit:
        return order, 0
    return order[:limit] + order[-limit:], len(order) - 2 * limit


def threshold_panels(
    thresholds: Sequence[float],
    groups: Mapping[str, Mapping[str, Sequence[Any]]],
    *,
    metric: str,
    order: Sequence[str],
    at: float | None = None,
    reference: str | None = None,
    excluded: Sequence[str] = (),
    title: str = "",
    columns: int = PANEL_COLUMNS,
) -> go.Figure:
    """Small multiples: one panel per group (in ``order``) with that group's curve of ``metric`` against the
    threshold, the reference group's curve in grey behind it, and the chosen threshold marked. One colour, one
    scale: no legend to decode, however many groups. Excluded (small) groups are drawn in the muted colour."""
    from plotly.subplots import make_subplots

    names = [g for g in order if g in groups]
    n = max(len(names), 1)
    cols = min(columns, n)
    rows = -(-n // cols)
    fig = make_subplots(
        rows=rows,
        cols=cols,
        shared_xaxes=True,
        shared_yaxes=True,
        subplot_titles=[_esc(_short(g)) for g in names],
        horizontal_spacing=0.03,
        vertical_spacing=min(0.5 / rows, 0.12),
    )
    xs = list(thresholds)
    ref_y = [_num(v) for v in groups.get(reference, {}).get(metric, [])] if reference in groups else None
    skip = set(excluded)
    for k, name in enumerate(names):
        r, c = divmod(k, cols)
        if ref_y is not None and name != reference:
            fig.add_trace(
                go.Scatter(
                    x=xs, y=ref_y, mode="lines", line={"color": MUTED, "width": 1.5}, hoverinfo="skip"
                ),
                row=r + 1,
                col=c + 1,
            )
        ys = [_num(v) for v in groups[name].get(metric, [])]
        fig.add_trace(
            go.Scatter(
                x=xs,
                y=ys,
                mode="lines",
                line={"color": EXCLUDED_LINE if name in skip else BAR_COLOR, "width": 2},
                name=_esc(name),
                connectgaps=False,
                hovertemplate="%{fullData.name}<br>t = %{x:.2f}: %{y:.3f}<extra></extra>",
            ),
            row=r + 1,
            col=c + 1,
        )
        if at is not None:
            fig.add_vline(x=at, line_dash="dot", line_color="#57606a", row=r + 1, col=c + 1)
    fig.update_xaxes(range=[0, 1], tickvals=[0, 0.5, 1])
    fig.update_yaxes(range=[0, 1.02], tickvals=[0, 0.5, 1])
    fig.update_annotations(font_size=11)
    caption = f"{humanize(metric)} against the threshold"
    if reference in groups:
        caption += f"; grey: reference group {reference}"
    layout = _layout(fig, title=title or caption, height=80 + 150 * rows, showlegend=False)
    return layout


def _short(label: str, width: int = 28) -> str:
    return label if len(label) <= width else label[: width - 1] + "…"


# --- Setup: the groups the live check found ----------------------------------------------------------------------
GROUP_SIZES_SHOWN = 10  # groups per attribute drawn; the rest are one bar


def group_sizes(groups: Mapping[str, Mapping[str, int]], *, checked_rows: int | None = None) -> go.Figure:
    """Rows per group of each protected attribute, one panel per attribute, largest group first (beyond
    ``GROUP_SIZES_SHOWN`` the rest are one bar), as shares with counts: a group too small to audit shows before
    the audit runs. ``checked_rows``: the check read only the first rows of a large file (said in the title)."""
    from plotly.subplots import make_subplots

    panels = []
    for column, counts in groups.items():
        if not counts:
            continue
        ranked = sorted(counts.items(), key=lambda kv: (-kv[1], str(kv[0])))
        shown, rest = ranked[:GROUP_SIZES_SHOWN], ranked[GROUP_SIZES_SHOWN:]
        labels = [_esc(_short(str(g))) for g, _ in shown]
        values = [int(n) for _, n in shown]
        if rest:
            labels.append(f"{len(rest)} other groups")
            values.append(sum(int(n) for _, n in rest))
        panels.append((column, labels, values))
    n = max(1, len(panels))
    fig = make_subplots(
        rows=n,
        cols=1,
        subplot_titles=[_esc(c) for c, _, _ in panels] or [""],
        row_heights=[len(labels) + 1 for _, labels, _ in panels] or [1],
        vertical_spacing=min(0.2, 0.9 / n),
    )
    for row, (_, labels, values) in enumerate(panels, start=1):
        total = sum(values) or 1
        shares = [v / total for v in values]
        fig.add_trace(
            go.Bar(
                x=shares,
                y=labels,
                orientation="h",
                marker_color=BAR_COLOR,
                text=[f"{v:,}" for v in values],
                textposition="outside",
                cliponaxis=False,
                hovertemplate="%{y}: %{x:.1%} of the rows (%{text})<extra></extra>",
            ),
            row=row,
            col=1,
        )
        fig.update_yaxes(autorange="reversed", row=row, col=1)
        fig.update_xaxes(tickformat=".0%", range=[0, max(shares) * 1.25], row=row, col=1)
    where = f"the first {checked_rows:,} rows" if checked_rows else "all rows"
    height = 70 + 45 * len(panels) + 22 * sum(len(labels) for _, labels, _ in panels)
    return _layout(fig, title=f"Rows per protected group ({where})", height=height, showlegend=False)


# --- model quality: ROC, precision-recall, confusion matrix ------------------------------------------------------
def roc_chart(roc: Mapping[str, Any], *, at: float | None = None) -> go.Figure:
    """The ROC curve with the chance diagonal, and the point of the model's threshold when given."""
    fpr, tpr = [_num(v) for v in roc.get("fpr", [])], [_num(v) for v in roc.get("tpr", [])]
    fig = go.Figure(
        go.Scatter(
            x=fpr,
            y=tpr,
            mode="lines",
            line={"color": BAR_COLOR, "width": 2},
            text=[_threshold_text(t) for t in roc.get("threshold", [])],
            hovertemplate="FPR %{x:.3f}, TPR %{y:.3f}<br>%{text}<extra></extra>",
            name="model",
        )
    )
    fig.add_trace(
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", line={"color": MUTED, "dash": "dash"}, hoverinfo="skip")
    )
    _mark_threshold(fig, roc.get("threshold", []), fpr, tpr, at)
    auc = _num(roc.get("auc"))
    fig.update_xaxes(title="false positive rate (FPR)", range=[0, 1])
    fig.update_yaxes(title="true positive rate (TPR, recall)", range=[0, 1.02])
    title = "ROC curve" + (f" (AUC {auc:.3f})" if auc is not None else "")
    return _layout(fig, title=title, height=360, showlegend=False)


def pr_chart(pr: Mapping[str, Any], *, at: float | None = None) -> go.Figure:
    """The precision-recall curve with the base rate (a model without skill) as a line."""
    rec, prec = [_num(v) for v in pr.get("recall", [])], [_num(v) for v in pr.get("precision", [])]
    fig = go.Figure(
        go.Scatter(
            x=rec,
            y=prec,
            mode="lines",
            line={"color": BAR_COLOR, "width": 2},
            text=[_threshold_text(t) for t in pr.get("threshold", [])],
            hovertemplate="recall %{x:.3f}, precision %{y:.3f}<br>%{text}<extra></extra>",
        )
    )
    base = _num(pr.get("base_rate"))
    if base is not None:
        fig.add_hline(
            y=base,
            line_dash="dash",
            line_color=MUTED,
            annotation_text=f"base rate {base:.3f}",
            annotation_position="bottom right",
        )
    _mark_threshold(fig, pr.get("threshold", []), rec, prec, at)
    ap = _num(pr.get("average_precision"))
    fig.update_xaxes(title="recall (TPR)", range=[0, 1])
    fig.update_yaxes(title="precision", range=[0, 1.02])
    title = "Precision-recall" + (f" (avg. precision {ap:.3f})" if ap is not None else "")
    return _layout(fig, title=title, height=360, showlegend=False)


def _threshold_text(t: Any) -> str:
    v = _num(t)
    return "no threshold" if v is None else f"threshold {v:.3f}"


def _mark_threshold(
    fig: go.Figure, thresholds: Sequence[Any], xs: Sequence[Any], ys: Sequence[Any], at: float | None
) -> None:
    """A marker at the curve point whose threshold is nearest ``at`` (scores at or above are positive)."""
    if at is None:
        return
    cand = [(abs(v - at), i) for i, t in enumerate(thresholds) if (v := _num(t)) is not None]
    if not cand:
        return
    i = min(cand)[1]
    fig.add_trace(
        go.Scatter(
            x=[xs[i]],
            y=[ys[i]],
            mode="markers",
            marker={"color": POSITIVE_COLOR, "size": 11, "symbol": "circle"},
            hovertemplate=f"model threshold {at:.2f}<extra></extra>",
        )
    )


def confusion_chart(
    actual: Sequence[str], predicted: Sequence[str], matrix: Sequence[Sequence[Any]]
) -> go.Figure:
    """Confusion matrix as a heatmap: counts and each cell's share of its actual class (row)."""
    z = [[_num(v) or 0.0 for v in row] for row in matrix]
    text = []
    for row in z:
        total = sum(row)
        text.append([f"{int(v):,}<br>{(v / total if total else 0):.1%} of row" for v in row])
    share = [[(v / sum(row)) if sum(row) else 0.0 for v in row] for row in z]
    fig = go.Figure(
        go.Heatmap(
            z=share,
            x=[_esc(p) for p in predicted],
            y=[_esc(a) for a in actual],
            text=text,
            texttemplate="%{text}",
            colorscale=[[0, "#f6f8fa"], [1, BAR_COLOR]],
            zmin=0,
            zmax=1,
            showscale=False,
            hovertemplate="actual %{y}, predicted %{x}<br>%{text}<extra></extra>",
        )
    )
    fig.update_xaxes(title="predicted", type="category", side="top")
    fig.update_yaxes(title="actual", type="category", autorange="reversed", automargin=True)
    return _layout(fig, title="Confusion matrix", height=max(300, 120 + 70 * len(actual)), showlegend=False)


# --- drift: one column, reference against current ---------------------------------------------------------------
MAX_CATEGORIES = 20
HIST_BINS = 30


def distribution_chart(column: str, current: Any, reference: Any) -> go.Figure:
    """One column's distribution in the reference and in the audited data, as shares of each dataset's rows
    (so datasets of different sizes compare): overlaid histograms on shared bins for a numeric column, paired
    bars of the 20 most frequent categories (the rest summed as "other") for a categorical one."""
    import pandas as pd

    cur, ref = pd.Series(current), pd.Series(reference)
    numeric = all(pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s) for s in (cur, ref))
    fig = go.Figure()
    colours = (("reference", ref, MUTED), ("audited data", cur, BAR_COLOR))
    if numeric and pd.concat([cur, ref]).nunique() > MAX_CATEGORIES:
        both = pd.concat([cur, ref]).to_numpy(dtype=float, na_value=np.nan)
        both = both[np.isfinite(both)]
        lo, hi = np.percentile(both, [0.5, 99.5]) if len(both) else (0.0, 1.0)
        edges = np.linspace(lo, hi if hi > lo else lo + 1, HIST_BINS + 1)
        mids = (edges[:-1] + edges[1:]) / 2
        for name, s, colour in colours:
            v = s.to_numpy(dtype=float, na_value=np.nan)
            v = np.clip(v[np.isfinite(v)], edges[0], edges[-1])  # the tails go into the end bins
            counts, _ = np.histogram(v, bins=edges)
            shares = counts / max(len(s), 1)
            fig.add_trace(
                go.Bar(
                    x=mids,
                    y=shares,
                    width=(edges[1] - edges[0]),
                    name=name,
                    marker_color=colour,
                    opacity=0.65,
                    hovertemplate=f"{name}: %{{y:.1%}} of rows<extra></extra>",
                )
            )
        fig.update_layout(barmode="overlay")
        fig.update_xaxes(title=_esc(column) + " (0.5–99.5 percentile range; tails in the end bins)")
    else:
        top = pd.concat([cur, ref]).astype(str).value_counts().index[:MAX_CATEGORIES].tolist()
        for name, s, colour in colours:
            vc = s.astype(str).value_counts()
            shares = [vc.get(c, 0) / max(len(s), 1) for c in top]
            other = 1 - sum(shares) - float(s.isna().mean())
            cats = [_esc(c) for c in top] + (["other"] if other > 1e-9 else [])
            fig.add_trace(
                go.Bar(
                    x=cats,
                    y=shares + ([other] if other > 1e-9 else []),
                    name=name,
                    marker_color=colour,
                    hovertemplate=f"{name}: %{{y:.1%}} of rows<extra></extra>",
                )
            )
        fig.update_layout(barmode="group")
        fig.update_xaxes(title=_esc(column), type="category")
    fig.update_yaxes(title="share of rows", tickformat=".0%")
    return _layout(fig, title=f"{column}: reference against audited data", height=340)
