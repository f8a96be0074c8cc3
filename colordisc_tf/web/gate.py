"""One job at a time on the models, a bounded line behind it: a request that finds the line
full is answered "busy" at once instead of waiting without end (each waiting upload holds
its bytes in memory, so the line's length bounds the memory too)."""

from __future__ import annotations

import asyncio
import contextlib

__all__ = ["Busy", "Gate"]


class Busy(Exception):
    """The line is full; its text is the sentence the page shows."""


class Gate:
    def __init__(self, max_waiting: int):
        self.max_waiting = max_waiting
        self._lock = asyncio.Lock()
        self._held = 0  # running + waiting

    @property
    def full(self) -> bool:
        return self._held > self.max_waiting

    @contextlib.asynccontextmanager
    async def turn(self):
        """Waits for this request's turn; raises Busy when max_waiting are already waiting."""
        if self.full:
            raise Busy(f"The page is busy with {self._held} requests; try again in a moment.")
        self._held += 1
        try:
            async with self._lock:
                yield
        finally:
            self._held -= 1
