"""Rotate now on an expiring-token alert, pressed in the guild channel by someone else, opens the
rotation intake in the DM of the admin who onboarded the profile (real discord.py, fake REST)."""
from __future__ import annotations

import asyncio
import time

from tests.adapters.discord.discord_harness import ADMIN_ID, admin, discord_bot, running  # noqa: F401 (fixture)
from tests.adapters.discord.test_alerts import alerts_here, creates, drained, publish
from core.credentials import classify
from tests.fakes import discord_payloads as p

ONBOARDER = "7777"
TOKEN = "sk-ant-oat01-" + "DiscordRot8_" * 8


def test_rotate_now_reaches_the_onboarding_admins_dm(discord_bot):
    ops = discord_bot.chatops
    ops.policy = type(ops.policy)(admins=frozenset({f"discord:{ADMIN_ID}", f"discord:{ONBOARDER}"}))
    assert ops.writer.write("main", "anthropic:default", classify(TOKEN), actor=f"discord:{ONBOARDER}",
                            expires_in="2d").verified
    ops.store.audit(f"discord:{ONBOARDER}", "onboard", "stored", agent="main", profile_id="anthropic:default")

    async def scenario():
        async with running(discord_bot) as rig:
            center = await alerts_here(rig)
            publish(center, {"expiry:main/anthropic:default": {
                "kind": "expiring", "stage": "lead", "owner": "main", "profile": "anthropic:default",
                "expires_at": int(time.time() * 1000) + 2 * 86_400_000}})
            await drained(center)
            (post,) = creates(rig)
            rotate = next(c for row in post.json["components"] for c in row["components"] if c["label"] == "Rotate now")
            press = p.button(admin(), rotate["custom_id"], post.json["components"])
            await rig.interact(press, rig.original_edit(press))
            dm = await rig.fake.wait_for(lambda r: r.path == "/users/@me/channels")
            prompt = await rig.fake.wait_for(
                lambda r: r.method == "POST" and r.path.startswith("/channels/") and r.path != f"/channels/{p.CHANNEL}/messages")
            return dm, prompt, rig

    dm, prompt, rig = asyncio.run(scenario())
    assert str(dm.json["recipient_id"]) == ONBOARDER
    assert "Rotating `anthropic:default`" in str(prompt.json["embeds"])
    session = ops.store.open_session_for(f"discord:{ONBOARDER}")
    assert session is not None and session.options["purpose"] == "rotate"
    assert TOKEN not in str([r.json for r in rig.fake.requests])
