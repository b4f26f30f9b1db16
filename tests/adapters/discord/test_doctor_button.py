"""The doctor's "Onboard <agent>" button through the real discord.py client: its value holds a space
(`onboard ops`), and a press must still reach the bot rather than Discord's "This button has expired"."""
from __future__ import annotations

import asyncio

from adapters.discord import render
from core.replies import Action
from tests.adapters.discord.discord_harness import ADMIN_ID, admin, discord_bot, running  # noqa: F401 (fixture)
from tests.fakes import discord_payloads as p


def test_a_button_value_with_a_space_is_routed():
    assert render.ActionButton.matches(render.custom_id(Action("onboard.start", "Onboard ops", "onboard ops")))


def test_the_doctors_onboard_button_starts_onboarding_for_its_agent(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            asked = p.slash(admin(), "doctor")
            doctor = await rig.interact(asked, rig.original_edit(asked))
            buttons = {c["label"]: c["custom_id"] for row in doctor.json["components"] for c in row["components"]}
            press = p.button(admin(), buttons["Onboard ops"], doctor.json["components"])
            await rig.interact(press, rig.original_edit(press))
            return rig

    rig = asyncio.run(scenario())
    session = discord_bot.chatops.store.open_session_for(f"discord:{ADMIN_ID}")
    assert session is not None and session.agent == "ops"
    assert "expired" not in str([r.json for r in rig.fake.requests]).lower()
