"""Chaos: kill -9 of a host, of the hub and of the broker at random moments, while three hosts keep
producing real events (their gateways broken and mended), then nothing lost and nothing doubled.

The schedule is random but seeded: the seed is printed (and named in every failure); set
`CHATOPS_CHAOS_SEED` to replay one. What "nothing lost" and "nothing doubled" mean is checked on the
parts' own records after a settle period with everything up and every gateway mended:
- every event a host journaled is in the broker's stream exactly once (seqs 1..N, the host's last
  seq), the hub's cursor for that host is N, and the hub applied each gateway event once and in
  order: its incident's history has one line per gateway event (down → opened or "again", up →
  resolved), and the incident now reads resolved in Slack;
- every top-level post in the alert channel is the one message of an incident (none orphaned by a
  second post), and each incident's thread holds exactly the notes its history explains.
A crash of the hub between Slack accepting a message and the hub saving that fact can repeat that
one message on resume (Slack has no idempotency key): a second top-level post, or a thread note twice
in a row. Such a repeat is allowed only when a hub kill followed that message within two seconds;
no other is.
"""
from __future__ import annotations

import asyncio
import json
import os
import random
import sqlite3
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.fleet.subjects import Subjects
from tests.adapters.slack.conftest import block_text
from tests.fakes.nats_broker import NatsBroker
from tests.fleet.rig import ALERTS, Fleet, break_gateway, mend_gateway, running_fleet, wait_until

HOSTS = ("alpha", "beta", "gamma")
CHAOS_S = 45.0  # the length of the random schedule; settling and checks come after it
SETTLE_S = 90.0  # a guard: everything up, the hub catches up well within it
DEST = f"slack:{ALERTS}"
pytestmark = [pytest.mark.xdist_group("fleet"), pytest.mark.slow]


@dataclass(order=True)
class Step:
    at: float
    what: str = field(compare=False)
    target: str = field(compare=False)


def schedule(rng: random.Random) -> list[Step]:
    """Gateway breaks and mends on every host, and kill/start pairs for the hub, one host (a
    random one each time) and the broker, each down for up to 3 s, at random moments."""
    steps: list[Step] = []
    for host in HOSTS:
        at, broken = rng.uniform(0.5, 3.0), False
        while at < CHAOS_S - 3:
            steps.append(Step(at, "mend" if broken else "break", host))
            broken = not broken
            at += rng.uniform(0.4, 5.0)
        if broken:
            steps.append(Step(at, "mend", host))
    for kind in ("hub", "host", "broker"):
        at = rng.uniform(2.0, 10.0)
        while at < CHAOS_S - 5:
            target = rng.choice(HOSTS) if kind == "host" else kind
            down = rng.uniform(0.2, 3.0)
            steps += [Step(at, "kill", target), Step(at + down, "start", target)]
            at += down + rng.uniform(4.0, 14.0)
    return sorted(steps)


@pytest.fixture
def fleet(oc_bin: str, prepared_home: Path, tmp_path: Path) -> Iterator[Fleet]:
    with running_fleet(tmp_path, oc_bin, prepared_home, HOSTS) as fleet:
        yield fleet


def test_kill_9_of_hosts_hub_and_broker_at_random_moments_loses_and_doubles_nothing(fleet: Fleet):
    seed = int(os.environ.get("CHATOPS_CHAOS_SEED") or random.SystemRandom().randrange(1 << 32))
    print(f"chaos seed {seed} (CHATOPS_CHAOS_SEED={seed} replays it)")
    why = f"(chaos seed {seed})"
    [here] = fleet.command("alerts here", channel=ALERTS)
    assert "Team alerts will be posted here" in block_text(here["blocks"])

    hub_kills = run_schedule(fleet, schedule(random.Random(seed)))
    for proc in [fleet.hub, *fleet.hosts.values()]:
        assert proc.running, f"{proc.name} exited by itself {why}:\n{proc.log()[-3000:]}"
    settle(fleet, why)
    fleet.stop()

    stream = stream_events(fleet.broker)
    hub = kv(fleet.root / "hub" / "chatops" / "state.db")
    book = hub["alerts.incidents"]
    assert hub.get("alerts.undelivered", []) == [], why
    for host in HOSTS:
        relay = kv(fleet.root / host / "chatops" / "state.db")["fleet.relay"]
        seqs = [e["seq"] for e in stream[host]]
        # Nothing lost between host and broker, nothing stored twice.
        assert seqs == list(range(1, relay["seq"] + 1)), f"{host}: stream holds {seqs}, journal seq {relay['seq']} {why}"
        assert relay["events"] == [], why
        # Nothing lost or doubled between broker and hub: all applied, each gateway event once, in order.
        assert hub[f"fleet.applied.{host}"] == relay["seq"], why
        gateway_events = [e for e in stream[host] if e["kind"] == "gateway"]
        incident = book.get(f"gateway:@{host}")
        if not gateway_events:
            assert incident is None, why
            continue
        assert incident is not None and incident["state"] == "resolved", f"{host}: {incident} {why}"
        assert len(incident["history"]) == len(gateway_events), \
            f"{host}: {len(gateway_events)} gateway events, hub history {incident['history']} {why}"

    posts = {m.ts: m for m in fleet.slack_fake.messages.values() if m.channel == ALERTS and not m.thread_ts}
    refs = {ts_of(i): key for key, i in book.items()}
    for key, i in book.items():  # every incident was told, and its message says how it ended
        message = posts.get(ts_of(i))
        assert message is not None and i["state"] == "resolved", f"{key}: {i} {why}"
        assert "Resolved" in block_text(message.blocks), f"{key}: {block_text(message.blocks)} {why}"
    for ts, message in posts.items():  # no second top-level post, unless a hub kill fell right after one
        assert ts in refs or near(ts, hub_kills), f"orphan post {block_text(message.blocks)[:300]} {why}"
    for key, i in book.items():  # each thread holds the notes its history explains, each once
        notes = [(note_text(m), m.ts) for m in sorted(fleet.slack_fake.messages.values(), key=lambda m: m.ts)
                 if m.channel == ALERTS and m.thread_ts == ts_of(i)]
        expected = [n for n in map(history_note, i["history"][1:]) if n]
        assert [n for k, (n, _) in enumerate(notes) if k == 0 or n != notes[k - 1][0]] == expected, \
            f"{key}: thread notes {notes}, history {i['history']} {why}"
        for k in range(1, len(notes)):
            if notes[k][0] == notes[k - 1][0]:
                assert near(notes[k - 1][1], hub_kills), f"{key}: note repeated {notes} {why}"


