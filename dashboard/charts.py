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
) -> go.Figure:
    """One bar per group with its confidence interval as error bars; excluded (small) groups are greyed."""
    vals = [_num(v) for v in values]
    lo = [_num(v) for v in (lows or [None] * len(vals))]
    hi = [_num(v) for v in (highs or [None] * len(vals))]
    ex = list(excluded or [False] * len(vals))
    plus = [(h - v) if (h is not None and v is not None) else 0 for v, h in zip(vals, hi, strict=True)]
    minus = [(v - low) if (low is not None and v is not None) else 0 for v, low in zip(vals, lo, strict=True)]
    labels = [_esc(g) for g in groups]
    text = ["undefined" if v is None else f"{v:.3f}" for v in vals]
    fig = go.Figure(
        go.Bar(
            x=labels,
            y=vals,  # None leaves a gap: an undefined rate is not drawn as 0
            error_y={
                "type": "data",
                "array": plus,
                "arrayminus": minus,
                # no interval given (e.g. a plain base rate): no error bars rather than zero-length ones
                "visible": lows is not None and highs is not None,
                "color": "#24292f",
            },
            marker_color=[MUTED if e else BAR_COLOR for e in ex],
            text=text,
            textposition="inside",
            insidetextanchor="start",
            name=_esc(humanize(metric)),
            hovertemplate="%{x}: %{text}<extra></extra>",
        )
    )
    for label, v in zip(labels, vals, strict=True):
        if v is None:
            fig.add_annotation(
                x=label, y=0, text="undefined", showarrow=False, yshift=12, font={"color": "#57606a"}
            )
    if overall is not None:
        fig.add_hline(
            y=overall,
            line_dash="dash",
            line_color="#57606a",
            annotation_text=f"overall {overall:.3f}",
            annotation_position="top left",
        )
    fig.update_yaxes(title=_esc(humanize(metric)), rangemode="tozero")
    fig.update_xaxes(title="group", type="category")
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
        fig.add_trace(
            go.Scattergl(
                x=[0 if x is None else x for x in xs],
                y=ys,
                mode="markers",
                marker={
                    "size": 4,
                    "opacity": 0.7,
                    "color": [0.5 if c is None else c for c in colour] if numeric else "#8c959f",
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
                x=[_num(x) for x in xs],
                y=ys,
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


def drift_bars(
    columns: Sequence[str], scores: Sequence[Any], drifted: Sequence[Any], *, score_name: str, title: str = ""
) -> go.Figure:
    """Drift score per column; drifted columns in red."""
    vals = [_num(v) or 0.0 for v in scores]
    order = sorted(range(len(vals)), key=lambda i: vals[i])
    fig = go.Figure(
        go.Bar(
            x=[vals[i] for i in order],
            y=[_esc(columns[i]) for i in order],
            orientation="h",
            marker_color=[VERDICT_COLOR["fail"] if bool(drifted[i]) else BAR_COLOR for i in order],
            hovertemplate="%{y}: %{x:.3f}<extra></extra>",
        )
    )
    fig.update_xaxes(title=score_name)
    fig.update_yaxes(type="category", automargin=True)
    return _layout(fig, title=title, height=max(260, 60 + 24 * len(vals)), showlegend=False)


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
