"""Team alerts on Discord: one channel message per incident, edited in place, notes as replies.

Core's Outbox calls notifiers from its own worker thread, one ordered queue per channel; the
client's REST calls live on the client's event loop. Each call is handed to that loop and the
worker waits for its result, so the next alert for the channel is not sent before this one is
done, whatever discord.py does underneath.

Rate limits: discord.py already keeps Discord's per-route buckets (it reads `X-RateLimit-*`,
waits before a request when a bucket is empty, and on a 429 sleeps `retry_after` and resends the
same request while holding the bucket). That is why `min_interval_s` is 0: pacing here as well
would only add delay. A 429 that still surfaces (`discord.RateLimited` when a
`max_ratelimit_timeout` is set, or an `HTTPException` 429 after discord.py's own retries) becomes
core's `RateLimited`, and the Outbox retries that same message before the next one.

Notes go as replies to the alert message (message_reference) rather than a thread: a reply stays
visible in the channel, links back to the alert, never archives, and needs no thread permissions.
Replying does need Read Message History; where the bot lacks it, the note is sent as a plain
message instead of failing (a failure would make the Outbox redo the whole edit, five times).
"""
from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from typing import Any, TypeVar

import discord

from adapters.discord import render
from core.alerts.outbox import RateLimited, Undeliverable
from core.replies import Reply

T = TypeVar("T")
CALL_TIMEOUT_S = 300.0  # a guard against a stuck loop, far above any bucket wait
NO_PINGS = discord.AllowedMentions.none()  # an alert must not ping whoever a profile id resembles


def make_ref(channel_id: int, message_id: int) -> str:
    return f"{channel_id}/{message_id}"


def parse_ref(ref: str) -> tuple[int, int]:
    channel_id, _, message_id = ref.partition("/")
    return int(channel_id), int(message_id)


class DiscordNotifier:
    """The core `Notifier` port over the logged-in client's HTTP client."""

    min_interval_s = 0.0

    def __init__(self, client: discord.Client):
        self.client = client

    def post(self, channel: str, reply: Reply) -> str:
        message = self._run(self._send(int(channel), reply))
        return make_ref(message.channel.id, message.id)

    def update(self, channel: str, ref: str, reply: Reply) -> None:
        self._run(self._edit(*parse_ref(ref), reply))

    def follow_up(self, channel: str, ref: str, reply: Reply) -> None:
        channel_id, message_id = parse_ref(ref)
        reference = discord.MessageReference(message_id=message_id, channel_id=channel_id, fail_if_not_exists=False)
        self._run(self._reply(channel_id, reply, reference))

    # -- on the event loop ---------------------------------------------------------------------
    async def _send(self, channel_id: int, reply: Reply,
                    reference: discord.MessageReference | None = None) -> discord.Message:
        embeds, view = self._body(reply)
        extra: dict[str, Any] = {"view": view} if view else {}
        if reference is not None:
            extra["reference"] = reference
        channel = self.client.get_partial_messageable(channel_id)
        return await channel.send(content=render.content(reply), embeds=embeds, allowed_mentions=NO_PINGS, **extra)

    async def _reply(self, channel_id: int, reply: Reply, reference: discord.MessageReference) -> None:
        try:
            await self._send(channel_id, reply, reference)
        except discord.Forbidden:
            await self._send(channel_id, reply)

    async def _edit(self, channel_id: int, message_id: int, reply: Reply) -> None:
        """`view=None` removes the buttons once the incident has no actions left (resolved)."""
        embeds, view = self._body(reply)
        message = self.client.get_partial_messageable(channel_id).get_partial_message(message_id)
        await message.edit(content=render.content(reply), embeds=embeds, view=view, allowed_mentions=NO_PINGS)

    @staticmethod
    def _body(reply: Reply) -> tuple[list[discord.Embed], discord.ui.View | None]:
        """An alert is one message so it can be edited as one: an incident is a single embed, far
        from the ten-embed page the renderer would split. The view is built on the loop (discord.py
        views need a running loop)."""
        return render.pages(reply)[0], render.view(reply.actions)

    # -- from the Outbox's thread --------------------------------------------------------------
    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        loop = self.client.loop
        if _running_loop() is loop:  # waiting here would block the loop that must do the work
            coro.close()
            raise RuntimeError("alerts reach Discord from the Outbox's worker thread, not the client's loop")
        future = asyncio.run_coroutine_threadsafe(coro, loop)
        try:
            return future.result(CALL_TIMEOUT_S)
        except discord.RateLimited as exc:
            raise RateLimited(exc.retry_after) from exc
        except discord.HTTPException as exc:
            if exc.status == 429:
                raise RateLimited(float(exc.response.headers.get("Retry-After", 1.0))) from exc
            if exc.status in (401, 403, 404):  # no access or no such channel/message: retrying cannot help
                raise Undeliverable(f"Discord answered {exc.status}") from exc
            raise


def _running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None
