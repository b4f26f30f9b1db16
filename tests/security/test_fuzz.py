"""Property-based fuzzing (bounded): command lines through core, and Slack payloads through the
real Bolt app's dispatch with valid signatures. The `openclaw` binary is absent, so every command
that reaches the gateway fails fast, which is itself a path that must answer clearly.
Properties: no unhandled exception, no listener error in the log, every failed reply says why,
and a pasted credential is never echoed."""
from __future__ import annotations

import json
import logging
import re
import urllib.parse
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import BoltRequest

from adapters.slack.app import create
from core.requests import Place, PlaceKind, Request, User
from tests.fakes.slack import BOT_TOKEN, FakeSlack, sign
from tests.harness import make_bot
from tests.security.scale import count

VERBS = ["status", "onboard", "paste-token", "remove", "order", "cache", "alerts", "audit", "doctor", "help",
         "secure", "nosuch", "/openclaw", "cancel"]
WORDS = st.one_of(st.sampled_from(VERBS + ["main", "ops", "--all", "--profile-id", "--expires-in", "365d", "long",
                                           "none", "5m", "snooze", "1h", "--agent", "--", "-x", '"', "'"]),
                  st.text(max_size=12))
TOKENS = st.builds(lambda p, body: p + body, st.sampled_from(["sk-ant-oat01-", "sk-ant-api03-", "sk-ant-admin01-", "sk-ant-", ""]),
                   st.text(alphabet="abcXYZ019_-\n ", min_size=0, max_size=120))
FUZZ = settings(max_examples=count("FUZZ_EXAMPLES", 60), deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
SECRET = "fuzz-signing-secret"


@pytest.fixture
def offline(tmp_path: Path):
    home = tmp_path / "home"
    (home / ".openclaw").mkdir(parents=True)
    (home / ".openclaw" / "openclaw.json").write_text("{ agents: { entries: { main: {}, ops: {} } } }")
    fake = FakeSlack()
    bot = make_bot(str(tmp_path / "gone" / "openclaw"), home, tmp_path / "chatops", SLACK_BOT_TOKEN=BOT_TOKEN,
                   SLACK_API_URL=fake.api_url, SLACK_SIGNING_SECRET=SECRET, SLACK_MODE="http",
                   OPENCLAW_CHATOPS_ADMINS="slack:UADMIN")
    yield bot, fake
    bot.parts.store.close()
    fake.close()


@pytest.fixture
def bolt(offline):
    """One Bolt app for all of a property's examples, as in the running bot: building one per
    example (its token check included) was most of each example's cost at the soak's scale."""
    bot, fake = offline
    return create(bot.parts).app, fake


@FUZZ
@given(words=st.lists(WORDS, max_size=6), secret=TOKENS, kind=st.sampled_from(list(PlaceKind)),
       who=st.sampled_from(["console", "slack"]))
def test_command_grammar(offline, words, secret, kind, who):
    bot, _ = offline
    text = " ".join(words + ([secret] if secret.startswith("sk-ant-") else []))
    reply = bot.chatops.handle(Request(User(who, "UADMIN" if who == "slack" else "tester"), Place(kind, "X1"), text))
    doc = json.dumps(reply.to_dict())
    assert reply.code != "internal", doc
    if reply.failed:
        assert reply.title and (reply.text or reply.sections), doc
    for fragment in fragments(secret):  # well-formed or not, no piece of a pasted credential comes back
        assert fragment not in doc, (fragment, doc)


def fragments(secret: str, size: int = 8) -> set[str]:
    """Every `size`-character slice of what follows the `sk-ant-…-` prefix, word by word (the
    grammar splits on whitespace, so a slice across a space could never be echoed as one)."""
    body = re.sub(r"^sk-ant-(?:[a-z]+[0-9]{2}-)?", "", secret) if secret.startswith("sk-ant-") else ""
    return {word[i:i + size] for word in body.split() for i in range(len(word) - size + 1)}


@FUZZ
@given(text=st.text(max_size=80), user=st.sampled_from(["UADMIN", "UVIEW", ""]),
       action=st.sampled_from(["onboard.method/0", "onboard.start/1", "status.all/0", "alerts.ack/0", "nosuch/0",
                               "onboard.paste/0", "secure.confirm/0"]),
       value=st.text(max_size=40), kind=st.sampled_from(["command", "block_actions", "view_submission", "event"]))
def test_slack_payloads_through_bolt(bolt, caplog, text, user, action, value, kind):
    app, fake = bolt
    caplog.set_level(logging.ERROR)
    if kind == "command":
        body = urllib.parse.urlencode({"team_id": "T1", "channel_id": "C1", "user_id": user, "command": "/openclaw",
                                       "text": text, "response_url": fake.response_url(), "trigger_id": "t"})
    elif kind == "event":
        body = json.dumps({"type": "event_callback", "team_id": "T1", "event_id": "Ev" + value[:8],
                           "event": {"type": "message", "user": user, "text": text, "channel": "D1",
                                     "channel_type": "im", "ts": "1.1"}})
    else:
        payload = {"type": kind, "user": {"id": user}, "team": {"id": "T1"}, "trigger_id": "t",
                   "response_url": fake.response_url("a"), "channel": {"id": "C1"},
                   "actions": [{"type": "button", "action_id": action, "value": value}],
                   "view": {"id": "V", "type": "modal", "callback_id": "openclaw.secret", "private_metadata": value,
                            "state": {"values": {"secret": {"value": {"type": "plain_text_input", "value": text}}}}}}
        body = urllib.parse.urlencode({"payload": json.dumps(payload)})
    headers = {k.lower(): [v] for k, v in sign(SECRET, body).items()}
    headers["content-type"] = ["application/json" if kind == "event" else "application/x-www-form-urlencoded"]
    response = app.dispatch(BoltRequest(body=body, headers=headers))
    assert response.status in (200, 404), (response.status, response.body)
    assert not [r for r in caplog.records if r.name.startswith(("adapters", "core")) and r.levelno >= logging.ERROR]
