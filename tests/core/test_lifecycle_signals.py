"""Stuck cooldowns and failover onto another kind of credential, read from status snapshots."""
from __future__ import annotations

from core.alerts.observe import observe
from core.gateway.signals import kind_failovers, stuck_cooldowns
from core.gateway.status import parse_status

NOW = 1_795_485_000_000


def snapshot(unusable: list[dict], order=("anthropic:default", "anthropic:api")):
    doc = {"auth": {
        "providers": [{"provider": "anthropic", "profiles": {"labels": [
            "anthropic:default=token:ref(exec:anthropic/main/anthropic:default#v1)",
            "anthropic:api=ref(exec:anthropic/main/anthropic:api#v1)"]}}],
        "unusableProfiles": unusable,
        "oauth": {"profiles": [{"profileId": "anthropic:default", "type": "token"},
                               {"profileId": "anthropic:api", "type": "api_key"}],
                  "providers": [{"provider": "anthropic", "effectiveProfiles": [{"profileId": p} for p in order]}]}}}
    return parse_status(doc, "main", NOW)


def cooldown(profile: str, until: int) -> dict:
    return {"profileId": profile, "provider": "anthropic", "kind": "cooldown", "reason": "rate_limit", "until": until}


def test_an_entry_listed_well_after_its_until_is_stuck():
    assert stuck_cooldowns(snapshot([cooldown("anthropic:api", NOW + 5_000)])) == []
    assert stuck_cooldowns(snapshot([cooldown("anthropic:api", NOW - 2_000)])) == []  # passed during the call
    [stuck] = stuck_cooldowns(snapshot([cooldown("anthropic:api", NOW - 60_000)]))
    assert stuck["profile"] == "anthropic:api" and "add another Anthropic profile or wait" in stuck["hint"]


def test_failover_from_the_subscription_token_onto_a_paid_key():
    assert kind_failovers(snapshot([]), NOW) == []
    [failover] = kind_failovers(snapshot([cooldown("anthropic:default", NOW + 30_000)]), NOW)
    assert failover["profiles"] == ["anthropic:default", "anthropic:api"]
    assert "API key (billed per token)" in failover["message"]
    # Same kind behind the first profile: no alert; the whole provider down: exhaustion, not failover.
    assert kind_failovers(snapshot([cooldown("anthropic:api", NOW + 30_000)]), NOW) == []
    both = [cooldown("anthropic:default", NOW + 30_000), cooldown("anthropic:api", NOW + 30_000)]
    assert kind_failovers(snapshot(both), NOW) == []


def test_both_signals_become_incidents():
    snap = snapshot([cooldown("anthropic:default", NOW + 30_000)])
    problems = observe({"main": snap}, NOW, default_agent="main", expiry_lead_ms=7 * 86_400_000).problems
    assert "failover:main/anthropic" in problems and "profile:main/anthropic:default" in problems
