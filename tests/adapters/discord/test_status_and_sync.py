"""`/openclaw status` through the real discord.py client, OpenClaw's real store, and a loopback Discord."""
from __future__ import annotations

import asyncio

import pytest

from tests.adapters.discord.discord_harness import admin, discord_bot, running, viewer  # noqa: F401 (fixture)
from tests.fakes import discord_payloads as p

pytestmark = pytest.mark.any_runner


def test_status_defers_before_the_gateway_and_edits_in_embeds(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            payload = p.slash(viewer(), "status")
            edit = await rig.interact(payload, rig.original_edit(payload))
            defer = rig.fake.find("POST", f"/interactions/{payload['id']}/")[0]
            return rig, defer, edit

    rig, defer, edit = asyncio.run(scenario())
    assert defer.json["type"] == 5  # deferred "thinking"
    assert not defer.json.get("data", {}).get("flags", 0) & 64  # status is public by default
    assert defer.seen == 0, "the defer must reach Discord before any openclaw call starts"
    assert rig.cli_calls() == []  # status is read from OpenClaw's store, no `openclaw` call at all
    embeds = edit.json["embeds"]
    assert {e["title"] for e in embeds} == {"Agent main", "Agent ops"}  # one embed per agent
    for embed in embeds:
        assert embed["color"] == 0xE74C3C  # no profiles yet: the worst state is an error
        assert "No auth profiles" in embed["description"]
    assert "OpenClaw auth status" in edit.json["content"]


def test_private_status_is_ephemeral_from_the_defer(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            payload = p.slash(viewer(), "status", agent="ops", private=True)
            await rig.interact(payload, rig.original_edit(payload))
            return rig.fake.find("POST", f"/interactions/{payload['id']}/")[0]

    defer = asyncio.run(scenario())
    assert defer.json["data"]["flags"] & 64


def test_a_status_error_after_the_public_defer_is_shown_only_to_the_requester(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            payload = p.slash(viewer(), "status", agent="nope")
            answer = await rig.interact(payload, lambda r: r.method == "POST" and payload["token"] in r.path
                                        and r.path.startswith("/webhooks/"))
            return rig, payload, answer

    rig, payload, answer = asyncio.run(scenario())
    defer = rig.fake.find("POST", f"/interactions/{payload['id']}/")[0]
    assert not defer.json.get("data", {}).get("flags", 0) & 64  # public "thinking", as status always starts
    assert len(rig.fake.find("DELETE", f"{payload['token']}/messages/@original")) == 1
    assert rig.fake.find("PATCH", f"{payload['token']}/messages/@original") == []
    assert answer.json["flags"] & 64 and "Unknown agent" in str(answer.json["embeds"])


def test_non_admin_is_refused_without_a_secret_form(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            payload = p.slash(viewer(), "paste-token", agent="main")
            return await rig.interact(payload, rig.callback(payload))

    answer = asyncio.run(scenario())
    assert answer.json["type"] == 4  # a message, not a modal (type 9)
    assert answer.json["data"]["flags"] & 64
    assert answer.json["data"]["embeds"][0]["title"] == "Not allowed"


def test_autocomplete_offers_the_live_agent_ids(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            payload = p.slash(admin(), "status", focused="agent", agent="")
            answer = await rig.interact(payload, rig.callback(payload))
            return rig, answer

    rig, answer = asyncio.run(scenario())
    assert answer.json["type"] == 8
    assert [c["value"] for c in answer.json["data"]["choices"]] == ["main", "ops"]
    assert rig.cli_calls() == []  # autocomplete never runs the slow CLI


def test_command_sync_is_skipped_when_nothing_changed(discord_bot):
    async def twice():
        async with running(discord_bot) as first:
            synced_first = first.fake.find("PUT", "/commands")
        async with running(discord_bot) as second:
            synced_second = second.fake.find("PUT", "/commands")
        return synced_first, synced_second

    first, second = asyncio.run(twice())
    assert len(first) == 1 and first[0].path == f"/applications/4343/guilds/{p.GUILD}/commands"
    group = first[0].json[0]
    assert group["name"] == "openclaw" and int(group["default_member_permissions"]) == 1 << 5  # manage_guild
    assert {o["name"] for o in group["options"]} >= {"status", "onboard", "paste-token", "remove", "help"}
    assert second == []
