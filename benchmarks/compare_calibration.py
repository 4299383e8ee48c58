"""Calibration of the paired comparison (audits/compare.py): how often it flags a change, against the
independent standard error, in a seeded simulation through the whole pipeline.

Each replicate draws ``--n`` rows (group f a quarter of them, label rate 0.4, model A's selection rate 0.55 in f
and 0.50 in m, the reference group), audits model A and model B on the same rows (performance and fairness,
closed-form intervals), and compares B with A twice: paired (with the row ledgers) and independent (A's ledger
removed). Model B differs from A on a random subset of the rows:

* ``no change``: 1% of the rows flipped at random (either way): nothing changes in expectation;
* ``at the tolerance``: each row of f predicted 0 turns 1 with the probability that raises f's selection rate
  by the change tolerance (0.02) in expectation: the hardest case for a false flag, which must stay at or below
  5% (one-sided test at 95%, then Holm) up to Monte Carlo error;
* ``true change 0.03``: the same with 0.03: the power to see a change 0.01 beyond the tolerance.

Columns: how often the selection-rate disparity of sex was flagged as changed, how often the comparison reported
any regression (the ``--baseline`` gate failing), and how often the item's one-sided p-value was below 5% before
Holm's correction (at the tolerance this is the test's size, about 5% when the standard error is right), each
with the Monte Carlo standard error of a proportion.

Run:  .venv/bin/python benchmarks/compare_calibration.py [--reps 200] [--n 20000] [--seed 0]
"""

from __future__ import annotations

import argparse
import dataclasses
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audits import AuditConfig, run_audit  # noqa: E402
from audits.compare import CHANGED, compare  # noqa: E402
from benchmarks._common import print_table  # noqa: E402

CONFIG = AuditConfig.from_dict(
    {
        "target": "y",
        "protected": [{"column": "sex", "reference_group": "m"}],
        "sections": ["performance", "fairness"],
        "policy": {"n_bootstrap": 0},
    }
)
SCENARIOS = {"no change": None, "at the tolerance": 0.02, "true change 0.03": 0.03}


class LookupModel:
    """A binary classifier whose prediction of each row is fixed in advance (looked up by row id)."""

    classes_ = np.array([0, 1])
    feature_names_in_ = np.array(["row"])

    def __init__(self, predictions: np.ndarray):
        self.predictions = predictions

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        return self.predictions[X["row"].to_numpy()]


def replicate(n: int, rise: float | None, rng: np.random.Generator) -> tuple[bool, ...]:
    """(item flagged paired, item flagged independent, gate failed paired, gate failed independent, the item's
    paired p-value below 5% before Holm, the same independent)."""
    f = np.arange(n) < n // 4
    frame = pd.DataFrame({"row": np.arange(n), "sex": np.where(f, "f", "m"), "y": rng.binomial(1, 0.4, n)})
    pred_a = np.where(f, rng.binomial(1, 0.55, n), rng.binomial(1, 0.50, n))
    if rise is None:
        flip = rng.uniform(size=n) < 0.01
    else:  # P(turn 1 | f, predicted 0) so that f's selection rate rises by `rise` in expectation
        flip = f & (pred_a == 0) & (rng.uniform(size=n) < rise / 0.45)
    pred_b = np.where(flip, 1 - pred_a, pred_a)
    a = run_audit(frame, config=CONFIG, model=LookupModel(pred_a), data_name="rows.csv")
    b = run_audit(frame, config=CONFIG, model=LookupModel(pred_b), data_name="rows.csv")
    out = []
    for cmp in (compare(a, b), compare(dataclasses.replace(a, row_ledger=None), b)):
        item = next(
            (
                i
                for i in cmp.items
                if i.key.startswith("sex:selection_rate:") and i.key.endswith("vs_reference")
            ),
            None,
        )
        flagged = item is not None and item.verdict == CHANGED and item.worse
        raw = item is not None and item.p_value is not None and item.p_value < 0.05
        out.append((flagged, bool(cmp.regressions), raw))
    return out[0][0], out[1][0], out[0][1], out[1][1], out[0][2], out[1][2]


def _rate(hits: list[bool]) -> str:
    p = float(np.mean(hits))
    return f"{p:.1%} ± {np.sqrt(p * (1 - p) / len(hits)):.1%}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--reps", type=int, default=200, help="replicates per scenario (default 200)")
    ap.add_argument("--n", type=int, default=20_000, help="rows per replicate (default 20,000)")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    rows = []
    t0 = time.perf_counter()
    for k, (name, rise) in enumerate(SCENARIOS.items()):
        rng = np.random.default_rng([args.seed, k])
        res = [replicate(args.n, rise, rng) for _ in range(args.reps)]
        cols = list(zip(*res, strict=True))
        rows.append([name, *(_rate(c) for c in cols)])
    print_table(
        f"Paired vs independent comparison: {args.reps} replicates of {args.n:,} rows per scenario "
        f"({time.perf_counter() - t0:.0f} s)",
        ["scenario", "item flagged, paired", "item flagged, independent", "gate fails, paired",
         "gate fails, independent", "p < 5% before Holm, paired", "p < 5% before Holm, independent"],
        rows,
    )  # fmt: skip


if __name__ == "__main__":
    main()