def run_schedule(fleet: Fleet, steps: list[Step]) -> list[float]:
    """Play `steps`; the wall times of the hub's kills."""
    hub_kills: list[float] = []
    start = time.monotonic()
    for step in steps:
        time.sleep(max(0.0, start + step.at - time.monotonic()))
        if step.what == "break":
            break_gateway(fleet, step.target)
        elif step.what == "mend":
            mend_gateway(fleet, step.target)
        elif step.target == "broker":
            fleet.broker.kill9() if step.what == "kill" else fleet.broker.start()
        else:
            proc = fleet.hub if step.target == "hub" else fleet.hosts[step.target]
            if step.what == "kill":
                proc.kill9()
                if proc is fleet.hub:
                    hub_kills.append(time.time())
            else:
                proc.start()
    return hub_kills


def settle(fleet: Fleet, why: str) -> None:
    """Everything is up and mended: wait until each host's journal is drained, the hub applied it all,
    every incident is resolved and every message delivered (read from the running processes' databases)."""
    def caught_up() -> bool:
        hub = kv(fleet.root / "hub" / "chatops" / "state.db")
        if hub.get("alerts.undelivered"):
            return False
        for host in HOSTS:
            relay = kv(fleet.root / host / "chatops" / "state.db").get("fleet.relay") or {}
            if relay.get("events") or hub.get(f"fleet.applied.{host}", 0) != relay.get("seq", 0):
                return False
        return all(i["state"] == "resolved" for i in (hub.get("alerts.incidents") or {}).values())

    wait_until(caught_up, SETTLE_S, f"the hub to catch up with every host {why}")
    time.sleep(1.5)  # anything still to come (a late redelivery) would land now


def kv(db: Path) -> dict[str, Any]:
    """A process's kv table, read-only (the process may still be running: WAL lets us read)."""
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        return {k: json.loads(v) for k, v in conn.execute("SELECT key, value FROM kv")}


def stream_events(broker: NatsBroker) -> dict[str, list[dict[str, Any]]]:
    """Every event the broker's stream holds, per host, in stream order."""
    async def read() -> list[dict[str, Any]]:
        nc = await broker.connect("hub")
        try:
            js = nc.jetstream()
            info = await js.stream_info(Subjects("chatops").stream())
            found = []
            for seq in range(info.state.first_seq, info.state.last_seq + 1):
                msg = await js.get_msg(info.config.name, seq)
                found.append(json.loads(msg.data or b"null"))
            return found
        finally:
            await nc.close()

    by_host: dict[str, list[dict[str, Any]]] = {h: [] for h in HOSTS}
    for event in asyncio.run(read()):
        by_host[event["host"]].append(event)
    return by_host


def ts_of(incident: dict[str, Any]) -> str:
    """The Slack ts of an incident's message (the notifier's ref is `channel/ts`)."""
    return str(incident["refs"][DEST]).rpartition("/")[2]


def history_note(line: str) -> str:
    """The thread note a history line of a gateway or host incident owes ("" for none)."""
    if " again: " in line:
        return "Again"
    if line.endswith(" resolved"):
        return "Recovered."
    return ""


def note_text(message: Any) -> str:
    text = block_text(message.blocks) + message.text
    return "Again" if "Again (" in text else "Recovered." if "Recovered." in text else text[:200]


def near(ts: str, kills: list[float]) -> bool:
    """A hub kill in the two seconds after Slack took the message `ts` (the fake's ts has whole seconds)."""
    return any(0 <= kill - int(float(ts)) <= 2 for kill in kills)
