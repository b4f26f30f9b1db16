"""Alerts across hosts without a broker: a host's `HostRelay` journals what its watcher reports, the
hub's `apply_event` turns the events into incidents scoped to that host. What NATS does in between
(deliver at least once, maybe twice, maybe after a restart) is played by handing events over by hand."""
from __future__ import annotations

import io
import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.console.notifier import ConsoleNotifier
from core.actions import ActionId
from core.alerts.center import AlertCenter
from core.alerts.outbox import Destination, Outbox
from core.alerts.render import incident_reply
from core.alerts.watcher import Watcher
from core.fleet.alert_intake import apply_event, host_back, host_unreachable
from core.fleet.relay import HostRelay
from core.store import Store
from tests.harness import BotHarness

MANAGED = ("profile", "exhausted", "expiry", "stuck", "failover")
KEY = "profile:ops/anthropic:x"


def cooldown(profile: str = "anthropic:x") -> dict[str, Any]:
    return {"kind": "cooldown", "owner": "ops", "profile": profile, "provider": "anthropic",
            "reason": "rate_limit", "until": int(time.time() * 1000) + 3_600_000, "agents": ["ops"]}


class Hub:
    """The hub's alert side: its own Store, an AlertCenter, the console notifier."""

    def __init__(self, db: Path):
        self.db, self.out = db, io.StringIO()
        self.open()

    def open(self) -> None:
        self.store = Store(self.db)
        self.center = AlertCenter(self.store, Outbox({"console": ConsoleNotifier(self.out, json_mode=True)},
                                                     threaded=False))
        self.center.set_destination(Destination("console", "console"))
        self.center.resume()

    def restart(self) -> None:
        self.store.close()
        self.open()

    def ops(self, op: str = "post") -> list[str]:
        return [e["reply"]["title"] for e in map(json.loads, self.out.getvalue().splitlines()) if e["alert"] == op]


@pytest.fixture
def hub(tmp_path: Path) -> Iterator[Hub]:
    h = Hub(tmp_path / "hub.db")
    yield h
    h.store.close()


@pytest.fixture
def host_store(tmp_path: Path) -> Iterator[Store]:
    s = Store(tmp_path / "host.db")
    yield s
    s.close()


def test_a_redelivered_event_is_applied_once_even_across_a_hub_restart(hub: Hub, host_store: Store):
    relay = HostRelay(host_store, "prod")
    relay.reconcile({KEY: cooldown()}, MANAGED)
    (event,) = relay.pending()
    assert apply_event(hub.center, event)
    assert not apply_event(hub.center, event)  # the broker redelivered it
    hub.restart()
    assert not apply_event(hub.center, dict(event))
    assert hub.ops() == ["⚠️ Profile in cooldown — ops/anthropic:x on host prod"]
    incident = hub.center.book.incidents["profile:@prod ops/anthropic:x"]
    assert incident.detail["host"] == "prod" and hub.store.get("fleet.applied.prod") == event["seq"]


def test_two_hosts_observations_do_not_resolve_each_others_incidents(hub: Hub, tmp_path: Path):
    stores = {name: Store(tmp_path / f"{name}.db") for name in ("prod", "staging")}
    relays = {name: HostRelay(s, name) for name, s in stores.items()}
    for relay in relays.values():
        relay.reconcile({KEY: cooldown()}, MANAGED)
    relays["prod"].reconcile({}, MANAGED)  # prod recovered; staging still cools down
    for event in relays["staging"].pending() + relays["prod"].pending():
        assert apply_event(hub.center, event)
    assert [i.key for i in hub.center.open_incidents()] == ["profile:@staging ops/anthropic:x"]
    assert hub.ops("update") == ["✅ Resolved: Profile in cooldown — ops/anthropic:x on host prod (after 0s)"]
    for s in stores.values():
        s.close()


