"""Who is asking: a Slack user id plus the user groups they belong to.

Roles may be granted to Slack user groups (`slack:S…` in the role settings), but Slack payloads
carry only the user id. Looking groups up costs one `usergroups.list` call (scope
`usergroups:read`), so the answer is cached for a few minutes, and the call is skipped entirely
when no role setting names a group. The trade-off: a membership change takes up to the cache
lifetime to count, in both directions.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Iterable

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.requests import User

log = logging.getLogger(__name__)


def group_ids_in(role_ids: Iterable[str]) -> bool:
    """True when any role setting names a Slack user group (ids start with S)."""
    return any(i.startswith("slack:S") for i in role_ids)


class Directory:
    """The Slack side of `core.requests.Directory`."""

    def __init__(self, client: WebClient, *, groups_wanted: bool, ttl_s: float = 300.0):
        self.client = client
        self.groups_wanted = groups_wanted
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._members: dict[str, frozenset[str]] = {}
        self._fetched_at = float("-inf")

    def user(self, user_id: str, name: str = "") -> User:
        return User("slack", user_id, name, self.groups_of(user_id))

    def groups_of(self, user_id: str) -> frozenset[str]:
        return self._memberships().get(user_id, frozenset())

    def people(self, entry_id: str) -> list[str]:
        """A role setting's `S…` entry is a user group: its members; any other entry is a person."""
        if not entry_id.startswith("S"):
            return [entry_id]
        return sorted(user for user, groups in self._memberships().items() if entry_id in groups)

    def _memberships(self) -> dict[str, frozenset[str]]:
        if not self.groups_wanted:
            return {}
        with self._lock:
            if time.monotonic() - self._fetched_at > self.ttl_s:
                self._refresh()
            return self._members

    def _refresh(self) -> None:
        """On failure keep the last known memberships: a Slack hiccup must not demote an admin."""
        try:
            response = self.client.usergroups_list(include_users=True)
        except SlackApiError as exc:
            log.warning("usergroups.list failed (%s); group-based roles use the last known memberships",
                        exc.response.get("error", "unknown error"))
            self._fetched_at = time.monotonic()
            return
        members: dict[str, set[str]] = {}
        for group in response.get("usergroups", []):
            for user_id in group.get("users", []) or []:
                members.setdefault(user_id, set()).add(group["id"])
        self._members = {u: frozenset(g) for u, g in members.items()}
        self._fetched_at = time.monotonic()
