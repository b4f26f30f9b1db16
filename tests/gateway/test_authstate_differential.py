"""The store reader against the real CLI: for states OpenClaw itself made, the reader's view must
equal what `openclaw models status --json` reports (unusable profiles with kind, reason, until and
hint; labels; expiry; effective order; store path; the parsed snapshot the handlers use).

States are built once per session by tests/gateway/authstates.py (OpenClaw's own commands and real
`agent --local` turns against the loopback fake Anthropic) and copied per test, as tests/harness.py
does for the prepared home.
A property test writes generated `usageStats` into a copy of a real store and compares on a few
examples (each CLI call costs ~3 s). Run this module whenever OpenClaw's pinned release changes.
"""
from __future__ import annotations

import io
import json
import re
import sqlite3
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.console.notifier import ConsoleNotifier
from core.alerts.outbox import Destination
from core.gateway.authstate import AuthStateReader, AuthStateUnsupported, read_agent_store
from core.gateway.config import GatewayConfig
from core.gateway.status import now_ms, parse_status
from tests.harness import copy_home, make_bot, run_oc

pytestmark = pytest.mark.xdist_group("authstate")
_SUFFIX = re.compile(r"\s+\[(?P<note>[^\]]*)\]$")


def cli_status(oc_bin: str, home: Path, agent: str) -> dict:
    result = run_oc(oc_bin, home, "models", "status", "--json", "--agent", agent)
    assert result.returncode == 0, result.stderr[-1000:]
    return json.loads(result.stdout[result.stdout.index("{"):])


def reader_view(home: Path, agent: str):
    state = home / ".openclaw"
    return AuthStateReader(state).view(agent, GatewayConfig.load(state / "openclaw.json"))


def assert_agrees(oc_bin: str, home: Path, agent: str) -> dict:
    """Compare every field the bot shows with the CLI; returns the CLI document."""
    doc = cli_status(oc_bin, home, agent)
    now = now_ms()
    view = reader_view(home, agent)
    auth = doc["auth"]
    # unusable profiles (cooldown/disabled), only while until > now, soonest first
    want = [(u["profileId"], u.get("provider", ""), u["kind"], u.get("reason", ""), u["until"], u["recoveryHint"])
            for u in auth["unusableProfiles"]]
    got = [(u.profile_id, u.provider, u.kind, u.reason, u.until, u.recovery_hint) for u in view.unusable(now)]
    assert got == want
    # labels, without the time-rounded "[cooldown 1m]" but with its kind
    for prov in auth["providers"]:
        labels = prov["profiles"]["labels"]
        live = {u.profile_id: u for u in view.unusable(now)}
        assert [_SUFFIX.sub("", lab) for lab in labels] == [view.label(p, now) for p in view.profile_ids(prov["provider"])]
        for lab in labels:
            pid = lab.split("=", 1)[0]
            note = _SUFFIX.search(lab)
            assert (note.group("note").split()[0] if note else None) == (
                (f"disabled:{live[pid].reason}" if live[pid].kind == "disabled" else "cooldown") if pid in live else None)
    # expiry and effective order
    snap = view.snapshot(now)
    for prof in auth["oauth"]["profiles"]:
        mine = snap.profile(prof["profileId"])
        assert (mine.status, mine.expires_at) == (prof["status"], prof.get("expiresAt"))
    for prov in auth["oauth"]["providers"]:
        mine = next(p for p in snap.providers if p.provider == prov["provider"])
        assert list(mine.effective_order) == [p["profileId"] for p in prov["effectiveProfiles"]]
    assert snap.store_path == auth["storePath"]
    # the parsed snapshot the handlers use
    parsed = parse_status(doc, agent, now)

    # The CLI also counts a provider as missing when its only usable profile is an exec-ref API key
    # (status does not resolve exec refs) or its token expired; the reader says "missing" only when
    # no profile and no provider key exists, so it never cries wolf over the bot's own refs.
    assert set(snap.missing_providers) <= set(parsed.missing_providers)

    def shape(s):
        return (s.default_model, s.fallbacks,
                [(p.id, p.provider, p.type, p.source, p.ref_id, p.status, p.expires_at) for p in s.profiles()],
                [(p.provider, p.effective_order) for p in s.providers],
                [(u.profile_id, u.provider, u.kind, u.reason, u.until, u.recovery_hint) for u in s.live_unusable(now)])
    assert shape(snap) == shape(parsed)
    return doc