def test_gateway_credential_and_silent_host_events(hub: Hub, host_store: Store):
    relay = HostRelay(host_store, "prod")
    relay.gateway_down("connect ECONNREFUSED")
    relay.gateway_down("connect ECONNREFUSED")  # still down, same error: no new event
    relay.gateway_up()
    host_store.audit("slack:U1", "rotate", "rotated", agent="ops", profile_id="anthropic:x", fingerprint="…WXYZ",
                     detail="setup-token")
    (row,) = host_store.audit_rows(1)
    relay.credential_changed(row)
    events = relay.pending()
    assert [(e["kind"], e.get("down")) for e in events] == [("gateway", True), ("gateway", False), ("credential", None)]
    for event in events:
        assert apply_event(hub.center, event)
    assert hub.ops() == ["⛔ Gateway unreachable — host prod",
                         "🔑 Credential rotated: anthropic:x on agent ops on host prod by slack:U1 (…WXYZ)"]
    assert hub.ops("update") == [next(t for t in hub.ops("update") if t.startswith("✅ Resolved: Gateway unreachable"))]
    (mirrored,) = hub.store.audit_rows(1)
    assert (mirrored.actor, mirrored.action, mirrored.result, mirrored.profile_id, mirrored.fingerprint,
            mirrored.detail) == ("slack:U1", "rotate", "rotated", "anthropic:x", "…WXYZ", "@prod setup-token")
    assert not apply_event(hub.center, events[-1]) and len(hub.store.audit_rows(10)) == 1

    host_unreachable(hub.center, "prod", last_seen=time.time() - 90)
    (incident,) = hub.center.open_incidents()
    reply = incident_reply(incident)
    assert reply.title == "⛔ Host unreachable — host prod"
    assert any(f.label == "Last seen" and f.value.startswith("1m 30s ago") for s in reply.sections for f in s.fields)
    host_back(hub.center, "prod")
    assert hub.center.open_incidents() == []


MALFORMED: list[Any] = [
    "not an object",
    {"seq": 1, "kind": "gateway", "down": True, "message": "x"},  # no host
    {"seq": 1, "host": "Prod.x", "kind": "gateway", "down": True, "message": "x"},  # not a host name
    {"seq": "1", "host": "prod", "kind": "gateway", "down": True, "message": "x"},
    {"seq": True, "host": "prod", "kind": "gateway", "down": True, "message": "x"},
    {"seq": 1, "host": "prod", "kind": "meteor"},
    {"seq": 1, "host": "prod", "kind": "gateway", "down": "yes", "message": "x"},
    {"seq": 1, "host": "prod", "kind": "observation", "problems": [], "managed": []},
    {"seq": 1, "host": "prod", "kind": "observation", "problems": {"nokind": {}}, "managed": []},
    {"seq": 1, "host": "prod", "kind": "observation", "problems": {KEY: "cooldown"}, "managed": []},
    {"seq": 1, "host": "prod", "kind": "observation", "problems": {KEY: {**cooldown(), "until": "soon"}},
     "managed": ["profile"]},
    {"seq": 1, "host": "prod", "kind": "observation", "problems": {KEY: {**cooldown(), "agents": [1]}},
     "managed": ["profile"]},
    {"seq": 1, "host": "prod", "kind": "credential", "row": {"actor": "x"}},
    {"seq": 1, "host": "prod", "kind": "credential", "row": None},
]


@pytest.mark.parametrize("event", MALFORMED, ids=range(len(MALFORMED)))
def test_a_malformed_event_is_logged_and_skipped(hub: Hub, event: Any, caplog: pytest.LogCaptureFixture):
    with caplog.at_level(logging.WARNING):
        assert apply_event(hub.center, event) is False
    assert "malformed" in caplog.text
    assert hub.center.book.incidents == {} and hub.store.get("fleet.applied.prod") is None
    assert hub.store.audit_rows(10) == [] and hub.out.getvalue() == ""


