"""The running bot's own health, in a small file `service status` reads.

A service manager knows only whether the process runs; a team needs to know whether the bot is
connected to its chat platforms, whether the alert watcher is still looking and whether the
gateway answers. The running bot writes that to `$OPENCLAW_CHATOPS_DIR/health.json` (atomic, 0600,
every `interval_s`), and `openclaw-chatops service status` reads it from another process. The file
holds states and times only, never a token.

Adapters register a probe (`Health.watch("slack", is_connected)`) when they start. Gateway
reachability comes from the watcher's last snapshot; when the watcher has taken none recently
(team alerts are off), the reporter asks for one agent's status at most every `gateway_check_s`
(a cached snapshot when OpenClaw's files did not change).
"""
from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.durations import humanize
from core.fsutil import atomic_write
from core.gateway.client import Gateway
from core.gateway.runner import GatewayError

log = logging.getLogger(__name__)
HEALTH_FILE = "health.json"


@dataclass
class GatewayCheck:
    at: float = 0.0
    ok: bool | None = None
    error: str = ""


@dataclass
class Health:
    """Collects the bot's state and writes it out on a timer thread."""

    path: Path
    gateway: Gateway | None  # None on a fleet's hub: it has no gateway, its hosts do
    watcher: Any  # core.alerts.watcher.Watcher: last_look, last_snapshot, failures, last_error (None on a hub)
    interval_s: float = 10.0
    gateway_check_s: float = 600.0
    started_at: float = field(default_factory=time.time)
    probes: dict[str, Callable[[], bool]] = field(default_factory=dict)
    # A fleet's hub and hosts: whether the NATS link is up; at the hub, each host's state.
    broker: Callable[[], bool] | None = None
    hosts: Callable[[], dict[str, str]] | None = None
    stopped: bool = False
    _check: GatewayCheck = field(default_factory=GatewayCheck)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def watch(self, adapter: str, connected: Callable[[], bool]) -> None:
        """An adapter's "am I connected" question, asked at every write."""
        self.probes[adapter] = connected

    def _adapters(self) -> dict[str, str]:
        states: dict[str, str] = {}
        for name, probe in self.probes.items():
            try:
                states[name] = "connected" if probe() else "not connected"
            except Exception:  # noqa: BLE001 - a probe failing is itself the answer
                states[name] = "not connected"
        return states

    def _gateway(self, gateway: Gateway, now: float, check: bool) -> dict[str, Any]:
        snap_at = getattr(self.watcher, "last_snapshot", 0.0)
        if snap_at and snap_at >= self._check.at:
            error = getattr(self.watcher, "last_error", "")
            return {"checked_at": snap_at, "reachable": not self.watcher.failures, "error": error}
        if check and now - self._check.at >= self.gateway_check_s:
            try:
                gateway.status(gateway.agents()[0])
                self._check = GatewayCheck(now, True)
            except GatewayError as exc:
                self._check = GatewayCheck(now, False, str(exc)[:300])
        return {"checked_at": self._check.at, "reachable": self._check.ok, "error": self._check.error}

    def document(self, *, check_gateway: bool = True) -> dict[str, Any]:
        now = time.time()
        doc: dict[str, Any] = {
            "pid": os.getpid(),
            "started_at": self.started_at,
            "updated_at": now,
            "interval_s": self.interval_s,
            "stopped": self.stopped,
            "adapters": self._adapters(),
        }
        if self.gateway is not None:
            doc["watcher"] = {"last_look": getattr(self.watcher, "last_look", 0.0),
                              "last_snapshot": getattr(self.watcher, "last_snapshot", 0.0)}
            doc["gateway"] = self._gateway(self.gateway, now, check_gateway)
        if self.broker is not None:
            doc["broker"] = "connected" if self.broker() else "not connected"
        if self.hosts is not None:
            doc["hosts"] = self.hosts()
        return doc

    def write(self, *, check_gateway: bool = True) -> None:
        doc = self.document(check_gateway=check_gateway)
        atomic_write(self.path, json.dumps(doc, indent=1).encode() + b"\n", 0o600)

    def run(self) -> None:
        check = False  # the first document at once; asking the gateway takes seconds
        while not self._stop.is_set():
            try:
                self.write(check_gateway=check)
            except Exception:  # noqa: BLE001 - health reporting must never stop the bot
                log.exception("could not write %s", self.path)
            if check:
                self._stop.wait(self.interval_s)
            check = True

    def start(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run, name="health", daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout_s: float = 5.0) -> None:
        """A clean exit says so in the file, so `service status` does not call it stuck."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout_s)
        self.stopped = True
        try:
            self.write(check_gateway=False)
        except Exception:  # noqa: BLE001 - see run()
            log.exception("could not write %s", self.path)


def read_health(path: Path) -> dict[str, Any] | None:
    """The last document the bot wrote, or None when there is none (never ran, or unreadable)."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return doc if isinstance(doc, dict) else None


def _ago(now: float, at: float) -> str:
    if not at:
        return "never"
    return f"{humanize(max(0.0, now - at))} ago"


def describe_health(doc: dict[str, Any] | None, *, now: float | None = None) -> list[str]:
    """Lines for `service status`: stale when the writer stopped (process gone or hung)."""
    if doc is None:
        return ["bot health: no health file yet (the bot has not run with this OPENCLAW_CHATOPS_DIR)"]
    now = time.time() if now is None else now
    updated = float(doc.get("updated_at") or 0)
    stale = now - updated > 3 * float(doc.get("interval_s") or 10)
    if doc.get("stopped"):
        state = " — the bot stopped (clean exit)"
    else:
        state = " — STALE: the bot is not running or is stuck" if stale else ""
    lines = [f"bot health: written {_ago(now, updated)} by pid {doc.get('pid')}{state}"]
    adapters = doc.get("adapters") or {}
    lines.append("adapters: " + (", ".join(f"{k} {v}" for k, v in adapters.items()) or "none (console or starting)"))
    if "broker" in doc:
        lines.append(f"message broker: {doc['broker']}")
    if "hosts" in doc:
        hosts = doc.get("hosts") or {}
        lines.append("gateway hosts: " + (", ".join(f"{k} {v}" for k, v in hosts.items()) or "none enrolled"))
    if "gateway" not in doc:  # a fleet's hub: the gateways are its hosts'
        return lines
    watcher = doc.get("watcher") or {}
    lines.append(f"watcher: last look {_ago(now, float(watcher.get('last_look') or 0))}, "
                 f"last gateway snapshot {_ago(now, float(watcher.get('last_snapshot') or 0))}")
    gateway = doc.get("gateway") or {}
    reachable = gateway.get("reachable")
    state = {True: "reachable", False: "NOT reachable", None: "not checked yet"}[reachable]
    line = f"gateway: {state}"
    if gateway.get("checked_at"):
        line += f" (checked {_ago(now, float(gateway['checked_at']))})"
    if reachable is False and gateway.get("error"):
        line += f": {gateway['error']}"
    lines.append(line)
    return lines
