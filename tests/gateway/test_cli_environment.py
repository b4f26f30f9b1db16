"""The `openclaw` CLI never sees the bot's chat tokens, and the vault key reaches the resolver only
on the calls that run it, also when the key is set only in `.env` (real CLI, real resolver).

`OPENCLAW_BIN` points at a wrapper that records, per call, the command and the *names* of the
variables it was given, then execs the real `openclaw`: what the wrapper sees is what OpenClaw and
every plugin it loads see.
"""
from __future__ import annotations

import base64
import os
from pathlib import Path

import pytest

from bot.app import build
from bot.settings import Settings
from tests.harness import BASE_CONFIG, BotHarness, copy_home, make_bot

CHAT_TOKENS = {
    "SLACK_BOT_TOKEN": "xoxb-1111-2222-EnvCanaryBot",
    "SLACK_APP_TOKEN": "xapp-1-A111-2222-EnvCanaryApp",
    "SLACK_SIGNING_SECRET": "EnvCanarySigningSecret0123456789",
    "DISCORD_BOT_TOKEN": "MTEx.EnvCanary.DiscordBotToken",
}
VAULT_KEY = base64.b64encode(b"k" * 32).decode()
API_KEY = "sk-ant-api03-" + "EnvScopeK3y-" * 9
LEGACY_KEY = "sk-ant-api03-" + "EnvLegacyK3y-" * 8


def env_recorder(real: str, where: Path) -> tuple[str, Path]:
    """A wrapper that appends `<command> <subcommand>: NAME NAME …` per call, then runs the real CLI."""
    log = where / "cli-env.log"
    script = where / "openclaw"
    script.write_text('#!/bin/sh\n'
                      f'printf "%s %s:" "$1" "$2" >> "{log}"\n'
                      f'env | sed -n "s/^\\([A-Za-z_][A-Za-z0-9_]*\\)=.*/ \\1/p" | tr -d "\\n" >> "{log}"\n'
                      f'echo >> "{log}"\n'
                      f'exec "{real}" "$@"\n')
    script.chmod(0o755)
    return str(script), log


def calls(log: Path) -> list[tuple[str, set[str]]]:
    out = []
    for line in log.read_text().splitlines():
        command, _, names = line.partition(":")
        out.append((command.strip(), set(names.split())))
    return out


@pytest.fixture
def chat_tokens_in_process_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """The bot's own process environment holds the chat tokens, as under a service manager."""
    for name, value in CHAT_TOKENS.items():
        monkeypatch.setenv(name, value)


def test_chat_tokens_never_reach_the_cli_and_a_dotenv_vault_key_reaches_the_resolver(
        oc_bin: str, prepared_home: Path, tmp_path: Path, chat_tokens_in_process_env: None) -> None:
    binary, log = env_recorder(oc_bin, tmp_path)
    home = copy_home(prepared_home, tmp_path / "home")
    dotenv = tmp_path / ".env"
    dotenv.write_text(f"OPENCLAW_CHATOPS_VAULT_KEY={VAULT_KEY}\n"
                      + "".join(f"{name}={value}\n" for name, value in CHAT_TOKENS.items()))
    env = {**os.environ, "OPENCLAW_BIN": binary, "OPENCLAW_STATE_DIR": str(home / ".openclaw"),
           "OPENCLAW_CHATOPS_DIR": str(tmp_path / "chatops"), "HOME": str(home)}
    settings = Settings.load(env, env_file=dotenv)
    assert settings.vault_key == VAULT_KEY and "OPENCLAW_CHATOPS_VAULT_KEY" not in os.environ
    bot = BotHarness(home, binary, build(settings), env)
    try:
        # `order ops` reads through the CLI without running the resolver (status reads the store).
        replies = bot.console("onboard ops api-key", API_KEY, "order ops")
        stored = replies[-2]
        assert stored["title"] == "Anthropic API key stored for agent ops, profile anthropic:api", stored
        assert "Gateway check" in str(stored) and not stored["failed"]
        assert not (tmp_path / "chatops" / "vault.key").exists()  # the key came from .env only
    finally:
        bot.parts.store.close()

    seen = calls(log)
    assert {c for c, _ in seen} >= {"models auth", "secrets apply"}
    for command, names in seen:
        assert not names & set(CHAT_TOKENS), (command, names & set(CHAT_TOKENS))
        assert not {n for n in names if n.startswith("OPENCLAW_CHATOPS_") and n != "OPENCLAW_CHATOPS_VAULT_KEY"}, names
        assert "OPENCLAW_STATE_DIR" in names and "PATH" in names
        # The key goes only where OpenClaw may run the resolver.
        assert ("OPENCLAW_CHATOPS_VAULT_KEY" in names) == (command == "secrets apply"), (command, names)

    assert API_KEY not in log.read_text()


def test_secure_with_chat_tokens_set_installs_no_channel_plugin(
        oc_bin: str, tmp_path: Path, chat_tokens_in_process_env: None) -> None:
    """`secure` repairs the retired `env` shape with `doctor --fix`; OpenClaw treats a channel as
    configured when its token variable is present and would install its plugin from npm."""
    home = tmp_path / "home"
    (home / ".openclaw").mkdir(parents=True, mode=0o700)
    (home / ".openclaw" / "openclaw.json").write_text(
        BASE_CONFIG.rstrip().removesuffix("}") + f'  env: {{ ANTHROPIC_API_KEY: "{LEGACY_KEY}" }},\n}}\n')
    binary, log = env_recorder(oc_bin, tmp_path)
    bot = make_bot(binary, home, tmp_path / "chatops", **CHAT_TOKENS)
    try:
        reply = bot.console("secure --all --yes")[-1]
        assert reply["title"] == "Gateway secured: no plaintext credentials left", reply
    finally:
        bot.parts.store.close()
    assert "doctor --fix" in {c for c, _ in calls(log)}
    for root in (home / ".openclaw", Path.home() / ".openclaw"):
        installed = sorted(str(p) for p in (root / "npm").rglob("package.json")) if (root / "npm").exists() else []
        assert installed == [], installed
    for command, names in calls(log):
        assert not names & set(CHAT_TOKENS), (command, names & set(CHAT_TOKENS))
