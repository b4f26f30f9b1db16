"""Progress on Slack: a "Working…" message edited in place, then replaced by the answer.

- A slash command shows it through its `response_url`, ephemerally (delivery.Responder). Slack
  takes at most 5 messages through one response_url, so progress uses at most `PROGRESS_USES` of
  them and the answer the rest: an ephemeral answer replaces the working message
  (`replace_original`); an in-channel one cannot (an ephemeral message never becomes public), so
  the working message is deleted (`delete_original`) and the answer posted.
- A button in an ephemeral message (the admin's own answer, e.g. `secure`'s confirmation) shows it
  in place of that message: a response_url's `replace_original` replaces the message the button
  was in, and that message was only ever the requester's.
- A DM (a paste, a modal submission, a typed command) shows it as a bot message updated with
  `chat.update`, and the answer's first page is that message's last update.
"""
from __future__ import annotations

from typing import Any

from slack_sdk import WebClient

from adapters.slack import render
from core.replies import Reply

BLOCK_ID = "openclaw.progress"  # marks a progress message (tests and readers tell it from an answer)
PROGRESS_USES = 2  # of Slack's 5 posts per response_url: the working message and one update


def working_message(text: str) -> dict[str, Any]:
    return {"text": render.clip(text.splitlines()[-1], render.MAX_FALLBACK_TEXT),
            "blocks": [{"type": "section", "block_id": BLOCK_ID,
                        "text": {"type": "mrkdwn", "text": render.clip(text, render.MAX_SECTION_TEXT)}}]}


class DmProgress:
    """The working message in a DM channel, posted once and then updated in place."""

    def __init__(self, client: WebClient, channel: str) -> None:
        self.client = client
        self.channel = channel
        self.ts = ""

    def show(self, text: str) -> None:
        if self.ts:
            self.client.chat_update(channel=self.channel, ts=self.ts, **working_message(text))
        else:
            self.ts = self.client.chat_postMessage(channel=self.channel, **working_message(text))["ts"]

    def post(self, reply: Reply) -> None:
        """The answer: the working message becomes its first page; further pages follow."""
        pages = render.messages(reply)
        if self.ts:
            self.client.chat_update(channel=self.channel, ts=self.ts, **pages.pop(0))
        for page in pages:
            self.client.chat_postMessage(channel=self.channel, **page)
