"""Concurrent writers: two admins onboarding different agents at once, and OpenClaw writing
`openclaw.json` while the bot does. Both changes must survive every time.

OpenClaw takes no lock on `openclaw.json`: its `config set` and `secrets apply` read, work ~2 s,
and refuse to write when the file's hash changed meanwhile ("config changed since last load").
Before the bot serialised and retried its writes, the second of two concurrent onboardings failed
that way, and so did a `cache` write racing an `openclaw config set`.
Guaranteed: the bot's writes never race each other (a lock in the bot's directory), a refused bot
write is run again, and its values are checked in the file afterwards. An external writer refused
by OpenClaw is told to re-run (done here, as its operator would); OpenClaw's own check is what
keeps the bot from overwriting it.
"""
from __future__ import annotations

import json
import threading

import json5
import pytest

from core.secrets.credentials import classify
from core.secrets.writer import record_id
from tests.harness import BotHarness

MODEL = "anthropic/claude-opus-4-6"


def both(*jobs):
    """Start every job at the same instant; re-raise the first failure."""
    gate = threading.Barrier(len(jobs))
    results: list[object] = [None] * len(jobs)

    def run(i, job):
        gate.wait()
        try:
            results[i] = job()
        except BaseException as exc:  # noqa: BLE001 - handed back to the test thread
            results[i] = exc

    threads = [threading.Thread(target=run, args=(i, j)) for i, j in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=180)
    for r in results:
        if isinstance(r, BaseException):
            raise r
    return results


def test_two_admins_onboarding_different_agents_at_once(bot: BotHarness):
    main_token = "sk-ant-oat01-" + "ConcurrentMain_" * 6
    ops_key = "sk-ant-api03-" + "ConcurrentOps_" * 6
    writer = bot.chatops.writer
    a, b = both(lambda: writer.write("main", "anthropic:default", classify(main_token), actor="slack:UA"),
                lambda: writer.write("ops", "anthropic:ops", classify(ops_key), actor="discord:42"))
    assert a.verified and b.verified, (a.detail, b.detail)
    assert bot.parts.vault.get(record_id("main", "anthropic:default")) == main_token
    assert bot.parts.vault.get(record_id("ops", "anthropic:ops")) == ops_key
    labels = {agent: json.dumps(bot.oc_json("models", "status", "--json", "--agent", agent)["auth"])
              for agent in ("main", "ops")}
    assert "anthropic:default" in labels["main"] and "anthropic:ops" in labels["ops"]
    audit = bot.oc_json("secrets", "audit", "--allow-exec", "--json")
    assert audit["status"] == "clean" and audit["resolution"]["refsChecked"] >= 2, audit


@pytest.mark.parametrize("retention", ["long"])
def test_gateway_config_write_during_a_bot_cache_write_both_survive(bot: BotHarness, retention: str):
    port = {"short": 19101, "long": 19102}[retention]
    def external():
        for _ in range(3):  # what OpenClaw's refusal says to do: re-run the same command
            result = bot.oc("config", "set", "gateway.port", str(port))
            if "config changed since last load" not in result.stdout + result.stderr:
                return result
        return result

    external, cached = both(external, lambda: bot.console(f"cache {MODEL} {retention}")[-1])
    assert external.returncode == 0, external.stderr[-500:]
    assert not cached["failed"], cached
    config = json5.loads((bot.state_dir / "openclaw.json").read_text())
    assert config["gateway"]["port"] == port
    assert config["agents"]["defaults"]["models"][MODEL]["params"]["cacheRetention"] == retention
