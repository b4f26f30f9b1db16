"""Secret intake on Discord: the modal flow end to end, and credentials pasted in a guild channel."""
from __future__ import annotations

import asyncio
import logging

import pytest

from core.secrets.credentials import fingerprint
from tests.adapters.discord.discord_harness import discord_bot, role_admin, running, viewer  # noqa: F401 (fixture)
from tests.fakes import discord_payloads as p

pytestmark = pytest.mark.any_runner

TOKEN = "sk-ant-oat01-" + "DiscordCanary_" * 7


def _buttons(callback_json: dict) -> dict[str, str]:
    rows = callback_json["data"]["components"]
    return {b["label"]: b["custom_id"] for row in rows for b in row["components"]}


def test_onboarding_through_the_modal_stores_the_token_without_leaking_it(discord_bot, caplog):
    caplog.set_level(logging.DEBUG)
    who = role_admin()

    async def scenario():
        async with running(discord_bot) as rig:
            start = p.slash(who, "onboard", agent="main")
            asked = await rig.interact(start, rig.callback(start))  # no method: the type buttons
            pick = p.button(who, _buttons(asked.json)["Claude setup-token"], asked.json["data"]["components"])
            shown = await rig.interact(pick, rig.callback(pick))  # the same message, now with paste buttons
            paste = p.button(who, _buttons(shown.json)["Paste securely"], shown.json["data"]["components"])
            modal = await rig.interact(paste, rig.callback(paste))
            submit = p.modal_submit(who, modal.json["data"], TOKEN)
            result = await rig.interact(submit, rig.original_edit(submit))
            defer = rig.fake.find("POST", f"/interactions/{submit['id']}/")[0]
            return rig, asked, shown, modal, defer, result

    rig, asked, shown, modal, defer, result = asyncio.run(scenario())
    assert asked.json["type"] == 4 and asked.json["data"]["flags"] & 64
    assert shown.json["type"] == 7  # edits the button message in place
    assert modal.json["type"] == 9  # the modal is the first response to the button press
    assert defer.json["type"] == 5 and defer.json["data"]["flags"] & 64  # private, deferred before the write
    stored = result.json["embeds"][0]
    assert stored["title"] == "Stored" and stored["color"] == 0x2ECC71
    assert any(f["name"] == "Fingerprint" for f in stored["fields"])

    audit = discord_bot.oc_json("secrets", "audit", "--allow-exec", "--json")
    assert audit["status"] == "clean", audit["findings"]
    assert rig.fake.leaks(TOKEN) == []
    assert TOKEN not in caplog.text
    assert discord_bot.leaks(TOKEN) == []
    assert discord_bot.parts.store.audit_rows(1)[0].actor == "discord:4444"


def test_onboarding_started_in_a_guild_channel_never_asks_for_a_message_there(discord_bot):
    """The type buttons and the paste step are private views inside the shared channel, where a
    typed message would be posted to everyone (and, with scanning off, never seen by the bot): the
    step offers the form or a DM, and the DM names agent and profile."""
    who = role_admin()

    async def scenario():
        async with running(discord_bot) as rig:
            start = p.slash(who, "onboard", agent="ops")
            asked = await rig.interact(start, rig.callback(start))
            pick = p.button(who, _buttons(asked.json)["Claude setup-token"], asked.json["data"]["components"])
            shown = await rig.interact(pick, rig.callback(pick))
            to_dm = p.button(who, _buttons(shown.json)["Paste in a DM instead"], shown.json["data"]["components"])
            moved = await rig.interact(to_dm, rig.callback(to_dm))
            dm = await rig.fake.wait_for(lambda r: r.method == "POST" and r.path.startswith("/channels/")
                                         and r.path != f"/channels/{p.CHANNEL}/messages")
            return shown, moved, dm

    shown, moved, dm = asyncio.run(scenario())
    step = str(shown.json["data"]["embeds"])
    assert "next message here" not in step and "Never type it in this channel" in step
    assert "agent ops, profile anthropic:default" in step
    assert set(_buttons(shown.json)) == {"Paste securely", "Paste in a DM instead"}
    assert moved.json["data"]["flags"] & 64
    assert dm.json["embeds"][0]["title"] == "Onboarding agent ops, profile anthropic:default"


@pytest.mark.parametrize("can_delete", [True, False])
def test_a_token_posted_in_a_guild_channel_is_burned(discord_bot, can_delete):
    async def scenario():
        async with running(discord_bot, scan=True, manage_messages=can_delete) as rig:
            rig.client._connection.parse_message_create(p.message(viewer(), f"here you go {TOKEN}"))
            warning = await rig.fake.wait_for(lambda r: r.method == "POST" and r.path == f"/channels/{p.CHANNEL}/messages")
            return rig, warning

    rig, warning = asyncio.run(scenario())
    deletes = rig.fake.find("DELETE", f"/channels/{p.CHANNEL}/messages/")
    text = warning.json["embeds"][0]["description"]
    assert "Treat it as burned" in text
    if can_delete:
        assert len(deletes) == 1 and "I deleted the message" in text
    else:
        assert deletes == [] and "Manage Messages" in text
    assert rig.fake.leaks(TOKEN) == []
    assert discord_bot.parts.store.audit_rows(1)[0].action == "secret_in_channel"


