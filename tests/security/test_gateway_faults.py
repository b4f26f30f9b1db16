"""Gateway faults as the watcher sees them, and a failing exec resolver.

The reply side of a missing, hanging, failing or garbled `openclaw` is in
tests/gateway/test_cli_faults.py; here the same faults, one per look on the slow path (a store
layout the reader does not know, so looks use the CLI), must open one "Gateway unreachable"
incident after `OPENCLAW_CHATOPS_UNREACHABLE_AFTER` looks and resolve it on the first good look.
The stand-in is a script in front of the real CLI whose behaviour is switched by a file.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

from adapters.console.notifier import ConsoleNotifier
from core.alerts.outbox import Destination
from core.secrets.writer import record_id
from tests.harness import BotHarness, force_slow_path

FAULTS = {
    "hang": "sleep 30",
    "fail": "echo 'Segmentation fault' >&2; exit 139",
    "garbage": "echo 'this is not json'",
}
TOKEN = "sk-ant-oat01-" + "ResolverFault_" * 7


def switchable(real: str, where: Path) -> tuple[str, Path]:
    mode = where / "mode"
    mode.write_text("ok")
    cases = "".join(f"  {name}) {body} ;;\n" for name, body in FAULTS.items())
    script = where / "openclaw"
    script.write_text(f'#!/bin/sh\ncase "$(cat {mode})" in\n{cases}  *) exec "{real}" "$@" ;;\nesac\n')
    script.chmod(0o755)
    return str(script), mode


def events(out: io.StringIO) -> list[dict]:
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_faults_open_one_incident_and_the_first_good_look_resolves_it(bot: BotHarness, tmp_path: Path):
    force_slow_path(bot.state_dir)  # the watcher's looks go to the CLI
    binary, mode = switchable(bot.binary, tmp_path)
    runner = bot.parts.gateway.runner
    usual_timeout = runner.timeout
    runner.binary, runner.timeout = binary, 2  # the hang fault must not cost 30 s
    out = io.StringIO()
    bot.parts.alerts.outbox.threaded = False
    bot.parts.add_notifier("console", ConsoleNotifier(out, json_mode=True))
    bot.parts.alerts.set_destination(Destination("console", "console"))
    watcher = bot.parts.watcher
    looks = ["hang", "fail", "garbage", "missing"][: watcher.unreachable_after + 1]
    for fault in looks:
        if fault == "missing":
            runner.binary = str(tmp_path / "gone" / "openclaw")
        else:
            mode.write_text(fault)
        assert watcher.tick(force=True)
    posts = [e for e in events(out) if e["alert"] == "post"]
    assert [p["reply"]["title"].split(" — ")[0] for p in posts] == ["⛔ Gateway unreachable"], posts
    assert len([i for i in bot.parts.alerts.open_incidents() if i.key == "gateway:unreachable"]) == 1
    runner.binary, runner.timeout = binary, usual_timeout  # one real CLI call can take up to 9 s
    mode.write_text("ok")
    assert watcher.tick(force=True)
    updates = [e for e in events(out) if e["alert"] == "update"]
    assert updates and updates[-1]["ref"] == posts[0]["ref"] and updates[-1]["reply"]["title"].startswith("✅ Resolved")
    assert not any(i.key == "gateway:unreachable" for i in bot.parts.alerts.open_incidents())


def test_a_failing_resolver_refuses_the_write_clearly_and_recovers(bot: BotHarness):
    key_file = bot.parts.settings.vault_key_file
    key_file.chmod(0o644)  # the resolver OpenClaw spawns now refuses to read the key
    replies = bot.console("paste-token main", TOKEN)
    text = json.dumps(replies)
    assert replies[-1]["failed"] and "nothing changed" in replies[-1]["text"], replies[-1]
    assert "Exec provider" in text or "failed for id" in text, text
    assert TOKEN not in text
    assert bot.parts.vault.versions() == []
    key_file.chmod(0o600)
    replies = bot.console("paste-token main", TOKEN)
    assert not replies[-1]["failed"], replies[-1]
    assert bot.parts.vault.get(record_id("main", "anthropic:default")) == TOKEN
    assert bot.leaks(TOKEN) == []  # the vault holds ciphertext only
