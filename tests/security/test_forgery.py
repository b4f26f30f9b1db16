"""Forged Slack requests in HTTP mode: bad, missing or stale signatures and replays.

What Bolt gives: an HMAC-SHA256 check of `v0:<timestamp>:<body>` with the signing secret, and a
refusal of timestamps more than 300 s from now, so a captured request replayed after 5 minutes is
401. What the bot adds: events are handled once per `event_id` (Slack redelivers on timeouts, and a
replay inside the window would otherwise run twice). A slash command replayed inside the 300 s
window is accepted by Bolt and runs again; that is Slack's protocol (commands carry no id), and
every command is still checked against the sender's role.
"""
from __future__ import annotations

import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.adapters.slack.conftest import ADMIN, SIGNING_SECRET, SlackRig, make_rig, serving
from tests.fakes.slack import FakeSlack, post, sign

pytestmark = pytest.mark.any_runner

CANARY = "sk-ant-oat01-" + "ForgeryCanary_" * 6


@pytest.fixture
def rig(oc_bin: str, prepared_home: Path, tmp_path: Path):
    fake = FakeSlack()
    with serving(*make_rig(oc_bin, prepared_home, tmp_path, fake), fake) as rig:
        yield rig
    fake.close()


def body_for(rig: SlackRig, text: str) -> str:
    return urllib.parse.urlencode({"team_id": "T1", "channel_id": "C1", "user_id": ADMIN, "command": "/openclaw",
                                   "text": text, "response_url": rig.fake.response_url(), "trigger_id": "t"})


def test_forged_stale_and_replayed_requests_are_refused(rig: SlackRig):
    body = body_for(rig, "help")
    form = "application/x-www-form-urlencoded"
    good = sign(SIGNING_SECRET, body)
    # Timestamps are signed just before each request and sit 30 s past Bolt's 300 s window: a
    # future stamp signed early drifts back inside the window while earlier requests run.
    outside = 330
    forged: dict[str, Callable[[], dict[str, str]]] = {
        "wrong secret": lambda: sign("not-the-secret", body),
        "no headers": lambda: {},
        "no signature": lambda: {"X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"]},
        "no timestamp": lambda: {"X-Slack-Signature": good["X-Slack-Signature"]},
        "body changed after signing": lambda: good,
        "stale": lambda: sign(SIGNING_SECRET, body, int(time.time()) - outside),
        "from the future": lambda: sign(SIGNING_SECRET, body, int(time.time()) + outside),
        "garbage signature": lambda: {**good, "X-Slack-Signature": "v0=zz"},
        "other version": lambda: {**good, "X-Slack-Signature": good["X-Slack-Signature"].replace("v0=", "v1=")},
    }
    for name, headers in forged.items():
        sent = body.replace("help", "status") if name == "body changed after signing" else body
        status, _ = post(rig.url, sent, headers(), form)
        assert status == 401, name
    # A captured request replayed after the 300 s window (same body, same signature) is refused.
    old = int(time.time()) - outside
    captured = sign(SIGNING_SECRET, body, old)
    assert post(rig.url, body, captured, form)[0] == 401
    assert [c for c in rig.fake.calls if c.path.startswith("/respond/")] == []
    assert rig.harness.parts.store.audit_rows() == []
    assert post(rig.url, body, good, form)[0] == 200  # the genuine one still works


def test_a_replayed_event_id_is_handled_once(rig: SlackRig):
    first, _ = rig.message(f"look {CANARY}", user="UOTHER", event_id="EvReplay")
    again, _ = rig.message(f"look {CANARY}", user="UOTHER", event_id="EvReplay")  # no retry header: a replay
    assert (first, again) == (200, 200)
    rig.fake.wait_for(lambda f: f.of("chat.postEphemeral"))
    time.sleep(0.5)  # give a second delivery every chance to show up
    assert len(rig.fake.of("chat.postEphemeral")) == 1
    assert len([r for r in rig.harness.parts.store.audit_rows() if r.action == "secret_in_channel"]) == 1
    assert CANARY.encode() not in rig.fake.all_bytes()
