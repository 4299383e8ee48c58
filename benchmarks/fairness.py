"""Benchmark of the fairness section against fairlearn's MetricFrame bootstrap.

Cases: the Adult test split (16,281 rows, gradient-boosting model) with sex + race + sex × race, all metrics with
intervals (Wilson / Newcombe / MOVER-R for rates, 1,000 resamples for ROC AUC) and the reference-group table with
its verdicts; and 1,000,000 rows drawn from it (predictions-only mode). Targets (issue 12): 0.5 s and 2 s. Beside each: fairlearn
``MetricFrame(..., n_boot=N, ci_quantiles=[0.025, 0.975])`` on the same input (the 10 count metrics and ROC AUC,
for the three group columns). fairlearn takes minutes for 1,000 resamples, so it is timed with fewer resamples
and extrapolated linearly (time without bootstrap + per-resample time x 1,000); the table says so.

Run: ``.venv/bin/python benchmarks/fairness.py [--fairlearn-boot 10] [--skip-fairlearn] [--cases adult,1m]``
(fairlearn on 1,000,000 rows takes about 10 minutes even with one resample.)
"""

from __future__ import annotations

import argparse
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pandas as pd

from audits import AuditConfig, build_context, load_dataset, load_model
from audits.context import AuditContext
from audits.fairness.section import run_fairness
from audits.inputs import frame_as_data

ROOT = Path(__file__).resolve().parent.parent
ADULT = ROOT / "sample_data" / "adult"
TARGETS = {"adult": 0.5, "1m": 2.0}
N_BOOT = 1000


def _quiet(fraction: float, message: str) -> None:
    return None


def adult_context() -> AuditContext:
    cfg = AuditConfig.from_yaml(ADULT / "audit.yaml")
    cfg = cfg.replace(protected=cfg.protected[:2], sections=("fairness",))  # sex, race (+ sex × race)
    return build_context(
        load_dataset(ADULT / "adult_test.csv"), config=cfg, model=load_model(ADULT / "adult_gbm.skops")
    )


def large_context(base: AuditContext, rows: int, seed: int = 0) -> AuditContext:
    """``rows`` rows drawn with replacement from the Adult test split, in predictions-only mode."""
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, base.n_rows, rows)
    frame = pd.DataFrame(
        {
            "income": np.asarray(base.y_true)[idx],
            "pred": np.asarray(base.y_pred)[idx],
            "score": np.asarray(base.y_score)[idx],
            "sex": base.sensitive["sex"].astype(str).to_numpy()[idx],
            "race": base.sensitive["race"].astype(str).to_numpy()[idx],
        }
    )
    cfg = AuditConfig(
        target="income",
        protected=("sex", "race"),
        prediction_column="pred",
        score_column="score",
        positive_label=1,
        sections=("fairness",),
    )
    return build_context(frame_as_data(frame, name=f"adult x{rows:,}"), config=cfg)


def time_ours(ctx: AuditContext) -> tuple[float, float]:
    """(best wall time of 3 runs in s, peak traced memory in MiB)."""
    times = []
    for _ in range(3):
        t0 = time.perf_counter()
        run_fairness(ctx, prior={}, progress=_quiet)
        times.append(time.perf_counter() - t0)
    tracemalloc.start()
    run_fairness(ctx, prior={}, progress=_quiet)
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return min(times), peak


