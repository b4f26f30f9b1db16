"""Who asked, and where: the platform-neutral input to every command.

Adapters build these from Slack payloads, Discord interactions or console lines. Core decides
what is allowed from the `place` (a secret is only ever accepted in a private place) and from the
`user` (roles come from `core.access`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Protocol

from core.progress import SILENT, ProgressSink

__all__ = ["Directory", "Place", "PlaceKind", "Request", "User"]


class PlaceKind(str, Enum):
    """Where a request came from; only private kinds may carry a secret."""

    CHANNEL = "channel"  # a shared channel or guild text channel: never a secret here
    DM = "dm"  # a direct message with the bot
    MODAL = "modal"  # a Slack/Discord modal submission, seen only by the bot
    CONSOLE = "console"  # the operator's own terminal on the gateway host

    @property
    def private(self) -> bool:
        return self is not PlaceKind.CHANNEL

    @property
    def takes_messages(self) -> bool:
        """Does the user's next typed message here reach the bot privately? Not on a private view
        inside a shared channel (Discord's "only you can see this", counted as MODAL): typed there,
        a credential would be posted to the channel."""
        return self in (PlaceKind.DM, PlaceKind.CONSOLE)


@dataclass(frozen=True)
class User:
    """A chat identity. `groups` are Slack user-group ids or Discord role ids."""

    platform: str
    id: str
    name: str = ""
    groups: frozenset[str] = field(default_factory=frozenset)

    @property
    def key(self) -> str:
        """Stable id across platforms, used for sessions and audit rows."""
        return f"{self.platform}:{self.id}"

    @property
    def label(self) -> str:
        return self.name or self.id


class Directory(Protocol):
    """What a platform knows about people that its payloads do not carry. Core asks when it must
    pick someone other than the requester: who should paste a rotation's replacement. Each adapter
    registers one in `Directories` under its platform name."""

    def user(self, user_id: str) -> User:
        """The user with the groups they are in (Slack user groups, Discord roles)."""
        ...

    def people(self, entry_id: str) -> list[str]:
        """The user ids a role-setting entry stands for: itself for a person, the members for a
        group, [] when the platform cannot list them."""
        ...


class Directories(dict[str, Directory]):
    """Each platform's `Directory`, by platform name; a platform without one (the console, a test)
    knows people only by id."""

    def person(self, platform: str, user_id: str) -> User:
        """A user known only by id (an audit row, a role setting), with their groups when the
        platform's directory can tell: a group-granted admin is an admin here too."""
        directory = self.get(platform)
        return directory.user(user_id) if directory else User(platform, user_id)

    def people(self, platform: str, entry_id: str) -> list[str]:
        """The user ids behind one role-setting entry (see `Directory.people`); without a
        directory the entry is taken as a person."""
        directory = self.get(platform)
        return directory.people(entry_id) if directory else [entry_id]


@dataclass(frozen=True)
class Place:
    kind: PlaceKind
    id: str = ""


@dataclass(frozen=True)
class Request:
    """One command line such as `status ops --all`, without the `/openclaw` prefix. `progress` is
    where handlers report their steps while they work (see core.progress); silent by default."""

    user: User
    place: Place
    text: str
    progress: ProgressSink = field(default=SILENT, compare=False, repr=False)
