"""Parsing `openclaw models status --json` (shapes observed with OpenClaw 2026.9.6)."""
from __future__ import annotations

import pytest

from core.gateway.runner import CliGarbled
from core.gateway.status import parse_status

NOW = 1_795_485_000_000
DOC = {
    "agentId": "main", "defaultModel": "anthropic/claude-opus-4-6", "resolvedDefault": "anthropic/claude-opus-4-6",
    "fallbacks": ["anthropic/claude-sonnet-4-5"],
    "auth": {
        "storePath": "/h/.openclaw/agents/main/agent/openclaw-agent.sqlite",
        "missingProvidersInUse": [],
        "providers": [{"provider": "anthropic", "effective": {"kind": "profiles"}, "profiles": {"count": 3, "labels": [
            "anthropic:default=token:ref(exec:anthropic/main/anthropic:default#v1) [cooldown 1m]",
            "anthropic:api=ref(exec:anthropic/main/anthropic:api#v2) [cooldown 1m]",
            "anthropic:manual=token:sk-ant-o...PPPPPPPP",
        ]}}],
        "unusableProfiles": [
            {"profileId": "anthropic:default", "provider": "anthropic", "kind": "cooldown", "reason": "rate_limit",
             "recoveryHint": "Wait for cooldown or switch provider.", "until": NOW + 23_923, "remainingMs": 23_923},
            {"profileId": "inline-api-key:anthropic", "kind": "cooldown", "reason": "auth", "until": NOW + 5_000},
        ],
        "oauth": {"warnAfterMs": 86_400_000, "profiles": [
            {"profileId": "anthropic:default", "type": "token", "status": "ok", "expiresAt": NOW + 10 * 86_400_000},
            {"profileId": "anthropic:api", "type": "api_key", "status": "static"},
        ], "providers": [{"provider": "anthropic", "effectiveProfiles": [
            {"profileId": "anthropic:api"}, {"profileId": "anthropic:default"}, {"profileId": "anthropic:manual"}]}]},
    },
}


def test_profiles_refs_and_expiry():
    snap = parse_status(DOC, "main", NOW)
    ids = [p.id for p in snap.profiles()]
    assert ids == ["anthropic:default", "anthropic:api", "anthropic:manual"]
    default = snap.profile("anthropic:default")
    assert default.type == "token" and default.ref_id == "anthropic/main/anthropic:default#v1"
    assert default.expires_at == NOW + 10 * 86_400_000
    assert snap.profile("anthropic:api").type == "api_key"
    manual = snap.profile("anthropic:manual")
    assert manual.ref_id == "" and "plaintext" in manual.source
    assert snap.providers[0].effective_order == ("anthropic:api", "anthropic:default", "anthropic:manual")


def test_cooldowns_count_down_from_until_and_vanish():
    snap = parse_status(DOC, "main", NOW)
    entry = snap.unusable_for("anthropic:default", NOW)
    assert entry.remaining_ms(NOW) == 23_923 and entry.remaining_ms(NOW + 20_000) == 3_923
    assert snap.unusable_for("anthropic:default", NOW + 30_000) is None


def test_entries_without_provider_are_kept():
    snap = parse_status(DOC, "main", NOW)
    synthetic = [u for u in snap.unusable if u.profile_id.startswith("inline-api-key")]
    assert synthetic and synthetic[0].provider == ""


def test_exhausted_only_when_every_profile_is_down():
    snap = parse_status(DOC, "main", NOW)
    assert snap.exhausted_providers(NOW) == []
    doc = {**DOC, "auth": {**DOC["auth"], "unusableProfiles": [
        {"profileId": p, "provider": "anthropic", "kind": "cooldown", "reason": "rate_limit", "until": NOW + 1000}
        for p in ("anthropic:default", "anthropic:api", "anthropic:manual")]}}
    assert parse_status(doc, "main", NOW).exhausted_providers(NOW) == ["anthropic"]


@pytest.mark.parametrize("doc", [None, [], {"ok": False}, {"auth": "x"}])
def test_other_shapes_are_garbled(doc):
    with pytest.raises(CliGarbled):
        parse_status(doc, "main")
