"""`AlertCenter`: where alerts go, and turning incident changes into messages.

Shared by the watcher (which finds changes) and the chat handlers (`alerts` command, Acknowledge
and Snooze buttons), so both edit the same persisted incidents under one lock. It is the watcher's
`AlertSink` in one process; at a fleet hub `core.fleet.alert_intake` feeds it the hosts' reports.

Delivery is durable: each message operation owed (destination + change, or a note) is written to a
journal in the same transaction as the book, and cleared when its job is finished with. A crash in
between leaves it in the journal and `resume()` re-submits it; jobs are idempotent on the stored
message ref (post when there is none, edit otherwise), so a re-run does not post twice.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any

from core.alerts.incidents import Change, Incident, IncidentBook
from core.alerts.outbox import Destination, Job, Notifier, Outbox
from core.alerts.render import credential_note, incident_reply, note_reply
from core.replies import Reply, Severity
from core.store import AuditRow, Store

__all__ = ["AlertCenter"]

log = logging.getLogger(__name__)
DEST_KEY = "alerts.destination"
ENABLED_KEY = "alerts.enabled"
SNOOZE_KEY = "alerts.snoozes"
JOURNAL_KEY = "alerts.undelivered"
MAX_UNDELIVERED = 1000  # a destination whose adapter never starts must not grow the journal forever
LOCAL_GATEWAY_KEY = "gateway:unreachable"


class AlertCenter:
    def __init__(self, store: Store, outbox: Outbox, *, flap_window_s: float = 600.0):
        self.store = store
        self.outbox = outbox
        self.book = IncidentBook(store, flap_window_s=flap_window_s)
        self.lock = threading.RLock()
        # id -> {"dest", "key", "action", "note"} (an incident change) or {"dest", "text"} (a note)
        self._journal: dict[int, dict[str, Any]] = {e["id"]: e for e in store.get(JOURNAL_KEY) or []}
        self._next_id = max(self._journal, default=0) + 1
        self._submitted: set[int] = set()  # journal ids handed to the outbox by this process

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

    def publish(self, changes: list[Change], *, also: dict[str, Any] | None = None) -> None:
        """Persist the book, the message operations it now owes (in order) and `also` (a caller's
        cursor) in one transaction, then hand the operations to the outbox."""
        now = time.time()
        with self.lock:
            dest = self.destination() if self.enabled() else None
            entries = [] if dest is None else [
                {"dest": str(dest), "key": c.key, "action": c.action, "note": c.note} for c in changes
                if not (c.action == "post" and self._muted(self.book.incidents[c.key], now))]
            self._commit(entries, {**self.book.as_values(), **(also or {})})

    def announce(self, text: str, *, also: dict[str, Any] | None = None) -> None:
        """A one-line note to the alert channel (a credential change), delivered as durably as an
        incident's message; `also` is saved with it."""
        with self.lock:
            dest = self.destination() if self.enabled() else None
            self._commit([] if dest is None else [{"dest": str(dest), "text": text}], dict(also or {}))

    def _commit(self, entries: list[dict[str, Any]], values: dict[str, Any]) -> None:
        """Journal `entries` with `values` in one write, then submit them (lock held)."""
        for entry in entries:
            entry["id"], self._next_id = self._next_id, self._next_id + 1
            self._journal[entry["id"]] = entry
        while len(self._journal) > MAX_UNDELIVERED:
            dropped = self._journal.pop(min(self._journal))
            log.error("alert journal full (%d undelivered); dropped the oldest, for %s", MAX_UNDELIVERED,
                      dropped.get("key", "a note"))
        if entries or values:
            self.store.put_many({**values, JOURNAL_KEY: list(self._journal.values())})
        for entry in entries:
            self._submit(entry)

    def add_notifier(self, platform: str, notifier: Notifier) -> None:
        """An adapter can now deliver to `platform`: what the journal owes it goes out, before any
        message a change reported meanwhile owes (hence the lock: otherwise a change reported
        between the two steps is handed to the outbox first, and a thread reads "Again" before the
        "Recovered." it follows)."""
        with self.lock:
            self.outbox.notifiers[platform] = notifier
            self.resume()

    def owed(self) -> int:
        """How many messages are journaled and not yet delivered: a fleet hub stops taking host
        events above a high-water mark, so the broker's stream, not this journal, holds a burst."""
        with self.lock:
            return len(self._journal)

    def resume(self) -> None:
        """Re-submit what the journal still owes: messages a previous process saved but did not
        deliver. Called by the wiring when a notifier is registered; safe to call again."""
        with self.lock:
            for entry_id in sorted(self._journal):
                self._submit(self._journal[entry_id])

    def _submit(self, entry: dict[str, Any]) -> None:
        """Hand one journaled operation to the outbox once per process. One whose platform has no
        notifier yet stays journaled: its adapter registers later and calls `resume()`."""
        dest = Destination.parse(entry["dest"])
        if entry["id"] in self._submitted or dest.platform not in self.outbox.notifiers:
            return
        self._submitted.add(entry["id"])
        job = self._note_job(entry["text"]) if "text" in entry else self._job(dest, Change(
            entry["key"], entry["action"], entry["note"]))
        self.outbox.submit(dest, job, lambda: self._finished(entry["id"]))

    def _finished(self, entry_id: int) -> None:
        with self.lock:
            if self._journal.pop(entry_id, None) is not None:
                self.store.put(JOURNAL_KEY, list(self._journal.values()))

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

    @staticmethod
    def _note_job(text: str) -> Job:
        def post(notifier: Notifier, channel: str) -> None:
            notifier.post(channel, note_reply(text, Severity.INFO))

        return post

    def post_note(self, reply: Reply) -> None:
        """A one-off message with its own layout (a burned-credential warning) to the alert
        channel; not journaled (a plain-text note goes through `announce`)."""
        dest = self.destination() if self.enabled() else None
        if dest is not None:
            def post(notifier: Notifier, channel: str) -> None:
                notifier.post(channel, reply)

            self.outbox.submit(dest, post)

    # -- the watcher's AlertSink (and, with `scope`/`host`/`also`, the fleet hub's intake) ------
    def reconcile(self, problems: dict[str, dict[str, Any]], managed: tuple[str, ...], *, scope: str = "",
                  also: dict[str, Any] | None = None) -> None:
        with self.lock:
            self.publish(self.book.reconcile(problems, managed=managed, scope=scope), also=also)

    def open_external(self, key: str, detail: dict[str, Any], *, also: dict[str, Any] | None = None) -> None:
        """Open (or update) an incident nobody's observation resolves (gateway or host down)."""
        with self.lock:
            change = self.book.open_external(key, detail)
            self.publish([change] if change else [], also=also)

    def resolve_external(self, key: str, *, also: dict[str, Any] | None = None) -> None:
        with self.lock:
            change = self.book.resolve_external(key)
            if change or also:
                self.publish([change] if change else [], also=also)

    def gateway_down(self, message: str, *, host: str = "", also: dict[str, Any] | None = None) -> None:
        detail = {"kind": "gateway_unreachable", "message": message[:300]}
        self.open_external(f"gateway:@{host}" if host else LOCAL_GATEWAY_KEY,
                           {**detail, "host": host} if host else detail, also=also)

    def gateway_up(self, *, host: str = "", also: dict[str, Any] | None = None) -> None:
        self.resolve_external(f"gateway:@{host}" if host else LOCAL_GATEWAY_KEY, also=also)

    def credential_changed(self, row: AuditRow, *, host: str = "", also: dict[str, Any] | None = None) -> None:
        text = credential_note(row, host)
        if text is not None:
            self.announce(text, also=also)
        elif also:
            self.store.put_many(also)

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
