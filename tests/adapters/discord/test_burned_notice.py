"""The opt-in team notice for a credential posted in a guild channel, through the real discord.py
client and the alert outbox, against the fake Discord REST."""
from __future__ import annotations

import asyncio
import logging
from pathlib import Path

import pytest

from tests.adapters.discord.discord_harness import ADMIN_ID, VIEWER_ID, running, viewer, wrap_openclaw
from tests.adapters.discord.test_alerts import alerts_here, drained
from tests.fakes import discord_payloads as p
from tests.harness import BotHarness, copy_home, make_bot

pytestmark = pytest.mark.any_runner

TOKEN = "sk-ant-api03-" + "DiscordTeamNotice_" * 6
NOTICE = "🔥 A credential was posted in a shared channel"


@pytest.fixture
def noticing_bot(oc_bin: str, prepared_home: Path, tmp_path: Path) -> BotHarness:
    binary, _ = wrap_openclaw(oc_bin, tmp_path)
    harness = make_bot(binary, copy_home(prepared_home, tmp_path / "home"), tmp_path / "chatops",
                       OPENCLAW_CHATOPS_ADMINS=f"discord:{ADMIN_ID}", DISCORD_BOT_TOKEN="fake-bot-token",
                       DISCORD_GUILD_ID=p.GUILD, OPENCLAW_CHATOPS_BURNED_NOTICE="true")
    yield harness
    harness.parts.store.close()


def test_a_credential_posted_in_a_guild_channel_is_announced_to_the_alert_channel(noticing_bot, caplog):
    caplog.set_level(logging.DEBUG)

    async def scenario():
        async with running(noticing_bot, scan=True) as rig:
            center = await alerts_here(rig)
            rig.client._connection.parse_message_create(p.message(viewer(), f"use {TOKEN} for now"))
            notice = await rig.fake.wait_for(lambda r: r.method == "POST" and r.path == f"/channels/{p.CHANNEL}/messages"
                                             and NOTICE in (r.json.get("content") or ""))
            await drained(center)
            return rig, notice

    rig, notice = asyncio.run(scenario())
    text = str(notice.json["embeds"])  # the notice, then its Details (fingerprint, who)
    fp = noticing_bot.parts.store.audit_rows(1)[0].fingerprint
    assert f"<@{VIEWER_ID}>" in text and f"<#{p.CHANNEL}>" in text
    assert fp and fp in text and "revoke it" in text
    assert rig.fake.leaks(TOKEN) == []
    assert TOKEN not in caplog.text
    assert noticing_bot.leaks(TOKEN) == []
