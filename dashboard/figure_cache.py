"""Figures built once per audit result and per user choice, shared by every rerun and session.

A result is frozen, so a figure drawn from it with the same choices (attribute, metric, sort, threshold, ...)
never changes: building it again on every rerun only cost time (the beeswarm alone took 0.35 s). The cache is
keyed by the audit id (the random token in the URL), the result object and the choices; it holds a weak
reference to the result and a hit counts only while that very object is alive, so a reused id (tests reuse
"test-key" for different results) or a recycled ``id()`` can never return another result's figure.

A plain locked LRU rather than ``st.cache_resource``: the builders are closures over page data, which Streamlit
would have to hash, and the key here is cheap and exact.
"""

from __future__ import annotations

import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Any, TypeVar

T = TypeVar("T")

MAX_ENTRIES = 256  # figures of a few audits and choices; a beeswarm of 12 x 1,000 points is about 0.5 MB

_lock = threading.Lock()
_entries: OrderedDict[tuple[Hashable, ...], tuple[weakref.ref, Any]] = OrderedDict()


def cached(owner: object, key: tuple[Hashable, ...], build: Callable[[], T]) -> T:
    """``build()``'s value for ``owner`` (the result) and ``key`` (audit id, figure name, choices), built once.

    ``build`` runs outside the lock (two sessions may build the same figure once each; both are equal)."""
    full = (id(owner), *key)
    with _lock:
        hit = _entries.get(full)
        if hit is not None and hit[0]() is owner:
            _entries.move_to_end(full)
            return hit[1]
    value = build()
    with _lock:
        _entries[full] = (weakref.ref(owner), value)
        _entries.move_to_end(full)
        while len(_entries) > MAX_ENTRIES:
            _entries.popitem(last=False)
    return value


def clear() -> None:
    """Forget every cached figure (tests)."""
    with _lock:
        _entries.clear()


def size() -> int:
    with _lock:
        return len(_entries)
