"""Validation by simulation of the fairness verdicts and intervals (issue 12, goals a–d).

Audits with known truth are simulated on real group sizes (German credit sex and age, Adult race and
sex × race, COMPAS-like groups of 30–3,000): each group's count of a metric is drawn Binomial(denominator,
true rate), and the production code (``audits.fairness.reference.judge_arrays`` on the Newcombe and MOVER-R
intervals) gives the verdict of every replicate. A metric family is the rate and the share of a group's rows
in its denominator (all rows for selection rate, positives for TPR and FNR, ...).

Truth levels: every non-reference group is away from the reference by 0, ½, 1 and 1.5 times the distance to
the nearer tolerance edge (difference ±0.1 or ratio 0.8), downwards; 1 is the least favourable case for a
false FAIL. Printed: the FAIL / INCONCLUSIVE / PASS shares, the power curve (FAIL share against the true
disparity), the group size at which PASS reaches 90% with no disparity, and the exact coverage of each interval
method on a grid of n from 30 to 10,000 and rates from 0.01 to 0.99.

Goals: (a) false FAIL <= 5% + Monte-Carlo error at truth 1 for every family and mix, far below at truth 0;
(b) selection-rate parity in 2–5 groups of >= 5,000 rows at base rates 0.2–0.5, no disparity: PASS >= 90%;
(c) a selection-rate difference of 0.2 (twice the tolerance) in 2–4 groups of >= 1,000 rows: FAIL >= 90%;
(d) each rate and difference interval's mean coverage within 2 points of 95% and its minimum >= 85%.

Run: ``.venv/bin/python benchmarks/verdict_calibration.py [--reps 4000] [--seed 0]``
"""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.stats import binom

from audits.fairness.reference import judge_arrays
from audits.intervals import mover_ratio, newcombe_difference, wilson

ROOT = Path(__file__).resolve().parent.parent
LEVEL = 0.95
DIFF_TOL = 0.1
RATIO_TOL = 0.8
MIN_GROUP = 30  # groups whose denominator is below this take no part (the minimum-size rule)
TRUTHS = (0.0, 0.5, 1.0, 1.5)


@dataclass(frozen=True)
class Family:
    """A metric: the share of a group's rows in its denominator and the reference group's true rate."""

    name: str
    share: float
    rate: float


FAMILIES = (
    Family("selection_rate", 1.0, 0.30),
    Family("prevalence", 1.0, 0.30),
    Family("accuracy", 1.0, 0.80),
    Family("tpr", 0.30, 0.70),
    Family("fnr", 0.30, 0.30),
    Family("fpr", 0.70, 0.15),
    Family("tnr", 0.70, 0.85),
    Family("precision", 0.30, 0.70),
    Family("fdr", 0.30, 0.30),
    Family("npv", 0.70, 0.80),
    Family("for_", 0.70, 0.20),
)


def group_mixes() -> dict[str, np.ndarray]:
    """Real group sizes from the sample data, and COMPAS-like groups of 30–3,000."""
    german = pd.read_csv(ROOT / "sample_data" / "german_credit" / "german_credit.csv")
    adult = pd.read_csv(ROOT / "sample_data" / "adult" / "adult.csv", skipinitialspace=True)
    age = pd.qcut(german["age"], 4, duplicates="drop")
    return {
        "German credit sex": german["sex"].value_counts().to_numpy(),
        "German credit age (quartiles)": age.value_counts().to_numpy(),
        "Adult race": adult["race"].value_counts().to_numpy(),
        "Adult sex x race": adult.groupby(["sex", "race"]).size().to_numpy(),
        "COMPAS-like": np.array([3000, 2000, 500, 300, 100, 30]),
    }


def edge_distance(rate: float) -> float:
    """Distance from ``rate`` down to the nearer tolerance edge (difference or ratio)."""
    return min(DIFF_TOL, rate * (1 - RATIO_TOL))


def family_codes(n: np.ndarray, p: np.ndarray, reps: int, rng: np.random.Generator) -> np.ndarray:
    """Family verdict per replicate (0 undefined, 1 pass, 2 inconclusive, 3 fail); group 0 is the reference."""
    n = np.asarray(n, dtype=float)
    keep = n >= MIN_GROUP
    n, p = n[keep], np.asarray(p, dtype=float)[keep]
    rates = rng.binomial(n.astype(np.int64), p, size=(reps, len(n))) / n
    o, r = rates[:, 1:], rates[:, :1]

    def diff(level):
        return newcombe_difference(o, n[1:], r, n[0], level)

    def ratio(level):
        return mover_ratio(o, n[1:], r, n[0], level)

    d = judge_arrays(diff, (-DIFF_TOL, DIFF_TOL), LEVEL)[0]
    q = judge_arrays(ratio, (RATIO_TOL, 1 / RATIO_TOL), LEVEL)[0]
    # Per comparison: fail if either fails, pass if every defined kind passes (as compare_to_reference).
    both_defined = (d > 0) & (q > 0)
    comb = np.where(
        (d == 3) | (q == 3),
        3,
        np.where(both_defined, np.where((d == 1) & (q == 1), 1, 2), np.maximum(d, q)),
    )
    defined = comb > 0
    fail = (comb == 3).any(axis=1)
    passed = ((comb == 1) | ~defined).all(axis=1) & defined.any(axis=1)
    return np.where(~defined.any(axis=1), 0, np.where(fail, 3, np.where(passed, 1, 2)))


