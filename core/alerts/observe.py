"""What is wrong right now, reduced to plain data that can be persisted and compared.

Cooldowns on inherited profiles live in the owning agent's store but show in every inheriting
agent's status; they are keyed by owner and profile so one incident lists all affected agents.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from core.gateway.signals import STUCK_GRACE_MS, kind_failovers, stuck_cooldowns
from core.gateway.status import AgentStatus

__all__ = ["Observation", "observe"]


@dataclass
class Observation:
    """Problems keyed by incident key; each value is the detail an alert shows."""

    problems: dict[str, dict[str, Any]] = field(default_factory=dict)
    deadlines: list[int] = field(default_factory=list)  # epoch ms when the picture changes by itself

    def next_deadline(self) -> int | None:
        return min(self.deadlines) if self.deadlines else None


DAY_MS = 86_400_000


def observe(statuses: dict[str, AgentStatus], now_ms: int, *, default_agent: str, expiry_lead_ms: int) -> Observation:
    obs = Observation()
    for agent, snap in statuses.items():
        for u in snap.live_unusable(now_ms):
            profile = snap.profile(u.profile_id)
            owner = agent if profile is None or profile.local else default_agent
            key = f"profile:{owner}/{u.profile_id}"
            entry = obs.problems.setdefault(key, {
                "kind": u.kind, "owner": owner, "profile": u.profile_id, "provider": u.provider,
                "reason": u.reason, "classification": u.classification, "until": u.until,
                "hint": u.recovery_hint, "agents": [],
            })
            entry["agents"] = sorted({*entry["agents"], agent})
            obs.deadlines.extend((u.until, u.until + STUCK_GRACE_MS + 1000))  # recovered, or stuck
        for provider in snap.exhausted_providers(now_ms):
            downs = [u for u in snap.live_unusable(now_ms) if u.provider in (provider, "")]
            obs.problems[f"exhausted:{agent}/{provider}"] = {
                "kind": "provider_exhausted", "agent": agent, "provider": provider,
                "profiles": sorted(u.profile_id for u in downs),
                "until": min((u.until for u in downs), default=now_ms),
            }
        for stuck in stuck_cooldowns(snap):
            obs.problems[f"stuck:{agent}/{stuck['profile']}"] = stuck
        for failover in kind_failovers(snap, now_ms):
            obs.problems[f"failover:{agent}/{failover['provider']}"] = failover
        for profile in snap.profiles():
            if not profile.expires_at or not profile.local and agent != default_agent:
                continue
            left = profile.expires_at - now_ms
            stage = "expired" if left <= 0 else "24h" if left <= DAY_MS else "lead" if left <= expiry_lead_ms else None
            for threshold in (profile.expires_at - expiry_lead_ms, profile.expires_at - DAY_MS, profile.expires_at):
                if threshold > now_ms:
                    obs.deadlines.append(threshold)
            if stage:
                owner = agent if profile.local else default_agent
                obs.problems[f"expiry:{owner}/{profile.id}"] = {
                    "kind": "expired" if stage == "expired" else "expiring", "stage": stage, "owner": owner,
                    "profile": profile.id, "expires_at": profile.expires_at,
                }
    return obs
