"""Coverage by simulation of the performance section's intervals (issue 12, item 1).

Every interval method the performance section uses is run, through the production functions, on data drawn
from a distribution whose true value is known, and the share of replicates whose interval contains the truth
is printed per sample size:

* Wilson (accuracy and every rate): Bernoulli rows;
* MOVER on two Wilson intervals (balanced accuracy);
* Jaccard–Wilson (F1): multinomial confusion counts, true F1 = 2·tp / (2·tp + fp + fn) of the cell probabilities;
* DeLong on the logit scale (ROC AUC): binormal scores, positives N(d, 1) and negatives N(0, 1), true AUC
  Φ(d / √2);
* BCa row bootstrap (log loss and Brier score of calibrated Beta(2, 5) scores; MAE and RMSE of N(0, 2²)
  errors; R² of y = x + e with x ~ N(0, 2²), e ~ N(0, 1), true R² 0.8), 1,000 resamples as in an audit. A stress
  row repeats MAE and RMSE with heavy-tailed t(5) errors (the sample variance of e² is then very unstable): it is
  reported, without a goal.

Goal: mean coverage within 2 points of the nominal 95% over the grid, and every cell at or above 85% (the
rate-interval goal (d) of ``benchmarks/verdict_calibration.py``, applied to these methods); the bootstrap
methods are expected to under-cover slightly at the smallest n (BCa is second-order accurate, not exact).

Run: ``.venv/bin/python benchmarks/performance_intervals.py [--reps 1000] [--seed 0]``
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable

import numpy as np
import pandas as pd
from scipy.stats import norm

from audits.intervals import f1_interval, mover_mean, wilson
from audits.method import ROW_BOOTSTRAP_RESAMPLES, Sampling
from audits.performance import auc_row, bca_row, mean_loo, r2_loo

LEVEL = 0.95
N_GRID = (50, 200, 1000, 5000)
CELLS = np.array([0.25, 0.10, 0.55, 0.10])  # tp, fp, tn, fn probabilities
TRUE_F1 = 2 * CELLS[0] / (2 * CELLS[0] + CELLS[1] + CELLS[3])
AUC_SHIFT = 1.2
TRUE_AUC = float(norm.cdf(AUC_SHIFT / np.sqrt(2)))
T_DF = 5
STRESS_MAE = "mae, t(5) errors: stress"
STRESS_RMSE = "rmse, t(5) errors: stress"


def _truths(rng: np.random.Generator) -> dict[str, float]:
    """Population values the bootstrap methods aim at, by a 4-million-row Monte-Carlo (error ~1e-4)."""
    s = rng.beta(2, 5, 4_000_000)
    e = 2 * rng.standard_t(T_DF, 4_000_000)
    return {
        "log_loss": float(np.mean(-(s * np.log(s) + (1 - s) * np.log(1 - s)))),
        "brier_score": float(np.mean(s * (1 - s))),
        "mae": 2 * np.sqrt(2 / np.pi),  # E|e| of N(0, 2²)
        "rmse": 2.0,
        "r2": 0.8,
        STRESS_MAE: float(np.mean(np.abs(e))),
        STRESS_RMSE: float(2 * np.sqrt(T_DF / (T_DF - 2))),
    }


def _sampling(seed: int) -> Sampling:
    return Sampling(LEVEL, ROW_BOOTSTRAP_RESAMPLES, ROW_BOOTSTRAP_RESAMPLES, 20_000, seed)


def _covers(lo: float, hi: float, truth: float) -> bool:
    return bool(lo <= truth <= hi)


def closed_form_cells(n: int, reps: int, rng: np.random.Generator) -> dict[str, float]:
    """Coverage of the closed forms at one n (vectorised over replicates where the method allows)."""
    counts = rng.multinomial(n, CELLS, size=reps).astype(float)
    tp, fp, tn, fn = counts.T
    acc_lo, acc_hi = wilson((tp + tn) / n, n, LEVEL)
    true_acc = CELLS[0] + CELLS[2]
    pos, neg = tp + fn, tn + fp
    true_tpr = CELLS[0] / (CELLS[0] + CELLS[3])
    true_tnr = CELLS[2] / (CELLS[2] + CELLS[1])
    with np.errstate(all="ignore"):
        _, ba_lo, ba_hi = mover_mean([(tp / pos, pos), (tn / neg, neg)], LEVEL)
    _, f1_lo, f1_hi = f1_interval(tp, fp + fn, tp + fp + fn, LEVEL)
    true_ba = (true_tpr + true_tnr) / 2
    auc_hits = 0
    n_pos = max(int(round(n * 0.3)), 1)
    for _ in range(reps):
        s_pos = rng.normal(AUC_SHIFT, 1, n_pos)
        s_neg = rng.normal(0, 1, n - n_pos)
        y = np.r_[np.ones(n_pos, bool), np.zeros(n - n_pos, bool)]
        row = auc_row(y, np.r_[s_pos, s_neg], None, LEVEL)
        auc_hits += _covers(row["ci_low"], row["ci_high"], TRUE_AUC)
    ok = np.isfinite(ba_lo)
    return {
        "Wilson (accuracy)": float(np.mean((acc_lo <= true_acc) & (true_acc <= acc_hi))),
        "MOVER (balanced accuracy)": float(np.mean((ba_lo[ok] <= true_ba) & (true_ba <= ba_hi[ok]))),
        "Jaccard–Wilson (F1)": float(np.mean((f1_lo <= TRUE_F1) & (f1_hi >= TRUE_F1))),
        "DeLong logit (ROC AUC)": auc_hits / reps,
    }


def bca_cells(n: int, reps: int, rng: np.random.Generator, truths: dict[str, float]) -> dict[str, float]:
    """Coverage of the BCa row bootstrap at one n, through the production ``bca_row``."""
    hits = dict.fromkeys(truths, 0)
    for _ in range(reps):
        sp = _sampling(int(rng.integers(2**31)))
        boot_rng = np.random.default_rng(sp.seed)
        s = rng.beta(2, 5, n)
        y = rng.random(n) < s
        e = rng.normal(0, 2, n)
        heavy = 2 * rng.standard_t(T_DF, n)
        x = rng.normal(0, 2, n)
        yt = x + rng.normal(0, 1, n)
        err = x - yt
        per_row: dict[str, tuple[Callable[[np.ndarray], float], np.ndarray]] = {
            "log_loss": _mean_fn(-(y * np.log(s) + (~y) * np.log(1 - s))),
            "brier_score": _mean_fn((s - y) ** 2),
            "mae": _mean_fn(np.abs(e)),
            "rmse": _root_mean_fn(e * e),
            STRESS_MAE: _mean_fn(np.abs(heavy)),
            STRESS_RMSE: _root_mean_fn(heavy * heavy),
            "r2": (
                lambda i, err=err, yt=yt: float(1 - np.mean(err[i] ** 2) / np.var(yt[i])),
                r2_loo(yt, err, np.ones(n)),
            ),
        }
        for name, (fn, loo) in per_row.items():
            row = bca_row(name, fn, loo, n, sp, boot_rng, "BCa")
            hits[name] += _covers(row["ci_low"], row["ci_high"], truths[name])
    return {f"BCa ({name})": h / reps for name, h in hits.items()}


def _mean_fn(v: np.ndarray) -> tuple[Callable[[np.ndarray], float], np.ndarray]:
    return (lambda i: float(v[i].mean())), mean_loo(v, None)


def _root_mean_fn(v: np.ndarray) -> tuple[Callable[[np.ndarray], float], np.ndarray]:
    return (lambda i: float(np.sqrt(v[i].mean()))), np.sqrt(mean_loo(v, None))


def coverage_table(
    reps: int, seed: int, n_grid: tuple[int, ...] = N_GRID, bca_reps: int | None = None
) -> pd.DataFrame:
    """Coverage per method (rows) and n (columns)."""
    rng = np.random.default_rng(seed)
    truths = _truths(rng)
    cols = {}
    for n in n_grid:
        cols[n] = {
            **closed_form_cells(n, reps, rng),
            **bca_cells(n, bca_reps or max(reps // 4, 50), rng, truths),
        }
    return pd.DataFrame(cols)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--reps", type=int, default=2000, help="replicates per cell of the closed forms")
    ap.add_argument("--bca-reps", type=int, default=400, help="replicates per cell of the BCa bootstrap")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    t0 = time.perf_counter()
    table = coverage_table(args.reps, args.seed, bca_reps=args.bca_reps)
    print(
        f"Performance intervals: coverage of the truth at {LEVEL:.0%} nominal; {args.reps:,} replicates per cell "
        f"(closed forms), {args.bca_reps:,} (BCa, {ROW_BOOTSTRAP_RESAMPLES:,} resamples each); seed {args.seed}\n"
    )
    table["mean"] = table.mean(axis=1)
    table["min"] = table[list(N_GRID)].min(axis=1)
    table["goal"] = [
        "(stress)" if "stress" in name else "MET" if abs(m - LEVEL) <= 0.02 and lo >= 0.85 else "NOT MET"
        for name, m, lo in zip(table.index, table["mean"], table["min"], strict=True)
    ]
    with pd.option_context("display.width", 200, "display.float_format", "{:.3f}".format):
        print(table.to_string())
    mc_closed = 1.96 * np.sqrt(LEVEL * (1 - LEVEL) / args.reps)
    mc_bca = 1.96 * np.sqrt(LEVEL * (1 - LEVEL) / args.bca_reps)
    print(f"\nMonte-Carlo error of a cell: ±{mc_closed:.3f} (closed forms), ±{mc_bca:.3f} (BCa)")
    print(f"True values: F1 {TRUE_F1:.4f}, AUC {TRUE_AUC:.4f}; total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
