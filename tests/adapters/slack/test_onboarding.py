"""Onboarding through Slack against the real openclaw CLI: channel → DM → button → modal → vault."""
from __future__ import annotations

import json

import pytest

from core.secrets.credentials import fingerprint
from core.secrets.writer import record_id
from tests.adapters.slack.conftest import ADMIN, SlackRig, block_text, buttons, dm_messages_with, posts_to

pytestmark = pytest.mark.any_runner

SETUP_TOKEN = "sk-ant-oat01-" + "sEcReT7" * 12 + "_tail-bytes"


def test_setup_token_onboarding_from_a_channel(rig: SlackRig, caplog) -> None:
    caplog.set_level("DEBUG")
    fake = rig.fake

    status, _, response_url = rig.command("onboard main")
    assert status == 200
    (ack_reply,) = rig.wait_reply(response_url)
    assert ack_reply["response_type"] == "ephemeral"
    assert "Check your direct messages" in block_text(ack_reply["blocks"])

    (dm,) = fake.wait_for(lambda f: posts_to(f))
    assert dm.params["channel"] == "DADMIN"
    assert fake.of("conversations.open")[0].params["users"] == ADMIN
    choice = {b["text"]["text"]: b for b in buttons(dm.params["blocks"])}
    assert set(choice) == {"Anthropic API key", "Claude setup-token"}

    status, _, method_url = rig.click(choice["Claude setup-token"])
    assert status == 200
    (step,) = rig.wait_reply(method_url)
    (paste,) = [b for b in buttons(step["blocks"]) if b["action_id"].startswith("onboard.paste/")]

    status, _, _ = rig.click(paste)
    assert status == 200
    (opened,) = fake.wait_for(lambda f: f.of("views.open"))
    view = opened.params["view"]
    view = json.loads(view) if isinstance(view, str) else view
    assert opened.params["trigger_id"] == "trig-click"
    assert view["private_metadata"] == paste["value"]  # the session id, nothing else

    status, answer = rig.submit_modal(view, "sk-ant-oat01-too-short")
    assert status == 200 and answer["response_action"] == "errors"
    assert "too short" in answer["errors"]["secret"]

    status, answer = rig.submit_modal(view, SETUP_TOKEN[:40] + "\n" + SETUP_TOKEN[40:])  # a wrapped paste
    assert status == 200 and answer["response_action"] == "update"

    # the DM's working message ("Received — …") is edited into the confirmation
    done = fake.wait_for(lambda f: dm_messages_with(f, "stored for agent main"))
    confirmation = block_text(done[0].blocks)
    assert fingerprint(SETUP_TOKEN) in confirmation
    assert "Gateway check" in confirmation

    vault = rig.harness.parts.vault
    assert vault.get(record_id("main", "anthropic:default")) == SETUP_TOKEN
    audit = rig.harness.oc_json("secrets", "audit", "--allow-exec", "--json")
    assert audit["status"] == "clean", audit["findings"]
    status_json = rig.harness.oc_json("models", "status", "--json", "--agent", "main")
    assert "anthropic:default" in json.dumps(status_json)

    assert SETUP_TOKEN.encode() not in fake.all_bytes()
    assert SETUP_TOKEN not in caplog.text and SETUP_TOKEN[40:] not in caplog.text
    assert rig.harness.leaks(SETUP_TOKEN) == []
