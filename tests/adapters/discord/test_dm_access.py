"""Who may use the bot from a Discord DM, where no server permission applies (a public bot can be
DMed by anyone), and what `status --fresh` costs (real discord.py, real CLI, loopback Discord)."""
from __future__ import annotations

import asyncio

import pytest

from adapters.discord.members import OUTSIDER_REFUSAL
from tests.adapters.discord.discord_harness import ADMIN_ID, VIEWER_ID, admin, discord_bot, dm_reply, running, viewer  # noqa: F401 (fixture)
from tests.fakes import discord_payloads as p
from tests.harness import force_slow_path

STRANGER = "9999"  # a Discord user in none of the bot's servers and in no role setting


def stranger() -> dict:
    return p.member(STRANGER)


async def dm(rig, who: dict, text: str):
    start = len(rig.fake.requests)
    rig.client._connection.parse_message_create(p.message(who, text, in_guild=False))
    return await dm_reply(rig, start)


def member_lookups(rig, user_id: str) -> list:
    return rig.fake.find("GET", f"/guilds/{p.GUILD}/members/{user_id}")


@pytest.mark.any_runner
def test_a_dm_from_outside_the_served_server_gets_one_line_and_costs_no_cli_call(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            first = await dm(rig, stranger(), "status --fresh")
            second = await dm(rig, stranger(), "status main --all")
            return rig, first, second

    rig, first, second = asyncio.run(scenario())
    for answer in (first, second):
        assert answer.json["content"] == OUTSIDER_REFUSAL and not answer.json.get("embeds")
        assert "main" not in str(answer.json) and "anthropic" not in str(answer.json)
    assert not any(c.startswith("models status") for c in rig.cli_calls())
    assert len(member_lookups(rig, STRANGER)) == 1, "the refusal is cached: one member lookup per stranger"


@pytest.mark.any_runner
def test_members_and_people_named_in_the_role_settings_are_answered_in_a_dm(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            rig.fake.members[(p.GUILD, "3333")] = p.member("3333")
            member = await dm(rig, p.member("3333"), "status")
            named = await dm(rig, admin(), "status")  # ADMIN_ID is in no server here, but listed by id
            return member, named

    for answer in asyncio.run(scenario()):
        assert "OpenClaw auth status" in answer.json["content"]
        assert {e["title"] for e in answer.json["embeds"]} == {"Agent main", "Agent ops"}


@pytest.mark.any_runner
def test_slash_commands_autocomplete_and_buttons_in_a_dm_are_refused_to_strangers(discord_bot):
    """Global commands (no DISCORD_GUILD_ID) are offered in DMs too, where default permissions do
    not apply: the command tree refuses a stranger before any handler runs."""
    async def scenario():
        async with running(discord_bot, guild_id=None) as rig:
            command = p.slash(stranger(), "status", in_guild=False, fresh=True)
            refused = await rig.interact(command, rig.callback(command))
            complete = p.slash(stranger(), "status", focused="agent", in_guild=False, agent="")
            choices = await rig.interact(complete, rig.callback(complete))
            show_all = {"type": 2, "custom_id": "openclaw:status.all:", "label": "Show all", "style": 2}
            press = p.button(stranger(), show_all["custom_id"], [{"type": 1, "components": [show_all]}], in_guild=False)
            pressed = await rig.interact(press, rig.callback(press))
            return rig, (refused, pressed), choices

    rig, answers, choices = asyncio.run(scenario())
    for refused in answers:
        assert refused.json["type"] == 4 and refused.json["data"]["flags"] & 64
        assert refused.json["data"]["content"] == OUTSIDER_REFUSAL
    assert choices.json == {"type": 8, "data": {"choices": []}}
    assert not any(c.startswith("models status") for c in rig.cli_calls())


def test_status_fresh_needs_an_operator_and_is_spaced_out(discord_bot):
    ops = discord_bot.chatops
    ops.policy = type(ops.policy)(admins=ops.policy.admins, operators=frozenset({f"discord:{ADMIN_ID}"}))
    force_slow_path(discord_bot.state_dir)  # a fresh read costs CLI calls only where the store reader cannot serve

    async def scenario():
        async with running(discord_bot) as rig:
            denied = p.slash(viewer(), "status", fresh=True)
            refused = await rig.interact(denied, lambda r: denied["token"] in r.path and r.path.startswith("/webhooks/")
                                         and r.method in ("PATCH", "POST"))
            after_refusal = len(rig.cli_calls())
            answers = []
            for _ in range(2):
                asked = p.slash(admin(), "status", fresh=True)
                answers.append(await rig.interact(asked, rig.original_edit(asked)))
                answers[-1] = (answers[-1], len(rig.cli_calls()))
            return refused, after_refusal, answers

    refused, after_refusal, [(first, after_first), (second, after_second)] = asyncio.run(scenario())
    assert "Not allowed" in str(refused.json["embeds"]) and "operator" in str(refused.json["embeds"])
    assert after_refusal == 0, "a viewer's --fresh must not start the CLI"
    assert after_first >= 2 and "--fresh is limited" not in str(first.json)
    assert after_second == after_first, "a second --fresh within the interval is answered from the snapshot"
    assert {e["title"] for e in second.json["embeds"]} == {"Agent main", "Agent ops"}
    assert "--fresh is limited to one read every 30s" in second.json["embeds"][-1]["footer"]["text"]
