"""`openclaw-chatops hub`: the chat side of a fleet.

It runs the chat adapters (or the console) against a `FleetDispatcher`, and three things on the
NATS link:
- requests to hosts, with each running request's progress lines relayed back (`BrokerHostLink`);
- the hosts' heartbeats: which hosts are alive, with their (pinned) keys and agents, and an
  "unreachable host" incident when one falls silent (`HostWatch`);
- the JetStream consumer that applies the hosts' alert and audit events to the hub's incident
  book, acknowledging each only once it is applied and its messages journaled (`EventPump`), so a
  hub restart loses and doubles nothing.
"""
from __future__ import annotations

import asyncio
import json
import logging
import secrets
import threading
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import api

from bot.app import ChatSideParts
from bot.fleet.link import NatsLink
from bot.fleet.settings import FleetSettings
from bot.health import Health
from bot.settings import Settings
from core.alerts.center import MAX_UNDELIVERED, AlertCenter
from core.alerts.outbox import Outbox
from core.errors import ChatSafeError
from core.fleet.alert_intake import apply_event, host_back, host_unreachable
from core.fleet.hub import BrokerDown, FleetDispatcher, HostUnavailable, hub_deps
from core.fleet.keys import HubKeys
from core.fleet.roster import Roster
from core.fleet.subjects import Subjects
from core.handlers.deps import Options
from core.progress import SILENT, ProgressSink
from core.store import Store

log = logging.getLogger(__name__)
DURABLE = "hub"
# Messages owed to chat above which the hub takes no more host events: half the alert journal's
# bound, so a burst waits in JetStream (durable) instead of pushing owed messages out of the journal.
OWED_HIGH_WATER = MAX_UNDELIVERED // 2  # the hub's durable consumer on the events stream
STREAM_MAX_AGE_S = 7 * 86400.0  # events older than a week are of no use to anyone
DEDUP_WINDOW_S = 600.0  # a host re-publishing after a crash within this window is stored once
ACK_WAIT_S = 10.0  # an event taken by a hub that died is offered again after this (see EventPump)


class BrokerHostLink:
    """`core.fleet.hub.HostLink` over NATS request/reply."""

    def __init__(self, link: NatsLink, subjects: Subjects) -> None:
        self.link = link
        self.subjects = subjects
        self._progress: dict[str, ProgressSink] = {}
        link.on_connect(self._subscribe)

    async def _subscribe(self, nc: Client) -> None:
        await nc.subscribe(self.subjects.progress_all(), cb=self._on_progress)

    async def _on_progress(self, msg: Msg) -> None:
        parts = msg.subject.split(".")
        sink = self._progress.get(".".join(parts[-2:]))
        if sink is None:
            return
        try:
            line = json.loads(msg.data)
            (sink.update if line.get("update") else sink.step)(str(line["text"])[:300])
        except Exception:  # noqa: BLE001 - a bad progress line must not break the link
            log.debug("unreadable progress line on %s", msg.subject)

    def _check(self) -> Client:
        if not self.link.connected or self.link.nc is None:
            raise BrokerDown(f"The hub is not connected to the message broker ({self.link.url}), so no gateway "
                             "host can be asked. Hosts keep watching; their alerts arrive when it is back.")
        return self.link.nc

    def ask(self, host: str, op: Mapping[str, Any], *, timeout: float,
            progress: ProgressSink = SILENT) -> dict[str, Any]:
        nc = self._check()
        request_id = secrets.token_hex(8)
        key = f"{host}.{request_id}"
        self._progress[key] = progress
        try:
            return self.link.call(self._one(nc, host, {**op, "request_id": request_id}, timeout), timeout=timeout + 2)
        finally:
            self._progress.pop(key, None)

    def ask_each(self, hosts: list[str], op: Mapping[str, Any], *,
                 timeout: float) -> dict[str, dict[str, Any] | ChatSafeError]:
        nc = self._check()

        async def each() -> list[dict[str, Any] | BaseException]:
            return await asyncio.gather(*(self._one(nc, h, op, timeout) for h in hosts), return_exceptions=True)

        answers = self.link.call(each(), timeout=timeout + 2)
        return {h: a if isinstance(a, dict | ChatSafeError) else HostUnavailable(f"Host `{h}`: {type(a).__name__}")
                for h, a in zip(hosts, answers, strict=True)}

    async def _one(self, nc: Client, host: str, op: Mapping[str, Any], timeout: float) -> dict[str, Any]:
        try:
            msg = await nc.request(self.subjects.command(host), json.dumps(op).encode(), timeout=timeout)
        except nats.errors.NoRespondersError:
            raise HostUnavailable(f"Host `{host}` is not connected to the broker.") from None
        except (TimeoutError, nats.errors.TimeoutError):
            raise HostUnavailable(f"Host `{host}` did not answer within {timeout:g} s.") from None
        except (nats.errors.ConnectionClosedError, nats.errors.ConnectionReconnectingError):
            raise BrokerDown("The connection to the message broker dropped while asking; try again.") from None
        answer = json.loads(msg.data)
        if not isinstance(answer, dict):
            raise HostUnavailable(f"Host `{host}` answered in a form this hub cannot read.")
        return answer


