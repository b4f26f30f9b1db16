"""Group-granted roles when Slack's `usergroups.list` keeps failing: real WebClient, fake Slack."""
from __future__ import annotations

from pathlib import Path

import pytest
from slack_sdk import WebClient

from adapters.slack.config import groups_max_stale
from adapters.slack.identity import Directory
from bot.settings import Settings
from core.access import Policy, Role
from core.adapter import ConfigError
from tests.fakes.slack import FakeSlack


def test_group_roles_lapse_after_failing_refreshes_and_direct_ones_stay(fake_slack: FakeSlack) -> None:
    """Last known memberships bridge a short outage, not a long one: someone removed from the
    admin group meanwhile must not stay admin for as long as the calls fail."""
    fake_slack.usergroups = [{"id": "SADMINS", "users": ["UGROUPIE", "UDIRECT"]}]
    now = [1000.0]
    directory = Directory(WebClient(token="xoxb-fake", base_url=fake_slack.api_url), groups_wanted=True,
                          ttl_s=60, max_stale_s=600, clock=lambda: now[0])
    policy = Policy(admins=frozenset({"slack:SADMINS", "slack:UDIRECT"}), default_role=Role.VIEWER)

    def role(user_id: str) -> Role:
        return policy.role_of(directory.user(user_id))

    assert role("UGROUPIE") is Role.ADMIN
    fake_slack.failing["usergroups.list"] = "internal_error"
    now[0] += 500  # failing for a while, still within the bound: the last known memberships hold
    assert role("UGROUPIE") is Role.ADMIN
    now[0] += 200  # 700 s since the last success
    assert role("UGROUPIE") is Role.VIEWER
    assert directory.people("SADMINS") == []
    assert role("UDIRECT") is Role.ADMIN  # listed by id: no group lookup needed
    assert len(fake_slack.of("usergroups.list")) == 3  # it kept trying, once per cache lifetime

    del fake_slack.failing["usergroups.list"]
    now[0] += 61
    assert role("UGROUPIE") is Role.ADMIN  # back as soon as a refresh succeeds


def test_the_bound_is_a_setting(tmp_path: Path) -> None:
    def bound(value: str | None) -> float:
        env = {"OPENCLAW_STATE_DIR": str(tmp_path), **({"SLACK_GROUPS_MAX_STALE": value} if value is not None else {})}
        return groups_max_stale(Settings.load(env=env, env_file=tmp_path / "no.env").raw)

    assert bound(None) == 1800 and bound("900") == 900 and bound("0") == 0
    for wrong in ("soon", "-5", "inf"):
        with pytest.raises(ConfigError, match="SLACK_GROUPS_MAX_STALE"):
            bound(wrong)
