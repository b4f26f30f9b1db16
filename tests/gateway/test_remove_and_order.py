"""`remove` and `order` against the real CLI: an inherited profile is never removed through the
agent that only reads it (OpenClaw's logout would delete it from its owner), an own profile is
removed together with its vault record, and an order override lands in OpenClaw (given only
profile ids, for the default agent)."""
from __future__ import annotations

import pytest

from core.secrets.credentials import classify
from tests.harness import BotHarness

pytestmark = pytest.mark.any_runner

MAIN_KEY = "sk-ant-api03-" + "RemoveMain" * 9
OPS_KEY = "sk-ant-api03-" + "RemoveOps_" * 9


def test_remove_refuses_inherited_removes_own_and_order_is_set(bot: BotHarness):
    writer = bot.chatops.writer
    assert writer.write("main", "anthropic:api", classify(MAIN_KEY), actor="test").verified
    assert writer.write("ops", "anthropic:ops", classify(OPS_KEY), actor="test").verified

    [refused] = bot.console("remove anthropic:api ops")
    assert refused["failed"] and refused["title"] == "Refused: inherited profile"
    assert "belongs to agent `main`" in refused["text"] and "remove anthropic:api main" in refused["text"]

    [removed] = bot.console("remove anthropic:ops ops")
    assert not removed["failed"], removed
    ops_labels = bot.oc_json("models", "status", "--json", "--agent", "ops")["auth"]["providers"][0]["profiles"]["labels"]
    assert not any(label.startswith("anthropic:ops=") for label in ops_labels)
    assert any(label.startswith("anthropic:api=") for label in ops_labels)  # main's, still read through
    assert bot.parts.vault.versions("anthropic/ops/anthropic:ops") == []
    assert [r.action for r in bot.parts.store.audit_rows(1)] == ["remove"]

    [ordered] = bot.console("order anthropic:api")  # no agent named: the default agent, main
    assert not ordered["failed"], ordered
    got = bot.oc_json("models", "auth", "order", "get", "--agent", "main", "--provider", "anthropic", "--json")
    assert got["order"] == ["anthropic:api"]
    for key in (MAIN_KEY, OPS_KEY):
        assert bot.leaks(key) == []
