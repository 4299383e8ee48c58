"""Static charts (matplotlib, Agg backend) drawn from the numbers of an AuditResult; each returns PNG bytes.

Charts never compute new statistics: they plot the values and intervals the sections stored. When a chart
cannot show everything (200 groups, 60 features) it shows the extremes and its caption says so.
"""

from __future__ import annotations

import io
import textwrap
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import matplotlib
import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure as MplFigure
from PIL import Image

from audits.emissions_view import EmissionsResult
from audits.intervals import wilson
from audits.results import SectionResult, Table
from reports.formatting import fmt_sig, fmt_value, humanize

# Charts draw on their own Agg canvases and never import pyplot; the Agg default stays for any code in the
# process that does (never a GUI backend on a server or in CI).
matplotlib.use("Agg")

DPI = 110
WIDTH_IN = 6.6
MAX_GROUP_BARS = 20  # at most this many groups per chart: the highest and lowest halves
MAX_FEATURES = 15
BAR_COLOR = "#3b6ea8"
SMALL_COLOR = "#b0b7c3"
ACCENT = "#cf222e"

matplotlib.rcParams.update(
    {
        "font.family": "DejaVu Sans",
        "font.size": 8,
        "axes.titlesize": 9,
        "axes.spines.top": False,
        "axes.spines.right": False,
    }
)


def _subplots(figsize: tuple[float, float], *args: Any, **kwargs: Any) -> tuple[MplFigure, Any]:
    """``plt.subplots`` without pyplot: a figure on its own Agg canvas, no figure manager, nothing to close."""
    fig = MplFigure(figsize=figsize, dpi=DPI)
    FigureCanvasAgg(fig)
    return fig, fig.subplots(*args, **kwargs)


def _png(fig: MplFigure) -> bytes:
    """The figure drawn once on its Agg canvas, as an RGB PNG.

    Fixed margins (:func:`_frame`) instead of bbox_inches="tight", which draws every figure twice. RGB, not
    matplotlib's RGBA: the background is opaque white, and without an alpha channel the PNG is smaller and
    the PDF needs no soft mask. compress_level 1: encoding is a third of a chart's cost at the default 6,
    for files ~10% larger.
    """
    fig.canvas.draw()
    rgba = Image.frombuffer(
        "RGBA", fig.canvas.get_width_height(), fig.canvas.buffer_rgba(), "raw", "RGBA", 0, 1
    )
    buf = io.BytesIO()
    rgba.convert("RGB").save(buf, format="png", compress_level=1, dpi=(DPI, DPI))
    return buf.getvalue()


def _frame(fig: MplFigure, labels: Sequence[str] = (), *, right_in: float = 0.2, title: bool = True) -> None:
    """Fixed margins sized from the tick labels (8 pt DejaVu: <= 0.07 in per character).

    Cheaper than constrained layout or bbox_inches="tight", which lay out or draw a figure twice.
    """
    w, h = fig.get_size_inches()
    left = 0.25 + 0.07 * _label_width([str(x) for x in labels])
    fig.subplots_adjust(
        left=min(left / w, 0.6),
        right=1 - right_in / w,
        bottom=0.5 / h,
        top=1 - (0.3 if title else 0.12) / h,
        wspace=0.25,
    )


def _short(label: Any, limit: int = 24) -> str:
    """A tick label wrapped onto lines of at most ``limit`` characters: never cut (long words break too)."""
    text = str(label)
    if len(text) <= limit:
        return text
    return "\n".join(textwrap.wrap(text, width=limit, break_long_words=True, break_on_hyphens=False)[:4])


def _label_width(labels: Sequence[str]) -> int:
    """Characters of the longest line of any (wrapped) label."""
    return max((len(line) for x in labels for line in str(x).split("\n")), default=4)


def _num(x: Any) -> float:
    return float(x) if isinstance(x, int | float) and not isinstance(x, bool) else float("nan")


# --- performance ----------------------------------------------------------------------------------------


