"""Spacing of `status --fresh` rounds across everyone: each costs one `openclaw models status`
(2–9 s of CPU) per agent, and a snapshot younger than the interval is nearly as fresh."""
from __future__ import annotations

import threading
import time

__all__ = ["FRESH_INTERVAL_S", "FreshReads"]

FRESH_INTERVAL_S = 30.0  # one `models status` per agent per fresh read: at most one round this often


class FreshReads:
    def __init__(self, interval_s: float = FRESH_INTERVAL_S) -> None:
        self.interval_s = interval_s
        self._last = -interval_s
        self._lock = threading.Lock()

    def wait_s(self) -> float:
        """0 and the round is booked, or how long until the next fresh round is allowed."""
        with self._lock:
            now = time.monotonic()
            left = self._last + self.interval_s - now
            if left > 0:
                return left
            self._last = now
            return 0.0
