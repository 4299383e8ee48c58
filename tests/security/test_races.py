"""Sessions (threads) racing on the dashboard's shared stores: bounds hold, nothing is lost or crossed."""

from __future__ import annotations

import re
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator

import pytest

from tests.reports import synthetic


@pytest.fixture()
def busy_switching() -> Iterator[None]:
    # switch threads as often as possible, so an unlocked read-modify-write is caught in the act
    old = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)
    yield
    sys.setswitchinterval(old)


def _race(n_threads: int, work: Callable[[int], None], *, timeout: float = 30) -> list[BaseException]:
    errors: list[BaseException] = []
    start = threading.Barrier(n_threads)

    def run(i: int) -> None:
        try:
            start.wait()
            work(i)
        except BaseException as exc:  # noqa: BLE001 — reported by the test
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(n_threads)]
    for t in threads:
        t.start()
    deadline = time.monotonic() + timeout
    for t in threads:
        t.join(max(0.0, deadline - time.monotonic()))
    hung = [t.name for t in threads if t.is_alive()]
    if hung:
        errors.append(TimeoutError(f"{len(hung)} thread(s) still running after {timeout} s: a deadlock"))
    return errors


def test_a_bounded_store_keeps_its_bounds_and_evicts_each_value_once(busy_switching: None) -> None:
    from dashboard.store import BoundedStore

    evicted: Counter[str] = Counter()
    lock = threading.Lock()

    def on_evict(key: str, value: bytes) -> None:
        with lock:
            evicted[key] += 1

    store: BoundedStore[str, bytes] = BoundedStore(max_items=5, max_bytes=400, size=len, on_evict=on_evict)

    def work(i: int) -> None:
        for j in range(400):
            key = f"{i}-{j}"
            store.put(key, b"x" * (10 + (j % 7) * 10))
            store.get(f"{(i + 1) % 8}-{j}")
            if j % 5 == 0:
                store.pop(f"{i}-{j - 1}")
            assert len(store) <= 5 and store.total_bytes <= 400

    assert not _race(8, work)
    kept = store.key_list()
    assert len(kept) <= 5
    assert store.total_bytes == sum(10 + (int(k.split("-")[1]) % 7) * 10 for k in kept)
    assert all(count == 1 for count in evicted.values()), [k for k, c in evicted.items() if c > 1][:5]
    assert len(evicted) + len(kept) == 8 * 400


def _record(i: int, j: int, result, config):
    from dashboard import services

    data = services.Upload.from_bytes(f"a,b\n{i},{j}\n".encode(), name=f"d{i}-{j}.csv")
    return services.AuditRecord(
        result=result, data=data, model=None, reference=None, config=config,
        content_key=f"content-{i}-{j}", nbytes=data.size,
    )  # fmt: skip


def test_adding_an_audit_past_the_bound_evicts_without_hanging() -> None:
    from audits import AuditConfig
    from dashboard import services

    result = synthetic.full_result(n_groups=4)
    config = AuditConfig(target="label", protected=("sex",))
    audits = services.AuditStore(max_items=2, max_bytes=10**9)
    tokens: list[str] = []
    errors = _race(
        1, lambda i: tokens.extend(audits.add(_record(0, j, result, config)) for j in range(3)), timeout=10
    )
    assert not errors, errors
    assert len(audits) == 2 and audits.get(tokens[0]) is None and audits.find("content-0-0") is None


def test_two_sessions_adding_audits_get_distinct_random_ids_and_the_store_stays_bounded(
    busy_switching: None,
) -> None:
    from audits import AuditConfig
    from dashboard import services

    result = synthetic.full_result(n_groups=4)
    config = AuditConfig(target="label", protected=("sex",))
    audits = services.AuditStore(max_items=3, max_bytes=10**9)
    tokens: dict[str, str] = {}
    lock = threading.Lock()

    def work(i: int) -> None:
        for j in range(25):
            token = audits.add(_record(i, j, result, config))
            with lock:
                tokens[token] = f"content-{i}-{j}"

    errors = _race(2, work)
    assert not errors, errors
    assert len(tokens) == 50, "two audits were given the same id"
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{22,}", t) for t in tokens)
    assert len(audits) <= 3
    for token, ckey in tokens.items():
        found = audits.find(ckey)
        record = audits.get(token)
        if record is None:
            assert found is None, "an evicted audit is still reachable by its content"
        else:
            assert record.content_key == ckey
            assert found is not None and found[0] == token


def test_two_sessions_running_audits_at_once_each_get_their_own_result() -> None:
    from audits import AuditConfig
    from dashboard import services

    inputs = services.sample_inputs("german_credit")
    results: dict[int, tuple[str, object]] = {}

    def work(i: int) -> None:
        cfg = AuditConfig(
            target="credit_risk",
            positive_label="good",
            protected=("sex",),
            sections=("performance",),
            seed=100 + i,
        )
        results[i] = services.run(inputs["data"], inputs["model"], None, cfg)

    assert not _race(2, work)
    (token_a, result_a), (token_b, result_b) = results[0], results[1]
    assert token_a != token_b
    assert result_a.provenance.seed == 100 and result_b.provenance.seed == 101
    assert services.cached_result(token_a) is result_a and services.cached_result(token_b) is result_b
