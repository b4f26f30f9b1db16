"""Slack events in, core calls, Block Kit out.

Every listener acknowledges first and only then calls core: Slack drops a request that is not
acknowledged within 3 s, and one gateway CLI call alone takes 2–9 s. Listeners run in the thread
that received the request (`process_before_response`; in HTTP mode the server has usually answered
already, see http_server.py) and hand the slow part to this adapter's small pool. Whatever fails
after the ack still reaches the user as a clear error reply, and work still running after 0.7 s
shows its steps in a message the answer then replaces (adapters/slack/progress.py).
"""
from __future__ import annotations

import logging
import re
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from threading import Lock
from typing import Any, Callable

from slack_bolt import Ack, App, BoltResponse
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.webhook import WebhookClient

from adapters.slack import render
from adapters.slack.identity import Directory
from adapters.slack.logs import library_logger
from adapters.slack.progress import PROGRESS_USES, DmProgress, working_message
from core.chatops import ChatOps
from core.secrets.credentials import Kind
from core.progress import SILENT, Progress
from core.replies import Reply, Visibility
from core.requests import Place, PlaceKind, Request, User

log = library_logger(__name__)  # this module handles pasted text: same redaction

PASTE_ACTION = "onboard.paste"  # handled here: it must open a modal before anything slow
BUTTON = re.compile(r"^[a-z][a-z.-]*/\d+$")
RESPONSE_URL_USES = 5  # Slack takes at most 5 posts per response_url, within 30 minutes
WORKERS = 8  # few: every runnable worker takes interpreter-lock slices from the threads that must ack
# Message subtypes a person writes as a new message: "also send to channel" replies and `/me`
# messages are as public as plain ones. In a DM these are commands or pastes.
AUTHORED = frozenset({None, "file_share", "thread_broadcast", "me_message"})
# Subtypes that carry no new text of a person: an edit has its own path, the rest are Slack's.
NO_NEW_TEXT = frozenset({"message_changed", "message_deleted", "message_replied", "bot_message"})


