"""Team alerts delivered to Slack by the real WebClient: the Outbox paces a burst under Slack's
per-channel limit, and one incident stays one message that is edited, threaded and acknowledged.

The fake limits chat.postMessage per channel. Slack's window is one second; the burst test uses
OPENCLAW_TEST_SLACK_WINDOW_S (default 0.1 s) for both the fake's window and the notifier's pacing,
so the suite stays cheap while the ordering and back-off logic under test is the same. Set it to 1
to run the burst at Slack's real rate (about 50 s).
"""
from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.notifier import SLACK_MIN_INTERVAL_S, SlackNotifier, parse_ref
from core.alerts.center import AlertCenter
from core.alerts.outbox import Destination
from tests.adapters.slack.conftest import ADMIN, CHANNEL, SlackRig, block_text, buttons, make_rig, serving
from tests.fakes.slack import Call, FakeSlack

pytestmark = pytest.mark.any_runner

WINDOW_S = float(os.environ.get("OPENCLAW_TEST_SLACK_WINDOW_S", "0.1"))
BURST = 50
PROFILE_KEY = "profile:main/anthropic:default"


@pytest.fixture
def limited_slack() -> Iterator[FakeSlack]:
    fake = FakeSlack(post_window_s=WINDOW_S)
    yield fake
    fake.close()


@pytest.fixture
def limited_rig(oc_bin: str, prepared_home: Path, tmp_path: Path, limited_slack: FakeSlack) -> Iterator[SlackRig]:
    with serving(*make_rig(oc_bin, prepared_home, tmp_path, limited_slack), limited_slack) as rig:
        yield rig


def alerts_here(rig: SlackRig) -> AlertCenter:
    """`/openclaw alerts here` in the team channel, as Slack sends it."""
    _, _, response_url = rig.command("alerts here", channel=CHANNEL)
    (reply,) = rig.wait_reply(response_url)
    assert "Team alerts will be posted here" in block_text(reply["blocks"])
    center = rig.harness.parts.alerts
    assert center.destination() == Destination("slack", CHANNEL) and center.enabled()
    return center


def slack_notifier(rig: SlackRig) -> SlackNotifier:
    notifier = rig.harness.parts.alerts.outbox.notifiers["slack"]  # registered by adapters.slack.app.create
    assert isinstance(notifier, SlackNotifier) and notifier.min_interval_s == SLACK_MIN_INTERVAL_S
    return notifier


def cooldown(profile: str, kind: str = "cooldown", reason: str = "rate_limit") -> dict[str, Any]:
    return {"kind": kind, "owner": "main", "profile": profile, "provider": "anthropic", "reason": reason,
            "until": int(time.time() * 1000) + 3_600_000, "agents": ["main"], "hint": "wait or add a profile"}


def title(call: Call) -> str:
    """The header block of a posted or edited message: the incident title as it stands."""
    return call.params["blocks"][0]["text"]["text"]


def publish(center: AlertCenter, problems: dict[str, dict[str, Any]]) -> None:
    with center.lock:
        changes = center.book.reconcile(problems)
    center.publish(changes)


def test_a_burst_of_fifty_alerts_arrives_in_order_without_a_429_storm(limited_rig: SlackRig) -> None:
    fake = limited_rig.fake
    center = alerts_here(limited_rig)
    slack_notifier(limited_rig).min_interval_s = WINDOW_S
    fake.rate_limited["chat.postMessage"] = [1]  # someone else just posted: the first alert meets a 429
    profiles = [f"anthropic:p{n:02d}" for n in range(BURST)]

    publish(center, {f"profile:main/{p}": cooldown(p) for p in profiles})
    assert center.outbox.drain(timeout=BURST * WINDOW_S * 4 + 30)

    posted = [c for c in fake.accepted("chat.postMessage") if c.params["channel"] == CHANNEL]
    assert [title(c).split(" — ")[1] for c in posted] == [f"main/{p}" for p in profiles]
    throttled = fake.throttled()
    assert 1 <= len(throttled) <= 3, [c.params.get("text") for c in throttled]
    refs = {i.refs[f"slack:{CHANNEL}"] for i in center.open_incidents()}
    assert len(refs) == BURST  # every incident knows its own message


