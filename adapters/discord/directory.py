"""The Discord side of `core.requests.Directory`: another member's roles, from the guilds the bot serves.

Each interaction carries the roles of whoever sent it, but core sometimes has to judge someone
else: the admin who onboarded a profile, when another member pressed Rotate now. Fetching one
member is a plain REST call (GET /guilds/{guild}/members/{user}). Listing the members of a role
would need the privileged Server Members intent, which this bot does not ask for, so a role entry
in the role settings stands for nobody here (rather than for a "user" with the role's id).
"""
from __future__ import annotations

import asyncio
import logging

import discord

from adapters.discord.members import Members
from core.requests import User

log = logging.getLogger(__name__)

LOOKUP_TIMEOUT_S = 5.0  # core waits in a worker thread; a slow Discord must not hold it for long


class GuildDirectory:
    """Called by core from worker threads; the lookups run on the client's event loop."""

    def __init__(self, client: discord.Client, members: Members) -> None:
        self.client = client  # for its event loop
        self.members = members

    def user(self, user_id: str) -> User:
        if not user_id.isdigit():
            return User("discord", user_id)
        future = asyncio.run_coroutine_threadsafe(self.members.roles_in_guilds(int(user_id)), self.client.loop)
        try:
            roles = future.result(timeout=LOOKUP_TIMEOUT_S)
        except TimeoutError:
            future.cancel()
            log.warning("looking up the roles of a Discord member took over %.0f s; judged without roles",
                        LOOKUP_TIMEOUT_S)
            roles = frozenset()
        return User("discord", user_id, groups=roles)

    def people(self, entry_id: str) -> list[str]:
        if entry_id.isdigit() and any(g.get_role(int(entry_id)) for g in self.members.served_guilds()):
            return []
        return [entry_id]
