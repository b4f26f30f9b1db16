"""`AlertCenter`: where alerts go, and turning incident changes into messages.

Shared by the watcher (which finds changes) and the chat handlers (`alerts` command, Acknowledge
and Snooze buttons), so both edit the same persisted incidents under one lock.
"""
from __future__ import annotations

import threading
import time

from core.alerts.incidents import Change, Incident, IncidentBook
from core.alerts.outbox import Destination, Job, Notifier, Outbox
from core.alerts.render import incident_reply, note_reply
from core.replies import Reply
from core.store import Store

__all__ = ["AlertCenter"]

DEST_KEY = "alerts.destination"
ENABLED_KEY = "alerts.enabled"
SNOOZE_KEY = "alerts.snoozes"


class AlertCenter:
    def __init__(self, store: Store, outbox: Outbox, *, flap_window_s: float = 600.0):
        self.store = store
        self.outbox = outbox
        self.book = IncidentBook(store, flap_window_s=flap_window_s)
        self.lock = threading.RLock()

    # -- settings kept in the state store ----------------------------------------------------
    def destination(self) -> Destination | None:
        value = self.store.get(DEST_KEY)
        return Destination.parse(value) if value else None

    def set_destination(self, destination: Destination) -> None:
        self.store.put(DEST_KEY, str(destination))
        self.store.put(ENABLED_KEY, True)

    def enabled(self) -> bool:
        return bool(self.store.get(ENABLED_KEY, False)) and self.destination() is not None

    def set_enabled(self, on: bool) -> None:
        self.store.put(ENABLED_KEY, on)

    def snoozes(self) -> dict[str, float]:
        now = time.time()
        return {k: v for k, v in (self.store.get(SNOOZE_KEY) or {}).items() if v > now}

    def snooze_profile(self, profile: str, seconds: float) -> None:
        snoozes = self.snoozes()
        snoozes[profile] = time.time() + seconds
        self.store.put(SNOOZE_KEY, snoozes)

    # -- incidents ---------------------------------------------------------------------------
    def open_incidents(self) -> list[Incident]:
        with self.lock:
            return list(self.book.open_incidents())

    def _muted(self, incident: Incident, now: float) -> bool:
        profile = incident.detail.get("profile", "")
        return incident.snoozed(now) or self.snoozes().get(profile, 0) > now

    def publish(self, changes: list[Change]) -> None:
        """Persist the book, then queue one message operation per change (in order)."""
        with self.lock:
            self.book.save()
            dest = self.destination() if self.enabled() else None
        if dest is None:
            return
        now = time.time()
        for change in changes:
            incident = self.book.incidents[change.key]
            if self._muted(incident, now) and change.action == "post":
                continue
            self.outbox.submit(dest, self._job(dest, change))

    def _job(self, dest: Destination, change: Change) -> Job:
        key = str(dest)

        def run(notifier: Notifier, channel: str) -> None:
            with self.lock:
                incident = self.book.incidents[change.key]
                reply = incident_reply(incident)
                ref = incident.refs.get(key)
            if ref is None:
                ref = notifier.post(channel, reply)
                with self.lock:
                    incident.refs[key] = ref
                    self.book.save()
            else:
                notifier.update(channel, ref, reply)
            if change.action == "update+follow_up" and change.note and not self._muted(incident, time.time()):
                notifier.follow_up(channel, ref, note_reply(change.note, reply.severity))

        return run

    def post_note(self, reply: Reply) -> None:
        """A one-off message (credential changes) to the alert channel."""
        dest = self.destination() if self.enabled() else None
        if dest is not None:
            def post(notifier: Notifier, channel: str) -> None:
                notifier.post(channel, reply)

            self.outbox.submit(dest, post)

    def acknowledge(self, ref: str, who: str) -> Incident | None:
        with self.lock:
            incident = self.book.find(ref)
            if incident is None:
                return None
            incident.acked_by = who
            incident.history.append(f"acknowledged by {who}")
        self.publish([Change(incident.key, "update")])
        return incident

    def snooze(self, ref: str, seconds: float) -> Incident | None:
        with self.lock:
            incident = self.book.find(ref)
            if incident is None:
                return None
            incident.snoozed_until = time.time() + seconds
        self.publish([Change(incident.key, "update")])
        return incident
