"""A real audit (predictions and scores, no model) with an attribute of 50 groups, three of them tiny, an age
binned at 33, 39 and 48, and a reference dataset: the stress case of the result pages."""

from __future__ import annotations

import numpy as np
import pandas as pd

from audits import AuditConfig, Policy, run_audit

N_REGIONS = 50


def frame(n: int = 4000, seed: int = 0, shift: float = 0.0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    big = np.geomspace(400, 20, N_REGIONS - 3)
    big = np.floor(big * (n - 9) / big.sum()).astype(int)
    big[0] += n - 9 - big.sum()
    sizes = np.r_[big, [3, 3, 3]]  # three regions of 3 rows: too small for verdicts
    region = rng.permutation(np.repeat([f"region {i:02d}" for i in range(N_REGIONS)], sizes))
    age = rng.integers(18, 80, n)
    hours = rng.normal(40 + shift, 8, n).round(1)
    job = rng.choice(
        ["clerk", "miner", "teacher", "nurse"], n, p=[0.4 - shift / 10, 0.2, 0.2, 0.2 + shift / 10]
    )
    label = (rng.random(n) < 1 / (1 + np.exp(-(0.04 * (age - 45) + (job == "miner"))))).astype(int)
    score = np.clip(0.5 * label + rng.random(n) * 0.5 + (region == "region 07") * 0.2, 0, 1)
    return pd.DataFrame(
        {
            "age": age,
            "hours": hours,
            "job": job,
            "region": region,
            "label": label,
            "score": score.round(4),
            "pred": (score >= 0.5).astype(int),
        }
    )


def result():
    cfg = AuditConfig(
        target="label",
        protected=({"column": "age", "bins": [33, 39, 48]}, "region", "job"),
        prediction_column="pred",
        score_column="score",
        exclude_columns=("pred", "score"),
        sections=("performance", "data_quality", "fairness"),
        policy=Policy(n_bootstrap=50),
    )
    return run_audit(frame(), config=cfg, reference=frame(2000, seed=1, shift=3.0))