def calibration_chart(table: Table, *, level: float = 0.95) -> bytes:
    """Reliability diagram from the performance ``calibration`` table, with Wilson intervals per bin."""
    d = table.data
    x = np.array([_num(v) for v in d.get("mean_score", [])])
    y = np.array([_num(v) for v in d.get("observed_rate", [])])
    n = np.array([_num(v) for v in d.get("rows", [np.nan] * len(x))])
    ok = np.isfinite(x) & np.isfinite(y)
    fig, ax = _subplots((4.6, 3.4))
    ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="perfect calibration")
    has_n = ok & np.isfinite(n) & (n > 0)
    if has_n.any():
        lo, hi = wilson(y[has_n], n[has_n], level)
        err = np.vstack([np.clip(y[has_n] - lo, 0, None), np.clip(hi - y[has_n], 0, None)])
        ax.errorbar(x[has_n], y[has_n], yerr=err, fmt="none", ecolor="#222", elinewidth=0.8, capsize=2)
    ax.plot(x[ok], y[ok], marker="o", color=BAR_COLOR, label="model (bins of the score)")
    ax.set_xlabel("mean predicted score in the bin (probability)")
    ax.set_ylabel("observed positive rate (share)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1)
    ax.legend(loc="upper left", frameon=False)
    _frame(fig, ("0.0",), title=False)
    return _png(fig)


def _pooled_counts(curves: Mapping[str, Any], positives: Mapping[str, float], negatives: Mapping[str, float]):
    """TP and FP counts per threshold, pooled over the groups of one attribute (the groups partition the rows)."""
    thresholds = np.array([_num(t) for t in curves.get("thresholds", [])])
    tp = np.zeros(len(thresholds))
    fp = np.zeros(len(thresholds))
    for group, c in (curves.get("groups") or {}).items():
        p, q = positives.get(str(group)), negatives.get(str(group))
        if p is None or q is None:
            return thresholds, None, None
        tp += np.nan_to_num(np.array([_num(v) for v in c.get("tpr", [])])) * p
        fp += np.nan_to_num(np.array([_num(v) for v in c.get("fpr", [])])) * q
    return thresholds, tp, fp


def roc_pr_chart(
    curves: Mapping[str, Any],
    positives: Mapping[str, float],
    negatives: Mapping[str, float],
    *,
    threshold: float | None = None,
    auc_text: str = "",
) -> bytes:
    """ROC and precision-recall curves of the whole audited data.

    Rebuilt from the per-group threshold curves of one attribute: its groups partition the rows, so the
    true and false positives at each threshold are the group rates times the group's positives and negatives.
    """
    thresholds, tp, fp = _pooled_counts(curves, positives, negatives)
    if tp is None:
        raise ValueError("the threshold curves name a group without positive and negative counts")
    p_all, n_all = sum(positives.values()), sum(negatives.values())
    tpr = tp / p_all if p_all else np.full(len(tp), np.nan)
    fpr = fp / n_all if n_all else np.full(len(fp), np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(tp + fp > 0, tp / (tp + fp), np.nan)
    fig, (ax1, ax2) = _subplots((WIDTH_IN, 3.1), 1, 2)
    ax1.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="chance")
    ax1.plot(fpr, tpr, color=BAR_COLOR, label=f"model{auc_text}")
    ax1.set_xlabel("false positive rate (share of negatives)")
    ax1.set_ylabel("true positive rate (share of positives)")
    ax1.set_title("ROC curve")
    ok = np.isfinite(precision)
    ax2.plot(tpr[ok], precision[ok], color=BAR_COLOR, label="model")
    base = p_all / (p_all + n_all) if p_all + n_all else np.nan
    ax2.axhline(base, color="#999", lw=1, ls="--", label=f"base rate {fmt_value(base)}")
    ax2.set_xlabel("recall (share of positives found)")
    ax2.set_ylabel("precision (share of predicted positives)")
    ax2.set_title("Precision-recall curve")
    if threshold is not None and len(thresholds):
        i = int(np.argmin(np.abs(thresholds - threshold)))
        ax1.plot(fpr[i], tpr[i], "o", color=ACCENT, label=f"threshold {fmt_value(thresholds[i])}")
        if np.isfinite(precision[i]):
            ax2.plot(tpr[i], precision[i], "o", color=ACCENT, label=f"threshold {fmt_value(thresholds[i])}")
    for ax in (ax1, ax2):
        ax.set_xlim(0, 1)
        ax.set_ylim(0, 1.02)
        ax.legend(loc="lower right" if ax is ax1 else "lower left", frameon=False, fontsize=7)
        ax.grid(color="#eee")
    _frame(fig, ("0.0",))
    fig.subplots_adjust(wspace=0.35)
    return _png(fig)


def _group_colors(n: int) -> list[Any]:
    cmap = matplotlib.colormaps["tab10"]
    return [cmap(i % 10) for i in range(n)]


def _legend_labels(groups: Sequence[str]) -> list[str]:
    return [_short(g) for g in groups]


def threshold_curves_chart(
    curves: Mapping[str, Any], *, threshold: float | None = None, max_groups: int = 8
) -> bytes:
    """Selection rate, true and false positive rate of each group as the decision threshold moves."""
    thresholds = np.array([_num(t) for t in curves.get("thresholds", [])])
    groups = curves.get("groups") or {}
    names = sorted(groups, key=lambda g: -(_num(groups[g].get("count")) or 0))[:max_groups]
    metrics = [m for m in ("selection_rate", "tpr", "fpr") if any(m in groups[g] for g in names)]
    fig, axes = _subplots((WIDTH_IN, 2.9), 1, len(metrics), sharey=True, squeeze=False)
    colors = _group_colors(len(names))
    for ax, metric in zip(axes[0], metrics, strict=True):
        for g, color in zip(names, colors, strict=True):
            ax.plot(
                thresholds, [_num(v) for v in groups[g].get(metric, [])], color=color, lw=1.2, label=_short(g)
            )
        if threshold is not None:
            ax.axvline(threshold, color="#666", lw=0.8, ls=":")
        ax.set_title(humanize(metric))
        ax.set_xlabel("decision threshold (score)")
        ax.set_xlim(0, 1)
        ax.grid(color="#eee")
    axes[0][0].set_ylabel("rate (share of the group)")
    axes[0][0].set_ylim(0, 1.02)
    labels = _legend_labels(names)
    legend_in = 0.45 + 0.065 * _label_width(labels)
    _frame(fig, ("0.0",), right_in=legend_in)
    axes[0][-1].legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0), title="group")
    return _png(fig)


