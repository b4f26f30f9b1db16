"""Nobody waits in silence: on Discord the deferred reply shows the steps, then the answer.

Driven through the real discord.py client and the real `openclaw` CLI, whose calls take seconds,
so the progress display (after 0.7 s) always comes before the answer.
"""
from __future__ import annotations

import asyncio

from tests.adapters.discord.discord_harness import ADMIN_ID, admin, discord_bot, running  # noqa: F401 (fixture)
from tests.fakes import discord_payloads as p

TOKEN = "sk-ant-oat01-" + "DiscordProgress_" * 6


def test_a_slow_command_shows_its_step_in_the_deferred_reply_then_the_answer(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            payload = p.slash(admin(), "secure", all=True)  # `openclaw secrets audit`: seconds
            step = await rig.interact(payload, rig.progress_edit(payload))
            answer = await rig.fake.wait_for(rig.original_edit(payload))
            return rig, payload, step, answer

    rig, payload, step, answer = asyncio.run(scenario())
    assert "Looking for plaintext credentials" in step.json["content"]
    edits = rig.fake.find("PATCH", f"{payload['token']}/messages/@original")
    assert edits.index(step) < edits.index(answer) == len(edits) - 1  # the answer is the last edit
    assert "No plaintext credentials" in str(answer.json["embeds"]) and not answer.json.get("content")


def test_a_dm_paste_shows_received_then_the_same_message_becomes_the_result(discord_bot):
    who = admin()
    posts = "/channels/6000/messages"

    async def scenario():
        async with running(discord_bot) as rig:
            rig.fake.members[(p.GUILD, ADMIN_ID)] = who  # DMs are answered for members of the served guild
            start = p.slash(who, "paste-token", agent="main")
            await rig.interact(start, rig.callback(start))  # the modal; the session is open
            rig.client._connection.parse_message_create(p.message(who, TOKEN, in_guild=False))
            working = await rig.fake.wait_for(lambda r: r.method == "POST" and r.path == posts)
            result = await rig.fake.wait_for(lambda r: r.method == "PATCH" and r.path.startswith(posts + "/")
                                             and bool((r.json or {}).get("embeds")))
            return rig, working, result

    rig, working, result = asyncio.run(scenario())
    assert "Received — encrypting and handing it to the gateway" in working.json["content"]
    message_id = next(iter(rig.fake.messages))
    assert result.path == f"{posts}/{message_id}"  # the working message itself, edited
    assert "stored for agent main" in result.json["content"]  # the title replaced the steps
    assert any(e.get("title") == "Stored" for e in result.json["embeds"])
    assert len(rig.fake.find("POST", posts)) == 1  # no second message: the result replaced it
    assert rig.fake.leaks(TOKEN) == [] and discord_bot.leaks(TOKEN) == []
