"""Core's `User` and `Place` from what discord.py describes."""
from __future__ import annotations

import discord

from core.requests import Place, PlaceKind, User


def user_of(author: discord.User | discord.Member, extra_roles: frozenset[str] = frozenset()) -> User:
    """Role ids fill `User.groups`, so `discord:<role id>` in the role settings matches members."""
    roles = frozenset(str(r.id) for r in getattr(author, "roles", []) if not r.is_default())
    return User("discord", str(author.id), author.display_name, roles | extra_roles)


def place_of(channel_id: int | None, in_guild: bool) -> Place:
    return Place(PlaceKind.CHANNEL if in_guild else PlaceKind.DM, str(channel_id or ""))
