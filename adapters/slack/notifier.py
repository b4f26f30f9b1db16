"""Team alerts on Slack: one channel message per incident, edited in place, notes in its thread.

Pacing belongs to core's Outbox, which keeps one ordered queue per channel: it waits
`min_interval_s` between messages (Slack allows about one `chat.postMessage` per second per
channel) and, when Slack still answers 429, waits the `Retry-After` it was given and retries the
same message before anything queued behind it. For that to work the 429 must reach the Outbox,
so this notifier's WebClient has no retry handlers: slack_sdk's `RateLimitErrorRetryHandler`
would sleep inside the call (up to three times, unseen by the Outbox), and once it gave up the
Outbox would wait again on top of it. One owner of the waiting keeps the arithmetic simple and
the order guaranteed.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.web import SlackResponse

from adapters.slack import render
from core.alerts.outbox import RateLimited, Undeliverable
from core.replies import Reply

log = logging.getLogger(__name__)

SLACK_MIN_INTERVAL_S = 1.0
DEFAULT_RETRY_AFTER_S = 1.0


def alert_client(client: WebClient) -> WebClient:
    """A WebClient like the adapter's, minus retry handlers (see the module docstring)."""
    return WebClient(token=client.token, base_url=client.base_url, logger=client.logger, retry_handlers=[])


def make_ref(channel: str, ts: str) -> str:
    """`C123/1700000000.000100`: chat.update needs the conversation id Slack answered with."""
    return f"{channel}/{ts}"


def parse_ref(ref: str) -> tuple[str, str]:
    channel, _, ts = ref.partition("/")
    return channel, ts


def retry_after_of(error: SlackApiError) -> float:
    """Seconds from the `Retry-After` header of a 429 (Slack sends whole seconds)."""
    headers = getattr(error.response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            raw = value[0] if isinstance(value, list) else value
            try:
                return max(0.0, float(raw))
            except ValueError:
                break
    return DEFAULT_RETRY_AFTER_S


# Errors no retry can fix: the bot is not in the channel, it is gone, or the token is dead.
PERMANENT_ERRORS = {"not_in_channel", "channel_not_found", "is_archived", "message_not_found",
                    "invalid_auth", "account_inactive", "token_revoked", "missing_scope"}


class SlackNotifier:
    """The core `Notifier` port over chat.postMessage / chat.update."""

    def __init__(self, client: WebClient, *, min_interval_s: float = SLACK_MIN_INTERVAL_S):
        self.client = client
        self.min_interval_s = min_interval_s

    def post(self, channel: str, reply: Reply) -> str:
        response = self._call(self.client.chat_postMessage, channel=channel, **self._message(reply))
        return make_ref(response["channel"], response["ts"])

    def update(self, channel: str, ref: str, reply: Reply) -> None:
        conversation, ts = parse_ref(ref)
        self._call(self.client.chat_update, channel=conversation, ts=ts, **self._message(reply))

    def follow_up(self, channel: str, ref: str, reply: Reply) -> None:
        conversation, ts = parse_ref(ref)
        self._call(self.client.chat_postMessage, channel=conversation, thread_ts=ts, **self._message(reply))

    @staticmethod
    def _message(reply: Reply) -> dict[str, Any]:
        """An alert is one message so it can be edited as one: an incident renders to a handful
        of blocks, far below the 50 that would make the renderer split it."""
        first, *rest = render.messages(reply)
        if rest:
            log.warning("alert rendered to %d messages; only the first is posted", 1 + len(rest))
        return first

    @staticmethod
    def _call(method: Callable[..., SlackResponse], **kwargs: Any) -> SlackResponse:
        try:
            return method(**kwargs)
        except SlackApiError as exc:
            if exc.response.status_code == 429:
                raise RateLimited(retry_after_of(exc)) from exc
            if exc.response.get("error") in PERMANENT_ERRORS:
                raise Undeliverable(f"Slack answered {exc.response.get('error')}") from exc
            raise