def shares(codes: np.ndarray) -> tuple[float, float, float]:
    return float(np.mean(codes == 3)), float(np.mean(codes == 2)), float(np.mean(codes == 1))


def design(sizes: np.ndarray, fam: Family, truth: float) -> tuple[np.ndarray, np.ndarray]:
    """Denominators (reference = largest group first) and true rates at a truth level."""
    n = np.sort(np.asarray(sizes))[::-1] * fam.share
    p = np.full(len(n), fam.rate)
    p[1:] = fam.rate - truth * edge_distance(fam.rate)
    return n, p


def goal_a(mixes: dict[str, np.ndarray], reps: int, rng: np.random.Generator) -> tuple[list[dict], float]:
    rows = []
    for mix, sizes in mixes.items():
        for fam in FAMILIES:
            for t in TRUTHS:
                f, i, pa = shares(family_codes(*design(sizes, fam, t), reps, rng))
                rows.append(
                    {"mix": mix, "family": fam.name, "truth": t, "fail": f, "inconclusive": i, "pass": pa}
                )
    return rows, 2 * np.sqrt(0.05 * 0.95 / reps)


def goal_b(reps: int, rng: np.random.Generator) -> list[dict]:
    out = []
    for k in (2, 3, 4, 5):
        for base in (0.2, 0.35, 0.5):
            n = np.full(k, 5000.0)
            _, _, pa = shares(family_codes(n, np.full(k, base), reps, rng))
            out.append({"groups": k, "rows": 5000, "base": base, "pass": pa})
    return out


def goal_c(reps: int, rng: np.random.Generator) -> list[dict]:
    out = []
    for k in (2, 3, 4):
        for ref, other in ((0.5, 0.3), (0.3, 0.1)):
            n = np.full(k, 1000.0)
            p = np.full(k, other)
            p[0] = ref
            f, _, _ = shares(family_codes(n, p, reps, rng))
            out.append({"groups": k, "rows": 1000, "reference": ref, "others": other, "fail": f})
    return out


def power_curves(sizes: np.ndarray, reps: int, rng: np.random.Generator) -> dict[str, list[float]]:
    grid = (0.0, 0.5, 1.0, 1.25, 1.5, 2.0, 3.0)
    return {
        fam.name: [shares(family_codes(*design(sizes, fam, t), reps, rng))[0] for t in grid]
        for fam in FAMILIES
    } | {"_grid": list(grid)}


def pass_size(reps: int, rng: np.random.Generator, groups: int = 3) -> dict[str, int | None]:
    """Smallest group size (rows per group, equal groups) at which PASS reaches 90% with no disparity."""
    ladder = (
        100,
        200,
        300,
        500,
        700,
        1000,
        1500,
        2000,
        3000,
        5000,
        7000,
        10_000,
        15_000,
        20_000,
        30_000,
        50_000,
    )
    out: dict[str, int | None] = {}
    for fam in FAMILIES:
        out[fam.name] = None
        for rows in ladder:
            n = np.full(groups, rows * fam.share)
            if shares(family_codes(n, np.full(groups, fam.rate), reps, rng))[2] >= 0.9:
                out[fam.name] = rows
                break
    return out


N_GRID = (30, 100, 300, 1000, 3000, 10_000)
RATE_GRID = (0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.7, 0.8, 0.9, 0.95, 0.98, 0.99)


def _support(n: int, p: float) -> tuple[np.ndarray, np.ndarray]:
    k = np.arange(n + 1)
    w = binom.pmf(k, n, p)
    keep = w > 1e-13
    return k[keep], w[keep]


