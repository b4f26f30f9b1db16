"""Roles and who holds them.

Platform defaults (Discord `default_member_permissions`, Slack workspace settings) can be changed by
workspace admins, so every command is checked again here against the bot's own settings.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum

from core.requests import User

__all__ = ["HubAssertedPolicy", "Policy", "Role"]


class Role(IntEnum):
    NOBODY = 0
    VIEWER = 1
    OPERATOR = 2
    ADMIN = 3

    @staticmethod
    def parse(text: str) -> Role:
        try:
            return Role[text.strip().upper()]
        except KeyError as exc:
            raise ValueError(f"unknown role {text!r}: use viewer, operator, admin or nobody") from exc

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Policy:
    """Ids are `<platform>:<id>` for users, user groups (Slack `S…`) and roles (Discord)."""

    admins: frozenset[str] = field(default_factory=frozenset)
    operators: frozenset[str] = field(default_factory=frozenset)
    viewers: frozenset[str] = field(default_factory=frozenset)
    default_role: Role = Role.VIEWER

    def role_of(self, user: User) -> Role:
        if user.platform == "console":
            return Role.ADMIN  # the console user is the host's operator, already past SSH
        keys = {user.key} | {f"{user.platform}:{g}" for g in user.groups}
        for role, members in ((Role.ADMIN, self.admins), (Role.OPERATOR, self.operators), (Role.VIEWER, self.viewers)):
            if keys & members:
                return role
        return self.default_role

    def judged_elsewhere(self, user: User) -> bool:
        """Whether this policy cannot tell `user`'s role because another process decides it (a
        fleet host, for someone the hub did not vouch for in this request). Never here."""
        return False

    def names(self, user: User) -> bool:
        """Whether a role setting lists this user by their own id (not through a group): a platform
        that admits only known people (Discord DMs) lets these in even from outside its servers."""
        return user.key in self.admins | self.operators | self.viewers


HUB_ROLE_MARK = "@hub-role:"  # see core.fleet.wire.ROLE_MARK: the group a hub's verdict travels as


@dataclass(frozen=True)
class HubAssertedPolicy(Policy):
    """A gateway host behind a hub: the hub knows the chat platform's people and groups, and only
    it may publish on the host's command subject, so the host takes the role the hub decided.
    A request without the hub's marker gets the default role (`viewer` unless set otherwise)."""

    def role_of(self, user: User) -> Role:
        if user.platform == "console":
            return Role.ADMIN
        for group in user.groups:
            if group.startswith(HUB_ROLE_MARK):
                try:
                    return Role.parse(group.removeprefix(HUB_ROLE_MARK))
                except ValueError:
                    return Role.NOBODY
        return self.default_role

    def judged_elsewhere(self, user: User) -> bool:
        """Someone known here only by id (the admin an audit row names): the hub checks their role
        when they act, so a host may offer them a rotation without knowing it."""
        return user.platform != "console" and not any(g.startswith(HUB_ROLE_MARK) for g in user.groups)
