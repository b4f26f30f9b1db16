"""The hub's dispatcher against real host services (scripted OpenClaw, no Node), joined by a
loopback link that carries every message as JSON the way the broker does. The broker itself,
its permissions and the processes are tests/fleet/test_fleet.py's; this is what the hub decides:
which host, what a fleet-wide answer shows, where a button or a paste goes, what is sealed to whom."""
from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from core.access import HubAssertedPolicy, Policy, Role
from core.actions import ActionId
from core.alerts.center import AlertCenter
from core.alerts.outbox import Outbox
from core.errors import ChatSafeError
from core.fleet.host_service import HostService
from core.fleet.hub import FleetDispatcher, HostUnavailable, hub_deps
from core.fleet.keys import HostKeys, HubKeys, encode_public
from core.fleet.roster import Roster
from core.fleet.sealing import ReplayLedger
from core.handlers.deps import Options
from core.progress import SILENT, ProgressSink
from core.requests import Place, PlaceKind, Request, User
from core.secrets.credentials import fingerprint
from core.store import Store
from tests.harness import BotHarness, copy_home, fake_binary, make_bot, prepare_home

ADMIN = User("slack", "UADMIN", "ann")
OPERATOR = User("slack", "UOPS", "otto")
VIEWER = User("slack", "UVIEW", "vic")
TOKEN = "sk-ant-oat01-" + "HubDispatch9_" * 7
CHANNEL = Place(PlaceKind.CHANNEL, "C1")
DM = Place(PlaceKind.DM, "DUADMIN")


@dataclass
class LoopbackLink:
    """Hosts answering in-process; every message goes through JSON both ways, as on the broker."""

    services: dict[str, HostService]
    down: set[str] = field(default_factory=set)
    sent: list[dict[str, Any]] = field(default_factory=list)

    def ask(self, host: str, op: Mapping[str, Any], *, timeout: float,
            progress: ProgressSink = SILENT) -> dict[str, Any]:
        if host in self.down:
            raise HostUnavailable(f"Host `{host}` did not answer within {timeout:g} s.")
        message = json.loads(json.dumps(op))
        self.sent.append(message)
        return json.loads(json.dumps(self.services[host].answer(message, progress)))

    def ask_each(self, hosts: list[str], op: Mapping[str, Any], *,
                 timeout: float) -> dict[str, dict[str, Any] | ChatSafeError]:
        answers: dict[str, dict[str, Any] | ChatSafeError] = {}
        for host in hosts:
            try:
                answers[host] = self.ask(host, op, timeout=timeout)
            except ChatSafeError as exc:
                answers[host] = exc
        return answers


@dataclass
class Rig:
    hub: FleetDispatcher
    link: LoopbackLink
    hosts: dict[str, BotHarness]
    roster: Roster

    def say(self, text: str, user: User = ADMIN, place: Place = CHANNEL):
        return self.hub.handle(Request(user, place, text))


