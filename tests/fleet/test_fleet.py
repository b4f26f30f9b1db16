"""The fleet end to end: a real nats-server, three `openclaw-chatops host` processes each with its
own OpenClaw home (the real CLI), and an `openclaw-chatops hub` process answering Slack (the fake)
in HTTP mode. Commands go in as Slack sends them; what users see is read from the fake Slack."""
from __future__ import annotations

import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from bot.health import HEALTH_FILE, describe_health, read_health
from core.secrets.credentials import fingerprint
from tests.adapters.slack.conftest import ADMIN, block_text, buttons, dm_messages_with, posts_to
from tests.fakes.anthropic import FakeAnthropic
from tests.fleet.rig import ALERTS, Fleet, break_gateway, mend_gateway, running_fleet, wait_until
from tests.harness import run_oc
from tests.leaks import files_holding, found_in, openclaw_logs

HOSTS = ("alpha", "beta", "gamma")
TOKEN = "sk-ant-oat01-" + "FleetPaste7_" * 8
DM = "D" + ADMIN.lstrip("U")
API_KEY = "sk-ant-api03-" + "FleetCooldownK3y" * 6
pytestmark = [pytest.mark.xdist_group("fleet"), pytest.mark.slow]


@pytest.fixture(scope="module")
def fleet(oc_bin: str, prepared_home: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fleet]:
    with running_fleet(tmp_path_factory.mktemp("fleet"), oc_bin, prepared_home, HOSTS) as fleet:
        yield fleet




def channel_posts(fleet: Fleet, channel: str = ALERTS) -> list:
    """Top-level messages in `channel` (not thread follow-ups), as they read now."""
    return [m for m in list(fleet.slack_fake.messages.values()) if m.channel == channel and not m.thread_ts]


def incident(fleet: Fleet, *words: str) -> list:
    return [m for m in channel_posts(fleet) if all(w in block_text(m.blocks) for w in words)]


def test_status_shows_every_host_in_a_section_of_its_own(fleet: Fleet):
    [answer] = fleet.command("status")
    text = block_text(answer["blocks"])
    assert "3 gateway hosts" in text
    for name in HOSTS:
        assert f"{name}" in text
    [one] = fleet.command("status main @beta")
    assert "Agent main" in block_text(one["blocks"]) and "host `beta`" in block_text(one["blocks"])
    [unknown] = fleet.command("status --host delta")
    assert "No host `delta`" in block_text(unknown["blocks"])
    # `service status` reads each process's health file: the hub knows its broker link and hosts.
    def health(member: str) -> list[str]:
        return describe_health(read_health(fleet.root / member / "chatops" / HEALTH_FILE))
    wanted = ["message broker: connected", "adapters: slack connected", "gateway hosts: alpha up, beta up, gamma up"]
    wait_until(lambda: all(line in health("hub") for line in wanted), 30,
               "the hub's health file to show its links and every host")  # written every 10 s
    assert "message broker: connected" in health("beta") and "gateway: reachable" in " ".join(health("beta"))


def test_a_silent_host_is_shown_with_when_it_was_last_seen_and_becomes_an_incident(fleet: Fleet):
    [here] = fleet.command("alerts here", channel=ALERTS)
    assert "Team alerts will be posted here" in block_text(here["blocks"])
    fleet.hosts["gamma"].kill9()
    [answer] = fleet.command("status")
    text = block_text(answer["blocks"])
    assert "gamma: not answering" in text and "Last seen" in text
    assert "alpha" in text and "beta" in text
    [post] = wait_until(lambda: incident(fleet, "Host unreachable", "gamma"), 30, "the silent-host incident")
    mark = len(fleet.hub_log())
    fleet.hosts["gamma"].start()
    fleet.wait_heard("gamma", since=mark)
    wait_until(lambda: "resolved" in block_text(post.blocks).lower(), 30, "the incident to resolve")
    assert len(incident(fleet, "Host unreachable", "gamma")) == 1


