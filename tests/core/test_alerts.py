"""Team alerts end to end: real OpenClaw cooldowns and disables, seen by the watcher, delivered by
the console adapter's notifier; restarts neither re-post nor lose the recovery."""
from __future__ import annotations

import io
import json
import time

import pytest

from adapters.console.notifier import ConsoleNotifier
from bot.app import build
from core.alerts.outbox import Destination
from core.secrets.credentials import classify
from tests.fakes.anthropic import FakeAnthropic
from tests.harness import BotHarness, force_slow_path

TOKEN = "sk-ant-oat01-" + "AlertTok3n" * 9
API_KEY = "sk-ant-api03-" + "AlertK3y" * 11


def wire(parts, out: io.StringIO) -> None:
    parts.alerts.outbox.threaded = False
    parts.add_notifier("console", ConsoleNotifier(out, json_mode=True))
    parts.alerts.set_destination(Destination("console", "console"))


def events(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


@pytest.fixture
def anthropic():
    fake = FakeAnthropic().start()
    yield fake
    fake.stop()


@pytest.mark.slow  # a real agent turn, then the real 30 s cooldown runs out
def test_cooldowns_exhaustion_expiry_restart_and_recovery(bot: BotHarness, anthropic: FakeAnthropic):
    anthropic.mode = "auth"
    bot.oc("config", "set", "models.providers.anthropic.baseUrl", anthropic.url)
    writer = bot.chatops.writer
    assert writer.write("main", "anthropic:default", classify(TOKEN), actor="test", expires_in="2d").verified
    assert writer.write("main", "anthropic:api", classify(API_KEY), actor="test").verified
    out = io.StringIO()
    wire(bot.parts, out)
    watcher = bot.parts.watcher
    assert watcher.tick()
    first = events(out)
    assert [e["alert"] for e in first] == ["post"]
    assert first[0]["reply"]["title"].startswith("⚠️ Token expiring — main/anthropic:default")

    turn = bot.oc("agent", "--local", "--agent", "main", "--message", "hi", "--json")
    assert turn.returncode != 0
    assert watcher.due(time.time())  # the cooldown write changed the store files
    assert watcher.tick()
    posts = [e for e in events(out) if e["alert"] == "post"]
    assert [e["reply"]["title"] for e in posts[1:]] == ["⚠️ Profile in cooldown — main/anthropic:default"]
    refs = {e["reply"]["title"]: e["ref"] for e in posts}
    for text in (TOKEN, API_KEY):
        assert text not in out.getvalue()

    # Restart mid-incident: a new process reads the persisted incidents and posts nothing new.
    bot.parts.store.close()
    reborn = build(bot.parts.settings)
    out2 = io.StringIO()
    wire(reborn, out2)
    assert reborn.watcher.tick(force=True)
    assert [e for e in events(out2) if e["alert"] == "post"] == []
    status = reborn.chatops.handle(_console_request()).to_dict()
    assert any(s["title"] == "Open incidents" for s in status["sections"])

    # Recovery after `until`: the original messages are edited to resolved.
    until = max(i.detail.get("until", 0) for i in reborn.alerts.open_incidents())
    time.sleep(max(0.0, until / 1000 - time.time()) + 1.0)
    assert reborn.watcher.tick()
    updates = [e for e in events(out2) if e["alert"] == "update" and e["reply"]["title"].startswith("✅ Resolved")]
    resolved_refs = sorted(e["ref"] for e in updates)
    expected = sorted(ref for title, ref in refs.items() if "cooldown" in title)
    assert resolved_refs == expected
    reborn.store.close()


def _console_request():
    from core.requests import Place, PlaceKind, Request, User

    return Request(User("console", "tester"), Place(PlaceKind.CONSOLE, "console"), "status main")


@pytest.mark.slow  # a real agent turn, then status through the CLI for both agents
def test_billing_disables_both_profiles_exhausts_the_provider_and_the_gateway_going_away(
        bot: BotHarness, anthropic: FakeAnthropic):
    anthropic.mode = "billing"
    bot.oc("config", "set", "models.providers.anthropic.baseUrl", anthropic.url)
    assert bot.chatops.writer.write("main", "anthropic:api", classify(API_KEY), actor="test").verified
    assert bot.chatops.writer.write("main", "anthropic:backup", classify(API_KEY[:-4] + "ZZZZ"), actor="test").verified
    out = io.StringIO()
    wire(bot.parts, out)
    bot.parts.watcher.tick()
    bot.oc("agent", "--local", "--agent", "main", "--message", "hi", "--json")
    bot.parts.watcher.tick()
    titles = sorted(e["reply"]["title"] for e in events(out) if e["alert"] == "post")
    # ops reads main's profiles through, so it is out of profiles too; the disables are main's, once.
    assert titles == ["⛔ No available auth profile — main/anthropic", "⛔ No available auth profile — ops/anthropic",
                      "⛔ Profile disabled — main/anthropic:api", "⛔ Profile disabled — main/anthropic:backup"], titles
    disabled = next(i for i in bot.parts.alerts.open_incidents() if i.kind == "disabled")
    assert disabled.detail["reason"] == "billing" and disabled.detail["until"] / 1000 - time.time() > 60

    # On a release the store reader does not know, looks go to the CLI; when it disappears, after N
    # consecutive failures the gateway itself is an incident.
    force_slow_path(bot.state_dir)
    bot.parts.gateway.runner.binary = "/nonexistent/openclaw"
    for _ in range(bot.parts.watcher.unreachable_after):
        bot.parts.watcher.tick(force=True)
    titles = [e["reply"]["title"] for e in events(out) if e["alert"] == "post"]
    assert any(t.startswith("⛔ Gateway unreachable") for t in titles)
    bot.parts.gateway.runner.binary = bot.binary
    bot.parts.watcher.tick(force=True)
    assert not any(i.key == "gateway:unreachable" for i in bot.parts.alerts.open_incidents())


@pytest.mark.any_runner
def test_a_garbled_openclaw_json_is_an_unreachable_gateway_not_a_failing_watcher(bot: BotHarness):
    """A hand edit that breaks openclaw.json made every look raise before it could be counted: the
    watcher logged a traceback each poll and nobody was told. It is a gateway failure like any."""
    out = io.StringIO()
    wire(bot.parts, out)
    watcher = bot.parts.watcher
    watcher.tick()
    config = bot.state_dir / "openclaw.json"
    good = config.read_text()
    config.write_text("{ agents: { this is not json5")
    try:
        for _ in range(watcher.unreachable_after):
            watcher.retry_s = 0.0  # each poll is a retry here; production spaces them by retry_s
            watcher.tick()
        assert any(i.key == "gateway:unreachable" for i in bot.parts.alerts.open_incidents())
        [post] = [e for e in events(out) if e["alert"] == "post"]
        assert post["reply"]["title"].startswith("⛔ Gateway unreachable") and "JSON5" in json.dumps(post)
    finally:
        config.write_text(good)
    watcher.tick()
    assert not any(i.key == "gateway:unreachable" for i in bot.parts.alerts.open_incidents())