def test_cooldown_disabled_and_inherited_rows_agree_with_the_cli(oc_bin, states, tmp_path):
    home = copy_home(states["turns"], tmp_path / "home")
    main = assert_agrees(oc_bin, home, "main")
    ops = assert_agrees(oc_bin, home, "ops")
    kinds = {(u["profileId"], u["kind"], u["reason"]) for u in main["auth"]["unusableProfiles"]}
    assert ("anthropic:api", "cooldown", "auth") in kinds or time.time() * 1000 > _auth_until(home)  # the 401
    assert ("anthropic:ops", "disabled") in {(u["profileId"], u["kind"]) for u in ops["auth"]["unusableProfiles"]}
    view = reader_view(home, "ops")
    assert {p.id: p.local for p in view.snapshot(now_ms()).profiles()} == {"anthropic:ops": True, "anthropic:api": False}
    counts = {p.id: (p.error_count, p.failure_counts) for p in view.snapshot(now_ms()).profiles()}
    assert counts["anthropic:ops"] == (1, (("billing", 1),))


def test_paste_token_expiry_refs_and_order_set_agree(oc_bin, states, tmp_path):
    base = assert_agrees(oc_bin, copy_home(states["base"], tmp_path / "base"), "main")
    assert any(p["status"] == "ok" and p.get("expiresAt") for p in base["auth"]["oauth"]["profiles"])
    ordered = assert_agrees(oc_bin, copy_home(states["ordered"], tmp_path / "ordered"), "main")
    assert [p["profileId"] for p in ordered["auth"]["oauth"]["providers"][0]["effectiveProfiles"]][0] == "anthropic:api"
    assert_agrees(oc_bin, copy_home(states["ordered"], tmp_path / "ordered-ops"), "ops")


def test_placeholder_mid_write_and_expired_token_agree(oc_bin, states, tmp_path):
    home = copy_home(states["placeholder"], tmp_path / "home")
    time.sleep(max(0.0, 1.5 - (time.time() - home.stat().st_mtime)))  # the 1 s expiry has passed
    doc = assert_agrees(oc_bin, home, "main")
    assert {p["profileId"]: p["status"] for p in doc["auth"]["oauth"]["profiles"]}["anthropic:default"] == "expired"


def test_shared_store_profile_agrees(oc_bin, states, tmp_path):
    doc = assert_agrees(oc_bin, copy_home(states["shared"], tmp_path / "home"), "main")
    assert doc["auth"]["storePath"].endswith("state/openclaw.sqlite")


def test_recovery_once_until_passed_agrees(oc_bin, states, tmp_path):
    """The 401 cooldowns last 30 s: once `until` passed, the rows still hold them but nothing is unusable."""
    home = copy_home(states["turns"], tmp_path / "home")
    time.sleep(max(0.0, (_auth_until(home) - now_ms()) / 1000 + 0.5))
    doc = assert_agrees(oc_bin, home, "main")
    assert not [u for u in doc["auth"]["unusableProfiles"] if u["reason"] == "auth"]


def _auth_until(home: Path) -> int:
    stats = read_agent_store(home / ".openclaw/agents/main/agent/openclaw-agent.sqlite").state["usageStats"]
    return max(s.get("cooldownUntil", 0) for s in stats.values() if s.get("cooldownReason") == "auth")


def test_unknown_release_is_refused(states, tmp_path):
    home = copy_home(states["base"], tmp_path / "home")
    db = home / ".openclaw/agents/main/agent/openclaw-agent.sqlite"
    with sqlite3.connect(db) as conn:  # a copy: pretend a newer OpenClaw wrote it
        conn.execute("UPDATE schema_meta SET app_version='2026.10.1' WHERE meta_key='primary'")
    with pytest.raises(AuthStateUnsupported, match="2026.9.x"):
        reader_view(home, "main")


# -- property test: generated usageStats in a copy of a real store ---------------------------------

REASONS = st.sampled_from(["auth", "rate_limit", "billing", "overloaded", "timeout", "auth_permanent", "unknown"])
OFFSET = st.integers(-120_000, 3_600_000)  # ms from now: some windows already over


@st.composite
def usage(draw):
    stats: dict = {}
    if draw(st.booleans()):
        stats["cooldownUntil"] = draw(OFFSET)
        stats["cooldownReason"] = draw(REASONS)
        if draw(st.booleans()):
            stats["cooldownModel"] = "claude-opus-4-6"
    if draw(st.booleans()):
        stats["disabledUntil"] = draw(OFFSET)
        stats["disabledReason"] = draw(st.sampled_from(["billing", "auth_permanent"]))
    if draw(st.booleans()):
        stats.update(blockedUntil=draw(OFFSET), blockedReason="subscription_limit", blockedScope="model",
                     blockedModel="claude-opus-4-6")
    if draw(st.booleans()):
        stats["lastUsed"] = -draw(st.integers(1, 600_000))
    stats["errorCount"] = draw(st.integers(0, 3))
    return stats


