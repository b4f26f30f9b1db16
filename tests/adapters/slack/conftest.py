"""A Slack rig: the real Bolt app in HTTP mode, wired to a real OpenClaw home and a fake Slack.

`rig.command("status")` sends a signed slash command the way Slack does and returns the HTTP
answer; replies are then read from the fake's recorded calls.
"""
from __future__ import annotations

import json
import threading
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from adapters.slack.app import SlackBot, create
from adapters.slack.progress import BLOCK_ID as PROGRESS_BLOCK
from tests.fakes.slack import BOT_TOKEN, Call, FakeSlack, Message, post, sign
from tests.harness import BotHarness, copy_home, make_bot

SIGNING_SECRET = "fake-signing-secret"
ADMIN = "UADMIN"
VIEWER = "UVIEWER"
CHANNEL = "C0TEAM"


@dataclass
class SlackRig:
    harness: BotHarness
    slack: SlackBot
    fake: FakeSlack
    url: str

    def send(self, body: str, content_type: str, headers: dict[str, str] | None = None,
             timestamp: int | None = None) -> tuple[int, bytes]:
        return post(self.url, body, {**sign(SIGNING_SECRET, body, timestamp), **(headers or {})}, content_type)

    def command(self, text: str, user: str = ADMIN, channel: str = CHANNEL, **signing: Any) -> tuple[int, bytes, str]:
        response_url = self.fake.response_url()
        body = urllib.parse.urlencode({
            "token": "legacy", "team_id": "T1", "channel_id": channel, "channel_name": "team",
            "user_id": user, "user_name": user.lower(), "command": "/openclaw", "text": text,
            "response_url": response_url, "trigger_id": "trig-cmd", "api_app_id": "A1"})
        status, answer = self.send(body, "application/x-www-form-urlencoded", **signing)
        return status, answer, response_url

    def interact(self, payload: dict[str, Any]) -> tuple[int, bytes]:
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
        return self.send(body, "application/x-www-form-urlencoded")

    def click(self, button: dict[str, Any], user: str = ADMIN, channel: str = "",
              ephemeral: bool = False) -> tuple[int, bytes, str]:
        """Press `button`; `ephemeral`: it sits in a message only the presser sees (a command's answer)."""
        response_url = self.fake.response_url("action")
        payload = {"type": "block_actions", "user": {"id": user, "username": user.lower()}, "team": {"id": "T1"},
                   "api_app_id": "A1", "trigger_id": "trig-click", "response_url": response_url,
                   "channel": {"id": channel or "D" + user.lstrip("U")},
                   "container": {"type": "message", "is_ephemeral": ephemeral},
                   "actions": [{"type": "button", "action_id": button["action_id"], "block_id": "b",
                                "value": button["value"], "action_ts": "1"}]}
        status, answer = self.interact(payload)
        return status, answer, response_url

    def submit_modal(self, view: dict[str, Any], text: str, user: str = ADMIN) -> tuple[int, dict[str, Any]]:
        state = {"values": {"secret": {"value": {"type": "plain_text_input", "value": text}}}}
        payload = {"type": "view_submission", "user": {"id": user, "username": user.lower()}, "team": {"id": "T1"},
                   "api_app_id": "A1", "trigger_id": "trig-view",
                   "view": {**view, "id": "V1", "state": state}}
        status, answer = self.interact(payload)
        return status, json.loads(answer) if answer else {}

    def message(self, text: str, user: str = ADMIN, channel: str = CHANNEL, channel_type: str = "channel",
                event_id: str = "Ev1", retry: int | None = None) -> tuple[int, bytes]:
        body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event_id,
                           "event_time": 1, "event": {"type": "message", "user": user, "text": text, "ts": "1.1",
                                                      "channel": channel, "channel_type": channel_type}})
        headers = {"X-Slack-Retry-Num": str(retry), "X-Slack-Retry-Reason": "http_timeout"} if retry else {}
        return self.send(body, "application/json", headers)

    def edit(self, text: str, previous: str, user: str = ADMIN, channel: str = CHANNEL, channel_type: str = "channel",
             event_id: str = "EvEdit") -> tuple[int, bytes]:
        """A `message_changed` event as Slack sends it for an edit: the new and the previous message."""
        event = {"type": "message", "subtype": "message_changed", "hidden": True, "channel": channel,
                 "channel_type": channel_type, "ts": "1.2", "event_ts": "1.2",
                 "message": {"type": "message", "user": user, "text": text, "ts": "1.1",
                             "edited": {"user": user, "ts": "1.2"}},
                 "previous_message": {"type": "message", "user": user, "text": previous, "ts": "1.1"}}
        body = json.dumps({"type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": event_id,
                           "event_time": 1, "event": event})
        return self.send(body, "application/json")

    def replies_at(self, response_url: str) -> list[dict[str, Any]]:
        """What the user saw at `response_url`: the posts Slack took (not those it refused)."""
        path = urllib.parse.urlsplit(response_url).path
        return [c.params for c in self.fake.calls if c.path == path and c.status == 200]

    def wait_reply(self, response_url: str, count: int = 1) -> list[dict[str, Any]]:
        self.fake.wait_for(lambda f: len(self.replies_at(response_url)) >= count)
        return self.replies_at(response_url)

    def answers(self, response_url: str) -> list[dict[str, Any]]:
        """The answer messages the requester sees once the working message (if any) gave way."""
        return self.fake.wait_for(lambda f: [m for m in visible(self.replies_at(response_url)) if not is_progress(m)])


