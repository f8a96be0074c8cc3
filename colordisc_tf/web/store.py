"""The results the page keeps in memory, so a new temperature decodes without the network:
bounded in bytes, the least recently used dropped first. Nothing is written to disk."""

from __future__ import annotations

import collections
import secrets
import threading

__all__ = ["KeptStore"]


class KeptStore:
    def __init__(self, max_bytes: int):
        self.max_bytes = max_bytes
        self._items: collections.OrderedDict = collections.OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()

    def put(self, value) -> str:
        """Keeps value (anything with .nbytes) under a new unguessable id; returns the id."""
        key = secrets.token_urlsafe(12)
        with self._lock:
            self._items[key] = value
            self._bytes += value.nbytes
            while self._bytes > self.max_bytes and len(self._items) > 1:
                _, dropped = self._items.popitem(last=False)
                self._bytes -= dropped.nbytes
        return key

    def get(self, key: str):
        """The value, or None when it was dropped (or never kept)."""
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    @property
    def nbytes(self) -> int:
        return self._bytes
