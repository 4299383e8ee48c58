"""The Spark engine on synthetic Parquet prediction logs: time and driver peak memory against pandas.

Writes Adult-like prediction logs (4 protected attributes: sex, race, age, region; label, score, prediction and
a few features) of each size, then audits them in local[2] with performance, the data-quality aggregations and
fairness with intervals and verdicts for 3 attributes (sex, race, binned age) and their intersections, plus the
proxy check on a seeded sample of 20,000 rows collected to the driver (``--without-sample`` switches it off:
fairness and the data-quality aggregations only, no driver sample). Driver memory is the peak resident memory of this process and all its children (the driver JVM and the Python
workers), sampled with psutil. pandas runs in a subprocess on the sizes given by --pandas-max.

    .venv/bin/python -m benchmarks.spark --rows 1000000 10000000 [--rows 50000000] [--dir /tmp/rai-spark-bench]
        [--without-sample]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import numpy as np
import psutil
import pyarrow as pa
import pyarrow.parquet as pq

CHUNK = 1_000_000
CONFIG = {
    "target": "income",
    "positive_label": ">50K",
    "protected": ["sex", "race", {"column": "age", "bins": [25, 60]}],
    "prediction_column": "pred",
    "score_column": "score",
    "intersections": True,
    "seed": 0,
    "sections": ["performance", "data_quality", "fairness"],
    "policy": {"n_bootstrap": 1000, "min_group_size": 30, "min_group_events": 10},
}


class TreeRss:
    """Peak resident memory of this process and all its descendants (JVM, Python workers), sampled."""

    def __init__(self, interval: float = 0.05) -> None:
        self.root = psutil.Process()
        self.peak = 0
        self.interval = interval
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def now(self) -> int:
        total = 0
        for p in [self.root, *self.root.children(recursive=True)]:
            try:
                total += p.memory_info().rss
            except psutil.Error:
                continue
        return total

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self.now())
            time.sleep(self.interval)

    def __enter__(self) -> TreeRss:
        self.peak = self.now()
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def write_logs(folder: Path, rows: int, seed: int = 0) -> Path:
    """Adult-like prediction logs in files of 10^6 rows (written once, reused)."""
    done = folder / "_SUCCESS"
    if done.exists():
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    races = np.array(["White", "Black", "Asian-Pac-Islander", "Amer-Indian-Eskimo", "Other"])
    regions = np.array(["north", "south", "east", "west", "abroad"])
    for i, start in enumerate(range(0, rows, CHUNK)):
        n = min(CHUNK, rows - start)
        sex = rng.choice(np.array(["Male", "Female"]), n, p=[0.67, 0.33])
        race = rng.choice(races, n, p=[0.85, 0.1, 0.03, 0.01, 0.01])
        age = rng.integers(17, 91, n)
        hours = rng.integers(1, 100, n)
        edu = rng.integers(1, 17, n)
        logit = -7 + 0.04 * age + 0.3 * edu + 0.02 * hours + 0.8 * (sex == "Male")
        p = 1 / (1 + np.exp(-logit))
        y = rng.random(n) < p
        score = np.clip(p + rng.normal(scale=0.08, size=n), 0, 1)
        table = pa.table(
            {
                "age": age,
                "sex": sex,
                "race": race,
                "region": rng.choice(regions, n),
                "education_num": edu,
                "hours_per_week": hours,
                "capital_gain": np.where(rng.random(n) < 0.08, rng.integers(100, 99999, n), 0),
                "income": np.where(y, ">50K", "<=50K"),
                "score": score,
                "pred": np.where(score >= 0.5, ">50K", "<=50K"),
            }
        )
        pq.write_table(table, folder / f"part-{i:05d}.parquet")
    done.touch()
    return folder


def run_pandas(folder: Path) -> dict[str, float]:
    """Audit with the pandas engine in this process (called in a subprocess by main)."""
    import pandas as pd

    from audits.config import AuditConfig
    from audits.runner import run_audit

    with TreeRss() as rss:
        t0 = time.perf_counter()
        frame = pd.read_parquet(folder)
        cfg = AuditConfig.from_dict({**CONFIG, "sections": ["performance", "fairness"]})
        run_audit(frame, config=cfg)
        seconds = time.perf_counter() - t0
    return {"seconds": seconds, "peak_rss": rss.peak}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, nargs="+", default=[1_000_000, 10_000_000])
    ap.add_argument("--dir", default="/tmp/rai-spark-bench")
    ap.add_argument("--master", default="local[2]")
    ap.add_argument("--pandas-max", type=int, default=1_000_000, help="largest size also audited with pandas")
    ap.add_argument("--driver-memory", default="512m", help="spark.driver.memory (the driver JVM's heap)")
    ap.add_argument(
        "--without-sample",
        action="store_true",
        help="switch the proxy check off: no driver sample (fairness and the data-quality aggregations only)",
    )
    ap.add_argument("--pandas-only", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.pandas_only:
        print(json.dumps(run_pandas(Path(args.pandas_only))))
        return

    from audits.config import AuditConfig
    from audits.spark_audit import run_spark_audit, spark_session

    cfg = AuditConfig.from_dict(
        {**CONFIG, "policy": {**CONFIG["policy"], "checks": {"DQ_PROXY": {"enabled": False}}}}
        if args.without_sample
        else CONFIG
    )
    rows_out = []
    with TreeRss() as rss:
        t0 = time.perf_counter()
        spark = spark_session(args.master, conf={"spark.driver.memory": args.driver_memory})
        spark.sparkContext.setLogLevel("ERROR")
        start_s = time.perf_counter() - t0
        # JIT warm-up on a small log, so the sizes below compare the audit, not the JVM's first compile
        run_spark_audit(write_logs(Path(args.dir) / "rows_100000", 100_000), config=cfg, spark=spark)
        for n in args.rows:
            folder = write_logs(Path(args.dir) / f"rows_{n}", n)
            rss.peak = rss.now()
            t0 = time.perf_counter()
            result = run_spark_audit(folder, config=cfg, spark=spark)
            seconds = time.perf_counter() - t0
            row = {"rows": n, "spark_s": seconds, "spark_peak_gb": rss.peak / 2**30}
            assert result.section("fairness").status.value != "error"
            dq = result.section("data_quality")
            assert dq.status.value != "error"
            sample = dq.method.get("driver_sample", {})
            row["driver_sample_rows"] = sample.get("rows", 0)
            row["sample_collect_s"] = sample.get("collect_s", 0.0)
            row["data_quality_s"] = dq.duration_s
            row["proxy_check_s"] = (
                dq.method.get("sample_checks", {}).get("DQ_PROXY", {}).get("seconds") or 0.0
            )
            if n <= args.pandas_max:
                out = subprocess.run(
                    [sys.executable, "-m", "benchmarks.spark", "--pandas-only", str(folder)],
                    capture_output=True, text=True, check=True,
                )  # fmt: skip
                pd_row = json.loads(out.stdout.strip().splitlines()[-1])
                row["pandas_s"] = pd_row["seconds"]
                row["pandas_peak_gb"] = pd_row["peak_rss"] / 2**30
            rows_out.append(row)
            print(json.dumps(row), flush=True)
    print(
        f"\nSpark session start: {start_s:.1f} s (not counted below); master {args.master}; "
        f"driver heap {args.driver_memory}; load average {psutil.getloadavg()[0]:.1f}; "
        + ("no driver sample" if args.without_sample else "proxy check on a driver sample of 20,000 rows")
    )
    print(
        f"{'rows':>12} {'spark s':>9} {'driver GB':>10} {'pandas s':>9} {'pandas GB':>10} {'s / 10^6 rows':>14} "
        f"{'sample rows':>12} {'collect s':>10} {'proxy s':>8} {'DQ s':>7}"
    )
    for r in rows_out:
        print(
            f"{r['rows']:>12,} {r['spark_s']:>9.1f} {r['spark_peak_gb']:>10.2f} "
            f"{r.get('pandas_s', float('nan')):>9.1f} {r.get('pandas_peak_gb', float('nan')):>10.2f} "
            f"{r['spark_s'] / r['rows'] * 1e6:>14.2f} {r['driver_sample_rows']:>12,} "
            f"{r['sample_collect_s']:>10.1f} {r['proxy_check_s']:>8.1f} {r['data_quality_s']:>7.1f}"
        )
    if len(rows_out) >= 2:
        a, b = rows_out[0], rows_out[-1]
        print(
            f"scaling: {b['rows'] / a['rows']:.0f}x rows -> {b['spark_s'] / a['spark_s']:.2f}x time "
            "(linear would be the same factor)"
        )


if __name__ == "__main__":
    main()