def coverage() -> dict[str, list[float]]:
    """Exact coverage (enumerating the binomial outcomes) of each interval method on the grid."""
    out: dict[str, list[float]] = {"Wilson rate": [], "Newcombe difference": [], "MOVER-R ratio": []}
    for n in N_GRID:
        for p in RATE_GRID:
            k, w = _support(n, p)
            lo, hi = wilson(k / n, n, LEVEL)
            out["Wilson rate"].append(float(w[(lo <= p) & (p <= hi)].sum()))
            # Two groups of n rows at the same rate: difference 0, ratio 1.
            k1, k2 = np.meshgrid(k, k, indexing="ij")
            ww = np.outer(w, w)
            _, dlo, dhi = newcombe_difference(k1 / n, n, k2 / n, n, LEVEL)
            out["Newcombe difference"].append(float(ww[(dlo <= 0) & (dhi >= 0)].sum()))
            _, rlo, rhi = mover_ratio(k1 / n, n, k2 / n, n, LEVEL)
            # When the reference count is 0 the ratio is undefined: coverage is over the defined outcomes.
            defined = np.isfinite(rlo)
            out["MOVER-R ratio"].append(
                float(ww[defined & (rlo <= 1) & (rhi >= 1)].sum() / ww[defined].sum())
            )
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    ap.add_argument("--reps", type=int, default=4000)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rng = np.random.default_rng(args.seed)
    t0 = time.perf_counter()
    mixes = group_mixes()
    print(f"Verdict calibration: {args.reps:,} replicates per cell, seed {args.seed}, confidence {LEVEL:.0%}, "
          f"tolerances difference ±{DIFF_TOL} / ratio {RATIO_TOL}\n")  # fmt: skip
    print("Group-size mixes: " + "; ".join(f"{k} {list(map(int, v))}" for k, v in mixes.items()) + "\n")

    rows, mc = goal_a(mixes, args.reps, rng)
    table = pd.DataFrame(rows)
    print("(a) FAIL / INCONCLUSIVE / PASS shares by truth (multiples of the distance to the tolerance edge)")
    wide = table.pivot_table(
        index=["mix", "family"], columns="truth", values=["fail", "inconclusive", "pass"]
    )
    with pd.option_context(
        "display.width", 250, "display.max_rows", 500, "display.float_format", "{:.3f}".format
    ):
        print(wide.to_string())
    at_edge = table[table["truth"] == 1.0]
    worst = at_edge.loc[at_edge["fail"].idxmax()]
    null = table[table["truth"] == 0.0]["fail"].max()
    ok_a = worst["fail"] <= 0.05 + mc
    print(
        f"\n    false FAIL at the tolerance: max {worst['fail']:.3f} ({worst['family']}, {worst['mix']}); "
        f"limit 0.05 + {mc:.3f} MC -> {'MET' if ok_a else 'NOT MET'}; with no disparity: max {null:.3f}\n"
    )

    b = pd.DataFrame(goal_b(args.reps, rng))
    print("(b) selection-rate parity, 5,000 rows per group, no disparity: PASS share")
    print(
        b.pivot_table(index="groups", columns="base", values="pass").to_string(float_format="{:.3f}".format)
    )
    print(
        f"    min {b['pass'].min():.3f} -> {'MET' if b['pass'].min() >= 0.9 else 'NOT MET'} (goal >= 0.90)\n"
    )

    c = pd.DataFrame(goal_c(args.reps, rng))
    print("(c) selection-rate difference 0.2 (twice the tolerance), 1,000 rows per group: FAIL share")
    print(c.to_string(index=False, float_format="{:.3f}".format))
    print(
        f"    min {c['fail'].min():.3f} -> {'MET' if c['fail'].min() >= 0.9 else 'NOT MET'} (goal >= 0.90)\n"
    )

    cov = coverage()
    print(
        f"(d) exact coverage on n {N_GRID} x rates {RATE_GRID[0]}..{RATE_GRID[-1]} ({len(RATE_GRID)} rates)"
    )
    for name, vals in cov.items():
        v = np.asarray(vals)
        goal = name != "MOVER-R ratio"
        met = abs(v.mean() - LEVEL) <= 0.02 and v.min() >= 0.85
        print(f"    {name:<20} mean {v.mean():.4f}  min {v.min():.4f}  max {v.max():.4f}"
              + (f"  -> {'MET' if met else 'NOT MET'}" if goal else "  (reported)"))  # fmt: skip
    print()

    curves = power_curves(mixes["Adult race"], args.reps, rng)
    grid = curves.pop("_grid")
    print("Power curves (FAIL share against the true disparity, Adult race group sizes):")
    print(pd.DataFrame(curves, index=[f"{t:g}x" for t in grid]).T.to_string(float_format="{:.3f}".format))
    print()
    sizes = pass_size(max(args.reps // 4, 500), rng)
    print("Rows per group (3 equal groups, no disparity) at which PASS reaches 90%:")
    for fam, rows_needed in sizes.items():
        print(f"    {fam:<15} {'> 50,000' if rows_needed is None else f'{rows_needed:,}'}")
    print(f"\nTotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