def group_calibration_chart(calib: Mapping[str, Any], *, level: float = 0.95, max_groups: int = 6) -> bytes:
    """Reliability diagram per group with Wilson intervals of each bin's observed rate."""
    groups = calib.get("groups") or {}
    totals = {g: sum(_num(c) or 0 for c in groups[g].get("count", [])) for g in groups}
    names = sorted(groups, key=lambda g: -totals[g])[:max_groups]
    fig, ax = _subplots((WIDTH_IN * 0.85, 3.4))
    ax.plot([0, 1], [0, 1], color="#999", lw=1, ls="--", label="perfect calibration")
    for k, (g, color) in enumerate(zip(names, _group_colors(len(names)), strict=True)):
        c = groups[g]
        x = np.array([_num(v) for v in c.get("mean_score", [])])
        y = np.array([_num(v) for v in c.get("observed_rate", [])])
        n = np.array([_num(v) for v in c.get("count", [])])
        ok = np.isfinite(x) & np.isfinite(y) & np.isfinite(n) & (n > 0)
        if not ok.any():
            continue
        lo, hi = wilson(y[ok], n[ok], level)
        err = np.vstack([np.clip(y[ok] - lo, 0, None), np.clip(hi - y[ok], 0, None)])
        dx = (k - len(names) / 2) * 0.004  # a small offset so that the whiskers of groups do not overlap
        ax.errorbar(
            x[ok] + dx,
            y[ok],
            yerr=err,
            fmt="o-",
            ms=3,
            lw=1,
            elinewidth=0.7,
            capsize=1.5,
            color=color,
            label=_short(g),
        )
    ax.set_xlabel("mean predicted score in the bin (probability)")
    ax.set_ylabel("observed positive rate (share)")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    labels = _legend_labels(names)
    _frame(fig, ("0.0",), right_in=0.45 + 0.065 * max(_label_width(labels), 19), title=False)
    ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.02, 1.0))
    ax.grid(color="#eee")
    return _png(fig)


# --- fairness -------------------------------------------------------------------------------------------

_GROUP_METRICS = {
    "binary": ("selection_rate", "tpr", "fpr"),
    "multiclass": ("accuracy",),
    "regression": ("mean_prediction", "mae"),
}


@dataclass(frozen=True)
class GroupChartSpec:
    """Which metrics of a ``groups:<col>`` table one chart shows, and what its caption says."""

    title: str
    caption: str
    metrics: tuple[str, ...]
    groups: tuple[int, ...]  # row indices shown, in plot order


def _order_groups(table: Table, metric: str) -> tuple[list[int], bool]:
    values = [_num(v) for v in table.data.get(metric, [])]
    order = sorted(
        range(len(values)), key=lambda i: (np.isnan(values[i]), -values[i] if values[i] == values[i] else 0)
    )
    if len(order) <= MAX_GROUP_BARS:
        return order, False
    half = MAX_GROUP_BARS // 2
    defined = [i for i in order if np.isfinite(values[i])]
    return defined[:half] + defined[-half:], True


