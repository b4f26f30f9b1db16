"""`AlertSink`: what the watcher reports to, so where incidents live is not the watcher's business.

In one process (`run`) the sink is the `AlertCenter`, which turns reports into incidents and chat
messages at once. On a fleet host it is `core.fleet.relay.HostRelay`, which journals the same
reports durably for the hub, whose `AlertCenter` applies them (`core.fleet.alert_intake`).
"""
from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Any, Protocol

from core.store import AuditRow, Store

__all__ = ["AlertSink"]


class AlertSink(Protocol):
    @property
    def lock(self) -> AbstractContextManager[Any]:
        """Held by the watcher around a report; taken before `store.transaction()` when both are."""

    @property
    def store(self) -> Store:
        """The local store: the watcher reads new audit rows from it and keeps its cursor there."""

    def enabled(self) -> bool:
        """Whether anybody is listening: when not, the watcher spends nothing on the gateway."""

    def reconcile(self, problems: dict[str, dict[str, Any]], managed: tuple[str, ...]) -> None:
        """What is wrong now (`core.alerts.observe`); open incidents of the `managed` kinds that
        are absent from `problems` have recovered."""

    def gateway_down(self, message: str) -> None:
        """The gateway failed `unreachable_after` looks in a row (the watcher counts)."""

    def gateway_up(self) -> None:
        """A look succeeded (called on every one; a sink acts only when the gateway was down)."""

    def credential_changed(self, row: AuditRow) -> None:
        """A new audit row: a credential may have been onboarded, rotated, removed…"""
