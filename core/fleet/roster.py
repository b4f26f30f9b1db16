"""The hub's list of gateway hosts: who is pinned in its settings, who was heard from and when.

A host announces itself in heartbeats (its public key, its agents and their profile ids). The hub
takes a host's key only when its fingerprint is the one pinned at enrollment, so a broker user
that is not the enrolled host cannot receive a credential sealed "to" it. Hosts not pinned in the
settings are ignored: adding a host is a settings change at the hub, on purpose.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from core.fleet.keys import decode_public, fingerprint
from core.fleet.subjects import check_host_name

__all__ = ["HostState", "Roster", "parse_pins"]

log = logging.getLogger(__name__)


def parse_pins(text: str) -> dict[str, str]:
    """`prod=sha256:ab12:…,staging=sha256:…` → {name: fingerprint}; ValueError naming the bad entry."""
    pins: dict[str, str] = {}
    for entry in (e.strip() for e in text.replace(";", ",").split(",")):
        if not entry:
            continue
        name, sep, fingerprint = entry.partition("=")
        if not sep or not fingerprint.strip():
            raise ValueError(f"{entry!r}: expected name=fingerprint (from `openclaw-chatops host enroll`)")
        pins[check_host_name(name.strip())] = fingerprint.strip()
    return pins


@dataclass
class HostState:
    name: str
    fingerprint: str  # pinned at enrollment
    public_key: bytes | None = None  # verified against `fingerprint`
    last_seen: float = 0.0  # wall time of the last heartbeat (0: never since the hub started)
    agents: dict[str, list[str]] = field(default_factory=dict)  # agent -> profile ids
    version: str = ""

    def alive(self, now: float, silent_after_s: float) -> bool:
        return self.last_seen > 0 and now - self.last_seen < silent_after_s


class Roster:
    def __init__(self, pins: Mapping[str, str], *, silent_after_s: float = 10.0) -> None:
        self.hosts = {name: HostState(name, fp) for name, fp in sorted(pins.items())}
        self.silent_after_s = silent_after_s
        self._lock = threading.Lock()

    def names(self) -> list[str]:
        return list(self.hosts)

    def get(self, name: str) -> HostState | None:
        return self.hosts.get(name)

    def heard(self, name: str, beat: Mapping[str, Any], *, now: float | None = None) -> bool:
        """Take a heartbeat (or `hello` answer); False when the host is not pinned or its key does
        not match the pin (logged: that is someone else speaking as the host)."""
        host = self.hosts.get(name)
        if host is None:
            return False
        try:
            key = decode_public(str(beat["public_key"]))
            agents = {str(a): [str(p) for p in ps] for a, ps in dict(beat.get("agents", {})).items()}
        except (KeyError, TypeError, ValueError):
            log.warning("unreadable heartbeat from host %s", name)
            return False
        if fingerprint(key) != host.fingerprint:
            log.error("host %s announced a key with fingerprint %s; the pinned one is %s: ignored",
                      name, fingerprint(key), host.fingerprint)
            return False
        with self._lock:
            host.public_key, host.agents = key, agents
            host.version = str(beat.get("version", ""))
            host.last_seen = time.time() if now is None else now
        return True

    def alive(self, now: float | None = None) -> list[str]:
        at = time.time() if now is None else now
        return [h.name for h in self.hosts.values() if h.alive(at, self.silent_after_s)]
