"""How the Slack adapter's answers leave, within Slack's rules.

- A command or button is answered through its `response_url` (it works in channels the bot is not
  a member of), which takes at most 5 posts within 30 minutes (`Responder`).
- An ephemeral message never becomes public: an in-channel answer deletes the working message
  before it is posted, a private one replaces it.
- Whatever fails after the ack still reaches the user as one clear line (`Delivery.fail`).
- What cannot go through the response_url goes to the user's DM with the bot.
"""
from __future__ import annotations

import logging
from collections.abc import Callable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from adapters.slack import render
from adapters.slack.logs import library_logger
from adapters.slack.progress import PROGRESS_USES, working_message
from core.replies import Reply, Visibility

log = library_logger(__name__)  # failures here may concern pasted text: same redaction

RESPONSE_URL_USES = 5  # Slack takes at most 5 posts per response_url, within 30 minutes


def retry_handlers() -> list:
    """Web API and response_url calls wait out a 429 for as long as Retry-After says."""
    return [RateLimitErrorRetryHandler(max_retry_count=3)]


class DeliveryFailed(Exception):
    """A post Slack refused; raised from a progress display, which then stops showing steps."""


class Delivery:
    """Posts through the Web API: DMs, channel messages, ephemeral messages, and the error reply
    when anything after the ack failed."""

    def __init__(self, client: WebClient, wire_logger: logging.Logger | None = None) -> None:
        self.client = client
        self.wire_logger = wire_logger or log

    def dm_channel(self, user_id: str) -> str:
        return self.client.conversations_open(users=user_id)["channel"]["id"]

    def post_dm(self, user_id: str, reply: Reply) -> None:
        self.post(self.dm_channel(user_id), reply)

    def post(self, channel: str, reply: Reply) -> None:
        self.post_messages(channel, render.messages(reply))

    def post_messages(self, channel: str, messages: list[render.Message]) -> None:
        for message in messages:
            self.client.chat_postMessage(channel=channel, **message)

    def post_ephemeral(self, channel: str, user_id: str, reply: Reply) -> None:
        for message in render.messages(reply):
            self.client.chat_postEphemeral(channel=channel, user=user_id, **message)

    def responder(self, response_url: str, user_id: str, *, replaces_source: bool = False) -> Responder:
        return Responder(self, response_url, user_id, replaces_source=replaces_source)

    def answer(self, produce: Callable[[], Reply | None], deliver: Callable[[Reply], None]) -> None:
        """Deliver what `produce` answers (nothing when it answers None); a failure becomes the
        error reply, through the same `deliver`."""
        try:
            reply = produce()
            if reply is not None:
                deliver(reply)
        except Exception as exc:  # noqa: BLE001
            self.fail(exc, deliver)

    def fail(self, exc: Exception, deliver: Callable[[Reply], None]) -> None:
        """Log the detail, tell the user in one line; if even that fails, the log is all we have."""
        log.error("Slack request failed after ack: %s", type(exc).__name__, exc_info=exc)
        reason = exc.response.get("error", "error") if isinstance(exc, SlackApiError) else type(exc).__name__
        try:
            deliver(Reply.error("Something went wrong", f"The request could not be completed (`{reason}`); "
                                "the bot log has the details.", code="internal"))
        except Exception:  # noqa: BLE001
            log.exception("could not deliver the error reply either")


class Responder:
    """Replies to one command or button: through its response_url while Slack still takes posts
    there, else in the user's DM with the bot. Slow work shows a working message there first
    (`show`), which the reply then takes the place of.

    A response_url works in channels the bot is not a member of, but Slack takes at most 5 posts
    on it within 30 minutes. A long reply (a status of a large fleet renders as several messages)
    must neither run out of uses half-way nor leave none for the error reply that may follow. So
    one use is always kept back for that error (`last_word`); a reply that needs more posts than
    the rest goes whole to the DM, and the response_url says where it went; and a post the URL
    refuses (expired, used up) is sent to the DM with everything after it. Progress takes at most
    `PROGRESS_USES` posts, and only while three are left: for the delete an
    in-channel reply needs first, one post of the reply and the error's.
    """

    def __init__(self, delivery: Delivery, response_url: str, user_id: str, *, replaces_source: bool = False):
        self.delivery = delivery
        self.user_id = user_id
        self.hook = WebhookClient(response_url, retry_handlers=retry_handlers(), logger=delivery.wire_logger)
        self.left = RESPONSE_URL_USES if response_url else 0
        self.progress_left = PROGRESS_USES
        # A button's response_url replaces the message the button is in: when that is the
        # presser's own ephemeral answer (`secure`'s listing), it gives way to the working message.
        self.replaces_source = replaces_source
        self.working = False  # the response_url's message is now a working message

    def show(self, text: str) -> None:
        """A progress display: an ephemeral working message, then that message replaced."""
        if self.progress_left <= 0 or self.left <= 3:
            return  # the later steps are not shown: the reply needs the remaining posts
        self.progress_left -= 1
        self.left -= 1
        result = self.hook.send(response_type="ephemeral", replace_original=self.working or self.replaces_source,
                                **working_message(text))
        if result.status_code != 200:
            raise DeliveryFailed(f"response_url answered HTTP {result.status_code}")
        self.working = True

    def __call__(self, reply: Reply) -> None:
        self._deliver(reply, reserve=1)

    def last_word(self, reply: Reply) -> None:
        """The error reply after a failure: it may take the use kept back for it."""
        self._deliver(reply, reserve=0)

    def _deliver(self, reply: Reply, reserve: int) -> None:
        messages = render.messages(reply)
        room = self.left - reserve - self._clearing(reply.visibility)
        if len(messages) > room:
            if room >= 1:
                pointer = moved_to_dm(reply, len(messages))
                self._send(pointer.visibility, render.messages(pointer))
            self.delivery.post_dm(self.user_id, reply)
            return
        if pending := self._send(reply.visibility, messages):
            self.delivery.post_messages(self.delivery.dm_channel(self.user_id), pending)

    def _clearing(self, visibility: Visibility) -> int:
        """Posts needed before a reply can take the working message's place: an ephemeral message
        never becomes public, so an in-channel reply deletes it first; a private one replaces it."""
        return 1 if self.working and visibility is Visibility.IN_CHANNEL else 0

    def _send(self, visibility: Visibility, messages: list[render.Message]) -> list[render.Message]:
        """Post `messages` to the response_url, in place of a working message; returns those it
        did not take."""
        response_type = "in_channel" if visibility is Visibility.IN_CHANNEL else "ephemeral"
        replacing, self.working = self.working, False
        if replacing and visibility is Visibility.IN_CHANNEL:
            self.left -= 1
            replacing = False
            if self.hook.send(delete_original=True).status_code != 200:
                log.warning("response_url did not delete the working message")
        for n, message in enumerate(messages):
            self.left -= 1
            result = self.hook.send(response_type=response_type, replace_original=replacing and n == 0, **message)
            if result.status_code != 200:
                log.warning("response_url answered HTTP %s; the rest of the reply goes to the DM", result.status_code)
                self.left = 0
                return messages[n:]
        return []


def moved_to_dm(reply: Reply, count: int) -> Reply:
    """What the response_url shows (to the user alone) when the reply itself went to the DM."""
    return Reply(title=reply.title, severity=reply.severity, visibility=Visibility.EPHEMERAL,
                 text=f"This answer takes {count} messages, more than Slack lets a command reply with, "
                      "so it is in your DM with the bot.")