def group_chart_specs(table: Table) -> list[GroupChartSpec]:
    """One chart spec per ``groups:<col>`` table: the headline metrics that the table holds."""
    cols = set(table.columns)
    metrics = next((tuple(m for m in ms if m in cols) for ms in _GROUP_METRICS.values() if ms[0] in cols), ())
    if not metrics or table.n_rows == 0:
        return []
    order, cut = _order_groups(table, metrics[0])
    n = table.n_rows
    caption = (
        "Bars: point estimates; whiskers: confidence intervals (Wilson score for rates, DeLong for ROC AUC, BCa "
        "bootstrap for regression errors); grey bars: small groups excluded from headline disparities."
    )
    if cut:
        caption += (
            f" {len(order)} of {n} groups shown: the {len(order) // 2} highest and {len(order) // 2} lowest by "
            f"{humanize(metrics[0]).lower()}; every group is in the table below."
        )
    title = f"{', '.join(humanize(m) for m in metrics)} by group"
    return [GroupChartSpec(title=title, caption=caption, metrics=metrics, groups=tuple(order))]


def group_metric_chart(table: Table, spec: GroupChartSpec) -> bytes:
    """Horizontal bars of group metrics with interval whiskers, one panel per metric."""
    d = table.data
    idx = list(spec.groups)
    labels = [_short(d["group"][i]) for i in idx]
    excluded = [bool(d.get("excluded", [False] * table.n_rows)[i]) for i in idx]
    k = len(spec.metrics)
    lines = sum(label.count("\n") + 1 for label in labels)
    height = max(1.6, 0.2 * len(idx) + 0.1 * lines + 0.9)
    fig, axes = _subplots((WIDTH_IN, height), 1, k, sharey=True, squeeze=False)
    y = np.arange(len(idx))
    for ax, metric in zip(axes[0], spec.metrics, strict=True):
        v = np.array([_num(d[metric][i]) for i in idx])
        lo = np.array([_num(d.get(f"{metric}_ci_low", [None] * table.n_rows)[i]) for i in idx])
        hi = np.array([_num(d.get(f"{metric}_ci_high", [None] * table.n_rows)[i]) for i in idx])
        colors = [SMALL_COLOR if e else BAR_COLOR for e in excluded]
        ax.barh(y, np.nan_to_num(v), color=colors, height=0.7)
        has_ci = np.isfinite(lo) & np.isfinite(hi) & np.isfinite(v)
        if has_ci.any():
            err = np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)])[:, has_ci]
            ax.errorbar(v[has_ci], y[has_ci], xerr=err, fmt="none", ecolor="#222", elinewidth=0.8, capsize=2)
        for yi in np.where(~np.isfinite(v))[0]:
            ax.text(0, yi, " undefined", va="center", fontsize=7, color="#666")
        ax.set_title(humanize(metric))
        ax.invert_yaxis() if ax is axes[0][0] else None
        ax.grid(axis="x", color="#eee")
        ax.set_axisbelow(True)
    axes[0][0].set_yticks(y, labels)
    _frame(fig, labels)
    return _png(fig)


# --- explanations ---------------------------------------------------------------------------------------


def importance_caption(table: Table) -> str:
    """Caption of the importance chart; says when only the top features are drawn."""
    n = table.n_rows
    shown = min(n, MAX_FEATURES)
    text = "Mean |SHAP value| per feature (in the model's output units); whiskers: BCa bootstrap intervals."
    if n > shown:
        text += f" Top {shown} of {n} features shown; all are in the table."
    return text


