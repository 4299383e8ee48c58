"""The server's shared stores: bounded in count and bytes, locked across sessions, dropping uploads on eviction,
and naming audits by random 128-bit ids (issue 11, item 3)."""

from __future__ import annotations

import base64
import gc
import random
import threading
import weakref

import pytest

from audits import AuditConfig
from dashboard import services
from dashboard.store import BoundedStore, new_token
from tests.dashboard.conftest import GERMAN


def _sized(max_items: int = 3, max_bytes: int = 100, evicted: list | None = None) -> BoundedStore:
    return BoundedStore(
        max_items=max_items,
        max_bytes=max_bytes,
        size=len,
        on_evict=None if evicted is None else (lambda k, v: evicted.append(k)),
    )


def test_the_store_evicts_the_least_recently_used_beyond_its_count():
    evicted: list[str] = []
    store = _sized(max_items=3, evicted=evicted)
    for k in "abc":
        store.put(k, b"x")
    assert store.get("a") == b"x"  # "a" is now the most recently used
    store.put("d", b"x")
    assert evicted == ["b"]
    assert store.key_list() == ["c", "a", "d"]


def test_the_store_evicts_beyond_its_bytes():
    evicted: list[str] = []
    store = _sized(max_items=10, max_bytes=100, evicted=evicted)
    store.put("a", b"x" * 60)
    store.put("b", b"x" * 30)
    store.put("c", b"x" * 30)  # 120 bytes: "a" goes
    assert evicted == ["a"]
    assert store.total_bytes == 60 and len(store) == 2


def test_a_value_larger_than_the_whole_store_is_not_kept_and_evicts_nothing():
    evicted: list[str] = []
    store = _sized(max_bytes=100, evicted=evicted)
    store.put("a", b"x" * 10)
    assert store.put("huge", b"x" * 101) is False
    assert "huge" not in store and evicted == [] and store.total_bytes == 10


def test_replacing_a_key_counts_its_bytes_once():
    store = _sized(max_bytes=100)
    store.put("a", b"x" * 50)
    store.put("a", b"x" * 40)
    assert store.total_bytes == 40 and len(store) == 1


def test_two_threads_racing_lose_nothing_and_keep_the_bounds():
    evicted: list[str] = []
    lock = threading.Lock()

    def on_evict(k, v):
        with lock:
            evicted.append(k)

    store = BoundedStore(max_items=7, max_bytes=500, size=len, on_evict=on_evict)
    put: dict[int, list[str]] = {0: [], 1: []}
    start = threading.Barrier(2)
    violations: list[tuple[int, int]] = []

    def session(i: int) -> None:
        rng = random.Random(i)
        start.wait()
        for n in range(2000):
            key = f"{i}-{n}"
            if store.put(key, b"x" * rng.randint(1, 120)):
                put[i].append(key)
            if n % 50 == 0 and (len(store) > 7 or store.total_bytes > 500):
                violations.append((len(store), store.total_bytes))
            store.get(f"{1 - i}-{rng.randint(0, n)}")

    threads = [threading.Thread(target=session, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    kept = store.key_list()
    assert violations == []
    assert len(kept) <= 7 and store.total_bytes <= 500
    # every value put is either still kept or was handed to on_evict, exactly once
    assert sorted(kept + evicted) == sorted(put[0] + put[1])
    assert store.total_bytes == sum(len(store.get(k)) for k in kept)


def test_ids_are_random_128_bit_tokens():
    tokens = {new_token() for _ in range(1000)}
    assert len(tokens) == 1000
    for t in list(tokens)[:20]:
        assert len(base64.urlsafe_b64decode(t + "==")) == 16


def _record(i: int, size: int = 100) -> services.AuditRecord:
    up = services.Upload.from_bytes(f"{i:08d}".encode() * (size // 8), name=f"d{i}.csv")
    return services.AuditRecord(
        result=None,  # the store never looks inside
        data=up,
        model=None,
        reference=None,
        config=AuditConfig(target="y", protected=("sex",)),
        content_key=f"content-{i}",
        nbytes=up.size,
    )


def test_the_audit_store_names_audits_by_random_ids_not_by_content():
    store = services.AuditStore(max_items=4, max_bytes=10_000)
    first = store.add(_record(1))
    again = store.add(_record(1))  # the same content audited again gets a fresh id
    assert first != again and "content-1" not in (first, again)
    assert len(base64.urlsafe_b64decode(first + "==")) == 16
    assert store.find("content-1")[0] == again


def test_evicting_an_audit_drops_its_uploads_its_index_and_its_reports():
    store = services.AuditStore(max_items=2, max_bytes=10_000)
    record = _record(1)
    alive = weakref.ref(record.data)
    token = store.add(record)
    services.reports().store.put((token, "report", "md", "x"), services.Outcome(b"# report"))
    del record
    store.add(_record(2))
    store.add(_record(3))  # over the count: audit 1 goes
    gc.collect()
    assert store.get(token) is None and store.find("content-1") is None
    assert alive() is None  # nothing on the server holds the uploaded bytes any more
    assert not any(k[0] == token for k in services.reports().store.key_list())


def test_the_audit_store_is_bounded_in_bytes():
    store = services.AuditStore(max_items=100, max_bytes=1_000)
    for i in range(20):
        store.add(_record(i, size=400))
    assert len(store) == 2 and store.store.total_bytes <= 1_000


def test_two_sessions_adding_audits_at_once_keep_the_index_consistent():
    store = services.AuditStore(max_items=5, max_bytes=100_000)
    start = threading.Barrier(2)

    def session(i: int) -> None:
        start.wait()
        for n in range(300):
            store.add(_record(1000 * i + n % 40))
            store.find(f"content-{1000 * (1 - i) + n % 40}")

    threads = [threading.Thread(target=session, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(store) <= 5
    tokens = set(store.store.key_list())
    for ckey, token in store._by_content.items():  # every index entry names a kept audit of that content
        assert token in tokens and store.get(token).content_key == ckey


def test_a_dashboard_audit_is_named_by_a_random_id_and_reused_for_the_same_inputs():
    data = services.Upload.from_bytes((GERMAN / "german_credit_test.csv").read_bytes(), name="d.csv")
    model = services.Upload.from_bytes((GERMAN / "german_logreg.skops").read_bytes(), name="m.skops")
    cfg = AuditConfig.from_yaml(GERMAN / "audit.yaml").replace(sections=("performance",), seed=11)
    token, result = services.run(data, model, None, cfg)
    assert len(base64.urlsafe_b64decode(token + "==")) == 16
    assert token != services.content_key(data, model, None, cfg)[: len(token)]
    assert services.cached_result(token) is result
    assert services.run(data, model, None, cfg)[0] == token


@pytest.mark.parametrize("bad", [0, -1])
def test_a_store_needs_positive_bounds(bad):
    with pytest.raises(ValueError, match="max_items"):
        BoundedStore(max_items=bad, max_bytes=10, size=len)
