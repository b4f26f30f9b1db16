"""`status` over a signed slash command, checked against the real `openclaw models status`."""
from __future__ import annotations

import urllib.parse
from pathlib import Path
from typing import Any

import pytest

from adapters.slack import render
from adapters.slack.app import create
from core.requests import Place, PlaceKind, Request, User
from tests.adapters.slack.conftest import (
    ADMIN,
    CHANNEL,
    SIGNING_SECRET,
    SlackRig,
    block_text,
    posts_to,
    serving,
    visible,
)
from tests.fakes.slack import BOT_TOKEN, FakeSlack
from tests.harness import make_bot

pytestmark = pytest.mark.any_runner

API_KEY = "sk-ant-api03-" + "k" * 90
SETUP_TOKEN = "sk-ant-oat01-" + "t" * 90


def oauth_profile_ids(node: Any) -> set[str]:
    """Profile ids from the `oauth.profiles` list of `models status --json`, wherever it sits."""
    found: set[str] = set()
    if isinstance(node, dict):
        oauth = node.get("oauth")
        if isinstance(oauth, dict):
            found |= {p["profileId"] for p in oauth.get("profiles", []) if "profileId" in p}
        for value in node.values():
            found |= oauth_profile_ids(value)
    elif isinstance(node, list):
        for value in node:
            found |= oauth_profile_ids(value)
    return found


def test_status_command_renders_every_profile(rig: SlackRig) -> None:
    oc = rig.harness.oc
    assert oc("models", "auth", "paste-api-key", "--provider", "anthropic", "--agent", "main",
              "--profile-id", "anthropic:team", stdin=API_KEY + "\n").returncode == 0
    assert oc("models", "auth", "paste-token", "--provider", "anthropic", "--agent", "main",
              "--profile-id", "anthropic:sub", stdin=SETUP_TOKEN + "\n").returncode == 0
    expected = oauth_profile_ids(rig.harness.oc_json("models", "status", "--json", "--agent", "main"))
    assert {"anthropic:team", "anthropic:sub"} <= expected

    status, body, response_url = rig.command("status")

    assert status == 200 and body == b""  # acked before the gateway was asked
    (reply,) = rig.answers(response_url)
    assert reply["response_type"] == "in_channel"
    blocks = reply["blocks"]
    assert blocks[0]["type"] == "header"
    assert blocks[-1]["type"] == "context" and "snapshot" in blocks[-1]["elements"][0]["text"]
    agent_sections = [b for b in blocks if b["type"] == "section" and "*Agent main*" in b.get("text", {}).get("text", "")]
    assert len(agent_sections) == 1
    field_text = block_text([f for b in blocks for f in b.get("fields", [])])
    for profile in expected:
        assert profile in field_text
    assert API_KEY not in block_text(blocks) and SETUP_TOKEN not in block_text(blocks)


def test_private_flag_keeps_status_ephemeral(rig: SlackRig) -> None:
    _, _, response_url = rig.command("status main --private")
    (reply,) = rig.answers(response_url)
    assert reply["response_type"] == "ephemeral"


FLEET = [f"agent{n:03d}" for n in range(300)]


def test_a_status_too_long_for_one_response_url_arrives_whole(tmp_path: Path, fake_slack: FakeSlack) -> None:
    """Slack takes 5 posts per response_url. A 300-agent status renders as 7 messages (here with
    the gateway down, the cheapest way to a fleet that size); every agent must reach the user, and
    the URL must never be asked for more than it takes."""
    home = tmp_path / "home"
    (home / ".openclaw").mkdir(parents=True)
    entries = ", ".join(f"{a}: {{}}" for a in FLEET)
    (home / ".openclaw" / "openclaw.json").write_text(f"{{ agents: {{ entries: {{ {entries} }} }} }}")
    harness = make_bot(str(tmp_path / "gone" / "openclaw"), home, tmp_path / "chatops",
                       OPENCLAW_CHATOPS_ADMINS=f"slack:{ADMIN}", SLACK_BOT_TOKEN=BOT_TOKEN,
                       SLACK_API_URL=fake_slack.api_url, SLACK_SIGNING_SECRET=SIGNING_SECRET, SLACK_MODE="http")
    with serving(harness, create(harness.parts), fake_slack) as rig:
        assert len(render.messages(rig.harness.chatops.handle(
            Request(User("slack", ADMIN), Place(PlaceKind.CHANNEL, CHANNEL), "status --all")))) > 5

        status, _, response_url = rig.command("status --all")
        assert status == 200
        path = urllib.parse.urlsplit(response_url).path
        fake_slack.wait_for(lambda f: [c for c in f.calls if c.path == path])  # the reply job is under way
        rig.slack.adapter.workers.pool.shutdown(wait=True)  # and has finished, however it went
        refused = [c for c in fake_slack.calls if c.path == path and c.status != 200]
        replies = rig.replies_at(response_url)
        seen = block_text([m.get("blocks") for m in replies]
                          + [c.params.get("blocks") for c in posts_to(fake_slack)])
    assert refused == []  # never more posts than the response_url takes
    (pointer,) = visible(replies)  # in place of the working message, when one was shown
    assert "in your DM with the bot" in block_text(pointer["blocks"])
    missing = [a for a in FLEET if f"*Agent {a}*" not in seen]
    assert missing == [], f"{len(missing)} agent(s) never reached the user, first {missing[:3]}"
