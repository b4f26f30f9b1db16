"""The hub's `EventPump` against a real nats-server: a host's events are applied in the order the
host journaled them, even when one of them was handed to a hub that died before acknowledging it.

The broker hands such an event out again only when its ack wait runs out; had the next hub been
given the later events first, its per-host cursor would have passed the early one and skipped it
on redelivery — an alert lost (found by tests/fleet/test_chaos.py)."""
from __future__ import annotations

import asyncio
import io
import json
import re
import time
from pathlib import Path

from adapters.console.notifier import ConsoleNotifier
from bot.fleet.hub_process import DURABLE, EventPump
from bot.fleet.link import NatsLink
from core.alerts.center import AlertCenter
from core.alerts.outbox import Destination, Outbox
from core.fleet.subjects import Subjects
from core.store import Store
from tests.fakes.nats_broker import NatsBroker
from tests.fleet.rig import wait_until

SUBJECTS = Subjects("chatops")
HOST = "prod"
ACK_WAIT_S = 3.0  # long enough for the next hub to be offered the later events first, short for the test


def pump(broker: NatsBroker, db: Path, **options: int) -> tuple[NatsLink, EventPump]:
    creds = broker.credentials("hub")
    link = NatsLink(broker.url, user=creds.user, password=creds.password, name="hub",
                    inbox_prefix=SUBJECTS.inbox("hub"))
    events = EventPump(link, SUBJECTS, AlertCenter(Store(db), Outbox({})), ack_wait_s=ACK_WAIT_S, **options)
    link.start()
    return link, events


async def publish(broker: NatsBroker, *events: dict) -> None:
    nc = await broker.connect(HOST)
    js = nc.jetstream()
    for event in events:
        await js.publish(SUBJECTS.events(HOST, "alerts"), json.dumps({"host": HOST, **event}).encode(),
                         headers={"Nats-Msg-Id": f"{HOST}:{event['seq']}"})
    await nc.close()


async def take_and_die(broker: NatsBroker) -> int:
    """A hub that fetched the oldest event and died before applying it: never acknowledged."""
    nc = await broker.connect("hub")
    sub = await nc.jetstream().pull_subscribe_bind(DURABLE, SUBJECTS.stream())
    [msg] = await sub.fetch(1, timeout=5)
    await nc.close()
    return int(json.loads(msg.data)["seq"])


def test_an_event_a_dead_hub_took_is_applied_before_the_ones_after_it(own_nats_broker: NatsBroker, tmp_path: Path):
    link, first = pump(own_nats_broker, tmp_path / "first.db")  # makes the stream and the durable consumer
    wait_until(lambda: link.connected, 15, "the first hub to connect")
    link.stop()
    asyncio.run(publish(own_nats_broker, {"seq": 1, "kind": "gateway", "down": True, "message": "refused"}))
    assert asyncio.run(take_and_die(own_nats_broker)) == 1
    asyncio.run(publish(own_nats_broker, {"seq": 2, "kind": "gateway", "down": False, "message": ""},
                        {"seq": 3, "kind": "gateway", "down": True, "message": "refused"}))

    link, hub = pump(own_nats_broker, tmp_path / "hub.db")
    try:
        wait_until(lambda: hub.center.store.get(f"fleet.applied.{HOST}") == 3, 30, "all three events applied")
        wait_until(lambda: hub.applied >= 3, 30, "every delivery handled")
        incident = hub.center.book.incidents[f"gateway:@{HOST}"]
        # down, up, down: opened, resolved, opened again — not a lone "opened" from the last one.
        assert [line.split(" ", 1)[1] for line in incident.history] == \
            ["gateway_unreachable", "resolved", "again: gateway_unreachable"]
    finally:
        link.stop()


def test_a_hub_whose_stream_setup_failed_keeps_trying_and_then_applies(tmp_path: Path):
    """The first connection's setup (stream, consumer) can fail — the broker dies right after the hub
    connected, or runs without JetStream — and must be tried again, not leave a hub that never
    applies an event until it is restarted."""
    broker = NatsBroker(tmp_path / "broker", hosts=(HOST,))
    with_jetstream = broker.config_text
    broker.config_text = re.sub(r"jetstream \{[^}]*\}", "", with_jetstream)
    broker.start()
    link, hub = pump(broker, tmp_path / "hub.db")
    try:
        wait_until(lambda: link.connected, 15, "the hub to connect")
        broker.stop()
        broker.config_text = with_jetstream
        broker.start()
        assert link.wait_ready(30), "the hub never set up its stream and consumer"
        asyncio.run(publish(broker, {"seq": 1, "kind": "gateway", "down": True, "message": "refused"}))
        wait_until(lambda: hub.center.store.get(f"fleet.applied.{HOST}") == 1, 30, "the event applied")
    finally:
        link.stop()
        broker.stop()


def test_while_chat_is_behind_a_burst_waits_in_the_stream_not_in_the_journal(own_nats_broker: NatsBroker,
                                                                             tmp_path: Path):
    """Slack takes about a message a second per channel; a burst of host events faster than that
    must not push owed messages out of the hub's bounded journal (they would be lost to a crash,
    the events being acknowledged). Above the high-water mark the hub stops taking events."""
    link, hub = pump(own_nats_broker, tmp_path / "hub.db", owed_high_water=3)
    center = hub.center
    center.set_destination(Destination("console", "alerts"))  # its notifier is not registered yet
    try:
        wait_until(lambda: link.wait_ready(0), 15, "the hub to set up")
        flaps = [{"seq": n, "kind": "gateway", "down": n % 2 == 1, "message": "refused"} for n in range(1, 11)]
        asyncio.run(publish(own_nats_broker, *flaps))
        wait_until(lambda: center.owed() >= 3, 30, "the journal to reach the mark")
        time.sleep(1.5)
        assert center.owed() == 3 and center.store.get(f"fleet.applied.{HOST}") < 10  # the rest wait upstream
        out = io.StringIO()
        center.add_notifier("console", ConsoleNotifier(out, json_mode=True))  # chat catches up
        wait_until(lambda: center.store.get(f"fleet.applied.{HOST}") == 10 and center.owed() == 0, 60,
                   "every event applied and every message delivered")
        notes = [json.loads(line) for line in out.getvalue().splitlines()]
        assert [n["alert"] for n in notes][:1] == ["post"] and len(notes) >= 10
    finally:
        link.stop()
