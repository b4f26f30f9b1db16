"""In-order, rate-limited delivery of alert messages to chat destinations.

Slack allows about one message per second per channel and answers 429 with `Retry-After`;
Discord has per-route buckets. Each destination gets its own queue and worker, so messages stay in
order, a slow channel does not hold up another, and a 429 pauses only its own queue for the time
the platform asked.
"""
from __future__ import annotations

import logging
import queue
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from core.replies import Reply

__all__ = ["Destination", "Job", "Notifier", "Outbox", "RateLimited", "Undeliverable"]

log = logging.getLogger(__name__)


class RateLimited(Exception):
    """Raised by a notifier when the platform said "too many requests"."""

    def __init__(self, retry_after: float):
        super().__init__(f"rate limited for {retry_after:.1f} s")
        self.retry_after = retry_after


class Undeliverable(Exception):
    """Raised by a notifier when retrying cannot help (no access to the channel, message gone):
    the message is dropped at once instead of holding up the channel's queue."""


class Notifier(Protocol):
    """What an adapter implements to carry alerts. `channel` is the platform's channel id;
    refs are opaque strings the notifier gives back from `post`."""

    min_interval_s: float

    def post(self, channel: str, reply: Reply) -> str: ...

    def update(self, channel: str, ref: str, reply: Reply) -> None: ...

    def follow_up(self, channel: str, ref: str, reply: Reply) -> None: ...


@dataclass(frozen=True)
class Destination:
    platform: str
    channel: str

    @classmethod
    def parse(cls, text: str) -> Destination:
        platform, _, channel = text.partition(":")
        return cls(platform, channel)

    def __str__(self) -> str:
        return f"{self.platform}:{self.channel}"


Job = Callable[[Notifier, str], None]
Done = Callable[[], None]


class Outbox:
    def __init__(self, notifiers: dict[str, Notifier], *, threaded: bool = True, max_retries: int = 5):
        self.notifiers = notifiers
        self.threaded = threaded
        self.max_retries = max_retries
        self._queues: dict[str, queue.Queue[tuple[Job, Done | None]]] = {}
        self._lock = threading.Lock()
        self._last_sent: dict[str, float] = {}

    def submit(self, destination: Destination, job: Job, done: Done | None = None) -> None:
        """Queue `job`; `done` runs once the job is finished with, whether it was delivered,
        dropped as undeliverable or given up on (so a durable record of it can be cleared)."""
        notifier = self.notifiers.get(destination.platform)
        if notifier is None:
            log.warning("no notifier for %s; alert dropped", destination.platform)
            if done is not None:
                done()
            return
        if not self.threaded:
            self._finish(str(destination), notifier, destination.channel, job, done)
            return
        with self._lock:
            q = self._queues.get(str(destination))
            if q is None:
                q = self._queues[str(destination)] = queue.Queue()
                threading.Thread(target=self._worker, args=(str(destination), notifier, destination.channel, q),
                                 name=f"outbox-{destination}", daemon=True).start()
        q.put((job, done))

    def drain(self, timeout: float = 60.0) -> bool:
        """Wait until every queued message is delivered (tests and shutdown)."""
        deadline = time.monotonic() + timeout
        for q in list(self._queues.values()):
            while q.unfinished_tasks and time.monotonic() < deadline:
                time.sleep(0.02)
        return all(q.unfinished_tasks == 0 for q in self._queues.values())

    def _worker(self, key: str, notifier: Notifier, channel: str, q: queue.Queue[tuple[Job, Done | None]]) -> None:
        while True:
            job, done = q.get()
            try:
                self._finish(key, notifier, channel, job, done)
            finally:
                q.task_done()

    def _finish(self, key: str, notifier: Notifier, channel: str, job: Job, done: Done | None) -> None:
        self._deliver(key, notifier, channel, job)
        if done is not None:
            try:
                done()
            except Exception:  # noqa: BLE001 - clearing a record must not stop the queue
                log.exception("alert to %s delivered, but clearing its record failed", key)

    def _deliver(self, key: str, notifier: Notifier, channel: str, job: Job) -> None:
        for attempt in range(self.max_retries + 1):
            wait = self._last_sent.get(key, 0.0) + notifier.min_interval_s - time.monotonic()
            if wait > 0:
                time.sleep(wait)
            try:
                job(notifier, channel)
                self._last_sent[key] = time.monotonic()
                return
            except RateLimited as exc:
                self._last_sent[key] = time.monotonic()
                log.info("%s rate limited; retrying in %.1f s", key, exc.retry_after)
                time.sleep(exc.retry_after)
            except Undeliverable as exc:
                log.error("alert to %s dropped: %s", key, exc)
                return
            except Exception:  # noqa: BLE001 - one failed message must not stop the queue
                log.exception("alert delivery to %s failed (attempt %d)", key, attempt + 1)
                time.sleep(min(30.0, 2 ** attempt))
        log.error("alert delivery to %s gave up after %d attempts", key, self.max_retries + 1)
