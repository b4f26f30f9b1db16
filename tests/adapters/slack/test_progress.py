"""Nobody waits in silence: slow work shows a "Working…" message on Slack that the answer replaces.

Driven through the real Bolt app and the real `openclaw` CLI, whose calls take seconds, so the
progress display (after 0.7 s) always comes before the answer.
"""
from __future__ import annotations

from tests.adapters.slack.conftest import ADMIN, SlackRig, block_text, is_progress, posts_to, visible

SETUP_TOKEN = "sk-ant-oat01-" + "pRoGrEsS9" * 10 + "_tail"


def test_fresh_status_shows_progress_then_the_answer_takes_its_place(rig: SlackRig) -> None:
    status, body, response_url = rig.command("status --fresh")
    assert status == 200 and body == b""

    rig.answers(response_url)
    sends = rig.replies_at(response_url)
    working = sends[0]
    assert is_progress(working) and working["response_type"] == "ephemeral"
    assert "Asking the gateway" in block_text(working["blocks"])
    assert len(sends) <= 5  # Slack's limit for one response_url
    (final,) = visible(sends)  # the working message is gone: only the answer is left
    assert final["response_type"] == "in_channel" and "OpenClaw auth status" in block_text(final["blocks"])
    assert {"delete_original": True}.items() <= sends[-2].items()  # an ephemeral message cannot turn public


def test_a_private_answer_replaces_the_working_message(rig: SlackRig) -> None:
    _, _, response_url = rig.command("status main --fresh --private")

    rig.answers(response_url)
    sends = rig.replies_at(response_url)
    assert is_progress(sends[0])
    assert sends[-1]["replace_original"] is True and sends[-1]["response_type"] == "ephemeral"
    (final,) = visible(sends)
    assert "Agent main" in block_text(final["blocks"])


def test_a_dm_paste_is_acknowledged_at_once_and_the_result_replaces_it(rig: SlackRig) -> None:
    fake = rig.fake
    rig.command("paste-token main")
    fake.wait_for(lambda f: posts_to(f))  # the DM asking for the token
    dm = f"D{ADMIN.lstrip('U')}"

    status, _ = rig.message(SETUP_TOKEN, channel=dm, channel_type="im", event_id="EvPaste")
    assert status == 200

    def done() -> list:
        return [m for m in fake.messages.values() if m.channel == dm and "stored for agent main" in block_text(m.blocks)]
    (message,) = fake.wait_for(lambda f: done())
    first = next(c for c in posts_to(fake) if is_progress(c.params))
    assert "Received — encrypting and handing it to the gateway" in block_text(first.params["blocks"])
    assert message.edits >= 1  # the working message itself became the result
    updates = [c for c in fake.of("chat.update") if c.params.get("ts") == message.ts]
    assert fake.calls.index(first) < fake.calls.index(updates[-1])
    assert not is_progress(updates[-1].params)
    assert not [c for c in posts_to(fake) if "stored for agent main" in block_text(c.params.get("blocks"))]
    assert SETUP_TOKEN.encode() not in fake.all_bytes()
    assert rig.harness.leaks(SETUP_TOKEN) == []
