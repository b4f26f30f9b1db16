"""`HostRelay`: a fleet host's `AlertSink`. What the watcher reports becomes an event in a durable
journal in the host's own Store, numbered by a persisted seq that only grows; a publisher drains it
to the broker (`pending`, then `mark_sent` once the broker has it) whenever the broker is up.

Nothing is lost: the journal outlives the process and the broker being down. Nothing is doubled:
the hub skips an event whose seq it has applied (`core.fleet.alert_intake`), and the broker drops a
re-published one by its message id `<host>:<seq>`.

Events (each also has `seq` and `host`):
- `{"kind": "observation", "problems", "managed"}`: what is wrong now, journaled only when it
  differs from the last one journaled;
- `{"kind": "gateway", "down": bool, "message"}`: the gateway became (or is still, with a new
  error) unreachable, or answers again;
- `{"kind": "credential", "row": {…AuditRow fields}}`: a new audit row (fingerprints only).
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from core.fleet.subjects import check_host_name
from core.store import AuditRow, Store

__all__ = ["HostRelay"]

log = logging.getLogger(__name__)
RELAY_KEY = "fleet.relay"
MAX_EVENTS = 1000  # the journal is one stored value, rewritten on each event


class HostRelay:
    def __init__(self, store: Store, host: str, *, max_events: int = MAX_EVENTS):
        self.store = store
        self.host = check_host_name(host)
        self.max_events = max_events
        self.lock = threading.RLock()
        state = store.get(RELAY_KEY) or {}
        self._seq: int = state.get("seq", 0)  # the last seq handed out, kept when the journal empties
        self._events: list[dict[str, Any]] = state.get("events", [])
        # The last observation and gateway state journaled, to journal changes only.
        self._observed: dict[str, Any] | None = state.get("observed")
        self._gateway: dict[str, Any] = state.get("gateway", {"down": False, "message": ""})
        # Called after each event is journaled: the publisher's wake-up, so an alert leaves at once
        # instead of at its next poll.
        self.on_append: Callable[[], None] | None = None

    # -- AlertSink ----------------------------------------------------------------------------
    def enabled(self) -> bool:
        """Always: whether anybody is told is the hub's setting, and the hub may enable alerts later."""
        return True

    def reconcile(self, problems: dict[str, dict[str, Any]], managed: tuple[str, ...]) -> None:
        observed = {"problems": problems, "managed": list(managed)}
        with self.lock:
            if observed != self._observed:
                self._observed = observed
                self._append({"kind": "observation", **observed})

    def gateway_down(self, message: str) -> None:
        self._gateway_state({"down": True, "message": message[:300]})

    def gateway_up(self) -> None:
        self._gateway_state({"down": False, "message": ""})

    def credential_changed(self, row: AuditRow) -> None:
        with self.lock:
            self._append({"kind": "credential", "row": asdict(row)})

    # -- the publisher's side -----------------------------------------------------------------
    def pending(self, limit: int = 100) -> list[dict[str, Any]]:
        """The oldest `limit` events not yet acknowledged by the broker, in seq order."""
        with self.lock:
            return [dict(event) for event in self._events[:limit]]

    def mark_sent(self, seq: int) -> None:
        """The broker holds every event up to `seq`: forget them."""
        with self.lock:
            kept = [event for event in self._events if event["seq"] > seq]
            if len(kept) != len(self._events):
                self._events = kept
                self._save()

    # -- the journal ----------------------------------------------------------------------------
    def _gateway_state(self, state: dict[str, Any]) -> None:
        with self.lock:
            if state != self._gateway:
                self._gateway = state
                self._append({"kind": "gateway", **state})

    def _append(self, event: dict[str, Any]) -> None:
        """Number `event`, journal it and save (lock held)."""
        self._seq += 1
        self._events.append({"seq": self._seq, "host": self.host, **event})
        if len(self._events) > self.max_events:
            self._shrink()
        self._save()
        if self.on_append is not None:
            self.on_append()

    def _shrink(self) -> None:
        """Keep the journal within `max_events` while the broker is away: the newest observation
        supersedes the older ones, which go first; if gateway and credential events alone exceed
        the bound, the oldest of them go, loudly."""
        newest = max((e["seq"] for e in self._events if e["kind"] == "observation"), default=None)
        self._events = [e for e in self._events if e["kind"] != "observation" or e["seq"] == newest]
        excess = len(self._events) - self.max_events
        if excess > 0:
            lost, self._events = self._events[:excess], self._events[excess:]
            log.error("alert journal of host %s over its bound (%d events, broker unreachable?): dropped "
                      "%d unsent events, seq %d..%d (%s)", self.host, self.max_events, len(lost),
                      lost[0]["seq"], lost[-1]["seq"], ", ".join(sorted({e["kind"] for e in lost})))
        else:
            log.warning("alert journal of host %s reached its bound (%d events, broker unreachable?): older "
                        "observations were collapsed into the newest", self.host, self.max_events)

    def _save(self) -> None:
        self.store.put(RELAY_KEY, {"seq": self._seq, "events": self._events, "observed": self._observed,
                                   "gateway": self._gateway})
