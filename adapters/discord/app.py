"""Entry points `bot/launch.py` calls: is Discord configured, and run it until stopped."""
from __future__ import annotations

import logging

import discord

from adapters.discord import endpoints
from adapters.discord.client import ChatOpsClient
from adapters.discord.config import TOKEN, DiscordConfig
from bot.app import Components
from bot.settings import Settings

log = logging.getLogger(__name__)


def configured(settings: Settings) -> bool:
    return bool(settings.get(TOKEN).strip())


def start(parts: Components) -> int:
    """Run the Discord bot until stopped; 1 when Discord refuses the token."""
    config = DiscordConfig.from_settings(parts.settings)
    if config.api_url:
        endpoints.use_api(config.api_url)
    client = ChatOpsClient(parts, config)
    if parts.health is not None:
        parts.health.watch("discord", lambda: client.is_ready() and not client.is_closed())
    try:
        client.run(config.token, log_handler=None)  # keep the logging set up by bot.app.build
    except discord.LoginFailure:
        log.error("Discord refused %s; check the bot token in the Developer Portal", TOKEN)
        return 1
    except discord.PrivilegedIntentsRequired:
        log.error("Enable the Message Content intent in the Developer Portal, or set DISCORD_SCAN_GUILD_MESSAGES=false")
        return 1
    return 0
