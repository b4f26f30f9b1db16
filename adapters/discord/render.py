"""Reply → Discord embeds and buttons, paged to stay inside Discord's message limits.

Limits (Discord API): 25 fields, 256-char titles and field names, 1024-char field values,
4096-char descriptions, 6000 characters per embed, and at most 10 embeds and 6000 characters
across one message. A status reply with many agents or profiles is split into several messages
rather than truncated, so no profile disappears from view.
"""
from __future__ import annotations

import re
from typing import Any

import discord

from core.replies import Action, Reply, Section, Severity

COLOURS = {
    Severity.OK: discord.Colour(0x2ECC71),
    Severity.INFO: discord.Colour(0x3498DB),
    Severity.WARNING: discord.Colour(0xF1C40F),
    Severity.ERROR: discord.Colour(0xE74C3C),
}
MAX_FIELDS = 25
MAX_EMBED_CHARS = 6000
MAX_EMBEDS = 10
MAX_MESSAGE_CHARS = 6000
BUTTON_STYLES = {"primary": discord.ButtonStyle.primary, "danger": discord.ButtonStyle.danger}
CUSTOM_ID = "openclaw:{action}:{value}"
# A value may hold spaces (the doctor's "Onboard ops" button carries `onboard ops`); discord.py
# full-matches the template, so a narrower value class leaves the press unrouted ("expired").
CUSTOM_ID_PATTERN = r"openclaw:(?P<action>[a-z.]+):(?P<value>[^\n]*)"
_CUSTOM_ID = re.compile(CUSTOM_ID_PATTERN)


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _size(embed: discord.Embed) -> int:
    return len(embed)  # discord.py counts title, description, fields, footer and author


def section_embeds(section: Section) -> list[discord.Embed]:
    """One embed per section, continued in more embeds when it has too many fields or characters."""
    colour = COLOURS[section.severity]
    embeds = [discord.Embed(title=_cut(section.title, 256), description=_cut(section.text, 4096) or None,
                            colour=colour)]
    for f in section.fields:
        current = embeds[-1]
        name, value = _cut(f.label, 256) or "\u200b", _cut(f.value, 1024) or "\u200b"
        if len(current.fields) >= MAX_FIELDS or _size(current) + len(name) + len(value) > MAX_EMBED_CHARS - 300:
            current = discord.Embed(title=_cut(f"{section.title} (continued)", 256), colour=colour)
            embeds.append(current)
        current.add_field(name=name, value=value, inline=False)
    return embeds


def reply_embeds(reply: Reply) -> list[discord.Embed]:
    if not reply.sections:
        embed = discord.Embed(title=_cut(reply.title, 256), description=_cut(reply.text, 4096) or None,
                              colour=COLOURS[reply.severity])
        embeds = [embed]
    else:
        embeds = [e for s in reply.sections for e in section_embeds(s)]
        if reply.text:
            embeds.insert(0, discord.Embed(description=_cut(reply.text, 4096), colour=COLOURS[reply.severity]))
    if reply.context:
        embeds[-1].set_footer(text=_cut(reply.context, 2048))
    return embeds


def pages(reply: Reply) -> list[list[discord.Embed]]:
    """Embeds grouped into messages of at most 10 embeds and 6000 characters each."""
    out: list[list[discord.Embed]] = [[]]
    used = 0
    for embed in reply_embeds(reply):
        if out[-1] and (len(out[-1]) >= MAX_EMBEDS or used + _size(embed) > MAX_MESSAGE_CHARS):
            out.append([])
            used = 0
        out[-1].append(embed)
        used += _size(embed)
    return out


def content(reply: Reply) -> str | None:
    """Status-like replies carry their title as message text; the embeds are one per section."""
    return f"**{_cut(reply.title, 1900)}**" if reply.sections else None


def custom_id(action: Action) -> str:
    return _cut(CUSTOM_ID.format(action=action.id, value=action.value), 100)


def view(actions: list[Action]) -> discord.ui.View | None:
    """Buttons for the reply's actions, or None when it has none. The view holds no state: every
    button is an `ActionButton`, dispatched by its custom id."""
    if not actions:
        return None
    v = discord.ui.View(timeout=None)
    for action in actions[:25]:
        v.add_item(ActionButton(action))
    return v


class ActionButton(discord.ui.DynamicItem[discord.ui.Button], template=CUSTOM_ID_PATTERN):
    """A reply action as a button. The custom id carries the action and its value, so a press is
    routed by pattern even after the bot restarts; the client decides what the action does."""

    def __init__(self, action: Action) -> None:
        super().__init__(discord.ui.Button(label=_cut(action.label, 80), custom_id=custom_id(action),
                                           style=BUTTON_STYLES.get(action.style, discord.ButtonStyle.secondary)))
        self.action = action

    @classmethod
    def matches(cls, custom_id: str) -> bool:
        """Whether discord.py would route a press with this id here (it full-matches the template)."""
        return _CUSTOM_ID.fullmatch(custom_id) is not None

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> ActionButton:
        label = item.label if isinstance(item, discord.ui.Button) else None  # always a button: see the template
        return cls(Action(match["action"], label or "", match["value"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        intake = interaction.client.intake  # type: ignore[attr-defined]  # the ChatOpsClient
        await intake.press(interaction, self.action.id, self.action.value)
