"""Socket Mode: Bolt's handler connects to the fake's WebSocket, acks envelopes, keeps logs clean."""
from __future__ import annotations

from pathlib import Path

from adapters.slack.app import mode_of
from tests.adapters.slack.conftest import ADMIN, CHANNEL, VIEWER, block_text, make_rig
from tests.fakes.slack import FakeSlack

TOKEN = "sk-ant-api03-" + "S" * 70 + "sock"


def test_socket_mode_acks_a_slash_command(oc_bin: str, prepared_home: Path, tmp_path: Path,
                                          fake_slack: FakeSlack, caplog) -> None:
    caplog.set_level("DEBUG")
    harness, slack = make_rig(oc_bin, prepared_home, tmp_path, fake_slack, SLACK_APP_TOKEN="xapp-fake", SLACK_MODE="")
    assert mode_of(harness.parts.settings) == "socket"
    handler = slack.socket_handler()
    handler.connect()
    try:
        response_url = fake_slack.response_url()
        envelope = fake_slack.send_envelope("slash_commands", {
            "command": "/openclaw", "text": "help", "user_id": ADMIN, "user_name": "admin", "channel_id": CHANNEL,
            "team_id": "T1", "api_app_id": "A1", "response_url": response_url, "trigger_id": "trig"})
        (ack,) = fake_slack.wait_for(lambda f: [m for m in f.socket_received if m.get("envelope_id") == envelope])
        reply = fake_slack.wait_for(lambda f: [c.params for c in f.calls if c.path.endswith(response_url.rsplit("/", 1)[1])])
        assert "help" in block_text(reply[0]["blocks"]).lower()

        pasted = fake_slack.send_envelope("events_api", {
            "type": "event_callback", "team_id": "T1", "api_app_id": "A1", "event_id": "EvSock", "event_time": 1,
            "event": {"type": "message", "user": VIEWER, "text": f"key: {TOKEN}", "ts": "2.2",
                      "channel": CHANNEL, "channel_type": "channel"}})
        fake_slack.wait_for(lambda f: [m for m in f.socket_received if m.get("envelope_id") == pasted])
        (warning,) = fake_slack.wait_for(lambda f: f.of("chat.postEphemeral"))
        assert warning.params["user"] == VIEWER
    finally:
        handler.close()
        harness.parts.store.close()
    assert fake_slack.of("apps.connections.open")[0].headers["Authorization"] == "Bearer xapp-fake"
    assert "on_message invoked" in caplog.text  # the library logged the envelope, redacted
    assert TOKEN not in caplog.text
    assert TOKEN.encode() not in fake_slack.all_bytes()
