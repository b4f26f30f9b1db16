"""The shipped app manifest asks for what the adapter uses, and nothing more."""
from __future__ import annotations

import json
from pathlib import Path

import adapters.slack

MANIFEST = json.loads((Path(adapters.slack.__file__).parent / "manifest.json").read_text())


def test_manifest_matches_the_adapter() -> None:
    assert [c["command"] for c in MANIFEST["features"]["slash_commands"]] == ["/openclaw"]
    assert set(MANIFEST["oauth_config"]["scopes"]["bot"]) == {
        "commands", "chat:write", "im:write", "im:history", "channels:history", "groups:history", "mpim:history",
        "usergroups:read"}
    assert set(MANIFEST["settings"]["event_subscriptions"]["bot_events"]) == {
        "message.im", "message.channels", "message.groups", "message.mpim"}
    assert MANIFEST["settings"]["interactivity"]["is_enabled"] is True
    assert MANIFEST["features"]["app_home"]["messages_tab_enabled"] is True
    assert MANIFEST["settings"]["socket_mode_enabled"] is True