@pytest.fixture(scope="module")
def property_home(states, tmp_path_factory) -> Path:
    return copy_home(states["base"], tmp_path_factory.mktemp("prop") / "home")


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(main=st.dictionaries(st.sampled_from(["anthropic:default", "anthropic:api"]), usage(), max_size=2),
       ops=st.dictionaries(st.sampled_from(["anthropic:ops"]), usage(), max_size=1))
def test_generated_usage_stats_agree_with_the_cli(oc_bin, property_home, main, ops):
    now = now_ms()
    for agent, generated in (("main", main), ("ops", ops)):
        absolute = {pid: {k: (now + v if k in ("cooldownUntil", "disabledUntil", "blockedUntil", "lastUsed") else v)
                          for k, v in s.items()} for pid, s in generated.items()}
        db = property_home / f".openclaw/agents/{agent}/agent/openclaw-agent.sqlite"
        with sqlite3.connect(db) as conn:  # a copy of a real store; never OpenClaw's live files
            conn.execute("INSERT OR REPLACE INTO auth_profile_state (state_key, state_json, updated_at) VALUES ('primary', ?, ?)",
                         (json.dumps({"version": 1, "usageStats": absolute}), now))
    assert_agrees(oc_bin, property_home, "ops")


# -- the watcher's change detection on meaning ---------------------------------------------------------

def _rewrite_state(db: Path, change) -> None:
    with sqlite3.connect(db) as conn:  # a copy of a real store, written the way OpenClaw writes the row
        row = conn.execute("SELECT state_json FROM auth_profile_state WHERE state_key='primary'").fetchone()
        state = json.loads(row[0]) if row else {"version": 1}
        change(state.setdefault("usageStats", {}).setdefault("anthropic:api", {}), state)
        conn.execute("INSERT OR REPLACE INTO auth_profile_state (state_key, state_json, updated_at) VALUES ('primary', ?, ?)",
                     (json.dumps(state), now_ms()))


def test_watcher_ignores_a_successful_turn_and_sees_a_cooldown_in_one_poll(oc_bin, states, tmp_path):
    home = copy_home(states["base"], tmp_path / "home")
    bot = make_bot(oc_bin, home, tmp_path / "chatops")
    gateway, watcher = bot.parts.gateway, bot.parts.watcher
    bot.parts.add_notifier("console", ConsoleNotifier(io.StringIO(), json_mode=True))
    bot.parts.alerts.set_destination(Destination("console", "console"))
    calls: list[tuple] = []
    run = gateway.runner.run
    gateway.runner.run = lambda *a, **k: calls.append(a) or run(*a, **k)
    assert watcher.tick(force=True)
    before = gateway.auth_digest()
    db = home / ".openclaw/agents/main/agent/openclaw-agent.sqlite"
    _rewrite_state(db, lambda s, st: (s.update(lastUsed=now_ms(), lastProbeAt=now_ms(), errorCount=0),
                                      st.setdefault("lastGood", {}).update(anthropic="anthropic:api")))
    settled = gateway.auth_digest()
    assert settled == before
    watcher._deadline_ms = None
    assert not watcher.tick()  # a plain success: a few SQL reads, no snapshot
    assert calls == []
    _rewrite_state(db, lambda s, st: s.update(cooldownUntil=now_ms() + 30_000, cooldownReason="auth", errorCount=1,
                                              failureCounts={"auth": 1}, lastFailureAt=now_ms()))
    assert gateway.auth_digest() != settled
    assert watcher.tick()  # seen on the next poll
    assert calls == []  # and still no CLI call
    assert any(i.key.endswith("anthropic:api") for i in bot.parts.alerts.open_incidents())
    bot.parts.store.close()


def test_a_kept_connection_sees_openclaws_own_next_write(oc_bin, states, tmp_path):
    """The reader keeps one connection per store: a write OpenClaw commits after that connection
    was opened must be what the next read returns."""
    home = copy_home(states["base"], tmp_path / "home")
    reader, config = AuthStateReader(home / ".openclaw"), GatewayConfig.load(home / ".openclaw/openclaw.json")
    first = reader.view("main", config)
    wanted = first.profile_ids("anthropic")[::-1]
    assert len(wanted) == 2 and first.explicit_order("anthropic") != wanted
    result = run_oc(oc_bin, home, "models", "auth", "order", "set", "--agent", "main", "--provider", "anthropic", *wanted)
    assert result.returncode == 0, result.stderr[-1000:]
    assert reader.view("main", config).explicit_order("anthropic") == wanted
