"""Rotate now on an expiring-token alert, pressed in the guild channel by someone else, opens the
rotation intake in the DM of the admin who onboarded the profile (real discord.py, fake REST)."""
from __future__ import annotations

import asyncio
import time

from tests.adapters.discord.discord_harness import (ADMIN_ID, VIEWER_ID, admin, discord_bot,  # noqa: F401 (fixture)
                                                   role_admin, running, viewer)
from tests.adapters.discord.test_alerts import alerts_here, creates, drained, publish
from core.credentials import classify
from tests.fakes import discord_payloads as p

ONBOARDER = "7777"
TOKEN = "sk-ant-oat01-" + "DiscordRot8_" * 8


def onboarded_by(ops, onboarder: str) -> None:
    assert ops.writer.write("main", "anthropic:default", classify(TOKEN), actor=f"discord:{onboarder}",
                            expires_in="2d").verified
    ops.store.audit(f"discord:{onboarder}", "onboard", "stored", agent="main", profile_id="anthropic:default")


async def expiry_alert(rig) -> tuple:
    """The expiring-token alert in the guild channel, and its Rotate now button."""
    center = await alerts_here(rig)
    publish(center, {"expiry:main/anthropic:default": {
        "kind": "expiring", "stage": "lead", "owner": "main", "profile": "anthropic:default",
        "expires_at": int(time.time() * 1000) + 2 * 86_400_000}})
    await drained(center)
    (post,) = creates(rig)
    return post, next(c for row in post.json["components"] for c in row["components"] if c["label"] == "Rotate now")


def test_rotate_now_reaches_the_onboarding_admins_dm(discord_bot):
    ops = discord_bot.chatops
    ops.policy = type(ops.policy)(admins=frozenset({f"discord:{ADMIN_ID}", f"discord:{ONBOARDER}"}))
    onboarded_by(ops, ONBOARDER)

    async def scenario():
        async with running(discord_bot) as rig:
            post, rotate = await expiry_alert(rig)
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


def test_rotate_now_judges_role_admins_by_their_roles_and_never_dms_a_role(discord_bot):
    """Here admins are admins only through the admin role. The onboarder's roles are fetched from
    Discord, so an operator's press reaches them. Once they lose the role nobody else can be
    found (listing a role's members needs the Server Members intent): the answer says how an
    admin starts it, and no DM is ever opened for the role's id."""
    ops = discord_bot.chatops
    ops.policy = type(ops.policy)(admins=frozenset({f"discord:{p.ADMIN_ROLE}"}),  # ADMIN_ID only sets up the alerts
                                  operators=frozenset({f"discord:{VIEWER_ID}", f"discord:{ADMIN_ID}"}))
    onboarded_by(ops, "4444")

    async def scenario():
        async with running(discord_bot) as rig:
            rig.fake.members[(p.GUILD, "4444")] = role_admin()
            post, rotate = await expiry_alert(rig)
            first = p.button(viewer(), rotate["custom_id"], post.json["components"])
            await rig.interact(first, rig.original_edit(first))
            dm = await rig.fake.wait_for(lambda r: r.path == "/users/@me/channels")
            rig.fake.members[(p.GUILD, "4444")] = p.member("4444")  # no longer holds the admin role
            second = p.button(viewer(), rotate["custom_id"], post.json["components"])
            refused = await rig.interact(second, rig.original_edit(second))
            return rig, dm, refused

    rig, dm, refused = asyncio.run(scenario())
    assert str(dm.json["recipient_id"]) == "4444"
    assert ops.store.open_session_for("discord:4444") is not None
    embed = refused.json["embeds"][0]
    assert embed["title"] == "No admin to ask" and "rotate anthropic:default main" in str(embed)
    assert [str(r.json["recipient_id"]) for r in rig.fake.find("POST", "/users/@me/channels")] == ["4444"]
    assert ops.store.open_session_for(f"discord:{p.ADMIN_ROLE}") is None
