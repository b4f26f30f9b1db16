"""How the Discord adapter answers, within Discord's rules for interactions.

- An interaction not answered within 3 s is dropped ("This interaction failed"), and one gateway
  call takes 2–9 s of `openclaw` CLI: intake answers or defers first, and core runs in a worker
  thread after that (`call`, `work`). Work still running after 0.7 s shows its steps in the
  deferred reply (or, for a DM, in a message of the bot's), edited in place as it moves on and
  then by the answer (core.progress).
- A modal must be the first response: it cannot follow a defer (intake opens it before anything slow).
- A public defer whose answer core marks private cannot be made private in place: the public
  placeholder is deleted and the answer follows privately (`deliver`).
- A press or form nothing claimed gets a clear answer before the 3 s run out (`Claims`).
"""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Coroutine
from dataclasses import replace
from typing import Any, TypeVar

import discord
from discord import app_commands

from adapters.discord import render
from core.progress import Progress
from core.replies import Reply, Visibility
from core.requests import Request

log = logging.getLogger(__name__)
R = TypeVar("R", Reply, Reply | None)  # core answers with a Reply; a plain message may get none

PROGRESS_WAIT_S = 30.0  # one progress edit; a stuck one must not hold the answer forever
UNCLAIMED_AFTER_S = 1.5  # Discord invalidates an interaction not answered within 3 s


async def call(fn: Callable[..., R], *args: Any) -> R | Reply:
    """Run a core entry point off the event loop; a crash becomes a clear reply, never silence."""
    try:
        return await asyncio.to_thread(fn, *args)
    except Exception:  # noqa: BLE001 - the user must get an answer; the log keeps the detail
        log.exception("core call %s failed", getattr(fn, "__name__", fn))
        return Reply.error("Something went wrong", "The bot log has the details.", code="internal")


async def work(fn: Callable[..., R], request: Request, *args: Any,
               show: Callable[[str], Coroutine[Any, Any, Any]]) -> R | Reply:
    """`fn(request, *args)` off the event loop, its steps shown through `show` once it is slow;
    returns when no step will be shown any more, so the answer replaces the last one."""
    loop = asyncio.get_running_loop()

    def display(text: str) -> None:  # on core's progress thread: wait for Discord's answer
        asyncio.run_coroutine_threadsafe(show(render._cut(text, 2000)), loop).result(PROGRESS_WAIT_S)

    progress = Progress(display)
    request = replace(request, progress=progress)
    return await call(progress.run, lambda: fn(request, *args))


def shown_in(interaction: discord.Interaction) -> Callable[[str], Coroutine[Any, Any, Any]]:
    """Progress in a deferred interaction: its "thinking…" response, edited."""
    return lambda text: interaction.edit_original_response(content=text)


def view_kw(reply: Reply) -> dict[str, Any]:
    view = render.view(reply.actions)
    return {"view": view} if view else {}


async def deliver(interaction: discord.Interaction, reply: Reply, *, ephemeral: bool) -> None:
    """Finish a deferred interaction: the first page edits the original response (ending the
    spinner), further pages are follow-ups with the same visibility. A reply meant for a DM
    (`Reply.direct`) goes to the requester's DM, or to `direct_user`'s when core names another
    admin (a "Rotate now" pressed in a channel).

    A public defer (status) whose answer core marks private (an error, an unknown agent) cannot
    be made private in place: the public placeholder is deleted and the answer follows privately."""
    messages = render.pages(reply)
    view = render.view(reply.actions)
    made_private = not ephemeral and reply.visibility is Visibility.EPHEMERAL
    if made_private:
        await interaction.delete_original_response()
        ephemeral = True
    for number, embeds in enumerate(messages):
        extra: dict[str, Any] = {"view": view} if view and number == len(messages) - 1 else {}
        content = render.content(reply) if number == 0 else None
        if number == 0 and not made_private:
            await interaction.edit_original_response(content=content, embeds=embeds, **extra)
        else:
            # discord.py types `content` as str, but None (no text above the embeds) is what it sends by default
            await interaction.followup.send(content=content, embeds=embeds, ephemeral=ephemeral,  # type: ignore[arg-type]
                                            **extra)
    if reply.direct is not None:
        await send_direct(interaction, reply, reply.direct)