class HostWatch:
    """Heartbeats in, "unreachable host" incidents out. While the hub itself is cut off from the
    broker it says nothing about hosts (they are not the ones that are down), and after it
    reconnects it gives them one silence period to be heard again."""

    def __init__(self, link: NatsLink, subjects: Subjects, roster: Roster, center: AlertCenter) -> None:
        self.link = link
        self.subjects = subjects
        self.roster = roster
        self.center = center
        self._connected_since = 0.0
        self._stop = threading.Event()
        link.on_connect(self._subscribe)

    async def _subscribe(self, nc: Client) -> None:
        await nc.subscribe(self.subjects.heartbeat_all(), cb=self._on_beat)

    async def _on_beat(self, msg: Msg) -> None:
        host = msg.subject.rsplit(".", 1)[-1]
        try:
            beat = json.loads(msg.data)
        except ValueError:
            return
        state = self.roster.get(host)
        was_silent = state is not None and not state.alive(time.time(), self.roster.silent_after_s)
        if isinstance(beat, dict) and self.roster.heard(host, beat):
            if was_silent:
                log.info("host %s is up (key %s)", host, self.roster.hosts[host].fingerprint)
            self._back(host)

    def _back(self, host: str) -> None:
        incident = self.center.book.incidents.get(f"host:{host}")
        if incident is not None and incident.state == "open":
            host_back(self.center, host)

    def check(self, now: float | None = None) -> None:
        now = time.time() if now is None else now
        if not self.link.connected:
            self._connected_since = 0.0
            return
        if not self._connected_since:
            self._connected_since = now
        if now - self._connected_since < self.roster.silent_after_s:
            return
        for name, state in self.roster.hosts.items():
            incident = self.center.book.incidents.get(f"host:{name}")
            silent = not state.alive(now, self.roster.silent_after_s)
            if silent and (incident is None or incident.state != "open"):
                host_unreachable(self.center, name, state.last_seen)

    def run(self) -> None:
        while not self._stop.wait(1.0):
            try:
                self.check()
            except Exception:  # noqa: BLE001 - the watch must outlive one bad look
                log.exception("host watch failed")

    def start(self) -> None:
        threading.Thread(target=self.run, name="host-watch", daemon=True).start()

    def stop(self) -> None:
        self._stop.set()


