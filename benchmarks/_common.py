"""Helpers for the benchmark scripts: peak-RSS sampling, timing, replicated Adult data, table printing."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pandas as pd
import psutil

ROOT = Path(__file__).resolve().parent.parent
ADULT = ROOT / "sample_data" / "adult"


class RssSampler:
    """Samples this process's resident memory every few milliseconds; ``peak`` since the last ``reset``."""

    def __init__(self, interval: float = 0.01) -> None:
        self._proc = psutil.Process()
        self._interval = interval
        self.peak = self._proc.memory_info().rss
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            self.peak = max(self.peak, self._proc.memory_info().rss)
            time.sleep(self._interval)

    def reset(self) -> None:
        self.peak = self._proc.memory_info().rss

    def __enter__(self) -> RssSampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


@contextmanager
def timed() -> Iterator[dict[str, float]]:
    out: dict[str, float] = {}
    t0 = time.perf_counter()
    yield out
    out["s"] = time.perf_counter() - t0


def replicate_adult(n_rows: int, *, seed: int = 0, source: Path = ADULT / "adult_test.csv") -> pd.DataFrame:
    """Adult rows replicated to ``n_rows`` with noise on the numeric columns (so rows are not exact copies)."""
    base = pd.read_csv(source)
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, len(base), size=n_rows)
    df = base.iloc[idx].reset_index(drop=True)
    df["age"] = np.clip(df["age"] + rng.integers(-2, 3, n_rows), 17, 90)
    df["hours_per_week"] = np.clip(df["hours_per_week"] + rng.integers(-3, 4, n_rows), 1, 99)
    df["fnlwgt"] = (df["fnlwgt"] * rng.uniform(0.9, 1.1, n_rows)).round().astype(int)
    return df


def print_table(title: str, header: list[str], rows: list[list[object]]) -> None:
    cells = [[str(c) for c in r] for r in rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in cells:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def mb(n_bytes: float) -> str:
    return f"{n_bytes / 1e6:,.0f} MB"
