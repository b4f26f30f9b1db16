"""The broker fences each fleet member to its own subjects: real nats-server, real nats-py clients.

Every "nothing arrived" below is decided after round trips, not after a sleep: a client's `flush()`
returns once the server has answered its PING, so the server has already routed (or refused)
everything that client sent before; the observer's own `flush()` then proves whatever the server
queued for it has been read. A message that was going to arrive is in the subscription's queue.
"""
from __future__ import annotations

import asyncio

import nats
import pytest
from nats.aio.client import Client
from nats.aio.subscription import Subscription

from core.fleet.subjects import Subjects
from tests.fakes.nats_broker import NatsBroker
from tests.leaks import found_in

S = Subjects()


class Member:
    """One connected fleet member and the errors the server reported to it."""

    def __init__(self, nc: Client, errors: list[Exception]) -> None:
        self.nc, self.errors = nc, errors

    async def violation(self, verb: str, subject: str) -> bool:
        """Whether the server reported a permissions violation for `verb` ("publish" or
        "subscription") on `subject` to this member's error callback (waits a little: the
        callback runs in its own task after the -ERR is read). nats-py lowercases the server's
        message, subject included."""
        wanted = f'permissions violation for {verb} to "{subject}"'.lower()
        for _ in range(100):
            if any(wanted in str(e).lower() for e in self.errors):
                return True
            await asyncio.sleep(0.02)
        return False


async def join(broker: NatsBroker, who: str) -> Member:
    errors: list[Exception] = []

    async def on_error(error: Exception) -> None:
        errors.append(error)

    return Member(await broker.connect(who, error_cb=on_error, allow_reconnect=False), errors)


async def settle(*members: Member) -> None:
    for member in members:
        await member.nc.flush()


async def close(*members: Member) -> None:
    for member in members:
        await member.nc.close()


def test_host_cannot_read_another_hosts_requests(nats_broker: NatsBroker) -> None:
    async def scenario() -> tuple[bytes, int, bool]:
        hub, prod, staging = [await join(nats_broker, who) for who in ("hub", "prod", "staging")]
        stolen: Subscription = await prod.nc.subscribe(S.command("staging"))

        async def answer(msg: nats.aio.msg.Msg) -> None:
            await msg.respond(b"staging here")

        await staging.nc.subscribe(S.command("staging"), cb=answer)
        await settle(prod, staging)
        reply = await hub.nc.request(S.command("staging"), b"status", timeout=5)
        await settle(prod)
        refused = await prod.violation("subscription", S.command("staging"))
        result = reply.data, stolen.pending_msgs, refused
        await close(hub, prod, staging)
        return result

    reply, seen_by_prod, refused = asyncio.run(scenario())
    assert reply == b"staging here"  # the request did reach staging...
    assert seen_by_prod == 0  # ...and never prod
    assert refused, "prod's subscription to staging's requests was not reported as a violation"


def test_host_cannot_speak_for_the_hub_or_another_host(nats_broker: NatsBroker) -> None:
    forged = {  # subjects only the hub, or only staging, may publish on
        S.command("staging"): "a request to staging",
        S.heartbeat("staging"): "staging's heartbeat",
        S.progress("staging", "r1"): "staging's progress line",
        f"{S.inbox('hub')}.forged": "a reply in the hub's inbox it was never asked for",
    }

    async def scenario() -> tuple[dict[str, int], list[str], int]:
        hub, prod, staging = [await join(nats_broker, who) for who in ("hub", "prod", "staging")]
        watch = {S.command("staging"): await staging.nc.subscribe(S.command("staging"))}
        for subject in forged.keys() - watch.keys():
            watch[subject] = await hub.nc.subscribe(subject)
        own_beat = await hub.nc.subscribe(S.heartbeat("prod"))
        await settle(hub, staging)
        for subject in forged:
            await prod.nc.publish(subject, b"forged by prod")
        await prod.nc.publish(S.heartbeat("prod"), b"prod is alive")  # allowed: the control
        await settle(prod, hub, staging)
        unreported = [subject for subject in forged if not await prod.violation("publish", subject)]
        result = {s: sub.pending_msgs for s, sub in watch.items()}, unreported, own_beat.pending_msgs
        await close(hub, prod, staging)
        return result

    delivered, unreported, own_beats = asyncio.run(scenario())
    assert own_beats == 1, "prod's own heartbeat did not reach the hub"
    assert {forged[s]: n for s, n in delivered.items() if n} == {}
    assert unreported == []


def test_host_answers_a_request_and_reports_progress(nats_broker: NatsBroker) -> None:
    async def scenario() -> tuple[bytes, list[bytes]]:
        hub, prod = [await join(nats_broker, who) for who in ("hub", "prod")]
        progress = await hub.nc.subscribe(S.progress_all())

        async def run(msg: nats.aio.msg.Msg) -> None:
            await prod.nc.publish(S.progress("prod", "r7"), b"working")
            await msg.respond(b"done")

        await prod.nc.subscribe(S.command("prod"), cb=run)
        await settle(prod)
        reply = await hub.nc.request(S.command("prod"), b"doctor", timeout=5)
        line = await progress.next_msg(timeout=5)
        assert prod.errors == [] and hub.errors == []
        await close(hub, prod)
        return reply.data, [line.data]

    assert asyncio.run(scenario()) == (b"done", [b"working"])


