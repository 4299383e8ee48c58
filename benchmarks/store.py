"""Benchmark of the audit store with 10,000 stored audits of the German-credit size, on SQLite and PostgreSQL.

Targets (issue 17): save <= 50 ms, list the latest 100 <= 100 ms, compare two stored audits (load both and
compare) <= 200 ms, save + load of the Adult demo result <= 150 ms.

The store is filled by inserting the German-credit result's compressed row (and its headline rows) 10,000 times
in batches, with distinct run ids, start times and model names, so filling takes seconds rather than 10,000
full saves; the timed operations then go through the public API. Timings are the median of ``--repeats`` runs
(wall) with the process CPU time of the median run beside it: on a shared machine wall time includes waiting.

Run:  .venv/bin/python benchmarks/store.py [--german RESULT.json] [--adult RESULT.json] [--n 10000]
      [--pg URL | --no-pg]

Without ``--german`` the German-credit audit runs first; without ``--adult`` the Adult demo audit runs (a few
minutes). Without ``--pg`` a throwaway PostgreSQL cluster is started (tests/audits/store/pg.py).

It also prints what the row ledger and the data profile (schema 1.2, for paired comparisons and data drift) add
to each result: JSON and stored (zlib) bytes with and without them.
"""

from __future__ import annotations

import argparse
import contextlib
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from audits import AuditConfig, AuditResult, run_audit  # noqa: E402
from audits.compare import compare  # noqa: E402
from audits.store import AuditStore, audits, encode_result, headline_rows, headlines, index_fields  # noqa: E402
from benchmarks._common import print_table  # noqa: E402

GERMAN = ROOT / "sample_data" / "german_credit"
ADULT = ROOT / "sample_data" / "adult"
TARGETS_MS = {"save": 50, "list latest 100": 100, "compare two": 200, "Adult save + load": 150}


def german_result(path: str | None) -> AuditResult:
    if path:
        return AuditResult.load_json(path)
    cfg = AuditConfig.from_yaml(GERMAN / "audit.yaml")
    return run_audit(GERMAN / "german_credit_test.csv", model=GERMAN / "german_logreg.skops", config=cfg)


def adult_result(path: str | None) -> AuditResult:
    if path:
        return AuditResult.load_json(path)
    cfg = AuditConfig.from_yaml(ADULT / "audit.yaml")
    return run_audit(
        ADULT / "adult_test.csv",
        model=ADULT / "adult_gbm.skops",
        config=cfg,
        reference=ADULT / "adult_train.csv",
    )


def fill(store: AuditStore, result: AuditResult, n: int, *, batch: int = 500) -> float:
    """Insert ``n`` copies of ``result`` (10 models, one start time each a minute apart); returns seconds."""
    d = result.to_dict()
    blob, size = encode_result(d)
    fields = index_fields(d)
    heads = headline_rows(d)
    start = datetime(2025, 1, 1)
    t0 = time.perf_counter()
    for lo in range(0, n, batch):
        rows, head_rows = [], []
        for i in range(lo, min(lo + batch, n)):
            run_id = secrets.token_hex(16)
            rows.append(
                {**fields, "run_id": run_id, "model_name": f"model-{i % 10}", "tag": f"v{i // 10}",
                 "started_at": start + timedelta(minutes=i), "created_at": start + timedelta(minutes=i),
                 "result": blob, "result_bytes": size, "accepted": False, "accepted_at": None}
            )  # fmt: skip
            head_rows += [{"run_id": run_id, **h} for h in heads]
        with store._begin() as conn:
            conn.execute(audits.insert(), rows)
            conn.execute(headlines.insert(), head_rows)
    return time.perf_counter() - t0


def median_ms(fn: Callable[[], Any], repeats: int) -> tuple[float, float]:
    """(median wall ms, CPU ms of the median run) after one warm-up call."""
    fn()
    runs = []
    for _ in range(repeats):
        w0, c0 = time.perf_counter(), time.process_time()
        fn()
        runs.append(((time.perf_counter() - w0) * 1e3, (time.process_time() - c0) * 1e3))
    runs.sort()
    return runs[len(runs) // 2]


def bench(name: str, url: str, german: AuditResult, adult: AuditResult, n: int, repeats: int) -> list[list]:
    store = AuditStore(url)
    fill_s = fill(store, german, n)
    print(f"{name}: filled {store.count():,} audits in {fill_s:.1f} s")
    ids = [a.run_id for a in store.list(limit=2, headline=False)]
    measured = {
        "save": median_ms(lambda: store.save(german, tag="bench"), repeats),
        "list latest 100": median_ms(lambda: store.list(limit=100), repeats),
        "compare two": median_ms(lambda: compare(store.load(ids[0]), store.load(ids[1])), repeats),
        "Adult save + load": median_ms(lambda: store.load(store.save(adult)), max(3, repeats // 2)),
    }
    store.close()
    return [
        [
            name,
            op,
            f"{wall:.1f}",
            f"{cpu:.1f}",
            f"<= {TARGETS_MS[op]}",
            "ok" if wall <= TARGETS_MS[op] else "MISS",
        ]
        for op, (wall, cpu) in measured.items()
    ]


def size_rows(name: str, result: AuditResult) -> list[list]:
    """JSON and stored bytes of a result, with and without its row ledger and data profile."""
    import json

    full = result.to_dict()
    bare = {k: v for k, v in full.items() if k not in ("row_ledger", "data_profile")}
    out = []
    for label, d in (("with ledger + profile", full), ("without (as schema 1.1)", bare)):
        blob, raw = encode_result(d)
        out.append([name, label, f"{raw / 1e3:,.1f}", f"{len(blob) / 1e3:,.1f}"])
    for key in ("row_ledger", "data_profile"):
        part = json.dumps(full.get(key), separators=(",", ":")).encode()
        out.append([name, f"  of which {key}", f"{len(part) / 1e3:,.1f}", ""])
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--german", help="a German-credit result JSON (default: run the audit)")
    ap.add_argument("--adult", help="the Adult demo result JSON (default: run the audit)")
    ap.add_argument("--n", type=int, default=10_000, help="audits stored before timing (default 10,000)")
    ap.add_argument("--repeats", type=int, default=15)
    ap.add_argument("--pg", help="PostgreSQL URL of an empty database (default: a throwaway cluster)")
    ap.add_argument("--no-pg", action="store_true", help="SQLite only")
    args = ap.parse_args()
    german, adult = german_result(args.german), adult_result(args.adult)
    g_size, a_size = (len(r.to_json(indent=None).encode()) for r in (german, adult))
    print(f"German-credit result {g_size / 1e3:,.0f} kB of JSON; Adult demo result {a_size / 1e6:,.1f} MB")
    print_table(
        "Result sizes",
        ["result", "", "JSON kB", "stored kB"],
        size_rows("German credit", german) + size_rows("Adult demo", adult),
    )
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        rows += bench("SQLite", f"sqlite:///{tmp}/bench.db", german, adult, args.n, args.repeats)
    if not args.no_pg:
        with contextlib.ExitStack() as stack:
            url = args.pg
            if url is None:
                from tests.audits.store.pg import new_pg_database, throwaway_postgres

                url = new_pg_database(stack.enter_context(throwaway_postgres()))
            rows += bench("PostgreSQL", url, german, adult, args.n, args.repeats)
    print_table(
        f"Audit store, {args.n:,} stored audits (median of {args.repeats})",
        ["database", "operation", "wall ms", "CPU ms", "target", ""],
        rows,
    )


if __name__ == "__main__":
    main()
