"""A least-recently-used store bounded in bytes, safe to share between threads: the pages kept
for visitors (page_cache.py) and the decrypted blocks of sealed index files (search/storage.py).
"""

import threading
from collections import OrderedDict


class ByteBoundedLRU:
    """Values under keys, least recently used first out once they hold more than limit bytes.

    The caller says what a value weighs (put's size), since only it knows what should count.
    A value heavier than largest (by default the whole limit) is not kept: one huge value would
    push out many small ones. limit may be changed later; it applies from the next put.
    """

    def __init__(self, limit, largest=None):
        self.limit = limit
        self.largest = largest
        self.held = 0  # bytes, the sum of the sizes of the values kept
        self._items = OrderedDict()  # key -> (value, size), least recently used first
        self._lock = threading.Lock()

    def get(self, key):
        """The value kept under key, now the most recently used, or None."""
        with self._lock:
            kept = self._items.get(key)
            if kept is None:
                return None
            self._items.move_to_end(key)
            return kept[0]

    def put(self, key, value, size):
        """Keep value under key, in place of what key held, unless it weighs more than largest
        (then nothing changes)."""
        largest = self.limit if self.largest is None else self.largest
        if size > largest:
            return
        with self._lock:
            old = self._items.pop(key, None)
            self.held += size - (old[1] if old else 0)
            self._items[key] = (value, size)
            while self.held > self.limit and self._items:
                _, (_, evicted) = self._items.popitem(last=False)
                self.held -= evicted

    def clear(self):
        with self._lock:
            self._items.clear()
            self.held = 0