def retry_handlers() -> list:
    """Web API and response_url calls wait out a 429 for as long as Retry-After says."""
    return [RateLimitErrorRetryHandler(max_retry_count=3)]


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
        self.chatops = chatops
        self.client = client
        self.directory = directory
        self.command = command
        self.wire_logger = wire_logger or log
        self.seen = SeenEvents()
        # Work done inside a listener would hold the thread that answers Slack (Socket Mode) or
        # feeds Bolt (HTTP mode), and a burst of commands would queue behind gateway calls. So
        # listeners ack and hand the slow part to this pool.
        self.work = ThreadPoolExecutor(max_workers=WORKERS, thread_name_prefix="slack-work")

    def later(self, job: Callable[..., None], *args: Any) -> None:
        """Run `job` after the ack, off Bolt's threads; a crash is logged, never lost silently."""
        def run() -> None:
            try:
                job(*args)
            except Exception:  # noqa: BLE001 - jobs report to the user themselves; this is the last net
                log.exception("Slack job failed")
        self.work.submit(run)

    def register(self, app: App) -> None:
        app.middleware(self._drop_retried_events)
        app.command(self.command)(self.on_command)
        app.action(BUTTON)(self.on_button)
        app.view(render.SECRET_CALLBACK)(self.on_secret_submitted)
        app.event("message")(self.on_message)
        app.error(self._on_unhandled_error)

    # -- middleware ------------------------------------------------------------------------------
    def _drop_retried_events(self, body: dict[str, Any], next: Callable[[], None]) -> BoltResponse | None:
        """Answer a redelivered event with 200 without running it twice (the first run may still
        be busy with the gateway, which is exactly why Slack retried)."""
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id and not self.seen.first_time(event_id):
            return BoltResponse(status=200, body="")
        next()
        return None

    def _on_unhandled_error(self, error: Exception, body: dict[str, Any]) -> None:
        log.error("Slack listener failed: %s", type(error).__name__, exc_info=error)

    # -- slash command ---------------------------------------------------------------------------
    def on_command(self, ack: Ack, body: dict[str, Any]) -> None:
        ack()
        self.later(self._run_command, body)

    def _run_command(self, body: dict[str, Any]) -> None:
        user = self._user(body["user_id"], body.get("user_name", ""))
        respond = Responder(self, body.get("response_url", ""), body["user_id"])
        progress = Progress(respond.show)
        try:
            place = self._place_of_command(body["user_id"], body.get("channel_id", ""))
            request = Request(user, place, body.get("text", ""), progress=progress)
            reply = progress.run(lambda: self.chatops.handle(request))
            respond(reply)
            if reply.direct is not None:
                self.post_dm(reply.direct_user or user.id, reply.direct)
        except Exception as exc:  # noqa: BLE001 - the user already got an ack and must get an answer
            self._fail(exc, respond.last_word)

    def _place_of_command(self, user_id: str, channel_id: str) -> Place:
        """A slash command counts as private only in the user's own DM with the bot; a DM between
        two people (also a `D…` id) is shared with the other person."""
        if channel_id.startswith("D") and channel_id == self.dm_channel(user_id):
            return Place(PlaceKind.DM, channel_id)
        return Place(PlaceKind.CHANNEL, channel_id)

    # -- buttons ---------------------------------------------------------------------------------
    def on_button(self, ack: Ack, body: dict[str, Any], action: dict[str, Any]) -> None:
        ack()
        core_action = render.action_id_of(action["action_id"])
        value = action.get("value", "")
        if core_action == PASTE_ACTION:
            self.open_secret_modal(body, value)
            return
        self.later(self._run_button, body, core_action, value)

    def _run_button(self, body: dict[str, Any], core_action: str, value: str) -> None:
        user = self._user(body["user"]["id"], body["user"].get("username", ""))
        ephemeral_source = bool((body.get("container") or {}).get("is_ephemeral"))
        respond = Responder(self, body.get("response_url", ""), body["user"]["id"], replaces_source=ephemeral_source)
        # Only a button in the requester's own ephemeral message may give way to progress; one in a
        # shared message (an alert, a public status) must stay as the channel sees it.
        progress = Progress(respond.show) if ephemeral_source else None
        try:
            channel = (body.get("channel") or {}).get("id", "")
            place = self._place_of_command(user.id, channel)
            request = Request(user, place, "", progress=progress or SILENT)

            def act() -> Reply:
                return self.chatops.act(request, core_action, value)
            reply = progress.run(act) if progress else act()
            respond(reply)
            if reply.direct is not None:
                self.post_dm(reply.direct_user or user.id, reply.direct)
        except Exception as exc:  # noqa: BLE001
            self._fail(exc, respond.last_word)

    def open_secret_modal(self, body: dict[str, Any], session_id: str) -> None:
        """views.open comes first: the trigger_id expires 3 s after the click."""
        session = self.chatops.onboarding_session(session_id)
        label = f"Paste the {Kind(session.method).label}" if session and session.method else "Paste the credential"
        try:
            self.client.views_open(trigger_id=body["trigger_id"], view=render.secret_modal(session_id, label))
        except SlackApiError as exc:
            self._fail(exc, lambda r: self.post_dm(body["user"]["id"], r))

    # -- modal -----------------------------------------------------------------------------------
    def on_secret_submitted(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Format problems go back into the modal (`response_action: errors`) so the user can fix
        the paste in place; core answers those at once (no gateway call) and writes the audit row.
        A paste that looks right closes into a progress view, and the result goes to the DM."""
        user = self._user(body["user"]["id"], body["user"].get("username", ""))
        session_id = view.get("private_metadata", "")
        text = (((view.get("state") or {}).get("values") or {}).get(render.SECRET_BLOCK) or {}) \
            .get(render.SECRET_INPUT, {}).get("value") or ""
        request = Request(user, Place(PlaceKind.MODAL, view.get("id", "")), "")
        refusal = self.chatops.precheck_secret(request, session_id, text)
        if refusal is not None and refusal.code == "rejected":
            ack(response_action="errors", errors={render.SECRET_BLOCK: render.clip(refusal.text, 2000)})
            return
        if refusal is not None:
            ack()
            self.later(self.post_dm, user.id, refusal)
            return
        ack(response_action="update", view=render.progress_modal(
            "Checking and storing the credential with the gateway. The result will arrive in your DM "
            "with the bot in a few seconds; you can close this window."))
        self.later(self._store_secret, request, session_id, text)

    def _store_secret(self, request: Request, session_id: str, text: str) -> None:
        user_id = request.user.id
        try:
            working = DmProgress(self.client, self.dm_channel(user_id))
            progress = Progress(working.show)
            request = replace(request, progress=progress)
            working.post(progress.run(lambda: self.chatops.submit_secret(request, session_id, text)))
        except Exception as exc:  # noqa: BLE001
            self._fail(exc, lambda r: self.post_dm(user_id, r))

    # -- messages --------------------------------------------------------------------------------
    def on_message(self, event: dict[str, Any]) -> None:
        """DMs carry commands without the slash and pastes for an open session; in channels core
        only speaks up when a credential was posted there, so there every subtype with text of a
        person is read (a channel topic can hold a paste too)."""
        subtype = event.get("subtype")
        if subtype == "message_changed":
            self.later(self._run_edit, event)
        elif event.get("bot_id") or subtype in NO_NEW_TEXT:
            return
        elif subtype in AUTHORED or event.get("channel_type") != "im":
            self.later(self._run_message, event)

    def _run_message(self, event: dict[str, Any]) -> None:
        user_id, channel = event.get("user", ""), event.get("channel", "")
        if not user_id:
            return
        private = event.get("channel_type") == "im"  # a group DM ("mpim") is shared: treated as a channel
        place = Place(PlaceKind.DM if private else PlaceKind.CHANNEL, channel)
        if not private:  # only a burned credential is answered there, at once
            shared = Request(self._user(user_id), place, event.get("text", ""))
            self._inspect(lambda: self.chatops.inspect_message(shared),
                          lambda r: self.post_ephemeral(channel, user_id, r))
            return
        working = DmProgress(self.client, channel)  # a paste or a command: seconds of gateway calls
        progress = Progress(working.show)
        request = Request(self._user(user_id), place, event.get("text", ""), progress=progress)
        self._inspect(lambda: progress.run(lambda: self.chatops.inspect_message(request)), working.post)

    def _run_edit(self, event: dict[str, Any]) -> None:
        """Slack sends an edit as `message_changed` with the new and the previous message; a
        credential edited into a channel message is as public as one posted there."""
        edited, channel = event.get("message") or {}, event.get("channel", "")
        user_id = edited.get("user", "")
        if not user_id or edited.get("bot_id") or event.get("channel_type") == "im":
            return
        request = Request(self._user(user_id), Place(PlaceKind.CHANNEL, channel), edited.get("text", ""))
        previous = (event.get("previous_message") or {}).get("text") or ""
        self._inspect(lambda: self.chatops.inspect_edit(request, previous),
                      lambda r: self.post_ephemeral(channel, user_id, r))

    def _inspect(self, inspect: Callable[[], Reply | None], deliver: Callable[[Reply], None]) -> None:
        try:
            reply = inspect()
            if reply is not None:
                deliver(reply)
        except Exception as exc:  # noqa: BLE001
            self._fail(exc, deliver)

    # -- delivery --------------------------------------------------------------------------------
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

    def _fail(self, exc: Exception, deliver: Callable[[Reply], None]) -> None:
        """Log the detail, tell the user in one line; if even that fails, the log is all we have."""
        log.error("Slack request failed after ack: %s", type(exc).__name__, exc_info=exc)
        reason = exc.response.get("error", "error") if isinstance(exc, SlackApiError) else type(exc).__name__
        try:
            deliver(Reply.error("Something went wrong", f"The request could not be completed (`{reason}`); "
                                "the bot log has the details.", code="internal"))
        except Exception:  # noqa: BLE001
            log.exception("could not deliver the error reply either")

    def _user(self, user_id: str, name: str = "") -> User:
        return self.directory.user(user_id, name)


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

    def __init__(self, adapter: SlackAdapter, response_url: str, user_id: str, *, replaces_source: bool = False):
        self.adapter = adapter
        self.user_id = user_id
        self.hook = WebhookClient(response_url, retry_handlers=retry_handlers(), logger=adapter.wire_logger)
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
            self.adapter.post_dm(self.user_id, reply)
            return
        if pending := self._send(reply.visibility, messages):
            self.adapter.post_messages(self.adapter.dm_channel(self.user_id), pending)

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