def make_rig(oc_bin: str, prepared_home: Path, tmp_path: Path, fake: FakeSlack, **env: str) -> tuple[BotHarness, SlackBot]:
    home = copy_home(prepared_home, tmp_path / "home")
    settings = {"OPENCLAW_CHATOPS_ADMINS": f"slack:{ADMIN}", "SLACK_BOT_TOKEN": BOT_TOKEN,
                "SLACK_API_URL": fake.api_url, "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_MODE": "http", **env}
    harness = make_bot(oc_bin, home, tmp_path / "chatops", **settings)
    return harness, create(harness.parts)


@contextmanager
def serving(harness: BotHarness, slack: SlackBot, fake: FakeSlack) -> Iterator[SlackRig]:
    """Run the HTTP endpoint on a free loopback port for the duration of a test."""
    server = slack.http_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield SlackRig(harness, slack, fake, f"http://127.0.0.1:{server.server_address[1]}/slack/events")
    finally:
        server.shutdown()
        server.server_close()
        harness.parts.store.close()


@pytest.fixture
def fake_slack() -> FakeSlack:
    fake = FakeSlack()
    yield fake
    fake.close()


@pytest.fixture
def rig(oc_bin: str, prepared_home: Path, tmp_path: Path, fake_slack: FakeSlack) -> SlackRig:
    """HTTP mode with one admin; tests that need other settings build their own with `make_rig`."""
    with serving(*make_rig(oc_bin, prepared_home, tmp_path, fake_slack), fake_slack) as rig:
        yield rig


def is_progress(message: dict[str, Any]) -> bool:
    return any(b.get("block_id") == PROGRESS_BLOCK for b in message.get("blocks") or [])


def visible(sends: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """What the requester sees from one response_url, applied the way Slack applies it: a
    `replace_original` takes the place of the message before it, `delete_original` removes it."""
    shown: list[dict[str, Any]] = []
    for send in sends:
        if send.get("delete_original"):
            shown.pop()
        elif send.get("replace_original"):
            shown[-1] = send
        else:
            shown.append(send)
    return shown


def buttons(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for b in blocks if b["type"] == "actions" for e in b["elements"]]


def block_text(blocks: list[dict[str, Any]]) -> str:
    """Every visible string of a Block Kit message, for content assertions."""
    return json.dumps(blocks, ensure_ascii=False)


def dm_messages_with(fake: FakeSlack, text: str) -> list[Message]:
    """DM messages of the bot that now read `text`: a result is often a working message edited."""
    return [m for m in list(fake.messages.values()) if m.channel.startswith("D") and text in block_text(m.blocks)]


def posts_to(fake: FakeSlack, channel_prefix: str = "D") -> list[Call]:
    return [c for c in fake.of("chat.postMessage") if str(c.params.get("channel", "")).startswith(channel_prefix)]
