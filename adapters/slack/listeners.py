"""The Bolt listeners: Slack's events in, acknowledged, and handed on.

Each listener acknowledges first and hands the rest on: commands, buttons, the paste form and DMs
to intake (adapters/slack/intake.py), channel messages and edits to scanning
(adapters/slack/scanning.py), the slow part of either to the pool after the ack
(adapters/slack/workers.py). Listeners run in the thread that received the request
(`process_before_response`; in HTTP mode the server has usually answered already, see
http_server.py). How answers leave is adapters/slack/delivery.py.
"""
from __future__ import annotations

import logging
import re
from collections import OrderedDict
from collections.abc import Callable
from threading import Lock
from typing import Any

from slack_bolt import Ack, App, BoltResponse
from slack_sdk import WebClient

from adapters.slack import render
from adapters.slack.delivery import Delivery
from adapters.slack.identity import Directory
from adapters.slack.intake import Intake
from adapters.slack.logs import library_logger
from adapters.slack.scanning import Scanner
from adapters.slack.workers import Workers
from core.actions import ActionId
from core.chatops import ChatOps

log = library_logger(__name__)  # listener failures may concern pasted text: same redaction

PASTE_ACTION = ActionId.ONBOARD_PASTE  # handled here: it must open a modal before anything slow
BUTTON = re.compile(r"^[a-z][a-z.-]*/\d+$")
# Message subtypes a person writes as a new message: "also send to channel" replies and `/me`
# messages are as public as plain ones. In a DM these are commands or pastes.
AUTHORED = frozenset({None, "file_share", "thread_broadcast", "me_message"})
# Subtypes that carry no new text of a person: an edit has its own path, the rest are Slack's.
NO_NEW_TEXT = frozenset({"message_changed", "message_deleted", "message_replied", "bot_message"})


class SeenEvents:
    """Event ids already handled: Slack retries an event it thinks was not acknowledged in time."""

    def __init__(self, size: int = 2048):
        self._ids: OrderedDict[str, None] = OrderedDict()
        self._size = size
        self._lock = Lock()

    def first_time(self, event_id: str) -> bool:
        with self._lock:
            if event_id in self._ids:
                return False
            self._ids[event_id] = None
            if len(self._ids) > self._size:
                self._ids.popitem(last=False)
            return True


class SlackAdapter:
    def __init__(self, chatops: ChatOps, client: WebClient, directory: Directory, *,
                 command: str = "/openclaw", wire_logger: logging.Logger | None = None):
        self.command = command
        self.seen = SeenEvents()
        self.workers = Workers()
        self.delivery = Delivery(client, wire_logger)
        self.intake = Intake(chatops, client, directory, self.delivery, self.workers)
        self.scanning = Scanner(chatops, directory, self.delivery)

    def register(self, app: App) -> None:
        app.middleware(self._drop_retried_events)
        app.command(self.command)(self.on_command)
        app.action(BUTTON)(self.on_button)
        app.view(render.SECRET_CALLBACK)(self.on_secret_submitted)
        app.event("message")(self.on_message)
        app.error(self.on_unhandled_error)

    def _drop_retried_events(self, body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        """Answer a redelivered event with 200 without running it twice (the first run may still
        be busy with the gateway, which is exactly why Slack retried)."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not self.seen.first_time(event_id):
            return BoltResponse(status=200, body="")
        next()
        return None

    def on_unhandled_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack listener failed: %s", type(error).__name__, exc_info=error)

    def on_command(self, ack: Ack, body: dict[str, Any]) -> None:
        ack()
        self.workers.later(self.intake.run_command, body)

    def on_button(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        core_action = render.action_id_of(action["action_id"])
        value = action.get("value", "")
        if core_action == PASTE_ACTION:  # the form opens now: its trigger expires 3 s after the click
            self.intake.open_secret_modal(body, value)
            return
        self.workers.later(self.intake.run_button, body, core_action, value)

    def on_secret_submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        self.intake.receive_secret(ack, body, view)  # its answer may carry the form's field errors

    def on_message(self, event: dict[str, Any]) -> None:
        """DMs carry commands without the slash and pastes for an open session; in channels core
        only speaks up when a credential was posted there, so there every subtype with text of a
        person is read (a channel topic can hold a paste too)."""
        subtype = event.get("subtype")
        if subtype == "message_changed":
            self.workers.later(self.scanning.scan_edit, event)
        elif event.get("bot_id") or subtype in NO_NEW_TEXT:
            return
        elif event.get("channel_type") != "im":  # a group DM ("mpim") is shared: a channel
            self.workers.later(self.scanning.scan_message, event)
        elif subtype in AUTHORED:
            self.workers.later(self.intake.read_dm, event)
