"""Status and write checks come from OpenClaw's store without a CLI call; a layout the reader does
not know sends status to `openclaw models status` and the reply says so in one line."""
from __future__ import annotations

from core.secrets.credentials import classify
from tests.harness import BotHarness, force_slow_path

API_KEY = "sk-ant-api03-" + "SlowPathK3y" * 8


def test_write_is_confirmed_and_status_served_from_the_store_without_the_cli(bot: BotHarness, monkeypatch):
    calls: list[tuple[str, ...]] = []
    run = bot.parts.gateway.runner.run

    def counted(*args, **kwargs):
        calls.append(args)
        return run(*args, **kwargs)

    monkeypatch.setattr(bot.parts.gateway.runner, "run", counted)
    written = bot.chatops.writer.write("main", "anthropic:api", classify(API_KEY), actor="test")
    assert written.verified, written.detail
    assert [c[:2] for c in calls] == [("secrets", "apply")]  # the check read the store, not `models status`
    [reply] = bot.console("status")
    assert not any(c[:2] == ("models", "status") for c in calls)
    assert "slow path" not in reply.get("context", "")
    field = next(f for f in reply["sections"][0]["fields"] if f["label"] == "anthropic:api")
    assert field["value"].startswith("ok ·")


def test_an_unknown_store_layout_falls_back_to_the_cli_and_says_why(bot: BotHarness):
    assert bot.chatops.writer.write("main", "anthropic:api", classify(API_KEY), actor="test").verified
    force_slow_path(bot.state_dir)
    [reply] = bot.console("status main")
    assert "slow path (`openclaw models status`)" in reply["context"] and "authProfiles.future" in reply["context"]
    field = next(f for f in reply["sections"][0]["fields"] if f["label"] == "anthropic:api")
    assert field["value"].startswith("ok ·")  # the CLI's answer is still shown
