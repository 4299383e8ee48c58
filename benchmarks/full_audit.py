"""Time and peak memory of each section and of the whole audit, beside the floor (read + one prediction pass).

Usage: ``python benchmarks/full_audit.py [--rows 1000000] [--skip-large]``. Cases: the Adult full file
(48,842 rows) with the bundled gradient-boosting pipeline, and a replication of Adult to 1,000,000 rows with noise.
Goals (issue 2): setup (load + validate + predict) within 1.5x of plain ``read_csv`` + ``predict_proba``;
Adult full audit (all but the emissions re-fit) <= 10 s; 1,000,000 rows <= 60 s with peak RSS <= 3 GB.
"""

from __future__ import annotations

import argparse
import gc
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from audits import AuditConfig, build_context, load_dataset, load_model, run_audit  # noqa: E402
from benchmarks._common import ADULT, RssSampler, mb, print_table, replicate_adult  # noqa: E402

SECTIONS_NO_EMISSIONS = ("performance", "data_quality", "fairness", "explanation")


def floor_seconds(path: Path, model_path: Path) -> tuple[float, float]:
    """Plain pandas.read_csv + predict_proba with the same model: the least any audit must pay."""
    est = load_model(model_path).estimator
    t0 = time.perf_counter()
    frame = pd.read_csv(path, na_values=["?"])
    t_read = time.perf_counter() - t0
    est.predict_proba(frame[list(est.feature_names_in_)])
    return t_read, time.perf_counter() - t0


def setup_seconds(path: Path, model_path: Path, cfg: AuditConfig) -> float:
    t0 = time.perf_counter()
    build_context(load_dataset(path, na_values=cfg.na_values), config=cfg, model=load_model(model_path))
    return time.perf_counter() - t0


def audit_case(
    label: str, path: Path, cfg: AuditConfig, sampler: RssSampler, reference: Path | None
) -> list[list[object]]:
    model = ADULT / "adult_gbm.skops"
    gc.collect()
    _, floor = floor_seconds(path, model)
    setup = setup_seconds(path, model, cfg)
    marks: dict[str, list[float]] = {}
    peaks: dict[str, int] = {}
    current = {"name": "setup"}

    def progress(section: str, fraction: float, message: str) -> None:
        if section != current["name"]:
            peaks[current["name"]] = max(peaks.get(current["name"], 0), sampler.peak)
            sampler.reset()
            current["name"] = section
        marks.setdefault(section, [time.perf_counter(), 0.0])[1] = time.perf_counter()

    gc.collect()
    sampler.reset()
    base_rss = sampler.peak
    t0 = time.perf_counter()
    result = run_audit(path, model=model, config=cfg, reference=reference, progress=progress)
    total = time.perf_counter() - t0
    peaks[current["name"]] = max(peaks.get(current["name"], 0), sampler.peak)
    rows = [[label, "floor: read_csv + predict_proba", f"{floor:.2f}", "", "1.00x", ""]]
    rows.append(
        [
            label,
            "setup: load + validate + predict",
            f"{setup:.2f}",
            "",
            f"{setup / floor:.2f}x",
            "goal <= 1.5x",
        ]
    )
    for s in result.sections:
        if s.duration_s is None:
            continue
        rows.append(
            [
                label,
                f"{s.name} ({s.status.value})",
                f"{s.duration_s:.2f}",
                mb(peaks.get(s.name, 0)),
                f"{s.duration_s / floor:.1f}x",
                "",
            ]
        )
    goal = "goal <= 10 s" if "48,842" in label else "goal <= 60 s, <= 3 GB"
    overall_peak = max(peaks.values())
    rows.append([label, "whole audit", f"{total:.2f}", mb(overall_peak), f"{total / floor:.1f}x", goal])
    rows.append([label, "(process RSS before the audit)", "", mb(base_rss), "", ""])
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--skip-large", action="store_true")
    args = parser.parse_args()
    cfg = AuditConfig.from_yaml(ADULT / "audit.yaml").replace(sections=SECTIONS_NO_EMISSIONS)
    rows: list[list[object]] = []
    with RssSampler() as sampler:
        rows += audit_case("Adult 48,842", ADULT / "adult.csv", cfg, sampler, ADULT / "adult_train.csv")
        if not args.skip_large:
            with tempfile.TemporaryDirectory() as tmp:
                big = Path(tmp) / "adult_big.csv"
                replicate_adult(args.rows).to_csv(big, index=False)
                rows += audit_case(f"Adult x {args.rows:,}", big, cfg, sampler, ADULT / "adult_train.csv")
    print_table(
        "Full audit (all sections but emissions; bundled gradient-boosting pipeline; 2-core machine)",
        ["case", "step", "seconds", "peak RSS", "vs floor", "target"],
        rows,
    )


if __name__ == "__main__":
    main()
