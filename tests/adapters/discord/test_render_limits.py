"""Embeds stay inside Discord's limits by paging, and no profile is dropped."""
from __future__ import annotations

import asyncio

import discord
import pytest

from adapters.discord import render
from core.replies import Field, Reply, Section, Severity
from tests.adapters.discord.discord_harness import discord_bot, running  # noqa: F401 (fixture)
from tests.fakes import discord_payloads as p

pytestmark = pytest.mark.any_runner


def test_a_large_status_is_paged_within_discord_limits():
    sections = [Section(f"Agent a{n}", "model x", [Field(f"anthropic:p{i}", "ok · " + "x" * 300) for i in range(30)],
                        Severity.WARNING if n % 2 else Severity.OK) for n in range(12)]
    pages = render.pages(Reply("OpenClaw auth status", sections=sections, context="snapshot 1 s old"))
    fields = [f.name for page in pages for e in page for f in e.fields]
    assert len(fields) == 12 * 30
    for page in pages:
        assert len(page) <= 10 and sum(len(e) for e in page) <= 6000
        assert all(len(e.fields) <= 25 for e in page)
    embeds = [e for page in pages for e in page]
    assert embeds[0].colour.value == 0x2ECC71 and embeds[1].title == "Agent a0 (continued)"
    assert embeds[-1].footer.text == "snapshot 1 s old"


def long_reply() -> Reply:
    """Every text a reply carries, each longer than Discord takes: only clipping and paging get it through."""
    sections = [Section("Agent " + "t" * 300, "d" * 5000,
                        [Field("anthropic:" + "n" * 300, "v" * 2000) for _ in range(30)], Severity.ERROR)
                for _ in range(2)]
    return Reply("T" * 2100, text="x" * 5000, sections=sections, context="c" * 2100)


def test_discord_refuses_what_render_would_send_unclipped(discord_bot):
    """The fake answers an over-long embed 400 like Discord, so the clipping test below can fail."""
    async def scenario():
        async with running(discord_bot) as rig:
            channel = rig.client.get_channel(int(p.CHANNEL))
            with pytest.raises(discord.HTTPException) as refused:
                await channel.send(embed=discord.Embed(title="t" * 257))
            return rig, refused.value

    rig, refused = asyncio.run(scenario())
    assert refused.status == 400 and refused.code == 50035 and "embeds.0.title" in str(refused.text)
    assert rig.fake.find("POST", f"/channels/{p.CHANNEL}/messages") and rig.fake.messages == {}


def test_every_text_is_clipped_and_paged_into_messages_discord_accepts(discord_bot):
    reply = long_reply()

    async def scenario():
        async with running(discord_bot) as rig:
            channel = rig.client.get_channel(int(p.CHANNEL))
            for number, embeds in enumerate(render.pages(reply)):
                await channel.send(content=render.content(reply) if number == 0 else None, embeds=embeds)
            return rig

    rig = asyncio.run(scenario())
    assert rig.fake.answered(400) == []
    sent = [m for m in rig.fake.messages.values()]
    embeds = [e for m in sent for e in m["embeds"]]
    assert sum(len(e.get("fields", [])) for e in embeds) == 60  # clipped, never dropped
    assert embeds[0]["description"].endswith("…") and len(embeds[0]["description"]) == 4096
    assert all(len(e["title"]) == 256 and e["title"].endswith("…") for e in embeds if "title" in e)
    assert all(len(f["name"]) == 256 and len(f["value"]) == 1024 for e in embeds for f in e.get("fields", []))
    assert len(embeds[-1]["footer"]["text"]) == 2048
