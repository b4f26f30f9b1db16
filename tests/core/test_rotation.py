"""Rotation and rollback against the real OpenClaw CLI: the gateway always holds a ref that
resolves, the old version is restorable inside the window and gone after it."""
from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import pytest

from core.gateway.plans import Plan, ProfileTarget
from tests.harness import BotHarness

pytestmark = pytest.mark.any_runner

OLD = "sk-ant-oat01-" + "RotOldTok3n_" * 8
NEW = "sk-ant-oat01-" + "RotNewTok3n_" * 8
NEWER = "sk-ant-oat01-" + "RotNewerT0k_" * 8
PROFILE = "anthropic:default"
RECORD = "anthropic/main/anthropic:default"


def expiry_ms(bot: BotHarness) -> int:
    doc = bot.oc_json("models", "status", "--json", "--agent", "main")
    return next(p for p in doc["auth"]["oauth"]["profiles"] if p["profileId"] == PROFILE)["expiresAt"]


def test_rotate_then_rollback_then_the_window_purges_the_old_version(bot: BotHarness, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    assert "stored for agent main" in bot.console("paste-token main --expires-in 30d", OLD)[-1]["title"]
    expires = expiry_ms(bot)

    replies = bot.console("rotate anthropic:default main", NEW)
    assert replies[0]["prompt"]["kind"] == "secret" and "Rotating `anthropic:default`" in replies[0]["text"]
    assert replies[-1]["title"] == "Claude setup-token rotated for agent main, profile anthropic:default", replies[-1]
    audit = bot.oc_json("secrets", "audit", "--allow-exec", "--json")
    assert audit["status"] == "clean", audit["findings"]
    ref = bot.held_ref(PROFILE)
    assert ref == f"{RECORD}#v2" and bot.resolve(ref) == NEW
    assert expiry_ms(bot) == expires  # a plan on the same profile keeps OpenClaw's `expires`
    assert [v.version for v in bot.parts.vault.versions(RECORD)] == [1, 2]  # the old one is kept

    [rolled] = bot.console("rollback anthropic:default main")
    assert rolled["title"] == "anthropic:default of agent main rolled back to v1", rolled
    assert bot.held_ref(PROFILE) == f"{RECORD}#v1" and bot.resolve(f"{RECORD}#v1") == OLD
    assert bot.console("rollback anthropic:default main")[-1]["failed"]  # nothing older than v1

    rows = bot.parts.store.audit_rows(10)
    assert [(r.action, r.result) for r in rows[:3]] == [("rollback", "rolled-back"), ("rotate", "rotated"), ("onboard", "stored")]
    assert all(r.fingerprint.startswith("…") for r in rows[:3])

    # The window passes (tiny for the test): the next watcher tick purges v2 from the vault file.
    bot.chatops.deps.housekeeping.rollback_window_s = 0.001
    bot.parts.watcher.tick()
    assert [v.version for v in bot.parts.vault.versions(RECORD)] == [1]
    vault_text = bot.parts.settings.vault_path.read_text()
    assert '"2"' not in json.loads(vault_text)["records"][RECORD]["versions"]
    assert bot.parts.store.audit_rows(1)[0].action == "purge"

    for secret in (OLD, NEW):
        assert secret not in caplog.text and secret not in json.dumps(replies + [rolled])
        assert secret not in repr(bot.parts.store.audit_rows(50))
        assert bot.leaks(secret, Path("/tmp/openclaw")) == []


def test_an_interrupted_rotation_keeps_the_old_secret_and_the_next_attempt_completes(bot: BotHarness):
    assert "stored for agent main" in bot.console("paste-token main", OLD)[-1]["title"]
    gateway = bot.parts.gateway
    good = gateway.provider
    # The plan fails after the vault write (the resolver cannot be found for this one apply).
    gateway.provider = dataclasses.replace(good, command=str(bot.state_dir / "no-such-resolver"))
    failed = bot.console("rotate anthropic:default main", NEW)[-1]
    assert failed["failed"] and failed["title"] == "Not stored", failed
    gateway.provider = good
    assert bot.held_ref(PROFILE) == f"{RECORD}#v1" and bot.resolve(f"{RECORD}#v1") == OLD
    assert [v.version for v in bot.parts.vault.versions(RECORD)] == [1]

    done = bot.console("rotate anthropic:default main", NEWER)[-1]
    assert done["title"] == "Claude setup-token rotated for agent main, profile anthropic:default", done
    ref = bot.held_ref(PROFILE)
    assert ref.startswith(RECORD + "#v") and bot.resolve(ref) == NEWER
    assert bot.oc_json("secrets", "audit", "--allow-exec", "--json")["status"] == "clean"


def test_a_write_killed_after_its_plan_is_finished_by_housekeeping_as_openclaw_decided(bot: BotHarness):
    """The writer died between `secrets apply` and `set_current` (v2 pending, OpenClaw on #v2), and
    another died before its plan (v3 pending, OpenClaw never saw it). The next housekeeping asks
    OpenClaw, makes v2 current and drops v3; with the window long past, nothing OpenClaw uses goes."""
    assert "stored for agent main" in bot.console("paste-token main", OLD)[-1]["title"]
    vault, gateway = bot.parts.vault, bot.parts.gateway
    taken = vault.put(RECORD, NEW, kind="setup-token", created_by="test", make_current=False)
    gateway.apply_plan(Plan(gateway.provider, [ProfileTarget("main", PROFILE, "token", taken.ref)]))
    vault.put(RECORD, NEWER, kind="setup-token", created_by="test", make_current=False)
    assert bot.held_ref(PROFILE) == taken.ref
    bot.chatops.deps.housekeeping.rollback_window_s = 0.001
    bot.parts.watcher.tick(force=True)  # housekeeping
    assert [(v.version, v.current, v.pending) for v in vault.versions(RECORD)] == [(2, True, False)], vault.versions(RECORD)
    assert bot.resolve(bot.held_ref(PROFILE)) == NEW
    rows = [(r.action, r.result) for r in bot.parts.store.audit_rows(3)]
    assert ("recover", "made-current") in rows and ("recover", "discarded") in rows and ("purge", "purged") in rows
