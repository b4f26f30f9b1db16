"""Channel messages read for credentials: core speaks up in a channel only when one was posted
there (or edited in), and then only to the poster, ephemerally. Runs after the ack."""
from __future__ import annotations

from typing import Any

from adapters.slack.delivery import Delivery
from adapters.slack.identity import Directory
from core.chatops import ChatOps
from core.requests import Place, PlaceKind, Request


class Scanner:
    def __init__(self, chatops: ChatOps, directory: Directory, delivery: Delivery) -> None:
        self.chatops = chatops
        self.directory = directory
        self.delivery = delivery

    def scan_message(self, event: dict[str, Any]) -> None:
        """A message in a channel or a group DM ("mpim" is shared: treated as a channel)."""
        user_id, channel = event.get("user", ""), event.get("channel", "")
        if not user_id:
            return
        shared = Request(self.directory.user(user_id), Place(PlaceKind.CHANNEL, channel), event.get("text", ""))
        self.delivery.answer(lambda: self.chatops.inspect_message(shared),
                             lambda r: self.delivery.post_ephemeral(channel, user_id, r))

    def scan_edit(self, event: dict[str, Any]) -> None:
        """Slack sends an edit as `message_changed` with the new and the previous message; a
        credential edited into a channel message is as public as one posted there."""
        edited, channel = event.get("message") or {}, event.get("channel", "")
        user_id = edited.get("user", "")
        if not user_id or edited.get("bot_id") or event.get("channel_type") == "im":
            return
        request = Request(self.directory.user(user_id), Place(PlaceKind.CHANNEL, channel), edited.get("text", ""))
        previous = (event.get("previous_message") or {}).get("text") or ""
        self.delivery.answer(lambda: self.chatops.inspect_edit(request, previous),
                             lambda r: self.delivery.post_ephemeral(channel, user_id, r))
