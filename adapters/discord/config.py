"""Discord settings, parsed from the raw settings mapping (all listed in `.env.example`).

They live here rather than in `bot/settings.py` so the adapter stays one folder: a deployment that
never uses Discord never parses them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import discord

from core.adapter import ConfigError

TOKEN = "DISCORD_BOT_TOKEN"
APPLICATION_ID = "DISCORD_APPLICATION_ID"
GUILD_ID = "DISCORD_GUILD_ID"
SCAN_GUILD_MESSAGES = "DISCORD_SCAN_GUILD_MESSAGES"
COMMAND_PERMISSIONS = "DISCORD_COMMAND_PERMISSIONS"
API_URL = "DISCORD_API_URL"  # a REST proxy in front of Discord (…/api/v10); unset: Discord itself
# Most verbs are admin-only, so by default only members who can manage the server see the command
# group; server admins can widen it per role or channel (Server Settings → Integrations), and core
# checks the bot's own roles again either way.
DEFAULT_COMMAND_PERMISSIONS = "manage_guild"


def configured(env: Mapping[str, str]) -> bool:
    return bool(env.get(TOKEN, "").strip())


def _snowflake(env: Mapping[str, str], name: str) -> int | None:
    text = env.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit():
        raise ConfigError(f"{name} must be a numeric Discord id")
    return int(text)


def _permissions(text: str) -> discord.Permissions | None:
    """`manage_guild,manage_messages` → Permissions; `everyone` → None (no default restriction)."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    if names == ["everyone"]:
        return None
    perms = discord.Permissions.none()
    for name in names:
        if name not in discord.Permissions.VALID_FLAGS:
            raise ConfigError(f"{COMMAND_PERMISSIONS}: unknown Discord permission {name!r}")
        setattr(perms, name, True)
    return perms


def _url(text: str) -> str:
    if text and not text.startswith(("http://", "https://")):
        raise ConfigError(f"{API_URL} must be an http(s) URL such as http://127.0.0.1:8080/api/v10")
    return text.rstrip("/")


@dataclass(frozen=True)
class DiscordConfig:
    token: str
    application_id: int | None
    guild_id: int | None  # set: commands sync to this guild only (development); unset: global
    scan_guild_messages: bool  # needs the privileged Message Content intent
    command_permissions: discord.Permissions | None
    api_url: str = ""  # "" → discord.com

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> DiscordConfig:
        scan = env.get(SCAN_GUILD_MESSAGES, "false").strip().lower()
        if scan not in ("1", "true", "yes", "on", "0", "false", "no", "off", ""):
            raise ConfigError(f"{SCAN_GUILD_MESSAGES} must be true or false")
        return cls(
            token=env.get(TOKEN, "").strip(),
            application_id=_snowflake(env, APPLICATION_ID),
            guild_id=_snowflake(env, GUILD_ID),
            scan_guild_messages=scan in ("1", "true", "yes", "on"),
            command_permissions=_permissions(env.get(COMMAND_PERMISSIONS, DEFAULT_COMMAND_PERMISSIONS)),
            api_url=_url(env.get(API_URL, "").strip()),
        )