@pytest.mark.parametrize("paste", [TOKEN[:15] + "\u200b" + TOKEN[15:], TOKEN[:18] + " " + TOKEN[18:],
                                   TOKEN[:40] + "\n" + TOKEN[40:]])
def test_a_spread_out_token_in_a_guild_channel_is_burned(discord_bot, paste):
    """The DM intake would store these pastes (it drops spaces, line breaks and zero-width
    characters), so the channel scan must see them as the same credential."""
    async def scenario():
        async with running(discord_bot, scan=True, manage_messages=False) as rig:
            rig.client._connection.parse_message_create(p.message(viewer(), f"here you go {paste}"))
            return rig, await rig.fake.wait_for(
                lambda r: r.method == "POST" and r.path == f"/channels/{p.CHANNEL}/messages", guard_s=30)

    rig, warning = asyncio.run(scenario())
    assert "Treat it as burned" in warning.json["embeds"][0]["description"]
    assert discord_bot.parts.store.audit_rows(1)[0].fingerprint == fingerprint(TOKEN)
    assert rig.fake.leaks(TOKEN) == []


def test_a_token_edited_into_a_guild_message_is_burned_once(discord_bot):
    """MESSAGE_UPDATE reaches the client as a raw edit. An edit that keeps a credential already
    flagged stays quiet (the client still holds the original); one that adds a credential, or edits
    a message the client never saw, is flagged like a new post."""
    other = TOKEN.replace("Canary", "Second")
    posts = f"/channels/{p.CHANNEL}/messages"

    async def scenario():
        async with running(discord_bot, scan=True, manage_messages=False) as rig:
            state = rig.client._connection
            original = p.message(viewer(), f"here you go {TOKEN}")
            state.parse_message_create(original)
            await rig.fake.wait_for(lambda r: r.method == "POST" and r.path == posts)
            state.parse_message_update({**original, "content": f"here you go {TOKEN} (typo fixed)"})
            state.parse_message_update({**original, "content": f"{TOKEN} and {other}"})
            await rig.fake.wait_for(lambda r: len(rig.fake.find("POST", posts)) >= 2)
            unseen = p.message(viewer(), f"earlier: {other}")
            state.parse_message_update(unseen)  # never created in this session: not in the cache
            await rig.fake.wait_for(lambda r: len(rig.fake.find("POST", posts)) >= 3)
            await asyncio.sleep(0.3)  # room for a wrong fourth warning to show up
            return rig

    rig = asyncio.run(scenario())
    warnings = rig.fake.find("POST", posts)
    assert len(warnings) == 3 and all("Treat it as burned" in w.json["embeds"][0]["description"] for w in warnings)
    rows = [r for r in discord_bot.parts.store.audit_rows() if r.action == "secret_in_channel"]
    assert len(rows) == 3 and rows[0].fingerprint == rows[1].fingerprint != rows[2].fingerprint
    for secret in (TOKEN, other):
        assert rig.fake.leaks(secret) == [] and discord_bot.leaks(secret) == []


def test_guild_messages_are_not_read_unless_scanning_is_enabled(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            assert not rig.client.intents.message_content
            await rig.client.on_message(rig.client._connection.create_message(
                channel=rig.client.get_channel(int(p.CHANNEL)), data=p.message(viewer(), TOKEN)))
            return rig

    rig = asyncio.run(scenario())
    assert rig.fake.find("POST", "/messages") == [] and rig.fake.find("DELETE", "/messages") == []


def test_raw_gateway_events_never_reach_the_log(discord_bot, caplog):
    caplog.set_level(logging.DEBUG)

    async def scenario():
        async with running(discord_bot):
            logging.getLogger("discord.gateway").debug("For Shard ID %s: WebSocket Event: %s", 0, {"value": TOKEN})

    asyncio.run(scenario())
    assert TOKEN not in caplog.text


def test_presses_and_forms_nothing_claims_get_a_clear_private_answer(discord_bot):
    """A button id from no release of ours is answered at once; a form the bot no longer holds
    (here: one already submitted) is answered once the claim window has passed."""
    who = role_admin()

    async def scenario():
        async with running(discord_bot) as rig:
            foreign = p.button(who, "v0-approve:42", [])
            pressed = await rig.interact(foreign, rig.callback(foreign))
            start = p.slash(who, "onboard", agent="main")
            asked = await rig.interact(start, rig.callback(start))
            pick = p.button(who, _buttons(asked.json)["Claude setup-token"], asked.json["data"]["components"])
            shown = await rig.interact(pick, rig.callback(pick))
            paste = p.button(who, _buttons(shown.json)["Paste securely"], shown.json["data"]["components"])
            modal = await rig.interact(paste, rig.callback(paste))
            first = p.modal_submit(who, modal.json["data"], TOKEN[:30])
            await rig.interact(first, rig.original_edit(first))  # refused: too short, form consumed
            again = p.modal_submit(who, modal.json["data"], TOKEN)
            resent = await rig.interact(again, rig.callback(again))
            return pressed, resent

    pressed, resent = asyncio.run(scenario())
    for answer, what in ((pressed, "button"), (resent, "form")):
        assert answer.json["type"] == 4 and answer.json["data"]["flags"] & 64
        assert answer.json["data"]["embeds"][0]["title"] == f"This {what} has expired"
    assert discord_bot.parts.vault.versions() == []  # the resent form stored nothing