class EventPump:
    """The hub's durable JetStream consumer of every host's alert and audit events.

    One event at a time (`max_ack_pending=1`): the broker offers the next only once the last is
    acknowledged, so events are applied in the order they were stored. With more in flight, an
    event handed to a hub that died (or whose connection dropped) before acknowledging it comes
    back only after `ack_wait`, behind later ones: the per-host cursor would have passed it, and it
    would be skipped as already applied — lost. The price is that such an event holds up the rest
    for up to `ack_wait`, which is therefore short: applying an event takes milliseconds, and an
    event offered again while still being applied is skipped by the cursor.
    """

    def __init__(self, link: NatsLink, subjects: Subjects, center: AlertCenter, *,
                 ack_wait_s: float = ACK_WAIT_S, owed_high_water: int = OWED_HIGH_WATER) -> None:
        self.owed_high_water = owed_high_water
        self.link = link
        self.subjects = subjects
        self.center = center
        self.ack_wait_s = ack_wait_s
        self.applied = 0  # events applied since start (health and benchmarks)
        link.on_connect(self._setup)

    async def _setup(self, nc: Client) -> None:
        js = nc.jetstream()
        config = api.StreamConfig(name=self.subjects.stream(), subjects=[self.subjects.events_all()],
                                  storage=api.StorageType.FILE, max_age=STREAM_MAX_AGE_S,
                                  duplicate_window=DEDUP_WINDOW_S)
        try:
            await js.add_stream(config)
        except nats.js.errors.BadRequestError:  # it exists with other settings (an older release): align them
            await js.update_stream(config)
        consumer = api.ConsumerConfig(durable_name=DURABLE, ack_policy=api.AckPolicy.EXPLICIT,
                                      ack_wait=self.ack_wait_s, max_ack_pending=1,
                                      filter_subject=self.subjects.events_all())
        await js.add_consumer(self.subjects.stream(), consumer)  # creates it, or updates an older one
        sub = await js.pull_subscribe(self.subjects.events_all(), durable=DURABLE, stream=self.subjects.stream(),
                                      config=consumer)
        asyncio.get_running_loop().create_task(self._pump(sub))

    async def _pump(self, sub: Any) -> None:
        loop = asyncio.get_running_loop()
        while True:
            if self.center.owed() >= self.owed_high_water:  # chat is behind (Slack posts 1/s per channel):
                await asyncio.sleep(0.2)  # leave the events in the stream rather than overflow the journal
                continue
            try:
                msgs = await sub.fetch(1, timeout=1)
            except (TimeoutError, nats.errors.TimeoutError):
                continue
            except Exception as exc:  # noqa: BLE001 - the broker is away: wait for the link to come back
                log.debug("event fetch failed: %s", exc)
                await asyncio.sleep(0.5)
                continue
            for msg in msgs:
                try:
                    event = json.loads(msg.data)
                except ValueError:
                    event = None
                try:
                    await loop.run_in_executor(None, apply_event, self.center, event)
                except Exception:  # noqa: BLE001 - not applied (the hub's store failed): try it again shortly
                    log.exception("could not apply a host event; it will be redelivered")
                    await msg.nak(delay=1)
                    continue
                self.applied += 1
                await msg.ack()


@dataclass
class HubParts(ChatSideParts):
    """The running hub; to the chat adapters, their `core.adapter.AdapterParts`."""

    settings: Settings
    fleet: FleetSettings
    chatops: FleetDispatcher
    store: Store
    alerts: AlertCenter
    link: NatsLink
    watch: HostWatch
    pump: EventPump
    health: Health | None = None  # set by `hub`; adapters register their connection probes with it

    def host_states(self) -> dict[str, str]:
        """Each enrolled host as the health file shows it: up, or silent since when."""
        now = time.time()
        return {name: "up" if state.alive(now, self.chatops.roster.silent_after_s)
                else f"silent since {time.strftime('%H:%M:%S', time.gmtime(state.last_seen))}Z" if state.last_seen
                else "not heard from" for name, state in self.chatops.roster.hosts.items()}

    def start(self, *, wait_s: float = 5.0) -> None:
        """Connect (waiting up to `wait_s`), then give the enrolled hosts up to three heartbeats to be
        heard, so the first command finds them; with the broker or a host away the hub starts
        anyway and its answers say so."""
        self.link.start()
        if not self.link.wait_ready(wait_s):
            log.warning("the message broker at %s is not reachable yet; commands will say so until it is",
                        self.link.url)
        else:
            roster = self.chatops.roster
            deadline = time.monotonic() + 3 * self.fleet.heartbeat_s
            while time.monotonic() < deadline and len(roster.alive()) < len(roster.hosts):
                time.sleep(0.05)
        self.watch.start()

    def stop(self) -> None:
        self.watch.stop()
        self.link.stop()


def build_hub(settings: Settings, fleet: FleetSettings) -> HubParts:
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings.chatops_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    store = Store(settings.state_db)
    alerts = AlertCenter(store, Outbox({}), flap_window_s=settings.flap_window_s)
    roster = Roster(fleet.pins, silent_after_s=fleet.silent_after_s)
    link = NatsLink(fleet.nats_url, user=fleet.nats_user or "hub", password=fleet.nats_password,
                    name="openclaw-chatops hub", inbox_prefix=fleet.subjects.inbox("hub"))
    hosts = BrokerHostLink(link, fleet.subjects)
    options = Options(session_ttl_s=settings.session_ttl_s, store_unverified=settings.store_unverified,
                      burned_notice=settings.burned_notice)
    chatops = FleetDispatcher(hub_deps(store, settings.policy, alerts, options), roster, hosts,
                              HubKeys.load_or_create(fleet.hub_key_file), read_timeout_s=fleet.read_timeout_s,
                              write_timeout_s=fleet.write_timeout_s)
    return HubParts(settings, fleet, chatops, store, alerts, link, HostWatch(link, fleet.subjects, roster, alerts),
                    EventPump(link, fleet.subjects, alerts))
