"""Team alerts delivered to Discord by the real discord.py client: one message per incident,
edited in place, notes as replies, Acknowledge through a real button interaction, and 429s that
neither reorder nor duplicate messages."""
from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import pytest

from adapters.discord.notifier import DiscordNotifier
from core.alerts.center import AlertCenter
from core.alerts.outbox import Destination
from tests.adapters.discord.discord_harness import admin, discord_bot, running  # noqa: F401 (fixture)
from tests.fakes import discord_payloads as p
from tests.fakes.discord_rest import Captured

pytestmark = pytest.mark.any_runner

KEY = "profile:main/anthropic:default"
MESSAGES = f"/channels/{p.CHANNEL}/messages"


def cooldown(profile: str, kind: str = "cooldown", reason: str = "rate_limit") -> dict[str, Any]:
    return {"kind": kind, "owner": "main", "profile": profile, "provider": "anthropic", "reason": reason,
            "until": int(time.time() * 1000) + 3_600_000, "agents": ["main"], "hint": "wait or add a profile"}


def publish(center: AlertCenter, problems: dict[str, dict[str, Any]]) -> None:
    with center.lock:
        changes = center.book.reconcile(problems)
    center.publish(changes)


async def alerts_here(rig) -> AlertCenter:
    """`/openclaw alerts here` in the guild channel, as the gateway delivers it."""
    payload = p.slash(admin(), "alerts", action="here")
    answer = await rig.interact(payload, rig.original_edit(payload))
    assert answer.json["embeds"][0]["title"] == "Team alerts will be posted here"
    center = rig.bot.parts.alerts
    assert center.destination() == Destination("discord", p.CHANNEL) and center.enabled()
    assert isinstance(center.outbox.notifiers["discord"], DiscordNotifier)  # registered at login
    return center


async def drained(center: AlertCenter) -> None:
    """Wait for the Outbox off the loop: its worker needs the loop to reach Discord."""
    assert await asyncio.to_thread(center.outbox.drain, 60)


def creates(rig) -> list[Captured]:
    return [r for r, status in rig.fake.statuses if r.method == "POST" and r.path == MESSAGES and status == 200]


def title(r: Captured) -> str:
    return r.json["content"] or r.json["embeds"][0]["title"]


async def first_alert(rig) -> tuple[AlertCenter, Captured]:
    """`alerts here`, then one cooldown incident posted: the set-up of the button tests."""
    center = await alerts_here(rig)
    publish(center, {KEY: cooldown("anthropic:default")})
    await drained(center)
    (post,) = creates(rig)
    return center, post


