"""Benchmark of the explanation section on the Adult sample (16,281 test rows).

Run: ``.venv/bin/python benchmarks/explain.py [--rows 2000] [--fallback-rows 8] [--exact-rows 4]``

Cases (one table row each): Tree SHAP on the gradient-boosting pipeline and Linear SHAP on the logistic pipeline
for ``--rows`` stratified rows (explainer build + SHAP values), the whole section for each (sampling, SHAP,
bootstrap, groups, local rows), and the model-agnostic permutation fallback for the same rows, extrapolated from
``--fallback-rows`` timed rows (after its one-off numba compile). Columns: time, peak Python memory (tracemalloc),
the target, time / target, and the fallback's time / the fast explainer's time.

A second table reports how close the tree pipeline's summed one-hot Tree SHAP values are to the exact Shapley
values of the raw columns (all 2^12 coalitions, the same 100-row background, computed here without shap).
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from audits import AuditConfig, build_context, load_dataset, load_model
from audits.explain import run_explanation
from audits.explain.choose import choose_explainer
from audits.explain.sampling import stratified_sample
from audits.explain.shap_values import ShapEngine

ADULT = Path(__file__).resolve().parent.parent / "sample_data" / "adult"
TARGETS = {"gbm": 5.0, "logreg": 1.0}


def _cpu() -> float:
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


def _measure(fn, *, memory: bool = True):
    """Wall seconds, CPU seconds (this process and its forked workers) and peak traced Python memory (MiB).

    Time and memory come from separate runs: tracemalloc slows Python-level code down noticeably.
    """
    c0, t0 = _cpu(), time.perf_counter()
    out = fn()
    seconds = time.perf_counter() - t0
    _measure.cpu = _cpu() - c0
    peak = None
    if memory:
        tracemalloc.start()
        fn()
        peak = tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    return out, seconds, peak


def _context(model: str):
    cfg = AuditConfig.from_yaml(ADULT / "audit.yaml")
    return build_context(load_dataset(ADULT / "adult_test.csv"), config=cfg, model=load_model(ADULT / model))


def _exact_raw_shapley(ctx, engine, rows: np.ndarray) -> np.ndarray:
    """Exact interventional Shapley values of the raw columns (brute force over all coalitions)."""
    est = ctx.model.estimator
    bg = engine._raw_bg.reset_index(drop=True)
    feats = list(ctx.features)
    p = len(feats)
    subsets = np.array(list(itertools.product([0, 1], repeat=p)), dtype=bool)
    size = subsets.sum(axis=1)
    out = np.zeros((len(rows), p))
    for r, row in enumerate(rows):
        x = ctx.X.iloc[[int(row)]]
        frames = []
        for mask in subsets:
            f = bg.copy()
            for j in np.flatnonzero(mask):
                f[feats[j]] = x.iloc[0, j]
            frames.append(f)
        big = pd.concat(frames, ignore_index=True)
        v = est[-1].decision_function(est[:-1].transform(big)).reshape(len(subsets), len(bg)).mean(axis=1)
        index = {tuple(m): k for k, m in enumerate(subsets)}
        for j in range(p):
            total = 0.0
            for k, mask in enumerate(subsets):
                if mask[j]:
                    continue
                with_j = mask.copy()
                with_j[j] = True
                s = int(size[k])
                weight = math.factorial(s) * math.factorial(p - s - 1) / math.factorial(p)
                total += weight * (v[index[tuple(with_j)]] - v[k])
            out[r, j] = total
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=2000)
    ap.add_argument("--fallback-rows", type=int, default=8)
    ap.add_argument("--exact-rows", type=int, default=4, help="0 skips the exact comparison")
    args = ap.parse_args()

    table = []
    fast_time = {}
    contexts = {}
    for key, model in (("gbm", "adult_gbm.skops"), ("logreg", "adult_logreg.skops")):
        ctx = _context(model)
        contexts[key] = ctx
        sample = stratified_sample(ctx.sensitive, ctx.protected_columns, size=args.rows, seed=ctx.seed)
        choice = choose_explainer(ctx.model, ctx.features)
        ShapEngine.build(ctx, choice)  # imports shap once, outside the timing

        def shap_only(ctx=ctx, choice=choice, sample=sample):
            return ShapEngine.build(ctx, choice).explain(sample.rows)

        att, secs, peak = _measure(shap_only)
        fast_time[key] = secs
        table.append(
            {
                "case": f"{key}: {choice.kind} SHAP, {len(att.rows):,} rows",
                "time_s": secs,
                "cpu_s": _measure.cpu,
                "peak_MiB": peak,
                "target_s": TARGETS[key],
                "time/target": secs / TARGETS[key],
                "additivity_max": float(att.additivity_error.max()),
            }
        )
        cfg = ctx.config.replace(explain_sample_size=args.rows)
        ctx_n = build_context(ctx.data_info, config=cfg, model=ctx.model)
        res, secs, peak = _measure(lambda c=ctx_n: run_explanation(c, prior={}, progress=lambda f, m: None))
        table.append(
            {
                "case": f"{key}: whole section ({res.method['sample_size']:,} rows + "
                f"{len(res.metrics['local'])} local)",
                "time_s": secs,
                "cpu_s": _measure.cpu,
                "peak_MiB": peak,
                "target_s": None,
                "time/target": None,
                "additivity_max": res.method["additivity_max_error"],
            }
        )

        fallback = choose_explainer(ctx.model, ctx.features, override="permutation")
        engine = ShapEngine.build(ctx, fallback)
        engine.calibrate()  # numba compile + cost probe, not part of the per-row figure
        att_f, secs, peak = _measure(
            lambda e=engine, s=sample: e.explain(s.rows[: args.fallback_rows]), memory=False
        )
        per_row = secs / len(att_f.rows)
        full = per_row * args.rows
        table.append(
            {
                "case": f"{key}: permutation fallback, {args.rows:,} rows "
                f"(extrapolated from {len(att_f.rows)}; estimate {engine.estimate_seconds(args.rows):.0f} s)",
                "time_s": full,
                "cpu_s": _measure.cpu / len(att_f.rows) * args.rows,
                "peak_MiB": peak,
                "target_s": None,
                "time/target": None,
                "additivity_max": float(att_f.additivity_error.max()),
                "fallback/fast": full / fast_time[key],
            }
        )

    frame = pd.DataFrame(table)
    print(f"1-minute load average after the runs: {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")
    with pd.option_context(
        "display.width", 200, "display.max_colwidth", 80, "display.float_format", "{:.3g}".format
    ):
        print(frame.to_string(index=False))

    # --- fidelity of the approximate one-hot mapping for trees --------------------------------------------------
    if args.exact_rows <= 0:
        return
    ctx = contexts["gbm"]
    choice = choose_explainer(ctx.model, ctx.features)
    engine = ShapEngine.build(ctx, choice)
    rows = stratified_sample(ctx.sensitive, ctx.protected_columns, size=args.exact_rows, seed=1).rows
    att = engine.explain(rows)
    t0 = time.perf_counter()
    exact = _exact_raw_shapley(ctx, engine, rows)
    secs = time.perf_counter() - t0
    diff = np.abs(att.values - exact)
    rel = diff.sum() / np.abs(exact).sum()
    print()
    print(
        f"Tree pipeline, one-hot mapping vs exact raw-column Shapley ({len(rows)} rows, 100-row background, {secs:.0f} s):"
    )
    print(f"  mean relative difference (sum |grouped - exact| / sum |exact|): {rel:.4f}")
    print(
        f"  largest absolute difference: {diff.max():.4f} log-odds; exact additivity check "
        f"{np.abs(exact.sum(1) + att.base - att.output).max():.2e}"
    )
    per_feature = pd.Series(
        diff.mean(axis=0) / np.maximum(np.abs(exact).mean(axis=0), 1e-12), index=ctx.features
    )
    print(
        "  per column (mean |diff| / mean |exact|):",
        ", ".join(f"{k} {v:.3f}" for k, v in per_feature.items()),
    )


if __name__ == "__main__":
    main()
