"""A byte-bounded, thread-safe LRU cache of decoded frames.

Bounded by bytes rather than by count because one 4K frame weighs as much as sixteen 540p
ones; a count limit would let memory grow with resolution while scrubbing.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

import numpy as np

#: Default budget: about 40 decoded 1080p RGB frames.
DEFAULT_CACHE_BYTES = 256 * 1024 * 1024


class FrameCache:
    """Least-recently-used map key -> array, evicting once the arrays exceed ``max_bytes``."""

    def __init__(self, max_bytes: int = DEFAULT_CACHE_BYTES) -> None:
        self.max_bytes = int(max_bytes)
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._nbytes = 0
        self._lock = threading.Lock()

    def get(self, key: Hashable) -> np.ndarray | None:
        """The cached array (marked most recent), or None."""
        with self._lock:
            arr = self._items.get(key)
            if arr is not None:
                self._items.move_to_end(key)
            return arr

    def put(self, key: Hashable, arr: np.ndarray) -> None:
        """Store ``arr`` (made read-only so no caller can change what others will get)."""
        if arr.nbytes > self.max_bytes:
            return
        arr.setflags(write=False)
        with self._lock:
            old = self._items.pop(key, None)
            if old is not None:
                self._nbytes -= old.nbytes
            self._items[key] = arr
            self._nbytes += arr.nbytes
            while self._nbytes > self.max_bytes:
                _, dropped = self._items.popitem(last=False)
                self._nbytes -= dropped.nbytes

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self._nbytes = 0

    @property
    def nbytes(self) -> int:
        return self._nbytes

    def __len__(self) -> int:
        return len(self._items)

    def __contains__(self, key: Hashable) -> bool:
        with self._lock:
            return key in self._items
