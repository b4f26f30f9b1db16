"""The Discord adapter as the launcher sees it (`core.adapter.Adapter`): is it configured, and
run it until stopped."""
from __future__ import annotations

import logging

import discord

from adapters.discord import endpoints
from adapters.discord.client import ChatOpsClient
from adapters.discord.config import TOKEN, DiscordConfig, configured
from core.adapter import AdapterParts

__all__ = ["configured", "name", "start"]

log = logging.getLogger(__name__)

name = "discord"


def start(parts: AdapterParts) -> int:
    """Run the Discord bot until stopped; 1 when Discord refuses the token."""
    config = DiscordConfig.from_env(parts.env)
    if config.api_url:
        endpoints.use_api(config.api_url)
    client = ChatOpsClient(parts, config)
    parts.watch_connection("discord", lambda: client.is_ready() and not client.is_closed())
    try:
        client.run(config.token, log_handler=None)  # keep the logging the bot set up
    except discord.LoginFailure:
        log.error("Discord refused %s; check the bot token in the Developer Portal", TOKEN)
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error("Enable the Message Content intent in the Developer Portal, or set DISCORD_SCAN_GUILD_MESSAGES=false")
        return 1
    return 0
