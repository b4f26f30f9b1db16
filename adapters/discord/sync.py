"""Sync the command tree only when it changed.

Discord rate-limits command registration (200 creates a day per guild) and a global sync takes up
to an hour to reach every client, so syncing on every start is wasteful. The payload the tree would
send is hashed together with its target; the hash of the last successful sync is kept in the
bot's store and an unchanged tree is not sent again.
"""
from __future__ import annotations

import hashlib
import json
import logging

import discord
from discord import app_commands

from core.adapter import Notes

log = logging.getLogger(__name__)


def tree_digest(tree: app_commands.CommandTree, guild: discord.abc.Snowflake | None) -> str:
    payload = [command.to_dict(tree) for command in tree.get_commands(guild=guild)]
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def store_key(application_id: int | None, guild: discord.abc.Snowflake | None) -> str:
    return f"discord.commands.{application_id or 'app'}.{guild.id if guild else 'global'}"


async def sync_commands(tree: app_commands.CommandTree, store: Notes,
                        guild: discord.abc.Snowflake | None) -> bool:
    """Sync `tree` to `guild` (or globally) unless the same payload was synced before. True when sent."""
    key = store_key(tree.client.application_id, guild)
    digest = tree_digest(tree, guild)
    if store.get(key) == digest:
        log.info("Discord commands unchanged (%s); sync skipped", key)
        return False
    await tree.sync(guild=guild)
    store.put(key, digest)
    log.info("Discord commands synced (%s)", key)
    return True