def test_a_write_asks_which_host_and_the_paste_lands_sealed_on_that_host_only(fleet: Fleet):
    [which] = fleet.command("paste-token main")
    assert "Which host?" in block_text(which["blocks"])
    beta = next(b for b in buttons(which["blocks"]) if b["text"]["text"] == "beta")
    fleet.slack.click(beta, channel="C0TEAM", ephemeral=True)
    wait_until(lambda: posts_to(fleet.slack_fake), 60, "the DM asking for the token")

    status, _ = fleet.slack.message(TOKEN, channel=DM, channel_type="im", event_id="EvFleetPaste")
    assert status == 200
    wait_until(lambda: dm_messages_with(fleet.slack_fake, "stored for agent main"), 180, "the stored reply")

    [beta_status] = fleet.command("status main --host beta")
    assert fingerprint(TOKEN) in block_text(beta_status["blocks"])
    for name in ("alpha", "gamma"):
        [other] = fleet.command(f"status main --host {name}")
        assert fingerprint(TOKEN) not in block_text(other["blocks"])
    audit = fleet.oc_json("beta", "secrets", "audit", "--json")
    assert audit["summary"]["plaintextCount"] == 0, audit
    # The broker's storage, the hub's files, every host's files and every log: no trace.
    assert files_holding(TOKEN, fleet.root) == []
    assert not found_in(TOKEN, fleet.slack_fake.all_bytes())
    assert not found_in(TOKEN, openclaw_logs())


def test_alerts_raised_while_the_hub_was_down_arrive_once(fleet: Fleet):
    fleet.command("alerts here", channel=ALERTS)
    fleet.hub.kill9()
    break_gateway(fleet, "beta")
    try:
        time.sleep(2)  # beta's watcher sees it and journals the event while the hub is away
        mark = len(fleet.hub_log())
        fleet.hub.start()
        fleet.wait_ready(since=mark)
        [post] = wait_until(lambda: incident(fleet, "Gateway unreachable", "beta"), 30, "beta's incident")
    finally:
        mend_gateway(fleet, "beta")
    wait_until(lambda: "resolved" in block_text(post.blocks).lower(), 30, "beta's recovery")
    fleet.hub.kill9()
    mark = len(fleet.hub_log())
    fleet.hub.start()
    fleet.wait_ready(since=mark)
    time.sleep(2)
    assert len(incident(fleet, "Gateway unreachable", "beta")) == 1


def test_with_the_broker_down_the_hub_says_so_and_the_hosts_alerts_wait(fleet: Fleet):
    fleet.command("alerts here", channel=ALERTS)
    fleet.broker.kill9()
    try:
        [answer] = fleet.command("status")
        assert "Message broker unreachable" in block_text(answer["blocks"])
        break_gateway(fleet, "alpha")
        time.sleep(2)
    finally:
        fleet.broker.start()
    try:
        [post] = wait_until(lambda: incident(fleet, "Gateway unreachable", "alpha"), 60, "alpha's incident")
    finally:
        mend_gateway(fleet, "alpha")
    wait_until(lambda: "resolved" in block_text(post.blocks).lower(), 30, "alpha's recovery")
    assert len(incident(fleet, "Gateway unreachable", "alpha")) == 1


def test_cooldowns_on_two_hosts_at_once_are_an_incident_each_naming_its_host(fleet: Fleet):
    """Real cooldowns: a key on alpha and on gamma, one agent turn each at the same moment against
    a fake Anthropic that answers 401; each host's watcher sees its own, the hub posts both."""
    fleet.command("alerts here", channel=ALERTS)
    anthropic = FakeAnthropic(mode="auth").start()

    def key_and_turn(name: str) -> None:  # the two hosts in parallel: each is a few CLI calls
        home = fleet.homes[name]
        assert run_oc(fleet.oc_bin, home, "config", "set", "models.providers.anthropic.baseUrl",
                      anthropic.url).returncode == 0
        assert run_oc(fleet.oc_bin, home, "models", "auth", "paste-api-key", "--provider", "anthropic",
                      "--agent", "main", "--profile-id", "anthropic:api", stdin=API_KEY + "\n").returncode == 0
        run_oc(fleet.oc_bin, home, "agent", "--local", "--agent", "main", "--message", "hi", "--json", timeout=180)

    try:
        with ThreadPoolExecutor(2) as pool:
            list(pool.map(key_and_turn, ("alpha", "gamma")))
    finally:
        anthropic.stop()
    for name in ("alpha", "gamma"):
        wait_until(lambda n=name: incident(fleet, "anthropic:api", f"host {n}"), 60, f"{name}'s cooldown alert")
    assert not incident(fleet, "anthropic:api", "host beta")
    assert not [m for m in channel_posts(fleet) if "host alpha" in block_text(m.blocks)
                and "host gamma" in block_text(m.blocks)]
