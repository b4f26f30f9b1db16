"""Nobody waits in silence: slow work shows a "Working…" message on Slack that the answer replaces.

Driven through the real Bolt app and the real `openclaw` CLI, whose calls take seconds, so the
progress display (after 0.7 s) always comes before the answer.
"""
from __future__ import annotations

import pytest

from tests.adapters.slack.conftest import (
    ADMIN,
    CHANNEL,
    SlackRig,
    block_text,
    buttons,
    dm_messages_with,
    is_progress,
    posts_to,
    visible,
)

SETUP_TOKEN = "sk-ant-oat01-" + "pRoGrEsS9" * 10 + "_tail"
API_KEYS = {agent: f"sk-ant-api03-{agent}-" + "PlainProgress" * 7 for agent in ("main", "ops")}


def test_a_slow_command_shows_progress_then_its_private_answer_replaces_it(rig: SlackRig) -> None:
    status, body, response_url = rig.command("secure --all")  # `openclaw secrets audit`: seconds
    assert status == 200 and body == b""

    rig.answers(response_url)
    sends = rig.replies_at(response_url)
    working = sends[0]
    assert is_progress(working) and working["response_type"] == "ephemeral"
    assert "Looking for plaintext credentials" in block_text(working["blocks"])
    assert sends[-1]["replace_original"] is True and sends[-1]["response_type"] == "ephemeral"
    (final,) = visible(sends)  # the working message is gone: only the answer is left
    assert "No plaintext credentials" in block_text(final["blocks"])


def test_a_dm_paste_is_acknowledged_at_once_and_the_result_replaces_it(rig: SlackRig) -> None:
    fake = rig.fake
    rig.command("paste-token main")
    fake.wait_for(lambda f: posts_to(f))  # the DM asking for the token
    dm = f"D{ADMIN.lstrip('U')}"

    status, _ = rig.message(SETUP_TOKEN, channel=dm, channel_type="im", event_id="EvPaste")
    assert status == 200

    (message,) = fake.wait_for(lambda f: dm_messages_with(f, "stored for agent main"))
    first = next(c for c in posts_to(fake) if is_progress(c.params))
    assert "Received — encrypting and handing it to the gateway" in block_text(first.params["blocks"])
    assert message.edits >= 1  # the working message itself became the result
    updates = [c for c in fake.of("chat.update") if c.params.get("ts") == message.ts]
    assert fake.calls.index(first) < fake.calls.index(updates[-1])
    assert not is_progress(updates[-1].params)
    assert not [c for c in posts_to(fake) if "stored for agent main" in block_text(c.params.get("blocks"))]
    assert SETUP_TOKEN.encode() not in fake.all_bytes()
    assert rig.harness.leaks(SETUP_TOKEN) == []


@pytest.mark.slow  # OpenClaw's own paste commands for two agents, then a plan and audits
def test_secure_confirmed_by_button_shows_its_steps_in_place_of_the_listing(rig: SlackRig) -> None:
    for agent, key in API_KEYS.items():  # plaintext in each agent's auth store, as OpenClaw writes it
        assert rig.harness.oc("models", "auth", "paste-api-key", "--provider", "anthropic", "--agent", agent,
                              "--profile-id", f"anthropic:{agent}", stdin=key + "\n").returncode == 0
    _, _, listed_url = rig.command("secure --all")
    (listing,) = rig.answers(listed_url)
    assert listing["response_type"] == "ephemeral"
    (confirm,) = [b for b in buttons(listing["blocks"]) if b["action_id"].startswith("secure.confirm/")]

    _, _, action_url = rig.click(confirm, channel=CHANNEL, ephemeral=True)

    def shown() -> list:  # the listing, as the presser sees it after each send to the action's url
        return visible([{**listing, "replace_original": False}, *rig.replies_at(action_url)])
    rig.fake.wait_for(lambda f: "Gateway secured" in block_text(shown()))
    sends = rig.replies_at(action_url)
    assert is_progress(sends[0]) and sends[0]["replace_original"] is True  # the listing gave way at once
    assert len(sends) <= 5
    (final,) = shown()
    assert not is_progress(final) and "Gateway secured" in block_text(final["blocks"])
    for key in API_KEYS.values():
        assert key.encode() not in rig.fake.all_bytes()
