"""Four processes saving 250 audits each into one store at once: nothing lost, nothing duplicated."""

from __future__ import annotations

import multiprocessing as mp

import pytest
import sqlalchemy as sa

from audits.store import AuditStore, audits, headlines

WRITERS = 4
SAVES = 250


def tiny_result(writer: int, i: int) -> dict:
    """A small result dict (no sections) with one performance metric, so headline rows are written too."""
    overall = {"accuracy": {"metric": "accuracy", "value": i / SAVES, "ci_low": 0.0, "ci_high": 1.0}}
    return {
        "schema_version": "1.1",
        "status": "pass",
        "provenance": {
            "started_at": "2026-01-01T00:00:00+00:00",
            "duration_s": 0.1,
            "data": {"name": "d.csv", "sha256": "aa"},
            "model": {"name": f"writer{writer}.skops", "sha256": "bb"},
            "reference": None,
            "config": {"target": "y"},
            "versions": {},
            "seed": 0,
        },
        "sections": [
            {"name": "performance", "title": "Model performance", "status": "pass", "metrics": {"overall": overall},
             "tables": {}, "findings": []},
        ],
    }  # fmt: skip


def _writer(url: str, writer: int, start: mp.Event, out: mp.Queue) -> None:
    try:
        store = AuditStore(url)
        start.wait(60)
        ids = [store.save(tiny_result(writer, i), tag=f"w{writer}-{i}") for i in range(SAVES)]
        out.put((writer, ids, None))
    except Exception as exc:  # reported to the parent, which fails the test with it
        out.put((writer, [], f"{type(exc).__name__}: {exc}"))


@pytest.mark.slow
def test_concurrent_writers_lose_and_duplicate_nothing(store_url):
    AuditStore(store_url).close()  # the schema exists before the race, as after any first use
    ctx = mp.get_context("spawn")
    start, out = ctx.Event(), ctx.Queue()
    procs = [ctx.Process(target=_writer, args=(store_url, w, start, out)) for w in range(WRITERS)]
    for p in procs:
        p.start()
    start.set()
    results = [out.get(timeout=600) for _ in procs]
    for p in procs:
        p.join(60)
    errors = [e for _, _, e in results if e]
    assert not errors, errors
    returned = [run_id for _, ids, _ in results for run_id in ids]
    assert len(returned) == WRITERS * SAVES == len(set(returned))
    store = AuditStore(store_url)
    with store._begin() as conn:
        stored = [r[0] for r in conn.execute(sa.select(audits.c.run_id))]
        tags = {r[0] for r in conn.execute(sa.select(audits.c.tag))}
        n_headlines = conn.execute(sa.select(sa.func.count()).select_from(headlines)).scalar_one()
    assert sorted(stored) == sorted(returned)
    assert tags == {f"w{w}-{i}" for w in range(WRITERS) for i in range(SAVES)}
    assert n_headlines == WRITERS * SAVES


@pytest.mark.slow
def test_processes_opening_a_new_database_at_once_migrate_it_once(store_url):
    ctx = mp.get_context("spawn")
    with ctx.Pool(WRITERS) as pool:
        revisions = pool.map(_open_revision, [store_url] * WRITERS)
    assert revisions == ["0002"] * WRITERS


def _open_revision(url: str) -> str | None:
    return AuditStore(url).revision()
