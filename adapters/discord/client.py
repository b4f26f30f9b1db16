"""The Discord client: wiring, and discord.py's events handed to where each is handled.

Slash commands, buttons, the secret form and DMs go to intake (adapters/discord/intake.py),
guild messages and their edits to scanning (adapters/discord/scanning.py), who may write from a
DM is adapters/discord/members.py, and how answers leave within Discord's rules is
adapters/discord/delivery.py. Methods named `on_*` here are discord.py's events, and only those.
"""
from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from adapters.discord import endpoints, render
from adapters.discord.commands import build_group
from adapters.discord.config import DiscordConfig
from adapters.discord.delivery import Claims, fail
from adapters.discord.directory import GuildDirectory
from adapters.discord.intake import Intake
from adapters.discord.members import Members
from adapters.discord.notifier import DiscordNotifier
from adapters.discord.scanning import Scanner
from adapters.discord.sync import sync_commands
from core.adapter import AdapterParts


class HideRawGatewayEvents(logging.Filter):
    """discord.py logs every raw gateway event at DEBUG, modal submissions (with the pasted
    credential) included. Those records are dropped; everything else discord.py logs stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "WebSocket Event" not in str(record.msg)


def guard_logs() -> None:
    logger = logging.getLogger("discord.gateway")
    if not any(isinstance(f, HideRawGatewayEvents) for f in logger.filters):
        logger.addFilter(HideRawGatewayEvents())


class ChatOpsClient(discord.Client):
    def __init__(self, parts: AdapterParts, config: DiscordConfig, **options: Any) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        intents.dm_messages = True
        if config.scan_guild_messages:  # privileged: must also be enabled in the Developer Portal
            intents.guild_messages = True
            intents.message_content = True
        if config.application_id is not None:  # unset: discord.py learns it at login
            options["application_id"] = config.application_id
        super().__init__(intents=intents, **options)
        guard_logs()
        self.parts = parts
        self.chatops = parts.chatops
        self.config = config
        self.guild = discord.Object(config.guild_id) if config.guild_id else None
        self.claims = Claims()
        self.members = Members(self, self.chatops, self.guild)
        self.intake = Intake(self.chatops, self.members, self.claims)
        self.scanning = Scanner(self.chatops)
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self.on_tree_error  # type: ignore[method-assign]
        self.tree.interaction_check = self.members.admit_command  # type: ignore[method-assign]
        self.tree.add_command(build_group(self.intake.run_verb, agents=self.intake.complete_agents,
                                          profiles=self.intake.complete_profiles,
                                          permissions=config.command_permissions), guild=self.guild)
        self.add_dynamic_items(render.ActionButton)
        self.chatops.register_directory("discord", GuildDirectory(self, self.members))

    async def setup_hook(self) -> None:
        if self.config.api_url:  # through a REST proxy: the gateway is the one it names
            await endpoints.use_gateway_of(self.http)
        await sync_commands(self.tree, self.parts.notes, self.guild)
        self.parts.add_notifier("discord", DiscordNotifier(self))  # team alerts, once the loop and login exist

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        await self.claims.answer_unclaimed(interaction)

    async def on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        """The command tree's error event (set as `tree.on_error`)."""
        await fail(interaction, getattr(error, "original", error), "command")

    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        if message.guild is None:
            await self.intake.read_dm(message)
        elif self.config.scan_guild_messages:
            await self.scanning.scan(message)

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """An edit that adds a credential to a guild message burns it like a new post. The raw
        event fires for every edit; the cached original, when the client still holds it, keeps an
        edit of an already flagged message from being flagged twice."""
        message = payload.message
        if payload.guild_id is None or message.author.bot or not self.config.scan_guild_messages:
            return
        await self.scanning.scan(message, edited_from=payload.cached_message.content if payload.cached_message else "")
