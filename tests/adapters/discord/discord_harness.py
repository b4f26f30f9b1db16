"""Fixtures for the Discord adapter tests: the real discord.py client, wired to a real bot (real
`openclaw` CLI on a private home) and to the loopback fake Discord REST server.

Events go in through the client's own connection state, as if read from the gateway websocket;
everything the client sends comes out at the fake server. The `openclaw` binary is wrapped by a
script (the scripted OpenClaw logs by itself) that appends one line per call, so tests can see how many CLI calls had started when each
Discord request arrived (ordering, not timing).
"""
from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
from discord.http import Route

from adapters.discord.client import ChatOpsClient
from adapters.discord.config import DiscordConfig
from core.progress import CURRENT
from tests.fakes import discord_payloads as p
from tests.fakes.discord_rest import Captured, FakeDiscord
from tests.harness import BotHarness, copy_home, fake_binary, is_fake, make_bot

ADMIN_ID = "1111"
VIEWER_ID = "2222"


@dataclass
class DiscordRig:
    bot: BotHarness
    fake: FakeDiscord
    client: ChatOpsClient
    cli_log: Path

    def cli_calls(self) -> list[str]:
        return self.cli_log.read_text().splitlines() if self.cli_log.exists() else []

    def feed(self, payload: dict) -> None:
        self.client._connection.parse_interaction_create(payload)

    async def interact(self, payload: dict, done: Callable[[Captured], bool]) -> Captured:
        self.feed(payload)
        return await self.fake.wait_for(done)

    @staticmethod
    def original_edit(payload: dict) -> Callable[[Captured], bool]:
        """The edit of the deferred response that carries the answer (progress edits come first)."""
        return lambda r: edits_original(payload, r) and not is_progress(r)

    @staticmethod
    def progress_edit(payload: dict) -> Callable[[Captured], bool]:
        return lambda r: edits_original(payload, r) and is_progress(r)

    @staticmethod
    def callback(payload: dict) -> Callable[[Captured], bool]:
        return lambda r: r.path == f"/interactions/{payload['id']}/{payload['token']}/callback"


def edits_original(payload: dict, r: Captured) -> bool:
    return r.method == "PATCH" and payload["token"] in r.path and r.path.endswith("@original")


def is_progress(r: Captured) -> bool:
    """A progress display: the steps as text (⏳ marks the current one), no embeds."""
    body = r.json or {}
    return not body.get("embeds") and CURRENT in (body.get("content") or "")


def dm_reply(rig, after: int):
    """The bot's first answer in the DM channel after `after` captured requests: a post, or the
    edit that turns its working message (slow work shows progress first) into the answer."""
    return rig.fake.wait_for(lambda r: rig.fake.requests.index(r) >= after and r.method in ("POST", "PATCH")
                             and r.path.startswith("/channels/6000/messages") and not is_progress(r))


def wrap_openclaw(real: str, where: Path) -> tuple[str, Path]:
    log = where / "cli-calls.log"
    if is_fake(real):  # the scripted OpenClaw logs its calls beside its stand-in path
        return fake_binary(where), log
    script = where / "openclaw"
    script.write_text(f'#!/bin/sh\necho "$1 $2" >> "{log}"\nexec "{real}" "$@"\n')
    script.chmod(0o755)
    return str(script), log


@pytest.fixture
def discord_bot(oc_bin: str, prepared_home: Path, tmp_path: Path) -> BotHarness:
    binary, _ = wrap_openclaw(oc_bin, tmp_path)
    home = copy_home(prepared_home, tmp_path / "home")
    harness = make_bot(binary, home, tmp_path / "chatops",
                       OPENCLAW_CHATOPS_ADMINS=f"discord:{ADMIN_ID},discord:{p.ADMIN_ROLE}",
                       DISCORD_BOT_TOKEN="fake-bot-token", DISCORD_GUILD_ID=p.GUILD)
    yield harness
    harness.parts.store.close()


@contextlib.asynccontextmanager
async def running(bot: BotHarness, *, scan: bool = False, manage_messages: bool = True,
                  **config: Any) -> AsyncIterator[DiscordRig]:
    """Start the fake Discord, log the real client in against it and hand the guild to it."""
    log = Path(bot.parts.settings.openclaw_bin).parent / "cli-calls.log"
    fake = await FakeDiscord(observe=lambda: len(log.read_text().splitlines()) if log.exists() else 0).start()
    saved = Route.BASE
    Route.BASE = fake.base
    settings = DiscordConfig.from_env(bot.parts.env)
    cfg = DiscordConfig(**{**settings.__dict__, "scan_guild_messages": scan, **config})
    client = ChatOpsClient(bot.parts, cfg)
    try:
        await client.login(cfg.token)  # GET /users/@me, application info, then setup_hook (sync)
        client._connection.parse_guild_create(p.guild(manage_messages))
        yield DiscordRig(bot, fake, client, log)
    finally:
        await client.close()
        Route.BASE = saved
        await fake.stop()


def admin() -> dict:
    return p.member(ADMIN_ID, permissions=str(discord.Permissions.all().value))


def viewer() -> dict:
    return p.member(VIEWER_ID)


def role_admin() -> dict:
    """A member who is an admin only through a Discord role listed in OPENCLAW_CHATOPS_ADMINS."""
    return p.member("4444", [p.ADMIN_ROLE])
