"""`status` agrees with `openclaw models status --json`, including a real cooldown.

The cooldown is produced the way production gets one: an agent turn against a loopback fake
Anthropic that answers 401, after which OpenClaw records a 30 s `auth` cooldown.
"""
from __future__ import annotations

import pytest

from core.secrets.credentials import classify
from tests.fakes.anthropic import FakeAnthropic
from tests.harness import BotHarness

pytestmark = pytest.mark.any_runner

API_KEY = "sk-ant-api03-" + "CooldownK3y" * 9


@pytest.fixture
def anthropic():
    fake = FakeAnthropic(mode="auth").start()
    yield fake
    fake.stop()


def test_status_shows_the_gateways_cooldown_with_time_left(bot: BotHarness, anthropic: FakeAnthropic):
    bot.oc("config", "set", "models.providers.anthropic.baseUrl", anthropic.url)
    written = bot.chatops.writer.write("main", "anthropic:api", classify(API_KEY), actor="test")
    assert written.verified, written.detail
    turn = bot.oc("agent", "--local", "--agent", "main", "--message", "hi", "--json")
    assert turn.returncode != 0 and any(s.method == "POST" for s in anthropic.seen)
    assert API_KEY not in turn.stdout + turn.stderr

    truth = bot.oc_json("models", "status", "--json", "--agent", "main")["auth"]["unusableProfiles"]
    assert [u["profileId"] for u in truth] == ["anthropic:api"] and truth[0]["reason"] == "auth"

    [reply] = bot.console("status main")
    section = reply["sections"][0]
    field = next(f for f in section["fields"] if f["label"] == "anthropic:api")
    assert field["value"].startswith("cooldown (auth),") and "left" in field["value"]
    assert truth[0]["recoveryHint"] in field["value"]
    assert "No available auth profile for anthropic" in section["text"]
    assert reply["severity"] == "error"

    [doctor] = bot.console("doctor main")
    titles = [s["title"] for s in doctor["sections"]]
    assert any("No available auth profile" in t for t in titles)
    assert any("401 / invalid token on anthropic:api" in t for t in titles)
