"""`cache` round-trips through OpenClaw's own config writer and reader."""
from __future__ import annotations

import json

import json5
import pytest

from tests.harness import BotHarness

pytestmark = pytest.mark.any_runner

MODEL = "anthropic/claude-opus-4-6"
PARAMS = f'agents.defaults.models["{MODEL}"].params'


def params(bot: BotHarness, path: str = PARAMS) -> dict:
    result = bot.oc("config", "get", path, "--json")
    assert result.returncode == 0, result.stderr[-500:]
    return json.loads(result.stdout[result.stdout.index("{"):])


def test_every_spelling_round_trips(bot: BotHarness):
    """Each spelling is checked in the file OpenClaw wrote; OpenClaw's reader checks the last one
    and validates the whole file (one CLI call each instead of one per spelling)."""
    for spoken, stored in (("long", "long"), ("5m", "short"), ("none", "none"), ("1h", "long"), ("short", "short")):
        [reply] = bot.console(f"cache {MODEL} {spoken}")
        assert not reply["failed"], reply
        got = json5.loads((bot.state_dir / "openclaw.json").read_text())["agents"]["defaults"]["models"][MODEL]["params"]
        assert got["cacheRetention"] == stored
        if stored == "long":
            assert "extended-cache-ttl-2025-04-11" in got["anthropicBeta"]
        if spoken in ("5m", "1h"):
            assert "legacy" in reply["text"]
    assert params(bot) == got
    validated = bot.oc("config", "validate", "--json")
    assert validated.returncode == 0, validated.stdout[-500:]


def test_long_merges_the_beta_with_existing_ones_and_per_agent_override(bot: BotHarness):
    bot.parts.gateway.config_set({f"{PARAMS}.anthropicBeta": ["other-beta-2025-01-01"]})
    [reply] = bot.console("cache long --agent ops")
    assert not reply["failed"], reply
    own = params(bot, "agents.entries.ops.params")
    assert own["cacheRetention"] == "long"
    assert own["anthropicBeta"] == ["other-beta-2025-01-01", "extended-cache-ttl-2025-04-11"]
    assert params(bot).get("cacheRetention") is None  # the defaults were not touched


def test_bad_values_are_refused_before_openclaw_is_asked(bot: BotHarness):
    before = (bot.state_dir / "openclaw.json").read_bytes()
    [reply] = bot.console(f"cache {MODEL} forever")
    assert reply["failed"] and reply["code"] == "parse"
    [reply] = bot.console("cache not-a-model long")
    assert reply["failed"] and "not a model ref" in reply["text"]
    assert (bot.state_dir / "openclaw.json").read_bytes() == before
