"""A bounded, thread-safe in-memory store shared by every session of the dashboard server.

Streamlit runs each browser session in its own thread, and the stores of audits (results with the uploads they
came from) and rendered reports are shared by all of them; unbounded, one visitor could fill the server's memory
by uploading and auditing repeatedly. A :class:`BoundedStore` keeps at most ``max_items`` values and
``max_bytes`` bytes, evicts the least recently used first, and calls ``on_evict`` for each value it drops (outside
its lock, so a callback may touch other stores).
"""

from __future__ import annotations

import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

TOKEN_BYTES = 16  # 128-bit ids: an audit's id cannot be guessed from its content or from another id


def new_token() -> str:
    """A random 128-bit id, URL-safe (22 characters)."""
    return secrets.token_urlsafe(TOKEN_BYTES)


class BoundedStore(Generic[K, V]):
    """An LRU mapping bounded by item count and total size, locked across threads.

    Parameters
    ----------
    max_items : the most values kept.
    max_bytes : the most bytes kept, as measured by ``size``.
    size : the size in bytes of a value (measured once, when it is put).
    on_evict : called with ``(key, value)`` for every value evicted or replaced, after the lock is released.
    """

    def __init__(
        self,
        *,
        max_items: int,
        max_bytes: int,
        size: Callable[[V], int],
        on_evict: Callable[[K, V], None] | None = None,
    ) -> None:
        if max_items < 1 or max_bytes < 1:
            raise ValueError(
                f"A BoundedStore needs max_items >= 1 and max_bytes >= 1. Got {max_items} and {max_bytes}."
            )
        self.max_items = int(max_items)
        self.max_bytes = int(max_bytes)
        self._size = size
        self._on_evict = on_evict
        self._items: OrderedDict[K, tuple[V, int]] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, key: K, value: V) -> bool:
        """Keep ``value`` under ``key``, evicting the least recently used values until the bounds hold.

        Returns False (and keeps nothing) when the value alone is larger than ``max_bytes``.
        """
        n = int(self._size(value))
        dropped: list[tuple[K, V]] = []
        with self._lock:
            if n > self.max_bytes:
                return False
            old = self._items.pop(key, None)
            if old is not None:
                self._bytes -= old[1]
                if old[0] is not value:
                    dropped.append((key, old[0]))
            self._items[key] = (value, n)
            self._bytes += n
            while len(self._items) > self.max_items or self._bytes > self.max_bytes:
                k, (v, size) = self._items.popitem(last=False)
                self._bytes -= size
                dropped.append((k, v))
        self._evicted(dropped)
        return True

    def get(self, key: K) -> V | None:
        """The value under ``key`` (now the most recently used), or None."""
        with self._lock:
            item = self._items.get(key)
            if item is None:
                return None
            self._items.move_to_end(key)
            return item[0]

    def pop(self, key: K) -> V | None:
        """Remove and return the value under ``key`` (``on_evict`` is called for it)."""
        with self._lock:
            item = self._items.pop(key, None)
            if item is None:
                return None
            self._bytes -= item[1]
        self._evicted([(key, item[0])])
        return item[0]

    def clear(self) -> None:
        with self._lock:
            dropped = [(k, v) for k, (v, _) in self._items.items()]
            self._items.clear()
            self._bytes = 0
        self._evicted(dropped)

    def key_list(self) -> list[K]:
        """The keys, least recently used first (a copy)."""
        with self._lock:
            return list(self._items)

    def __contains__(self, key: object) -> bool:
        with self._lock:
            return key in self._items

    def __len__(self) -> int:
        with self._lock:
            return len(self._items)

    @property
    def total_bytes(self) -> int:
        with self._lock:
            return self._bytes

    def _evicted(self, dropped: list[tuple[K, V]]) -> None:
        if self._on_evict is None:
            return
        for k, v in dropped:
            self._on_evict(k, v)