@pytest.fixture(scope="module")
def scripted_home(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    binary = fake_binary(tmp_path_factory.mktemp("scripted"))
    return binary, prepare_home(binary, tmp_path_factory.mktemp("prepared") / "home")


@pytest.fixture
def rig(scripted_home: tuple[str, Path], tmp_path: Path) -> Iterator[Rig]:
    binary, prepared = scripted_home
    hub_keys = HubKeys.load_or_create(tmp_path / "hub" / "hub.key")
    hosts: dict[str, BotHarness] = {}
    services: dict[str, HostService] = {}
    pins: dict[str, str] = {}
    for name in ("alpha", "beta"):
        harness = make_bot(binary, copy_home(prepared, tmp_path / name / "home"), tmp_path / name / "chatops")
        harness.parts.chatops.policy = HubAssertedPolicy(default_role=Role.NOBODY)
        keys = HostKeys.load_or_create(tmp_path / name / "host.key")
        services[name] = HostService(name, harness.parts.chatops, keys, hub_keys.public_bytes(),
                                     ReplayLedger(harness.parts.store))
        hosts[name], pins[name] = harness, keys.fingerprint
    store = Store(tmp_path / "hub" / "state.db")
    roster = Roster(pins)
    link = LoopbackLink(services)
    policy = Policy(admins=frozenset({"slack:UADMIN"}), operators=frozenset({"slack:UOPS"}), default_role=Role.VIEWER)
    hub = FleetDispatcher(hub_deps(store, policy, AlertCenter(store, Outbox({})), Options()), roster, link, hub_keys)
    for name, service in services.items():
        assert roster.heard(name, service.beat())
    yield Rig(hub, link, hosts, roster)
    store.close()
    for harness in hosts.values():
        harness.parts.store.close()


def text_of(reply) -> str:
    return json.dumps(reply.to_dict(), ensure_ascii=False)


def test_a_fleet_wide_status_has_a_section_per_host_and_names_a_silent_one(rig: Rig):
    rig.link.down.add("beta")
    reply = rig.say("status")
    titles = [s.title for s in reply.sections]
    assert titles == ["alpha · Agent main", "alpha · Agent ops", "beta: not answering"]  # alpha has no profiles yet
    assert "did not answer" in reply.sections[2].text and "Last seen" in reply.sections[2].text
    rig.link.down.clear()
    healthy = rig.say("status")  # nothing to show for either: one section each, in host order
    assert [s.title.split(" ")[0] for s in healthy.sections] == ["alpha", "alpha", "beta", "beta"]


def test_help_at_the_hub_says_how_to_name_a_host(rig: Rig):
    assert "2 gateway host(s): alpha, beta" in rig.say("help").context


def test_a_write_asks_which_host_and_the_button_runs_it_there(rig: Rig):
    which = rig.say("remove anthropic:x main")
    assert which.title == "Which host?" and which.code == "host-needed"
    assert [(a.id, a.value) for a in which.actions] == [(ActionId.FLEET_HOST, "alpha|remove anthropic:x main"),
                                                       (ActionId.FLEET_HOST, "beta|remove anthropic:x main")]
    picked = rig.hub.act(Request(ADMIN, CHANNEL, ""), which.actions[1].id, which.actions[1].value)
    assert rig.link.sent[-1]["request"]["text"] == "remove anthropic:x main"
    assert "host `beta`" in picked.context
    denied = rig.hub.act(Request(VIEWER, CHANNEL, ""), which.actions[1].id, which.actions[1].value)
    assert denied.code == "denied"  # the role check is the hub's, for the button as for the command


def test_a_dm_paste_goes_sealed_to_the_host_that_opened_the_session(rig: Rig):
    start = rig.say("paste-token ops --host beta")
    assert start.direct is not None and start.direct.prompt is not None
    assert start.direct.prompt.session_id.startswith("beta|")
    stored = rig.hub.inspect_message(Request(ADMIN, DM, TOKEN))
    assert stored is not None and not stored.failed, text_of(stored)
    assert "stored for agent ops" in stored.title
    secret_op = next(m for m in rig.link.sent if m["op"] == "secret")
    assert TOKEN not in json.dumps(rig.link.sent)  # only the sealed form crossed
    assert secret_op["sealed"]["host"] == "beta" and secret_op["sealed"]["agent"] == "ops"
    assert fingerprint(TOKEN) in text_of(rig.say("status ops @beta"))
    assert fingerprint(TOKEN) not in text_of(rig.say("status ops @alpha"))
    # The same sealed message again (a replay on the broker) is refused by the host.
    again = rig.link.services["beta"].answer(secret_op)
    assert again["reply"]["code"] == "sealed" and TOKEN not in json.dumps(again)
    assert rig.hosts["beta"].parts.store.audit_rows(1)[0].detail == "replayed"


def test_a_host_whose_key_does_not_match_its_pin_gets_nothing(rig: Rig):
    impostor = HostKeys.load_or_create(rig.hosts["alpha"].parts.settings.chatops_dir / "other.key")
    beat = {**rig.link.services["alpha"].beat(), "public_key": encode_public(impostor.public_bytes())}
    state = rig.roster.hosts["alpha"]
    state.public_key = None
    assert not rig.roster.heard("alpha", beat)
    assert state.public_key is None  # the impostor's key was not taken


def test_rotate_now_from_an_operator_is_offered_to_the_admin_who_onboarded_on_that_host(rig: Rig):
    """The host knows who onboarded (its audit rows), the hub knows who is an admin: the offer goes
    to the onboarding admin's DM, and their "Start rotation" is checked at the hub."""
    rig.say("paste-token ops --host beta")
    assert not rig.hub.inspect_message(Request(ADMIN, DM, TOKEN)).failed
    offered = rig.hub.act(Request(OPERATOR, CHANNEL, ""), ActionId.ROTATION_START, "beta|ops|anthropic:default")
    assert not offered.failed, text_of(offered)
    assert offered.direct_user == ADMIN.id and offered.direct is not None
    [start] = offered.direct.actions
    assert start.value == "beta|ops|anthropic:default"
    assert rig.hub.act(Request(OPERATOR, DM, ""), start.id, start.value).code == "denied"
    begun = rig.hub.act(Request(ADMIN, DM, ""), start.id, start.value)
    assert begun.prompt is not None and begun.prompt.session_id.startswith("beta|")
