"""The incident book: one incident per problem key, persisted so a restart neither re-posts an
open incident nor loses its recovery.

Transitions (all decided here, delivered by the outbox):
- a new problem opens an incident → one post;
- a changed problem (cooldown → disabled, a new `until`, expiring → expired) → the message is
  edited, and an escalation also gets a follow-up in its thread;
- a problem that is gone resolves the incident → edited to "resolved after <duration>";
- a problem that returns within the flap window reopens the same incident (edit + follow-up
  "again"), so a flapping profile does not spam the channel.
"""
from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, field
from typing import Any

from core.store import Store

__all__ = ["Change", "Incident", "IncidentBook"]

BOOK_KEY = "alerts.incidents"
ESCALATIONS = {("cooldown", "disabled"), ("expiring", "expired")}


@dataclass
class Incident:
    key: str
    detail: dict[str, Any]
    opened_at: float
    updated_at: float
    state: str = "open"  # open | resolved
    resolved_at: float | None = None
    refs: dict[str, str] = field(default_factory=dict)  # destination -> message ref
    acked_by: str = ""
    snoozed_until: float = 0.0
    reopen_count: int = 0
    history: list[str] = field(default_factory=list)

    @property
    def kind(self) -> str:
        return str(self.detail.get("kind", ""))

    @property
    def short_id(self) -> str:
        """A fixed-length id for buttons (Discord custom ids are capped at 100 characters)."""
        return "i" + hashlib.sha256(self.key.encode()).hexdigest()[:12]

    @property
    def kind_prefix(self) -> str:
        """The key's part before `:` (`profile`, `gateway`, `host`…), which `managed` names."""
        return self.key.split(":", 1)[0]

    @property
    def subject(self) -> str:
        return self.key.split(":", 1)[1]

    def snoozed(self, now: float) -> bool:
        return self.snoozed_until > now


@dataclass(frozen=True)
class Change:
    """What the outbox must do for one incident: "post", "update" or "update+follow_up"."""

    key: str
    action: str
    note: str = ""


class IncidentBook:
    def __init__(self, store: Store, *, flap_window_s: float = 600.0):
        self.store = store
        self.flap_window_s = flap_window_s
        self.incidents: dict[str, Incident] = {
            k: Incident(**v) for k, v in (store.get(BOOK_KEY) or {}).items()
        }

    def save(self) -> None:
        self.store.put_many(self.as_values())

    def as_values(self) -> dict[str, Any]:
        """The book as kv writes, for a caller that saves it together with other state and
        serializes it at once. Each incident is a shallow copy of its fields: `dataclasses.asdict`
        deep-copies every nested list and dict, and the book is saved on every change, so at a fleet
        hub holding a thousand incidents that copying was most of the time an alert took."""
        return {BOOK_KEY: {k: dict(vars(v)) for k, v in self.incidents.items()}}

    def find(self, ref: str) -> Incident | None:
        """An incident by key or by its button id."""
        return self.incidents.get(ref) or next((i for i in self.incidents.values() if i.short_id == ref), None)

    def open_incidents(self) -> list[Incident]:
        return [i for i in self.incidents.values() if i.state == "open"]

    def reconcile(self, problems: dict[str, dict[str, Any]], now: float | None = None, *,
                  managed: tuple[str, ...] = ("profile", "exhausted", "expiry", "stuck", "failover"),
                  scope: str = "") -> list[Change]:
        """Bring the book in line with `problems` (keys whose prefix is in `managed`). Only open
        incidents whose subject starts with `scope` can be resolved by absence: at the hub one
        host's observation (scope `@prod `) says nothing about another host's incidents."""
        now = time.time() if now is None else now
        changes: list[Change] = []
        for key, detail in problems.items():
            incident = self.incidents.get(key)
            if incident is None or (incident.state == "resolved"
                                    and now - (incident.resolved_at or 0) > self.flap_window_s):
                self.incidents[key] = Incident(key, detail, now, now, history=[f"{_stamp(now)} {_summary(detail)}"])
                changes.append(Change(key, "post"))
            elif incident.state == "resolved":
                incident.state, incident.resolved_at, incident.detail, incident.updated_at = "open", None, detail, now
                incident.reopen_count += 1
                incident.history.append(f"{_stamp(now)} again: {_summary(detail)}")
                again = f"Again ({incident.reopen_count + 1}× in a short time): {_summary(detail)}"
                changes.append(Change(key, "update+follow_up", again))
            elif _material(incident.detail) != _material(detail):
                escalated = (incident.kind, detail.get("kind")) in ESCALATIONS \
                    or incident.detail.get("stage") != detail.get("stage")
                incident.detail, incident.updated_at = detail, now
                incident.history.append(f"{_stamp(now)} {_summary(detail)}")
                changes.append(Change(key, "update+follow_up" if escalated else "update",
                                      _summary(detail) if escalated else ""))
            else:
                incident.detail = detail  # agents list or hint may move; no message for that
        for incident in self.open_incidents():
            if incident.kind_prefix in managed and incident.subject.startswith(scope) and incident.key not in problems:
                incident.state, incident.resolved_at, incident.updated_at = "resolved", now, now
                incident.history.append(f"{_stamp(now)} resolved")
                changes.append(Change(incident.key, "update+follow_up", "Recovered."))
        return changes

    def open_external(self, key: str, detail: dict[str, Any], now: float | None = None) -> Change | None:
        """Open (or keep) an incident the watcher raises itself, such as the gateway being down."""
        return next(iter(self._apply_one(key, detail, now)), None)

    def resolve_external(self, key: str, now: float | None = None) -> Change | None:
        now = time.time() if now is None else now
        incident = self.incidents.get(key)
        if incident is None or incident.state != "open":
            return None
        incident.state, incident.resolved_at, incident.updated_at = "resolved", now, now
        incident.history.append(f"{_stamp(now)} resolved")
        return Change(key, "update+follow_up", "Recovered.")

    def _apply_one(self, key: str, detail: dict[str, Any], now: float | None) -> list[Change]:
        prefix = key.split(":", 1)[0]
        open_keys = {k: v.detail for k, v in self.incidents.items() if v.state == "open" and k.startswith(prefix + ":")}
        open_keys[key] = detail
        return [c for c in self.reconcile(open_keys, now, managed=()) if c.key == key]


def _material(detail: dict[str, Any]) -> tuple[Any, ...]:
    """The fields whose change is worth a message edit."""
    return (detail.get("kind"), detail.get("reason"), detail.get("until"), detail.get("stage"),
            tuple(detail.get("profiles", ())), detail.get("message"))


def _summary(detail: dict[str, Any]) -> str:
    kind = detail.get("kind", "")
    what = detail.get("profile") or detail.get("provider") or ""
    reason = f" ({detail['reason']})" if detail.get("reason") else ""
    return f"{kind}{reason} {what}".strip()


def _stamp(ts: float) -> str:
    return time.strftime("%H:%M:%S", time.gmtime(ts))
