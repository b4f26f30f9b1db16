"""Rotate now on an expiring-token alert, pressed in the guild channel by someone else, offers the
rotation in the DM of the admin who onboarded the profile, who starts it there; an admin's own
open paste is never redirected (real discord.py, fake REST)."""
from __future__ import annotations

import asyncio
import time

import pytest

from core.secrets.credentials import classify, fingerprint
from core.secrets.writer import record_id
from tests.adapters.discord.discord_harness import (  # noqa: F401 (fixture)
    ADMIN_ID,
    VIEWER_ID,
    admin,
    discord_bot,
    dm_reply,
    role_admin,
    running,
    viewer,
)
from tests.adapters.discord.test_alerts import alerts_here, creates, drained, publish
from tests.fakes import discord_payloads as p

pytestmark = pytest.mark.any_runner

ONBOARDER = "7777"
TOKEN = "sk-ant-oat01-" + "DiscordRot8_" * 8
OPS_TOKEN = "sk-ant-oat01-" + "DiscordOps9_" * 8


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
            offer = await rig.fake.wait_for(
                lambda r: r.method == "POST" and r.path.startswith("/channels/") and r.path != f"/channels/{p.CHANNEL}/messages")
            assert ops.store.open_session_for(f"discord:{ONBOARDER}") is None  # offered, not started
            who = p.member(ONBOARDER, permissions=admin()["permissions"])
            (start,) = [c for row in offer.json["components"] for c in row["components"] if c["label"] == "Start rotation"]
            accept = p.button(who, start["custom_id"], offer.json["components"], in_guild=False)
            prompt = await rig.interact(accept, rig.original_edit(accept))
            return dm, offer, prompt, rig

    dm, offer, prompt, rig = asyncio.run(scenario())
    assert str(dm.json["recipient_id"]) == ONBOARDER
    assert "anthropic:default" in str(offer.json["embeds"]) and "Rotating" not in str(offer.json["embeds"])
    assert "Rotating `anthropic:default`" in str(prompt.json["embeds"])
    assert "agent main, profile anthropic:default" in str(prompt.json["embeds"])
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
    embed = refused.json["embeds"][0]
    assert embed["title"] == "No admin to ask" and "rotate anthropic:default main" in str(embed)
    assert [str(r.json["recipient_id"]) for r in rig.fake.find("POST", "/users/@me/channels")] == ["4444"]
    assert ops.store.open_session_for(f"discord:{p.ADMIN_ROLE}") is None


def test_an_operators_rotate_now_cannot_redirect_an_admins_paste(discord_bot):
    """The admin is onboarding a setup-token for `ops` in their DM when an operator presses Rotate
    now on main's profile; the admin's next DM message is still stored as `ops`'s profile."""
    ops = discord_bot.chatops
    ops.policy = type(ops.policy)(admins=frozenset({f"discord:{ADMIN_ID}", f"discord:{ONBOARDER}"}),
                                  operators=frozenset({f"discord:{VIEWER_ID}"}))
    onboarded_by(ops, ONBOARDER)
    who = p.member(ONBOARDER)

    async def scenario():
        async with running(discord_bot, guild_id=None) as rig:  # global commands: `/openclaw` works in DMs
            rig.fake.members[(p.GUILD, ONBOARDER)] = who
            post, rotate = await expiry_alert(rig)
            start = p.slash(who, "onboard", agent="ops", profile_id="anthropic:ops", in_guild=False)
            asked = await rig.interact(start, rig.callback(start))
            kinds = {b["label"]: b["custom_id"] for row in asked.json["data"]["components"] for b in row["components"]}
            pick = p.button(who, kinds["Claude setup-token"], asked.json["data"]["components"], in_guild=False)
            prompt = await rig.interact(pick, rig.callback(pick))

            press = p.button(viewer(), rotate["custom_id"], post.json["components"])
            await rig.interact(press, rig.original_edit(press))
            await rig.fake.wait_for(lambda r: r.path == "/users/@me/channels")

            sent = len(rig.fake.requests)
            rig.client._connection.parse_message_create(p.message(who, OPS_TOKEN, in_guild=False))
            done = await dm_reply(rig, sent)  # the answer, or the working message edited into it
            return rig, prompt, done

    rig, prompt, done = asyncio.run(scenario())
    assert ops.vault.get(record_id("ops", "anthropic:ops")) == OPS_TOKEN
    assert ops.vault.get(record_id("main", "anthropic:default")) == TOKEN
    assert "agent ops, profile anthropic:ops" in str(prompt.json["data"]["embeds"])
    assert "stored for agent ops, profile anthropic:ops" in str(done.json["content"]), done.json
    assert fingerprint(OPS_TOKEN) in str(done.json["embeds"])
    (row,) = [r for r in ops.store.audit_rows() if r.fingerprint == fingerprint(OPS_TOKEN) and r.result == "stored"]
    assert (row.agent, row.profile_id, row.actor) == ("ops", "anthropic:ops", f"discord:{ONBOARDER}")
    assert rig.fake.leaks(OPS_TOKEN) == []