def test_events_reach_the_stream_once_and_only_the_hub_runs_it(own_nats_broker: NatsBroker) -> None:
    broker = own_nats_broker

    async def scenario() -> dict[str, object]:
        hub, prod = [await join(broker, who) for who in ("hub", "prod")]
        hub_js, prod_js = hub.nc.jetstream(timeout=5), prod.nc.jetstream(timeout=1)
        await hub_js.add_stream(name=S.stream(), subjects=[S.events_all()])
        consumer = await hub_js.pull_subscribe(S.events_all(), durable="hub", stream=S.stream())
        acks = [await prod_js.publish(S.events("prod", "alerts"), body, headers={"Nats-Msg-Id": msg_id})
                for body, msg_id in ((b"seq 1", "prod:1"), (b"seq 1", "prod:1"), (b"seq 2", "prod:2"))]
        await prod.nc.publish(S.events("staging", "alerts"), b"forged by prod")
        with pytest.raises(nats.errors.TimeoutError):  # the server drops the API call: nobody answers
            await prod_js.delete_stream(S.stream())
        await settle(prod)
        messages = await consumer.fetch(2, timeout=5)
        for msg in messages:
            await msg.ack_sync()
        info = await hub_js.consumer_info(S.stream(), "hub")
        stream = await hub_js.stream_info(S.stream())
        result = {
            "duplicate": [bool(a.duplicate) for a in acks],
            "fetched": [(m.subject, m.data, (m.headers or {}).get("Nats-Msg-Id")) for m in messages],
            "pending": (info.num_ack_pending, info.num_pending),
            "stored": stream.state.messages,
            "forgery refused": await prod.violation("publish", S.events("staging", "alerts")),
            "delete refused": await prod.violation("publish", f"$JS.API.STREAM.DELETE.{S.stream()}"),
        }
        await close(hub, prod)
        return result

    got = asyncio.run(scenario())
    assert got["duplicate"] == [False, True, False]  # the repeated Nats-Msg-Id is stored once
    assert got["fetched"] == [(S.events("prod", "alerts"), b"seq 1", "prod:1"),
                              (S.events("prod", "alerts"), b"seq 2", "prod:2")]
    assert got["pending"] == (0, 0)  # the hub's acks went through
    assert got["stored"] == 2  # the stream outlived prod's delete, and holds no forged event
    assert got["forgery refused"] and got["delete refused"]


@pytest.mark.parametrize("who, password", [("prod", "wrong"), ("prod", "hub's"), ("hub", "prod's"), (None, None)])
def test_wrong_credentials_are_refused(nats_broker: NatsBroker, who: str | None, password: str | None) -> None:
    real = {"hub's": nats_broker.credentials("hub").password, "prod's": nats_broker.credentials("prod").password}

    async def scenario() -> None:
        options = {} if who is None else {"user": who, "password": real.get(password or "", password)}
        nc = await nats.connect(nats_broker.url, allow_reconnect=False, connect_timeout=2, **options)
        await nc.close()

    with pytest.raises(nats.errors.Error, match="Authorization Violation"):
        asyncio.run(scenario())


def test_config_and_server_log_hold_no_password(nats_broker: NatsBroker) -> None:
    blobs = {"config": nats_broker.config_path.read_bytes(), "log": nats_broker.log().encode()}
    for who in ("hub", *nats_broker.hosts):
        password = nats_broker.credentials(who).password
        assert [name for name, blob in blobs.items() if found_in(password, blob)] == []


def test_a_host_user_added_or_removed_by_reload(own_nats_broker: NatsBroker) -> None:
    """docs/fleet.md: add a host's user to the config and reload; remove it and its connection ends."""
    broker = own_nats_broker

    async def scenario() -> tuple[bytes, bool]:
        staging = await join(broker, "staging")
        broker.set_hosts(["prod", "staging", "edge"])
        for _ in range(100):  # the reload is asynchronous: until edge's user exists
            try:
                edge = await join(broker, "edge")
                break
            except (nats.errors.Error, ConnectionError):  # refused, or cut off while the server reloads
                await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"edge's user was not accepted after the reload:\n{broker.log()[-1000:]}")
        hub = await join(broker, "hub")

        async def answer(msg: nats.aio.msg.Msg) -> None:
            await msg.respond(b"edge here")

        await edge.nc.subscribe(S.command("edge"), cb=answer)
        await settle(edge)
        for _ in range(50):  # a loaded server may still be applying the reload to edge's interest
            try:
                reply = await hub.nc.request(S.command("edge"), b"status", timeout=5)
                break
            except nats.errors.NoRespondersError:
                await asyncio.sleep(0.1)
        else:
            raise AssertionError(f"edge never received the hub's request:\n{broker.log()[-1000:]}")
        broker.set_hosts(["prod", "edge"])
        for _ in range(100):
            if staging.nc.is_closed:
                break
            await asyncio.sleep(0.05)
        dropped = staging.nc.is_closed
        await close(hub, edge)
        return reply.data, dropped

    reply, staging_dropped = asyncio.run(scenario())
    assert reply == b"edge here"
    assert staging_dropped, "a removed host kept its connection after the reload"
