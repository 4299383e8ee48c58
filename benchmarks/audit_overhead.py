"""Does a change make the audit slower? Median of N interleaved runs of the Adult full audit, here and at a base
commit, each in a fresh subprocess.

Usage: ``python benchmarks/audit_overhead.py [--base REV] [--current REV] [--runs 5] [--sections ...]``
(``--current`` default: the working tree). The base commit is
checked out into a temporary git worktree and run with this venv's Python (PYTHONPATH points at the worktree,
so its own ``audits`` package is imported). Runs alternate base / current so that machine load affects both
alike. Goal (issues 11 and 13): the current median within 5% of the base median.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks._common import ROOT, print_table  # noqa: E402

ONE_RUN = r"""
import sys, time
from pathlib import Path
root = Path(sys.argv[1])
from audits import AuditConfig, run_audit
cfg = AuditConfig.from_yaml(root / "sample_data/adult/audit.yaml")
cfg = cfg.replace(sections=tuple(sys.argv[2].split(",")), na_values=("?", ""))
t0 = time.perf_counter()
run_audit(root / "sample_data/adult/adult.csv", model=root / "sample_data/adult/adult_gbm.skops", config=cfg)
print(time.perf_counter() - t0)
"""


def one_run(tree: Path, sections: str) -> float:
    out = subprocess.run(
        [sys.executable, "-c", ONE_RUN, str(tree), sections],
        cwd=tree,
        env={"PYTHONPATH": str(tree), "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--base", default="HEAD~1", help="git revision to compare with (default HEAD~1)")
    parser.add_argument("--current", default=None, help="git revision to measure (default: the working tree)")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--sections", default="performance,data_quality,fairness,explanation")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        base_tree = Path(tmp) / "base"
        subprocess.run(
            ["git", "worktree", "add", "--detach", str(base_tree), args.base],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        current_tree = ROOT
        if args.current:
            current_tree = Path(tmp) / "current"
            subprocess.run(
                ["git", "worktree", "add", "--detach", str(current_tree), args.current],
                cwd=ROOT,
                check=True,
                capture_output=True,
            )
        try:
            base, current = [], []
            for _ in range(args.runs):
                base.append(one_run(base_tree, args.sections))
                current.append(one_run(current_tree, args.sections))
        finally:
            for tree in {base_tree, current_tree} - {ROOT}:
                subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=ROOT, check=False)
    mb, mc = statistics.median(base), statistics.median(current)
    rows = [
        [f"base {args.base}", f"{mb:.2f} s", ", ".join(f"{t:.2f}" for t in base)],
        [args.current or "working tree", f"{mc:.2f} s", ", ".join(f"{t:.2f}" for t in current)],
        ["change", f"{(mc / mb - 1) * 100:+.1f}%", "goal: <= +5%"],
    ]
    print_table(
        f"Adult full file (48,842 rows), sections {args.sections}: median of {args.runs} interleaved runs",
        ["tree", "median", "runs"],
        rows,
    )


if __name__ == "__main__":
    main()
