"""`openclaw-chatops host --name NAME`: one gateway's side of a fleet.

The same parts as a single-gateway bot (vault, resolver, gateway reader and CLI, watcher, the
handlers), with no chat adapter: commands come from the hub over NATS, and the watcher's alerts
and the audit rows go into a durable journal (`core.fleet.relay.HostRelay`) that is published to
JetStream whenever the broker is reachable. With the broker down the host keeps watching and
journaling; nothing is published twice (each event carries `Nats-Msg-Id: <host>:<seq>`).
"""
from __future__ import annotations

import asyncio
import json
import logging
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

from nats.aio.client import Client
from nats.aio.msg import Msg

from bot.app import Components, build
from bot.fleet.link import NatsLink
from bot.fleet.settings import FleetSettings
from bot.settings import Settings, SettingsError
from core.access import HubAssertedPolicy, Role
from core.fleet.host_service import HostService
from core.fleet.keys import HostKeys, decode_public
from core.fleet.relay import HostRelay
from core.fleet.sealing import ReplayLedger
from core.fleet.subjects import Subjects, check_host_name
from core.progress import SILENT, ProgressSink

log = logging.getLogger(__name__)
REQUEST_ID = re.compile(r"^[0-9a-f]{16}$")
WORKERS = 4  # commands run at once; a paste's CLI calls take seconds and must not hold up a status
PUBLISH_TIMEOUT_S = 5.0


class RelayedProgress:
    """A request's progress sink: each line is published to the hub at once (the hub's own
    `Progress` decides what to show when)."""

    def __init__(self, link: NatsLink, subject: str) -> None:
        self.link = link
        self.subject = subject

    def _send(self, text: str, update: bool) -> None:
        if self.link.nc is not None:
            self.link.submit(self.link.nc.publish(self.subject, json.dumps({"text": text, "update": update}).encode()))

    def step(self, text: str) -> None:
        self._send(text, False)

    def update(self, text: str) -> None:
        self._send(text, True)


class Publisher:
    """Drains the host's event journal into JetStream, in order, whenever the broker is up."""

    def __init__(self, link: NatsLink, subjects: Subjects, name: str, relay: HostRelay) -> None:
        self.link, self.subjects, self.name, self.relay = link, subjects, name, relay
        self.wake = threading.Event()
        self._stop = threading.Event()

    def run(self) -> None:
        while not self._stop.is_set():
            self.wake.wait(0.2)
            self.wake.clear()
            if not self.link.connected or self.link.nc is None:
                continue
            try:
                self.drain(self.link.nc)
            except Exception as exc:  # noqa: BLE001 - the broker or the stream is away: try again soon
                log.info("events not published yet (%s); will retry", type(exc).__name__)
                self._stop.wait(1.0)

    def drain(self, nc: Client) -> None:
        js = nc.jetstream()
        for event in self.relay.pending(100):
            kind = "audit" if event.get("kind") == "credential" else "alerts"
            headers = {"Nats-Msg-Id": f"{self.name}:{event['seq']}"}
            self.link.call(js.publish(self.subjects.events(self.name, kind), json.dumps(event).encode(),
                                      timeout=PUBLISH_TIMEOUT_S, headers=headers), timeout=PUBLISH_TIMEOUT_S + 1)
            self.relay.mark_sent(int(event["seq"]))

    def start(self) -> None:
        threading.Thread(target=self.run, name="event-publisher", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()
        self.wake.set()


@dataclass
class HostParts:
    name: str
    parts: Components
    service: HostService
    link: NatsLink
    publisher: Publisher
    heartbeat_s: float
    _stop: threading.Event = field(default_factory=threading.Event)

    def start(self) -> None:
        subjects = self.publisher.subjects
        pool = ThreadPoolExecutor(WORKERS, thread_name_prefix="host-command")

        async def on_command(msg: Msg) -> None:
            try:
                message = json.loads(msg.data)
            except ValueError:
                message = None
            if not isinstance(message, dict):
                await msg.respond(json.dumps({"ok": False, "error": "unreadable message"}).encode())
                return
            request_id = str(message.get("request_id", ""))
            progress: ProgressSink = RelayedProgress(self.link, subjects.progress(self.name, request_id)) \
                if REQUEST_ID.match(request_id) else SILENT
            loop = asyncio.get_running_loop()
            answer = await loop.run_in_executor(pool, self.service.answer, message, progress)
            await msg.respond(json.dumps(answer).encode())

        async def subscribe(nc: Client) -> None:
            await nc.subscribe(subjects.command(self.name), cb=on_command)
            self.publisher.wake.set()

        self.link.on_connect(subscribe)
        self.link.start()
        self.publisher.start()
        self.parts.watcher.start()
        threading.Thread(target=self._beat, name="heartbeat", daemon=True).start()

    def _beat(self) -> None:
        subject = self.publisher.subjects.heartbeat(self.name)
        while not self._stop.wait(self.heartbeat_s):
            nc = self.link.nc
            if nc is None or not self.link.connected:
                continue
            try:
                beat = json.dumps(self.service.beat()).encode()
                self.link.submit(nc.publish(subject, beat))
            except Exception:  # noqa: BLE001 - a missed beat is only a late one
                log.debug("heartbeat failed", exc_info=True)

    def stop(self) -> None:
        self._stop.set()
        self.parts.watcher.stop()
        self.publisher.stop()
        self.link.stop()


def build_host(settings: Settings, fleet: FleetSettings, name: str) -> HostParts:
    try:
        check_host_name(name)
    except ValueError as exc:
        raise SettingsError(f"--name: {exc}") from exc
    if not fleet.hub_public:
        raise SettingsError("OPENCLAW_CHATOPS_FLEET_HUB_KEY is not set: put the key `openclaw-chatops hub enroll` "
                            "printed on the hub into this host's settings")
    try:
        hub_public = decode_public(fleet.hub_public)
    except ValueError as exc:
        raise SettingsError(f"OPENCLAW_CHATOPS_FLEET_HUB_KEY: {exc}") from exc
    relay: HostRelay | None = None

    def sink(store):  # the watcher reports to the journal, not to a local alert channel
        nonlocal relay
        relay = HostRelay(store, name)
        return relay

    parts = build(settings, policy=HubAssertedPolicy(default_role=Role.NOBODY), sink_for=sink)
    assert relay is not None
    keys = HostKeys.load_or_create(fleet.host_key_file)
    service = HostService(name, parts.chatops, keys, hub_public, ReplayLedger(parts.store), version=_version())
    link = NatsLink(fleet.nats_url, user=fleet.nats_user or name, password=fleet.nats_password,
                    name=f"openclaw-chatops host {name}", inbox_prefix=fleet.subjects.inbox(name))
    publisher = Publisher(link, fleet.subjects, name, relay)
    relay.on_append = publisher.wake.set
    return HostParts(name, parts, service, link, publisher, fleet.heartbeat_s)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("openclaw-chatops")
    except PackageNotFoundError:
        return ""
