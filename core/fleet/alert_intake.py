"""Applying a host's alert events (`core.fleet.relay`) to the hub's `AlertCenter`.

Each host's incidents are keyed under its name (`profile:@prod ops/anthropic:x`, `gateway:@prod`) and
carry `detail["host"]`, so one host's observation resolves only that host's incidents and the
message says where. A per-host cursor (`fleet.applied.<host>`, the last seq applied) is saved in
the same transaction as the book and the messages it owes, so an event redelivered after a crash
or by the broker is skipped, never applied twice. The hub's heartbeat tracker reports silent hosts
with `host_unreachable` / `host_back`.

`apply_event` returns True when the event was applied and False when it was skipped (already
applied, or malformed: logged); either way the consumer may acknowledge it. An exception (the
hub's disk) means it was not applied: do not acknowledge, so it is delivered again.
"""
from __future__ import annotations

import logging
from dataclasses import fields
from typing import Any

from core.alerts.center import AlertCenter
from core.fleet.subjects import check_host_name
from core.store import AuditRow

__all__ = ["apply_event", "host_back", "host_unreachable"]

log = logging.getLogger(__name__)
CURSOR_PREFIX = "fleet.applied."

# Detail fields the book and the renderer compute with, and the types they must have.
_NUMBER = (int, float)
DETAIL_TYPES: dict[str, type | tuple[type, ...]] = {
    "until": _NUMBER, "expires_at": _NUMBER, "kind": str, "reason": str, "classification": str, "hint": str,
    "message": str, "owner": str, "profile": str, "provider": str, "agent": str, "stage": str,
    "agents": list, "profiles": list,
}
ROW_TYPES: dict[str, type | tuple[type, ...]] = {**{f.name: str for f in fields(AuditRow)}, "id": int, "ts": _NUMBER}


class BadEvent(ValueError):
    """An event that does not have the shape `HostRelay` writes."""


def apply_event(center: AlertCenter, event: Any) -> bool:
    """Apply one host event to the hub's incidents (see the module docstring for the result)."""
    try:
        host, seq, kind = _check(event)
    except BadEvent as exc:
        log.warning("alert event skipped, malformed: %s", exc)
        return False
    cursor = CURSOR_PREFIX + host
    with center.lock:
        if seq <= center.store.get(cursor, 0):
            log.info("alert event %s:%d skipped: already applied", host, seq)
            return False
        also = {cursor: seq}
        if kind == "observation":
            problems = {_host_key(key, host): {**detail, "host": host} for key, detail in event["problems"].items()}
            center.reconcile(problems, tuple(event["managed"]), scope=f"@{host} ", also=also)
        elif kind == "gateway" and event["down"]:
            center.gateway_down(event["message"], host=host, also=also)
        elif kind == "gateway":
            center.gateway_up(host=host, also=also)
        else:
            row = AuditRow(**event["row"])
            with center.store.transaction():  # the mirrored row, the note it owes and the cursor
                center.store.audit(row.actor, row.action, row.result, agent=row.agent, profile_id=row.profile_id,
                                   fingerprint=row.fingerprint, detail=f"@{host} {row.detail}".rstrip())
                center.credential_changed(row, host=host, also=also)
    return True


def host_unreachable(center: AlertCenter, host: str, last_seen: float) -> None:
    """No heartbeat from `host` for too long: the incident `host:<host>` (last seen: epoch s)."""
    center.open_external(f"host:{host}", {"kind": "host_unreachable", "host": host, "last_seen": last_seen})


def host_back(center: AlertCenter, host: str) -> None:
    center.resolve_external(f"host:{host}")


def _host_key(key: str, host: str) -> str:
    kind, _, subject = key.partition(":")
    return f"{kind}:@{host} {subject}"


def _check(event: Any) -> tuple[str, int, str]:
    """The event's host, seq and kind, or BadEvent saying what is wrong with it."""
    if not isinstance(event, dict):
        raise BadEvent(f"not an object: {type(event).__name__}")
    host, seq, kind = event.get("host"), event.get("seq"), event.get("kind")
    try:
        host = check_host_name(host if isinstance(host, str) else "")
    except ValueError as exc:
        raise BadEvent(str(exc)) from None
    if not isinstance(seq, int) or isinstance(seq, bool) or seq < 1:
        raise BadEvent(f"host {host}: seq {seq!r} is not a positive integer")
    where = f"{host}:{seq}"
    if kind == "observation":
        problems, managed = event.get("problems"), event.get("managed")
        if not isinstance(problems, dict) or not isinstance(managed, list) \
                or not all(isinstance(m, str) for m in managed):
            raise BadEvent(f"{where}: an observation needs `problems` (object) and `managed` (list of names)")
        for key, detail in problems.items():
            if not isinstance(key, str) or not key.partition(":")[0] or ":" not in key:
                raise BadEvent(f"{where}: problem key {key!r} is not `kind:subject`")
            _check_fields(f"{where} {key}", detail, DETAIL_TYPES, required=())
            for name in ("agents", "profiles"):
                if not all(isinstance(v, str) for v in detail.get(name, ())):
                    raise BadEvent(f"{where} {key}: `{name}` must list names")
    elif kind == "gateway":
        if not isinstance(event.get("down"), bool) or not isinstance(event.get("message"), str):
            raise BadEvent(f"{where}: a gateway event needs `down` (true/false) and `message` (text)")
    elif kind == "credential":
        _check_fields(f"{where} row", event.get("row"), ROW_TYPES, required=tuple(ROW_TYPES))
        if set(event["row"]) - set(ROW_TYPES):
            raise BadEvent(f"{where}: unknown audit row fields {sorted(set(event['row']) - set(ROW_TYPES))}")
    else:
        raise BadEvent(f"{where}: unknown kind {kind!r}")
    return host, seq, str(kind)


def _check_fields(where: str, value: Any, types: dict[str, type | tuple[type, ...]], *,
                  required: tuple[str, ...]) -> None:
    if not isinstance(value, dict):
        raise BadEvent(f"{where}: not an object")
    missing = [name for name in required if name not in value]
    if missing:
        raise BadEvent(f"{where}: missing {', '.join(missing)}")
    for name, expected in types.items():
        if name in value and (not isinstance(value[name], expected) or isinstance(value[name], bool)):
            raise BadEvent(f"{where}: `{name}` has the wrong type ({type(value[name]).__name__})")
