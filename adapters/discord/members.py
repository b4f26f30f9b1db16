"""Who may use the bot where Discord applies no server permission: in a DM.

Members of a served guild and people the role settings list by user id may; anyone else (a public
bot can be DMed by any Discord user) gets one line and nothing else. Roles of someone no event
describes (a DM's author, the admin an audit row names) are looked up in the served guilds here
too (GET /guilds/{guild}/members/{user}: no privileged intent needed).
"""
from __future__ import annotations

import time

import discord

from adapters.discord.requests import user_of
from core.chatops import ChatOps

# A DM from outside the served guilds is refused without a REST lookup for this long after the last
# one, so a stranger's flood of DMs costs one member lookup a minute.
OUTSIDER_TTL_S = 60.0
OUTSIDER_REFUSAL = "This bot only answers members of the server it serves."


class Members:
    def __init__(self, client: discord.Client, chatops: ChatOps, guild: discord.abc.Snowflake | None) -> None:
        self.client = client
        self.chatops = chatops
        self.guild = guild  # the configured guild; None: every guild the bot is in
        self.outsiders: dict[int, float] = {}  # user id → when the refusal stops being cached

    def served_guilds(self) -> list[discord.Guild]:
        """The guilds whose roles count: the configured one, or every guild the bot is in."""
        return [g for g in self.client.guilds if self.guild is None or g.id == self.guild.id]

    async def roles_in_guilds(self, user_id: int) -> frozenset[str]:
        """Roles of a member no event describes (a DM's author, the admin an audit row names), looked
        up in the served guilds so role-based admins work."""
        return await self.membership(user_id) or frozenset()

    async def membership(self, user_id: int) -> frozenset[str] | None:
        """The user's roles across the served guilds, None when they are a member of none. A
        lookup Discord fails counts as not found in that guild: the caller refuses rather than
        guesses."""
        roles: set[str] = set()
        found = False
        for guild in self.served_guilds():
            member = guild.get_member(user_id)
            if member is None:
                try:
                    member = await guild.fetch_member(user_id)
                except discord.HTTPException:
                    continue
            found = True
            roles |= {str(r.id) for r in member.roles if not r.is_default()}
        return frozenset(roles) if found else None

    async def dm_roles(self, author: discord.User | discord.Member) -> frozenset[str] | None:
        """The roles of someone writing from a DM, or None when they may not use the bot. Only the
        refusal is cached: a role taken away still counts at once."""
        now = time.monotonic()
        if self.outsiders.get(author.id, 0.0) > now:
            return None
        roles = await self.membership(author.id)
        if roles is None and self.chatops.policy.names(user_of(author)):
            roles = frozenset()
        if roles is None:
            self.outsiders = {u: t for u, t in self.outsiders.items() if t > now}
            self.outsiders[author.id] = now + OUTSIDER_TTL_S
        return roles

    async def admit_command(self, interaction: discord.Interaction) -> bool:
        """The command tree's check: a slash command or autocomplete from a DM (a global command is
        offered there) passes the same membership test as a DM message."""
        if interaction.guild_id is not None or await self.dm_roles(interaction.user) is not None:
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            await interaction.response.autocomplete([])
        else:
            await interaction.response.send_message(OUTSIDER_REFUSAL, ephemeral=True)
        return False
