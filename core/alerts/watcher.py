"""The watcher: decide cheaply when to look at the gateway, then turn what it sees into alerts.

Every `poll_s` the watcher reads OpenClaw's auth rows (`Gateway.auth_digest`: a few read-only SQL
reads per agent) and compares what they *mean* — profiles, refs, expiry, cooldown/disabled state,
error and failure counts, order — with the last look. A plain successful turn rewrites the same
files but only changes `lastUsed` and row timestamps, so it costs those reads and nothing more; a
recorded cooldown changes the meaning and is seen within one poll. It takes snapshots only when:
- the meaning changed (a cooldown was recorded, a profile was written);
- a known deadline passed (a cooldown's `until`, the moment it would count as stuck, an expiry
  threshold) — recovery is time passing, and every escalation is a write;
- the gateway is failing (every `retry_s`, default 15 s, until it answers again);
- `resync_s` (default 1 h) passed without any of those, as a safety net.
Snapshots come from the same reader. Only on an OpenClaw release the reader does not know does a
snapshot cost a `models status` round (~2–3 CPU s per agent); the digest is then the files'
size/mtime, as before.

What it finds goes to an `AlertSink`: the `AlertCenter` in one process, a `HostRelay` on a fleet host.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from core.alerts.observe import observe
from core.alerts.sink import AlertSink
from core.gateway.client import Gateway
from core.gateway.runner import GatewayError
from core.gateway.status import AgentStatus

__all__ = ["Watcher"]

log = logging.getLogger(__name__)
AUDIT_SEEN = "alerts.audit_seen"
HOUSEKEEPING_S = 60.0


class Watcher:
    def __init__(self, gateway: Gateway, sink: AlertSink, *, poll_s: float = 1.0, retry_s: float = 15.0,
                 resync_s: float = 3600.0, expiry_lead_s: float = 7 * 86400, unreachable_after: int = 3):
        self.gateway = gateway
        self.sink = sink
        self.poll_s = poll_s
        self.retry_s = retry_s
        self.resync_s = resync_s
        self.expiry_lead_ms = int(expiry_lead_s * 1000)
        self.unreachable_after = unreachable_after
        self.failures = 0
        self.last_error = ""  # the last failed look's message, for the health file
        self.last_look = 0.0  # wall time of the last tick, for the health file
        self.snapshots = 0  # how many snapshot rounds were taken (for the cost benchmark)
        self._last_sig: tuple[Any, ...] | None = None
        self._digest: tuple[Any, ...] | None = None  # read by due(), reused by the tick that follows
        self._last_snapshot = 0.0
        self._deadline_ms: int | None = None
        self._stop = threading.Event()
        # Upkeep set by the wiring (the vault's rollback-window purge). Windows are days long, so
        # it runs once every HOUSEKEEPING_S rather than on every 1 s tick (it reads the vault file).
        self.housekeeping: Callable[[], None] | None = None
        self._last_housekeeping = 0.0

    def due(self, now: float) -> bool:
        self._digest = self._read_digest()
        if self._last_snapshot == 0.0 or self._digest != self._last_sig:
            return True
        if self._deadline_ms is not None and now * 1000 >= self._deadline_ms:
            return True
        since = now - self._last_snapshot
        if self.failures and since >= self.retry_s:
            return True
        return since >= self.resync_s

    def _read_digest(self) -> tuple[Any, ...] | None:
        """The auth rows' meaning, or None when the gateway cannot be read at all (a garbled
        openclaw.json): the look that follows then fails like any gateway failure, so it is
        counted and reported as the gateway being unreachable, and retried every `retry_s`."""
        try:
            return self.gateway.auth_digest()
        except GatewayError:
            return None

    @property
    def last_snapshot(self) -> float:
        """Wall time the gateway was last asked (0.0: never)."""
        return self._last_snapshot

    def tick(self, *, force: bool = False) -> bool:
        """One look; returns True when a snapshot was taken."""
        self.last_look = time.time()
        if self.housekeeping is not None and (force or time.monotonic() - self._last_housekeeping >= HOUSEKEEPING_S):
            self._last_housekeeping = time.monotonic()
            self.housekeeping()
        self._post_credential_changes()
        now = time.time()
        if not self.sink.enabled():  # nobody to tell: spend nothing on the gateway
            return False
        if not force and not self.due(now):
            return False
        sig = self._digest if not force else self._read_digest()
        self.snapshots += 1
        self._last_snapshot = now
        try:
            results = self.gateway.statuses(fresh=True)
        except GatewayError as exc:
            results = {"*": exc}
        errors = [r for r in results.values() if isinstance(r, GatewayError)]
        statuses = {a: r for a, r in results.items() if isinstance(r, AgentStatus)}
        self._last_sig = sig
        self._track_gateway(errors, not statuses)
        if statuses:
            obs = observe(statuses, int(time.time() * 1000), default_agent=self.gateway.agents()[0],
                          expiry_lead_ms=self.expiry_lead_ms)
            self._deadline_ms = obs.next_deadline()
            with self.sink.lock:
                self.sink.reconcile(obs.problems, _managed(statuses, results))
        return True

    def _track_gateway(self, errors: list[GatewayError], all_failed: bool) -> None:
        with self.sink.lock:
            if all_failed and errors:
                self.failures += 1
                self.last_error = str(errors[0])[:300]
                if self.failures >= self.unreachable_after:
                    self.sink.gateway_down(self.last_error)
            else:
                self.failures = 0
                self.last_error = ""
                self.sink.gateway_up()

    def _post_credential_changes(self) -> None:
        """Report each audit row added since the last look. Each report and the cursor that moves
        past it are saved together, so a restart neither repeats nor skips one."""
        store = self.sink.store
        seen = store.get(AUDIT_SEEN)
        rows = store.audit_rows(200, since_id=seen or 0)
        if seen is None:  # first start: do not replay history
            store.put(AUDIT_SEEN, max((r.id for r in rows), default=0))
            return
        for row in sorted(rows, key=lambda r: r.id):
            with self.sink.lock, store.transaction():
                self.sink.credential_changed(row)
                store.put(AUDIT_SEEN, row.id)

    def run(self) -> None:
        while not self._stop.is_set():
            try:
                self.tick()
            except Exception:  # noqa: BLE001 - the watcher must outlive one bad look
                log.exception("watcher tick failed")
            self._stop.wait(self.poll_s)

    def start(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="alert-watcher", daemon=True)
        thread.start()
        return thread

    def stop(self) -> None:
        self._stop.set()


def _managed(statuses: dict[str, AgentStatus], results: dict[str, AgentStatus | GatewayError]) -> tuple[str, ...]:
    """Only resolve incidents of kinds whose data we actually saw; a failed agent keeps its own."""
    return ("profile", "exhausted", "expiry", "stuck", "failover") if len(statuses) == len(results) else ()
