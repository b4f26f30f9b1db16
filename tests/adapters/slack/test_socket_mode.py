"""Socket Mode: Bolt's handler connects to the fake's WebSocket, acks envelopes, keeps logs clean."""
from __future__ import annotations

from pathlib import Path

import pytest

from adapters.slack.config import mode_of
from core.secrets.credentials import fingerprint
from tests.adapters.slack.conftest import ADMIN, CHANNEL, VIEWER, block_text, make_rig
from tests.fakes.slack import FakeSlack
from tests.leaks import found_in

pytestmark = pytest.mark.any_runner

TOKEN = "sk-ant-api03-" + "S" * 70 + "sock"


def test_socket_mode_acks_a_slash_command(oc_bin: str, prepared_home: Path, tmp_path: Path,
                                          fake_slack: FakeSlack, caplog) -> None:
    caplog.set_level("DEBUG")
    harness, slack = make_rig(oc_bin, prepared_home, tmp_path, fake_slack, SLACK_APP_TOKEN="xapp-fake", SLACK_MODE="")
    assert mode_of(harness.parts.env) == "socket"
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


SETUP = "sk-ant-oat01-" + "W" * 40 + "wrapPedSockeT_90" * 3 + "e2Q"  # 103 characters, like the report's


def test_spread_out_pastes_are_flagged_and_never_logged(oc_bin: str, prepared_home: Path, tmp_path: Path,
                                                        fake_slack: FakeSlack, caplog) -> None:
    """slack_sdk logs every envelope at DEBUG, as JSON: a wrapped paste shows there as `\\n`, a
    zero-width one as `\\u200b`. The DM intake accepts both, so the log must hold neither half, and
    every kind of message a person writes in a channel (a thread reply also sent to the channel, a
    `/me` message) is read for credentials."""
    caplog.set_level("DEBUG")
    harness, slack = make_rig(oc_bin, prepared_home, tmp_path, fake_slack, SLACK_APP_TOKEN="xapp-fake", SLACK_MODE="")
    pastes = {None: SETUP[:40] + "\n" + SETUP[40:], "thread_broadcast": SETUP[:15] + "\u200b" + SETUP[15:],
              "me_message": SETUP[:16] + " " + SETUP[16:]}
    handler = slack.socket_handler()
    handler.connect()
    try:
        for n, (subtype, text) in enumerate(pastes.items()):
            event = {"type": "message", "user": VIEWER, "text": f"key:\n{text}", "ts": f"3.{n}",
                     "channel": CHANNEL, "channel_type": "channel", **({"subtype": subtype} if subtype else {})}
            fake_slack.send_envelope("events_api", {"type": "event_callback", "team_id": "T1", "api_app_id": "A1",
                                                    "event_id": f"EvSpread{n}", "event_time": 1, "event": event})
        warnings = fake_slack.wait_for(lambda f: len(f.of("chat.postEphemeral")) >= len(pastes) and f.of("chat.postEphemeral"),
                                       timeout=30)
    finally:
        handler.close()
        harness.parts.store.close()
    assert all(fingerprint(SETUP) in str(w.params) for w in warnings)
    assert "on_message invoked" in caplog.text
    assert [kind for kind, text in pastes.items() if found_in(text, caplog.text.encode())] == []
    assert not found_in(SETUP, fake_slack.all_bytes())