def test_one_incident_is_posted_acknowledged_escalated_replied_to_and_resolved(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            center, post = await first_alert(rig)
            (message_id,) = rig.fake.messages
            assert center.book.incidents[KEY].refs[f"discord:{p.CHANNEL}"] == f"{p.CHANNEL}/{message_id}"
            ack = next(c for row in post.json["components"] for c in row["components"]
                       if c["custom_id"].startswith("openclaw:alerts.ack:"))

            press = p.button(admin(), ack["custom_id"], post.json["components"])
            answer = await rig.interact(press, rig.original_edit(press))
            acked = await rig.fake.wait_for(lambda r: r.method == "PATCH" and r.path == f"{MESSAGES}/{message_id}")

            publish(center, {KEY: cooldown("anthropic:default", kind="disabled", reason="billing")})
            await drained(center)
            publish(center, {})
            await drained(center)
            return rig, post, message_id, answer, acked

    rig, post, message_id, answer, acked = asyncio.run(scenario())
    assert title(post) == "**⚠️ Profile in cooldown — main/anthropic:default**"
    assert [c["label"] for row in post.json["components"] for c in row["components"]] == [
        "Acknowledge", "Snooze 1 h", "Snooze 24 h", "Show status"]
    assert post.json["allowed_mentions"]["parse"] == []  # an alert pings nobody
    assert answer.json["embeds"][0]["title"] == "Acknowledged by member"
    fields = {f["name"]: f["value"] for e in acked.json["embeds"] for f in e.get("fields", [])}
    assert fields["Acknowledged by"] == "member"

    channel = [r for r in rig.fake.requests if r.path.startswith(MESSAGES)]
    assert [(r.method, r.path) for r in channel] == [
        ("POST", MESSAGES), ("PATCH", f"{MESSAGES}/{message_id}"),  # posted, acknowledged
        ("PATCH", f"{MESSAGES}/{message_id}"), ("POST", MESSAGES),  # escalated, and why
        ("PATCH", f"{MESSAGES}/{message_id}"), ("POST", MESSAGES)]  # resolved, and a note
    escalated, why, resolved, note = channel[2:]
    assert title(escalated) == "**⛔ Profile disabled — main/anthropic:default**"
    assert title(resolved).startswith("**✅ Resolved: Profile disabled — main/anthropic:default")
    assert resolved.json["components"] == []  # the buttons are gone
    assert [title(why), title(note)] == ["disabled (billing) anthropic:default", "Recovered."]
    for reply in (why, note):
        assert str(reply.json["message_reference"]["message_id"]) == message_id
    assert rig.fake.messages[message_id]["edited_timestamp"] is not None


def test_a_burst_stays_in_order_through_buckets_and_a_429(discord_bot):
    profiles = [f"anthropic:p{n:02d}" for n in range(20)]

    async def scenario():
        async with running(discord_bot) as rig:
            center = await alerts_here(rig)
            rig.fake.message_bucket = (5, 0.5)  # Discord-style bucket: discord.py waits before a 6th
            rig.fake.throttle = [0.2]  # and one 429 it has to sit out itself
            publish(center, {f"profile:main/{p_}": cooldown(p_) for p_ in profiles})
            await drained(center)
            return rig

    rig = asyncio.run(scenario())
    assert [title(r).split(" — ")[1].rstrip("*") for r in creates(rig)] == [f"main/{p_}" for p_ in profiles]
    assert len(rig.fake.answered(429)) == 1  # the forced one; the buckets were respected


def test_a_429_that_outlasts_discord_py_retries_is_retried_by_the_outbox_in_order(discord_bot, caplog):
    caplog.set_level(logging.INFO, logger="core.alerts.outbox")

    async def scenario():
        async with running(discord_bot) as rig:
            center = await alerts_here(rig)
            rig.fake.throttle = [0.01] * 5  # discord.py tries five times, then gives up with a 429
            publish(center, {KEY: cooldown("anthropic:default"), "profile:main/anthropic:api": cooldown("anthropic:api")})
            await drained(center)
            return rig

    rig = asyncio.run(scenario())
    attempts = [(r.path, s) for r, s in rig.fake.statuses if r.method == "POST" and r.path == MESSAGES]
    assert [s for _, s in attempts] == [429] * 5 + [200, 200]
    assert [title(r).split(" — ")[1].rstrip("*") for r in creates(rig)] == ["main/anthropic:default", "main/anthropic:api"]
    waits = [r.getMessage() for r in caplog.records if r.name == "core.alerts.outbox"]
    assert waits == [f"discord:{p.CHANNEL} rate limited; retrying in 1.0 s"]


def test_without_read_message_history_a_note_is_a_plain_message(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            center = await alerts_here(rig)
            rig.fake.can_reply = False
            publish(center, {KEY: cooldown("anthropic:default")})
            await drained(center)
            publish(center, {})
            await drained(center)
            return rig

    rig = asyncio.run(scenario())
    channel = [(r.method, s, bool((r.json or {}).get("message_reference"))) for r, s in rig.fake.statuses
               if r.path.startswith(MESSAGES)]
    assert channel == [("POST", 200, False), ("PATCH", 200, False), ("POST", 403, True), ("POST", 200, False)]
    assert title(creates(rig)[-1]) == "Recovered."


def test_snooze_button_on_an_alert(discord_bot):
    async def scenario():
        async with running(discord_bot) as rig:
            center, post = await first_alert(rig)
            snooze = next(c for row in post.json["components"] for c in row["components"] if c["label"] == "Snooze 1 h")
            press = p.button(admin(), snooze["custom_id"], post.json["components"])
            answer = await rig.interact(press, rig.original_edit(press))
            await drained(center)
            return rig, center, answer

    rig, center, answer = asyncio.run(scenario())
    assert answer.json["embeds"][0]["title"] == "Snoozed for 1h by member"
    assert center.book.incidents[KEY].snoozed(time.time())
    assert [r.method for r in rig.fake.requests if r.path.startswith(MESSAGES)] == ["POST", "PATCH"]
