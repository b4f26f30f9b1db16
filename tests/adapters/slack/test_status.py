"""`status` over a signed slash command, checked against the real `openclaw models status`."""
from __future__ import annotations

from typing import Any

from tests.adapters.slack.conftest import SlackRig, block_text

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
    (reply,) = rig.wait_reply(response_url)
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
    (reply,) = rig.wait_reply(response_url)
    assert reply["response_type"] == "ephemeral"