def test_the_relay_survives_a_restart_with_its_seq_continuing(tmp_path: Path):
    store = Store(tmp_path / "host.db")
    relay = HostRelay(store, "prod")
    relay.reconcile({KEY: cooldown()}, MANAGED)
    relay.gateway_down("timeout")
    relay.mark_sent(relay.pending()[0]["seq"])
    store.close()

    store = Store(tmp_path / "host.db")
    reborn = HostRelay(store, "prod")
    assert [(e["seq"], e["kind"]) for e in reborn.pending()] == [(2, "gateway")]
    reborn.mark_sent(2)
    reborn.gateway_down("timeout")  # the state was kept: no repeated event
    reborn.gateway_up()
    assert [(e["seq"], e["kind"], e["down"]) for e in reborn.pending()] == [(3, "gateway", False)]
    store.close()


def test_the_journal_bound_collapses_observations_and_never_drops_silently(
        host_store: Store, caplog: pytest.LogCaptureFixture):
    relay = HostRelay(host_store, "prod", max_events=5)
    relay.gateway_down("timeout")
    for n in range(8):
        relay.reconcile({KEY: {**cooldown(), "until": n}}, MANAGED)
    relay.gateway_up()
    kinds = [(e["kind"], e.get("problems", {}).get(KEY, {}).get("until")) for e in relay.pending()]
    assert len(kinds) <= 5 and ("gateway", None) in kinds and kinds[-1] == ("gateway", None)
    assert ("observation", 7) in kinds and ("observation", 0) not in kinds  # the newest supersedes
    assert "reached its bound" in caplog.text

    with caplog.at_level(logging.ERROR):
        for n in range(6):
            relay.gateway_down(f"error {n}")
    assert len(relay.pending()) == 5
    assert "dropped 1 unsent events" in caplog.text


def test_a_hosts_incidents_render_with_their_host_and_route_rotate_now_to_it(hub: Hub, host_store: Store):
    relay = HostRelay(host_store, "prod")
    expiring = {"kind": "expiring", "stage": "24h", "owner": "ops", "profile": "anthropic:tok",
                "expires_at": int(time.time() * 1000) + 3_600_000}
    relay.reconcile({"expiry:ops/anthropic:tok": expiring}, MANAGED)
    apply_event(hub.center, relay.pending()[0])
    (incident,) = hub.center.open_incidents()
    reply = incident_reply(incident)
    assert reply.title == "⚠️ Token expiring — ops/anthropic:tok on host prod"
    assert "--host prod" in reply.text
    assert any(f.label == "Host" and f.value == "prod" for s in reply.sections for f in s.fields)
    rotate = next(a for a in reply.actions if a.id == ActionId.ROTATION_START)
    assert rotate.value == "prod|ops|anthropic:tok"


@pytest.mark.any_runner
def test_a_hosts_watcher_reports_through_the_relay_and_the_hub_posts(bot: BotHarness, hub: Hub):
    """The watcher unchanged, its sink a HostRelay: an onboarding on the host reaches the hub's
    channel as a note naming the host, and the hub's audit mirror holds the row (fingerprint only)."""
    token = "sk-ant-oat01-" + "RelayTok3n" * 9
    relay = HostRelay(bot.parts.store, "prod")
    watcher = Watcher(bot.parts.gateway, relay)
    assert watcher.tick()  # the first look: an observation; the audit cursor starts at the present
    assert "stored for agent main" in bot.console("onboard main setup-token --profile-id anthropic:team",
                                                  token)[-1]["title"]
    watcher.tick()
    events = relay.pending()
    assert [e["kind"] for e in events] == ["observation", "credential"]
    for event in events:
        assert apply_event(hub.center, event)
    (note,) = [t for t in hub.ops() if t.startswith("🔑")]
    assert note.startswith("🔑 Credential onboarded: anthropic:team on agent main on host prod by ")
    (mirrored,) = hub.store.audit_rows(10)
    assert mirrored.action == "onboard" and mirrored.detail.startswith("@prod")
    assert token not in json.dumps(events) and token not in hub.out.getvalue() and token not in repr(mirrored)
