"""A missing, slow, failing or garbled `openclaw` gives one clear degraded reply, never a traceback.

The stand-in CLIs here are tiny shell scripts in the place of the external `openclaw` binary, so
the bot's real runner, gateway client, handlers and console adapter all run unchanged.
"""
from __future__ import annotations

import stat
from pathlib import Path

import pytest

from tests.harness import make_bot


def fake_cli(tmp_path: Path, body: str) -> str:
    path = tmp_path / "openclaw"
    path.write_text("#!/bin/sh\n" + body + "\n")
    path.chmod(path.stat().st_mode | stat.S_IEXEC)
    return str(path)


@pytest.fixture
def home(tmp_path: Path) -> Path:
    state = tmp_path / "home" / ".openclaw"
    state.mkdir(parents=True)
    (state / "openclaw.json").write_text("// comment\n{ agents: { entries: { main: {}, ops: {} } } }")
    return tmp_path / "home"


@pytest.mark.parametrize("body, expected", [
    (None, "Gateway CLI not found"),
    ("sleep 30", "did not answer within 2 s"),
    ("echo 'Segmentation fault' >&2; exit 139", "failed"),
    ("echo 'this is not json'", "printed no JSON"),
    ("echo '{\"truncated\": '", "not JSON"),
    ("echo '{\"ok\": true}'", "without `auth`"),
    ('echo \'{"ok":false,"error":{"message":"OpenClaw config is invalid"}}\'; exit 1', "OpenClaw config is invalid"),
])
def test_status_degrades_with_one_clear_line(tmp_path: Path, home: Path, body: str | None, expected: str):
    binary = str(tmp_path / "missing" / "openclaw") if body is None else fake_cli(tmp_path, body)
    bot = make_bot(binary, home, tmp_path / "chatops", OPENCLAW_CHATOPS_CLI_TIMEOUT="2")
    before = (home / ".openclaw" / "openclaw.json").read_bytes()
    [reply] = bot.console("status main")
    assert reply["failed"] and reply["severity"] == "error"
    text = reply["sections"][0]["text"]
    assert expected in text and "Traceback" not in text
    assert (home / ".openclaw" / "openclaw.json").read_bytes() == before


def test_onboarding_with_a_broken_gateway_keeps_the_vault_unchanged(tmp_path: Path, home: Path):
    binary = fake_cli(tmp_path, "echo 'boom' >&2; exit 1")
    bot = make_bot(binary, home, tmp_path / "chatops")
    token = "sk-ant-oat01-" + "G" * 90
    replies = bot.console("paste-token main", token)
    assert replies[-1]["failed"] and "nothing changed" in replies[-1]["text"]
    assert bot.parts.vault.versions() == []
    assert token not in str(replies)
    rows = bot.parts.store.audit_rows()
    assert rows[0].result == "failed" and token not in str(rows)


def test_unknown_agent_is_refused_before_any_cli_call(tmp_path: Path, home: Path):
    binary = fake_cli(tmp_path, f"touch {tmp_path}/called; exit 1")
    bot = make_bot(binary, home, tmp_path / "chatops")
    [reply] = bot.console("status nosuch")
    assert reply["failed"] and "Unknown agent 'nosuch'" in reply["text"] and "main, ops" in reply["text"]
    assert not (tmp_path / "called").exists()