def importance_chart(table: Table) -> bytes:
    """Bars of mean |SHAP| per feature (``global_importance`` table) with interval whiskers."""
    d = table.data
    vals = [_num(v) for v in d["mean_abs_shap"]]
    order = sorted(range(len(vals)), key=lambda i: -np.nan_to_num(vals[i]))[:MAX_FEATURES]
    v = np.array([vals[i] for i in order])
    lo = np.array([_num(d.get("ci_low", [None] * len(vals))[i]) for i in order])
    hi = np.array([_num(d.get("ci_high", [None] * len(vals))[i]) for i in order])
    fig, ax = _subplots((WIDTH_IN * 0.8, 0.25 * len(order) + 0.8))
    y = np.arange(len(order))
    ax.barh(y, np.nan_to_num(v), color=BAR_COLOR, height=0.7)
    ok = np.isfinite(lo) & np.isfinite(hi)
    if ok.any():
        err = np.vstack([np.clip(v - lo, 0, None), np.clip(hi - v, 0, None)])[:, ok]
        ax.errorbar(v[ok], y[ok], xerr=err, fmt="none", ecolor="#222", elinewidth=0.8, capsize=2)
    ax.set_yticks(y, [_short(d["feature"][i]) for i in order])
    _frame(fig, [_short(d["feature"][i]) for i in order], right_in=0.3, title=False)
    ax.invert_yaxis()
    ax.set_xlabel("mean |SHAP value| (model output units)")
    ax.grid(axis="x", color="#eee")
    ax.set_axisbelow(True)
    return _png(fig)


def beeswarm_ok(bs: Mapping[str, Any]) -> bool:
    """True when ``metrics["beeswarm"]`` holds features and SHAP values to draw."""
    return bool(bs.get("features")) and isinstance(bs.get("shap"), Mapping)


def beeswarm_caption(bs: Mapping[str, Any]) -> str:
    """Caption of the beeswarm: rows sampled, encoding, features shown."""
    n_feat = len(bs.get("features", []))
    shown = min(n_feat, MAX_FEATURES)
    text = (
        f"One dot per explained row ({fmt_value(bs.get('rows'), 'count')} rows sampled); x: SHAP value; colour: "
        "the feature's value (blue low, red high; grey for categories)."
    )
    if n_feat > shown:
        text += f" Top {shown} of {n_feat} features shown."
    return text


