"""Where discord.py talks to: Discord itself, or a REST proxy in front of it (`DISCORD_API_URL`).

Large bots put a REST proxy between their processes and Discord to share one set of rate-limit
buckets. discord.py keeps both addresses as class attributes, `discord.http.Route.BASE` for REST
(interaction webhooks included) and `DiscordWebSocket.DEFAULT_GATEWAY` for the gateway, so they
are set for the whole process; this process runs one Discord client.
"""
from __future__ import annotations

import discord.http
import yarl
from discord.gateway import DiscordWebSocket


def use_api(base_url: str) -> None:
    """Send every REST call (and interaction response) to `base_url`, e.g. `…/api/v10`."""
    discord.http.Route.BASE = base_url.rstrip("/")


async def use_gateway_of(http: discord.http.HTTPClient) -> None:
    """Connect to the gateway the REST base names (`GET /gateway/bot`), as Discord documents:
    behind a proxy that is Discord's own gateway; a stand-in Discord names its own. Resumes then
    follow READY's `resume_gateway_url` as usual."""
    _, url, _ = await http.get_bot_gateway()
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(url)
