"""Who is asking: a Slack user id plus the user groups they belong to.

Roles may be granted to Slack user groups (`slack:S…` in the role settings), but Slack payloads
carry only the user id. Looking groups up costs one `usergroups.list` call (scope
`usergroups:read`), so the answer is cached for a few minutes, and the call is skipped entirely
when no role setting names a group. The trade-off: a membership change takes up to the cache
lifetime to count, in both directions.

When `usergroups.list` fails, the last known memberships stay in use (a Slack hiccup must not
demote an admin), but only for `max_stale_s` after the last successful refresh: past that, group-
granted roles lapse until a refresh succeeds, since someone removed from the admin group in the
meantime would otherwise stay admin for as long as the calls keep failing. Roles granted to a
user id directly do not depend on this call and keep working.
"""
from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from core.requests import User

log = logging.getLogger(__name__)

DEFAULT_MAX_STALE_S = 1800.0  # SLACK_GROUPS_MAX_STALE: how long failed refreshes keep group roles


def group_ids_in(role_ids: Iterable[str]) -> bool:
    """True when any role setting names a Slack user group (ids start with S)."""
    return any(i.startswith("slack:S") for i in role_ids)


class Directory:
    """The Slack side of `core.requests.Directory`."""

    def __init__(self, client: WebClient, *, groups_wanted: bool, ttl_s: float = 300.0,
                 max_stale_s: float = DEFAULT_MAX_STALE_S, clock: Callable[[], float] = time.monotonic):
        self.client = client
        self.groups_wanted = groups_wanted
        self.ttl_s = ttl_s
        self.max_stale_s = max_stale_s
        self._clock = clock
        self._lock = threading.Lock()
        self._members: dict[str, frozenset[str]] = {}
        self._fetched_at = float("-inf")  # last attempt, successful or not: failures retry every ttl_s
        self._refreshed_at = float("-inf")  # last successful refresh

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
            if self._clock() - self._fetched_at > self.ttl_s:
                self._refresh()
            if self._clock() - self._refreshed_at > self.max_stale_s:
                return {}
            return self._members

    def _refresh(self) -> None:
        """On failure keep the last known memberships, until they are `max_stale_s` old."""
        try:
            response = self.client.usergroups_list(include_users=True)
        except SlackApiError as exc:
            now = self._clock()
            lapsed = now - self._refreshed_at > self.max_stale_s
            log.warning("usergroups.list failed (%s); %s", exc.response.get("error", "unknown error"),
                        "group-granted roles are suspended until it succeeds" if lapsed else
                        "group-granted roles use the last known memberships for now")
            self._fetched_at = now
            return
        members: dict[str, set[str]] = {}
        groups: list[dict[str, Any]] = response.get("usergroups", [])
        for group in groups:
            for user_id in group.get("users", []) or []:
                members.setdefault(user_id, set()).add(group["id"])
        self._members = {u: frozenset(g) for u, g in members.items()}
        self._fetched_at = self._refreshed_at = self._clock()