def _swarm_offsets(x: np.ndarray, *, bins: int = 60, width: float = 0.38) -> np.ndarray:
    # Stack points that share a value bin symmetrically around the row, like shap's beeswarm.
    if len(x) == 0:
        return x
    lo, hi = np.nanmin(x), np.nanmax(x)
    b = (
        np.zeros(len(x), dtype=int)
        if hi <= lo
        else np.clip(((x - lo) / (hi - lo) * bins).astype(int), 0, bins)
    )
    out = np.zeros(len(x))
    counts = np.bincount(b, minlength=bins + 1)
    scale = width / max(counts.max(), 1)
    seen = np.zeros(bins + 1, dtype=int)
    for i in np.argsort(x, kind="stable"):
        j = seen[b[i]]
        seen[b[i]] += 1
        out[i] = ((j + 1) // 2) * (1 if j % 2 else -1) * scale
    return out


def beeswarm_chart(bs: Mapping[str, Any]) -> bytes:
    """SHAP value per explained row and feature, coloured by the feature's value (numeric features)."""
    features = list(bs["features"])[:MAX_FEATURES]
    shap_vals = bs["shap"]
    values = bs.get("value", {})
    kinds = bs.get("kind", {})
    fig, ax = _subplots((WIDTH_IN, 0.32 * len(features) + 1.0))
    cmap = matplotlib.colormaps["coolwarm"]
    for row, feat in enumerate(features):
        s = np.array([_num(v) for v in shap_vals.get(feat, [])])
        ok = np.isfinite(s)
        if not ok.any():
            continue
        y = row + _swarm_offsets(s[ok])
        raw = values.get(feat, [])
        if kinds.get(feat) == "numeric" and len(raw) == len(s):
            xv = np.array([_num(v) for v in raw])[ok]
            finite = np.isfinite(xv)
            colors = np.full((len(xv), 4), matplotlib.colors.to_rgba("#999999"))
            if finite.any():
                lo, hi = np.nanpercentile(xv[finite], [5, 95])
                norm = np.clip((xv[finite] - lo) / (hi - lo), 0, 1) if hi > lo else np.full(finite.sum(), 0.5)
                colors[finite] = cmap(norm)
        else:
            colors = "#8c8c8c"
        ax.scatter(s[ok], y, s=4, c=colors, linewidths=0, alpha=0.8, rasterized=True)
    ax.axvline(0, color="#999", lw=0.8)
    ax.set_yticks(range(len(features)), [_short(f) for f in features])
    _frame(fig, [_short(f) for f in features], title=False)
    ax.set_ylim(len(features) - 0.5, -0.5)
    ax.set_xlabel("SHAP value (impact on model output)")
    ax.grid(axis="x", color="#eee")
    ax.set_axisbelow(True)
    return _png(fig)


def group_attribution_ok(table: Table) -> bool:
    """True when a ``by_group:<col>`` table has groups and numeric feature columns."""
    return "group" in table.data and len(_attribution_features(table)) > 0 and table.n_rows > 0


def _attribution_features(table: Table) -> list[str]:
    skip = {"group", "count", "mean_output", "note", "excluded"}
    return [
        c
        for c in table.columns
        if c not in skip and all(v is None or _num(v) == _num(v) for v in table.data[c])
    ]


def group_attribution_chart(table: Table) -> bytes:
    """Mean SHAP per feature for each group (top features by spread across groups)."""
    d = table.data
    feats = _attribution_features(table)
    mat = np.array([[_num(v) for v in d[f]] for f in feats])  # features x groups
    spread = np.nan_to_num(np.nanmax(np.abs(mat), axis=1))
    top = [feats[i] for i in np.argsort(-spread)[:8]]
    groups = list(range(table.n_rows))
    cut = len(groups) > 8
    if cut:
        counts = [_num(v) for v in d.get("count", [0] * table.n_rows)]
        groups = sorted(groups, key=lambda i: -np.nan_to_num(counts[i]))[:8]
    fig, ax = _subplots((WIDTH_IN * 0.85, 0.09 * len(top) * len(groups) + 0.25 * len(top) + 0.8))
    h = 0.8 / len(groups)
    cmap = matplotlib.colormaps["tab10"]
    for k, gi in enumerate(groups):
        vals = [np.nan_to_num(_num(d[f][gi])) for f in top]
        ax.barh(np.arange(len(top)) + k * h, vals, height=h, color=cmap(k % 10), label=_short(d["group"][gi]))
    ax.set_yticks(np.arange(len(top)) + h * (len(groups) - 1) / 2, [_short(f) for f in top])
    legend_in = 0.5 + 0.065 * _label_width([_short(d["group"][gi]) for gi in groups])
    _frame(fig, [_short(f) for f in top], right_in=legend_in, title=False)
    ax.invert_yaxis()
    ax.axvline(0, color="#999", lw=0.8)
    ax.set_xlabel("mean SHAP value in the group")
    ax.legend(
        fontsize=7,
        frameon=False,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title="8 largest groups" if cut else "group",
        title_fontsize=7,
    )
    return _png(fig)


# --- emissions ------------------------------------------------------------------------------------------


def emissions_statement(section: SectionResult) -> str:
    """One sentence with the measured/estimated status of the training figure."""
    view = EmissionsResult.from_section(section)
    training = view.training
    if not training:
        reason = view.training_not_measured
        return f"Training emissions were not measured: {reason}." if reason else ""
    method = training.get("overall_method") or "estimated"
    grams = _num(training.get("emissions_kg")) * 1000
    where = training.get("country_name") or training.get("country_iso_code") or "an unstated region"
    return (
        f"Re-fitting the model emitted {fmt_sig(grams, unit='g')} CO₂eq ({method}) using "
        f"{fmt_sig(training.get('energy_kwh'), unit='kWh')} in {fmt_value(training.get('duration_s'), 'seconds')}, "
        f"at the carbon intensity of {where}."
    )


def emissions_bars_data(section: SectionResult) -> list[tuple[str, float]]:
    """(country, grams CO2eq) of the same energy on other grids, from ``metrics["country_comparison"]``."""
    rows = EmissionsResult.from_section(section).country_comparison
    out = []
    for r in rows:
        if isinstance(r, Mapping) and _num(r.get("emissions_kg")) == _num(r.get("emissions_kg")):
            out.append(
                (str(r.get("country_name") or r.get("country_iso_code")), _num(r["emissions_kg"]) * 1000)
            )
    return out


def emissions_chart(bars: Sequence[tuple[str, float]]) -> bytes:
    """Horizontal bars of grams CO2eq per grid region."""
    labels = [b[0] for b in bars]
    vals = [b[1] for b in bars]
    fig, ax = _subplots((WIDTH_IN * 0.8, 0.3 * len(bars) + 0.9))
    y = np.arange(len(bars))
    ax.barh(y, vals, color="#2f8f5b", height=0.7)
    ax.set_yticks(y, [_short(x) for x in labels])
    _frame(fig, [_short(x) for x in labels], right_in=0.3, title=False)
    ax.invert_yaxis()
    ax.set_xlabel("emissions (grams CO₂eq)")
    ax.grid(axis="x", color="#eee")
    ax.set_axisbelow(True)
    return _png(fig)
