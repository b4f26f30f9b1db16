"""Two signals OpenClaw users miss, read from one status snapshot.

- Stuck cooldown (#3604, #70903): OpenClaw drops an `unusableProfiles` entry once its `until` has
  passed, so an entry that is still listed with `until` at or before the moment the snapshot was
  taken means the profile stays unusable after its cooldown should have ended.
- Failover onto another kind of credential (#26793): when the first profile of the effective order
  is unusable and the first *usable* one is of another type (a subscription setup-token giving way
  to a per-token-billed API key, or the reverse), requests are now paid differently. OpenClaw does
  not say which profile served a turn (docs/lifecycle.md lists what was checked), so this is read
  from the order and the unusable set alone.
"""
from __future__ import annotations

from typing import Any

from core.gateway.status import AgentStatus

__all__ = ["STUCK_GRACE_MS", "kind_failovers", "stuck_cooldowns"]

# `models status` takes ~3 s; an entry whose `until` passed during the call itself is not stuck.
STUCK_GRACE_MS = 15_000
STUCK_ADVICE = ("check `openclaw models status --json` auth.unusableProfiles; "
                "add another Anthropic profile or wait for cooldown")
KIND_LABEL = {"token": "subscription setup-token", "api_key": "API key (billed per token)"}


def stuck_cooldowns(snap: AgentStatus) -> list[dict[str, Any]]:
    """Unusable entries the gateway still reports although their `until` had passed."""
    return [{"kind": "stuck_cooldown", "profile": u.profile_id, "reason": u.reason, "until": u.until,
             "agent": snap.agent, "hint": f"Still {u.kind} after its until passed: {STUCK_ADVICE}."}
            for u in snap.unusable if u.until + STUCK_GRACE_MS <= snap.taken_at_ms]


def kind_failovers(snap: AgentStatus, at_ms: int) -> list[dict[str, Any]]:
    """Providers whose requests now go to a different kind of credential because of cooldowns."""
    down = {u.profile_id for u in snap.live_unusable(at_ms)}
    out = []
    for provider in snap.providers:
        types = {p.id: p.type for p in provider.profiles}
        order = [pid for pid in provider.effective_order if pid in types]
        usable = [pid for pid in order if pid not in down]
        if not order or not usable or order[0] not in down or types[usable[0]] == types[order[0]]:
            continue
        preferred, now = order[0], usable[0]
        out.append({"kind": "failover_kind", "agent": snap.agent, "provider": provider.provider,
                    "profile": now, "profiles": [preferred, now],
                    "message": (f"{preferred} ({KIND_LABEL.get(types[preferred], types[preferred])}) is unusable, "
                                f"so requests now go to {now} ({KIND_LABEL.get(types[now], types[now])}).")})
    return out