async def send_direct(interaction: discord.Interaction, reply: Reply, direct: Reply) -> None:
    try:
        client = interaction.client
        user = await client.fetch_user(int(reply.direct_user)) if reply.direct_user else interaction.user
        dm = await user.create_dm()
        await dm.send(embeds=render.reply_embeds(direct), **view_kw(direct))
    except (discord.Forbidden, discord.NotFound, ValueError):
        await interaction.followup.send(
            "I could not send that DM (privacy settings block DMs from this server, or the user is gone).",
            ephemeral=True)


def refusal_for(error: BaseException) -> Reply | None:
    """A clear answer for what discord.py rejects before our handler runs, else None (a real fault).

    A signature mismatch means Discord's copy of the command differs from this bot's (just after an
    upgrade, until the changed tree is synced) or the payload was forged; a transformer error is an
    option value of the wrong type or outside its choices."""
    if isinstance(error, app_commands.CommandSignatureMismatch):
        return Reply.error("This command is out of date",
                           "Discord's copy of `/openclaw` differs from this bot's: it is being updated. Reload "
                           "Discord (Ctrl+R) and try again.", code="parse")
    if isinstance(error, app_commands.TransformerError):
        return Reply.error("That option value is not valid", "Pick a value from the list Discord offers.", code="parse")
    return None


async def fail(interaction: discord.Interaction, error: BaseException, what: str) -> None:
    reply = refusal_for(error)
    if reply is None:
        log.error("Discord %s failed: %s", what, type(error).__name__, exc_info=error)
        reply = Reply.error("Something went wrong", f"`{what}` failed; the bot log has the details.", code="internal")
    try:
        if interaction.response.is_done():
            await interaction.edit_original_response(content=None, embeds=render.reply_embeds(reply), view=None)
        else:
            await interaction.response.send_message(embeds=render.reply_embeds(reply), ephemeral=True)
    except discord.HTTPException:
        log.warning("could not report the failure of %s to Discord", what)


class Claims:
    """The safety net: a press or form nothing claimed (a forged custom id, a button from an
    older release, a secret form submitted after a restart: forms live in memory) would leave
    the user with "This interaction failed". Every handler of ours claims its interaction and
    answers or defers within milliseconds, so one still unanswered after UNCLAIMED_AFTER_S gets a
    clear reply in time. A press whose custom id no button of ours has cannot be claimed: it is
    answered at once."""

    def __init__(self) -> None:
        self._claimed: dict[int, bool] = {}  # popped by `answer_unclaimed`

    def claim(self, interaction: discord.Interaction) -> None:
        self._claimed[interaction.id] = True

    async def answer_unclaimed(self, interaction: discord.Interaction) -> None:
        if interaction.type not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            return
        custom_id = str(interaction.data.get("custom_id", "")) if interaction.data else ""
        if interaction.type is discord.InteractionType.modal_submit or render.ActionButton.matches(custom_id):
            await asyncio.sleep(UNCLAIMED_AFTER_S)
            if self._claimed.pop(interaction.id, False) or interaction.response.is_done():
                return
        what = "form" if interaction.type is discord.InteractionType.modal_submit else "button"
        reply = Reply.error(f"This {what} has expired",
                            f"The bot no longer knows this {what} (it restarted, or the {what} is from an older "
                            "version). Nothing was stored; start again with `/openclaw`.", code="session")
        try:
            await interaction.response.send_message(embeds=render.reply_embeds(reply), ephemeral=True)
        except discord.HTTPException:
            log.warning("could not answer an unclaimed %s", what)
