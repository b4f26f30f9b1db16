"""Guild messages read for credentials (with DISCORD_SCAN_GUILD_MESSAGES, which needs the
privileged Message Content intent): a credential posted in a guild channel, or edited into a
message there, is burned. The bot deletes the message when it may, and says so to the poster."""
from __future__ import annotations

import logging

import discord

from adapters.discord import render
from adapters.discord.delivery import call
from adapters.discord.requests import place_of, user_of
from core.chatops import ChatOps
from core.requests import Request

log = logging.getLogger(__name__)


class Scanner:
    def __init__(self, chatops: ChatOps) -> None:
        self.chatops = chatops

    async def scan(self, message: discord.Message, edited_from: str | None = None) -> None:
        """`edited_from` is set for an edit: the text before it, "" when the client no longer has it."""
        request = Request(user_of(message.author), place_of(message.channel.id, True), message.content)
        reply = await (call(self.chatops.inspect_message, request) if edited_from is None
                       else call(self.chatops.inspect_edit, request, edited_from))
        if reply is None or not reply.burned:
            return
        deleted = False
        if message.channel.permissions_for(message.guild.me).manage_messages:  # type: ignore[union-attr]
            try:
                await message.delete()
                deleted = True
            except discord.HTTPException:
                log.warning("could not delete a message holding a credential in channel %s", message.channel.id)
        reply.text += ("\n\nI deleted the message." if deleted else
                       "\n\nI could not delete the message (I need the Manage Messages permission here): "
                       "delete it yourself now.")
        await message.channel.send(content=message.author.mention, embeds=render.reply_embeds(reply),
                                   allowed_mentions=discord.AllowedMentions(users=[message.author], everyone=False,
                                                                             roles=False))