def time_fairlearn(ctx: AuditContext, n_boot: int) -> tuple[float, float]:
    """(seconds without bootstrap, seconds per resample) of MetricFrame on the same three group columns."""
    from fairlearn.metrics import (
        MetricFrame,
        false_negative_rate,
        false_positive_rate,
        selection_rate,
        true_negative_rate,
        true_positive_rate,
    )
    from sklearn import metrics as skm

    def fdr(y, p):
        return 1 - skm.precision_score(y, p, zero_division=np.nan)

    def for_(y, p):
        return 1 - skm.precision_score(y, p, pos_label=0, zero_division=np.nan)

    metrics = {
        "selection_rate": selection_rate,
        "tpr": true_positive_rate,
        "fpr": false_positive_rate,
        "fnr": false_negative_rate,
        "tnr": true_negative_rate,
        "precision": lambda y, p: skm.precision_score(y, p, zero_division=np.nan),
        "fdr": fdr,
        "for_": for_,
        "accuracy": skm.accuracy_score,
        "balanced_accuracy": skm.balanced_accuracy_score,
    }
    sens = {
        "sex": ctx.sensitive["sex"].astype(str),
        "race": ctx.sensitive["race"].astype(str),
        "sex × race": pd.DataFrame(
            {"sex": ctx.sensitive["sex"].astype(str), "race": ctx.sensitive["race"].astype(str)}
        ),
    }
    y, p, s = np.asarray(ctx.y_true), np.asarray(ctx.y_pred), np.asarray(ctx.y_score)

    def run(boot: int | None) -> float:
        kw = {} if boot is None else {"n_boot": boot, "ci_quantiles": [0.025, 0.975], "random_state": 0}
        t0 = time.perf_counter()
        for sf in sens.values():
            MetricFrame(metrics=metrics, y_true=y, y_pred=p, sensitive_features=sf, **kw)
            MetricFrame(metrics=skm.roc_auc_score, y_true=y, y_pred=s, sensitive_features=sf, **kw)
        return time.perf_counter() - t0

    base = run(None)
    booted = run(n_boot)
    return base, max(booted - base, 0.0) / n_boot


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--fairlearn-boot", type=int, default=10, help="resamples actually run by fairlearn")
    ap.add_argument("--skip-fairlearn", action="store_true")
    ap.add_argument("--cases", default="adult,1m", help="comma-separated: adult, 1m")
    args = ap.parse_args()

    wanted = set(args.cases.split(","))
    adult = adult_context()
    cases = []
    if "adult" in wanted:
        cases.append(("adult", f"Adult test split ({adult.n_rows:,} rows)", adult))
    if "1m" in wanted:
        cases.append(("1m", f"{args.rows:,} rows (Adult resampled)", large_context(adult, args.rows)))
    header = (
        f"{'case':<34} {'groups':>6} {'ours s':>8} {'peak MiB':>9} {'target s':>9} {'vs target':>9} "
        f"{'fairlearn s (1000 boot)':>24} {'speed-up':>9}"
    )
    print(
        "fairness section: sex + race + sex × race, all metrics with score intervals, reference-group table and "
        "verdicts; ROC AUC intervals by DeLong (closed form, no resampling)"
    )
    print(header)
    print("-" * len(header))
    for key, label, ctx in cases:
        ours, peak = time_ours(ctx)
        n_groups = sum(ctx.sensitive[c].nunique() for c in ctx.group_columns)
        target = TARGETS[key] if key != "1m" or args.rows == 1_000_000 else float("nan")
        fl = "skipped"
        ratio = ""
        if not args.skip_fairlearn:
            nb = args.fairlearn_boot if key == "adult" else max(1, args.fairlearn_boot // 5)
            base, per = time_fairlearn(ctx, nb)
            est = base + per * N_BOOT
            fl = f"{est:,.0f} (est. from {nb})"
            ratio = f"{est / ours:,.0f}x"
        print(
            f"{label:<34} {n_groups:>6} {ours:>8.2f} {peak:>9.0f} {target:>9.1f} {ours / target:>8.2f}x "
            f"{fl:>24} {ratio:>9}"
        )
    print(
        "fairlearn: MetricFrame(n_boot=N, ci_quantiles=[0.025, 0.975]) per group column (10 count metrics + ROC AUC); "
        "time without bootstrap + (time per resample x 1,000), measured with the number of resamples shown."
    )


if __name__ == "__main__":
    main()
