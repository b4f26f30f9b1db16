"""What a person asks the bot on Slack, taken to core: slash commands, buttons, the secure paste
form and DMs (commands without the slash, pastes for an open session).

These run after the ack (adapters/slack/workers.py), except the two steps Slack times: the paste
form must open within 3 s of the click (`open_secret_modal`), and a paste's format problems go back
into the form in its own answer (`receive_secret`). Work still running after 0.7 s shows its steps
in a message the answer then replaces (adapters/slack/progress.py).
"""
from __future__ import annotations

from dataclasses import replace
from typing import Any

from slack_bolt import Ack
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from adapters.slack import render
from adapters.slack.delivery import Delivery
from adapters.slack.identity import Directory
from adapters.slack.progress import DmProgress
from adapters.slack.workers import Workers
from core.chatops import ChatOps
from core.progress import SILENT, Progress
from core.replies import Reply
from core.requests import Place, PlaceKind, Request, User
from core.secrets.credentials import Kind


class Intake:
    def __init__(self, chatops: ChatOps, client: WebClient, directory: Directory, delivery: Delivery,
                 workers: Workers) -> None:
        self.chatops = chatops
        self.client = client
        self.directory = directory
        self.delivery = delivery
        self.workers = workers

    def user(self, user_id: str, name: str = "") -> User:
        return self.directory.user(user_id, name)

    # -- slash command ---------------------------------------------------------------------------
    def run_command(self, body: dict[str, Any]) -> None:
        user = self.user(body["user_id"], body.get("user_name", ""))
        respond = self.delivery.responder(body.get("response_url", ""), body["user_id"])
        progress = Progress(respond.show)
        try:
            place = self.place_of_command(body["user_id"], body.get("channel_id", ""))
            request = Request(user, place, body.get("text", ""), progress=progress)
            reply = progress.run(lambda: self.chatops.handle(request))
            respond(reply)
            if reply.direct is not None:
                self.delivery.post_dm(reply.direct_user or user.id, reply.direct)
        except Exception as exc:  # noqa: BLE001 - the user already got an ack and must get an answer
            self.delivery.fail(exc, respond.last_word)

    def place_of_command(self, user_id: str, channel_id: str) -> Place:
        """A slash command counts as private only in the user's own DM with the bot; a DM between
        two people (also a `D…` id) is shared with the other person."""
        if channel_id.startswith("D") and channel_id == self.delivery.dm_channel(user_id):
            return Place(PlaceKind.DM, channel_id)
        return Place(PlaceKind.CHANNEL, channel_id)

    # -- buttons ---------------------------------------------------------------------------------
    def run_button(self, body: dict[str, Any], core_action: str, value: str) -> None:
        user = self.user(body["user"]["id"], body["user"].get("username", ""))
        ephemeral_source = bool((body.get("container") or {}).get("is_ephemeral"))
        respond = self.delivery.responder(body.get("response_url", ""), body["user"]["id"],
                                          replaces_source=ephemeral_source)
        # Only a button in the requester's own ephemeral message may give way to progress; one in a
        # shared message (an alert, a public status) must stay as the channel sees it.
        progress = Progress(respond.show) if ephemeral_source else None
        try:
            channel = (body.get("channel") or {}).get("id", "")
            place = self.place_of_command(user.id, channel)
            request = Request(user, place, "", progress=progress or SILENT)

            def act() -> Reply:
                return self.chatops.act(request, core_action, value)
            reply = progress.run(act) if progress else act()
            respond(reply)
            if reply.direct is not None:
                self.delivery.post_dm(reply.direct_user or user.id, reply.direct)
        except Exception as exc:  # noqa: BLE001
            self.delivery.fail(exc, respond.last_word)

    # -- the secure paste form -------------------------------------------------------------------
    def open_secret_modal(self, body: dict[str, Any], session_id: str) -> None:
        """views.open comes first: the trigger_id expires 3 s after the click."""
        session = self.chatops.onboarding_session(session_id)
        label = f"Paste the {Kind(session.method).label}" if session and session.method else "Paste the credential"
        try:
            self.client.views_open(trigger_id=body["trigger_id"], view=render.secret_modal(session_id, label))
        except SlackApiError as exc:
            self.delivery.fail(exc, lambda r: self.delivery.post_dm(body["user"]["id"], r))

    def receive_secret(self, ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        """Format problems go back into the modal (`response_action: errors`) so the user can fix
        the paste in place; core answers those at once (no gateway call) and writes the audit row.
        A paste that looks right closes into a progress view, and the result goes to the DM."""
        user = self.user(body["user"]["id"], body["user"].get("username", ""))
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
            self.workers.later(self.delivery.post_dm, user.id, refusal)
            return
        ack(response_action="update", view=render.progress_modal(
            "Checking and storing the credential with the gateway. The result will arrive in your DM "
            "with the bot in a few seconds; you can close this window."))
        self.workers.later(self.store_secret, request, session_id, text)

    def store_secret(self, request: Request, session_id: str, text: str) -> None:
        user_id = request.user.id
        try:
            working = DmProgress(self.client, self.delivery.dm_channel(user_id))
            progress = Progress(working.show)
            request = replace(request, progress=progress)
            working.post(progress.run(lambda: self.chatops.submit_secret(request, session_id, text)))
        except Exception as exc:  # noqa: BLE001
            self.delivery.fail(exc, lambda r: self.delivery.post_dm(user_id, r))

    # -- DMs -------------------------------------------------------------------------------------
    def read_dm(self, event: dict[str, Any]) -> None:
        """A message in the user's DM with the bot: a paste for the open session or a command,
        seconds of gateway calls either way, shown as a working message there."""
        user_id, channel = event.get("user", ""), event.get("channel", "")
        if not user_id:
            return
        working = DmProgress(self.client, channel)
        progress = Progress(working.show)
        request = Request(self.user(user_id), Place(PlaceKind.DM, channel), event.get("text", ""), progress=progress)
        self.delivery.answer(lambda: progress.run(lambda: self.chatops.inspect_message(request)), working.post)