def test_one_incident_is_posted_acknowledged_escalated_threaded_and_resolved(rig: SlackRig) -> None:
    fake = rig.fake
    center = alerts_here(rig)
    slack_notifier(rig).min_interval_s = 0.0  # this fake has no window; the order is what matters here

    publish(center, {PROFILE_KEY: cooldown("anthropic:default")})
    assert center.outbox.drain()
    (post,) = fake.accepted("chat.postMessage")
    channel, ts = parse_ref(center.book.incidents[PROFILE_KEY].refs[f"slack:{CHANNEL}"])
    assert (channel, ts) == (CHANNEL, fake.messages[(CHANNEL, ts)].ts)
    assert title(post).startswith("⚠️ Profile in cooldown — main/anthropic:default")
    ack = next(b for b in buttons(post.params["blocks"]) if b["action_id"].startswith("alerts.ack/"))
    assert {b["text"]["text"] for b in buttons(post.params["blocks"])} == {
        "Acknowledge", "Snooze 1 h", "Snooze 24 h", "Show status"}

    status, body, response_url = rig.click(ack, user=ADMIN, channel=CHANNEL)  # a signed block_actions
    assert status == 200 and body == b""
    (answer,) = rig.wait_reply(response_url)
    assert answer["response_type"] == "ephemeral" and "Acknowledged by uadmin" in block_text(answer["blocks"])
    (acked,) = fake.wait_for(lambda f: f.accepted("chat.update"))
    assert (acked.params["channel"], acked.params["ts"]) == (CHANNEL, ts)
    assert "Acknowledged by" in block_text(acked.params["blocks"]) and "uadmin" in block_text(acked.params["blocks"])

    publish(center, {PROFILE_KEY: cooldown("anthropic:default", kind="disabled", reason="billing")})
    fake.wait_for(lambda f: len(f.accepted("chat.update")) == 2 and len(f.accepted("chat.postMessage")) == 2)
    publish(center, {})
    fake.wait_for(lambda f: len(f.accepted("chat.update")) == 3 and len(f.accepted("chat.postMessage")) == 3)

    updates = fake.accepted("chat.update")
    assert {(c.params["channel"], c.params["ts"]) for c in updates} == {(CHANNEL, ts)}  # one message, edited
    assert title(updates[1]).startswith("⛔ Profile disabled — main/anthropic:default")
    assert title(updates[2]).startswith("✅ Resolved: Profile disabled — main/anthropic:default")
    assert buttons(updates[2].params["blocks"]) == []  # nothing left to acknowledge
    threaded = fake.accepted("chat.postMessage")[1:]
    assert [c.params["thread_ts"] for c in threaded] == [ts, ts]
    assert [c.params["text"] for c in threaded] == ["disabled (billing) anthropic:default", "Recovered."]
    order = [(c.method, c.params.get("thread_ts", "")) for c in fake.calls if c.method.startswith("chat.")]
    assert order == [("chat.postMessage", ""), ("chat.update", ""), ("chat.update", ""),
                     ("chat.postMessage", ts), ("chat.update", ""), ("chat.postMessage", ts)]
    assert fake.messages[(CHANNEL, ts)].edits == 3
    assert b"xoxb-fake" not in fake.all_bytes()


def test_a_429_from_slack_is_waited_out_by_the_outbox_not_the_client(rig: SlackRig, caplog) -> None:
    caplog.set_level("INFO", logger="core.alerts.outbox")
    fake = rig.fake
    center = alerts_here(rig)
    slack_notifier(rig).min_interval_s = 0.0
    fake.rate_limited["chat.postMessage"] = [1]

    publish(center, {PROFILE_KEY: cooldown("anthropic:default"), "profile:main/anthropic:api": cooldown("anthropic:api")})
    assert center.outbox.drain(timeout=60)

    posts = [c for c in fake.calls if c.method == "chat.postMessage"]
    assert [c.status for c in posts] == [429, 200, 200]  # one refusal, then the same message again
    assert title(posts[0]) == title(posts[1])
    assert [title(c).split(" — ")[1] for c in posts[1:]] == ["main/anthropic:default", "main/anthropic:api"]
    waits = [r.getMessage() for r in caplog.records if r.name == "core.alerts.outbox"]
    assert waits == [f"slack:{CHANNEL} rate limited; retrying in 1.0 s"]  # the Outbox saw it, once


def test_snooze_and_show_status_buttons_on_an_alert(rig: SlackRig) -> None:
    fake = rig.fake
    center = alerts_here(rig)
    slack_notifier(rig).min_interval_s = 0.0
    publish(center, {PROFILE_KEY: cooldown("anthropic:default")})
    assert center.outbox.drain()
    (post,) = fake.accepted("chat.postMessage")
    pressed = {b["text"]["text"]: b for b in buttons(post.params["blocks"])}

    _, _, snoozed_url = rig.click(pressed["Snooze 1 h"], channel=CHANNEL)
    (answer,) = rig.wait_reply(snoozed_url)
    assert "Snoozed for 1h by uadmin" in block_text(answer["blocks"])
    assert center.book.incidents[PROFILE_KEY].snoozed(time.time())
    assert center.outbox.drain()
    publish(center, {PROFILE_KEY: cooldown("anthropic:default", kind="disabled", reason="billing")})
    assert center.outbox.drain()
    assert len(fake.accepted("chat.update")) == 2  # the snooze, then the escalation: edited in place...
    assert len(fake.accepted("chat.postMessage")) == 1  # ...but no thread note while snoozed

    _, _, status_url = rig.click(pressed["Show status"], channel=CHANNEL)  # one real gateway status call
    (status,) = rig.wait_reply(status_url)
    assert status["response_type"] == "ephemeral"  # the full status is for whoever asked
    assert "Open incidents" in block_text(status["blocks"]) and PROFILE_KEY in block_text(status["blocks"])
