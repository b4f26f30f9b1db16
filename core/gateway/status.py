"""The typed status snapshot, parsed from `openclaw models status --json --agent <id>`.

Only `unusableProfiles` tells cooldowns and disables (never `--check`'s exit code: it calls healthy
exec-ref setups unhealthy). `until` is an absolute epoch-ms deadline; remaining time is always
recomputed from it, so a cached snapshot still shows the right countdown and never a hard-coded
backoff.
"""
from __future__ import annotations

import re
import time
from dataclasses import dataclass, replace
from typing import Any

from core.gateway.runner import CliGarbled

__all__ = ["AgentStatus", "Profile", "ProviderStatus", "Unusable", "now_ms", "parse_status"]

_LABEL = re.compile(r"^(?P<id>[^=\s]+)=(?P<rest>.*?)(?:\s+\[(?P<note>[^\]]*)\])?$")
_EXEC_REF = re.compile(r"ref\((?P<source>[a-z]+):(?P<id>[^)]*)\)")


def now_ms() -> int:
    return int(time.time() * 1000)


@dataclass(frozen=True)
class Unusable:
    """A profile the gateway will not use until `until` (cooldown or disabled)."""

    profile_id: str
    provider: str  # empty for synthetic ids such as `inline-api-key:anthropic`
    kind: str  # "cooldown" | "disabled"
    reason: str
    until: int
    recovery_hint: str = ""
    classification: str = ""
    model: str = ""  # set when the window is scoped to one model (cooldownModel / blockedModel)

    def remaining_ms(self, at_ms: int | None = None) -> int:
        return max(0, self.until - (now_ms() if at_ms is None else at_ms))


@dataclass(frozen=True)
class Profile:
    id: str
    provider: str
    type: str  # token | api_key | oauth | …
    source: str  # "exec ref <id>", "plaintext", "env ref …" as far as the label tells
    ref_id: str = ""  # exec SecretRef id when the profile points at our vault
    status: str = ""  # static | ok | expiring | expired | missing (from oauth.profiles)
    expires_at: int | None = None
    local: bool = True  # False when read through from another agent's store
    # Usage counters; only the store reader knows them (`models status --json` does not print them).
    error_count: int = 0
    failure_counts: tuple[tuple[str, int], ...] = ()
    last_used: int | None = None
    last_failure_at: int | None = None

    @property
    def is_exec_ref(self) -> bool:
        return bool(self.ref_id)


@dataclass(frozen=True)
class ProviderStatus:
    provider: str
    profiles: tuple[Profile, ...]
    effective_order: tuple[str, ...] = ()
    effective_kind: str = ""


@dataclass(frozen=True)
class AgentStatus:
    agent: str
    default_model: str
    fallbacks: tuple[str, ...]
    providers: tuple[ProviderStatus, ...]
    unusable: tuple[Unusable, ...]
    store_path: str
    taken_at_ms: int
    missing_providers: tuple[str, ...] = ()
    warn_after_ms: int = 86_400_000
    slow_path: str = ""  # why this snapshot came from the CLI instead of the store reader ("" = reader)

    def profiles(self) -> list[Profile]:
        return [p for prov in self.providers for p in prov.profiles]

    def profile(self, profile_id: str) -> Profile | None:
        return next((p for p in self.profiles() if p.id == profile_id), None)

    def live_unusable(self, at_ms: int | None = None) -> list[Unusable]:
        """Entries whose `until` has not passed yet (the gateway drops them at expiry too)."""
        at = now_ms() if at_ms is None else at_ms
        return [u for u in self.unusable if u.until > at]

    def unusable_for(self, profile_id: str, at_ms: int | None = None) -> Unusable | None:
        return next((u for u in self.live_unusable(at_ms) if u.profile_id == profile_id), None)

    def exhausted_providers(self, at_ms: int | None = None) -> list[str]:
        """Providers whose every profile is unusable: the "No available auth profile" state."""
        down = {u.profile_id for u in self.live_unusable(at_ms)}
        return [p.provider for p in self.providers if p.profiles and all(x.id in down for x in p.profiles)]

    def with_locality(self, local_ids: set[str]) -> AgentStatus:
        provs = tuple(
            replace(p, profiles=tuple(replace(x, local=x.id in local_ids) for x in p.profiles))
            for p in self.providers
        )
        return replace(self, providers=provs)


def _source_from_label(rest: str) -> tuple[str, str]:
    ref = _EXEC_REF.search(rest)
    if ref:
        if ref.group("source") == "exec":
            return f"exec ref {ref.group('id')}", ref.group("id")
        return f"{ref.group('source')} ref {ref.group('id')}", ""
    if "env:" in rest or rest.startswith("env"):
        return "environment", ""
    return "plaintext in OpenClaw's store", ""


def parse_status(doc: Any, agent: str, taken_at_ms: int | None = None) -> AgentStatus:
    """Parse one agent's status document; raise CliGarbled when it is not that shape."""
    if not isinstance(doc, dict) or not isinstance(doc.get("auth"), dict):
        raise CliGarbled("`openclaw models status --json` returned a document without `auth`.")
    auth = doc["auth"]
    oauth = auth.get("oauth") or {}
    details = {p.get("profileId"): p for p in oauth.get("profiles", []) if isinstance(p, dict)}
    effective: dict[str, tuple[str, ...]] = {}
    for prov in oauth.get("providers", []) or []:
        ids = tuple(p.get("profileId", "") for p in prov.get("effectiveProfiles", []) or [])
        effective[prov.get("provider", "")] = ids

    providers: list[ProviderStatus] = []
    for prov in auth.get("providers", []) or []:
        name = prov.get("provider", "")
        profiles: list[Profile] = []
        for label in (prov.get("profiles") or {}).get("labels", []) or []:
            m = _LABEL.match(label.strip())
            if not m:
                continue
            pid, rest = m.group("id"), m.group("rest")
            detail = details.get(pid, {})
            ptype = detail.get("type") or ("token" if rest.startswith("token:") else "api_key")
            source, ref = _source_from_label(rest)
            profiles.append(Profile(
                id=pid, provider=name, type=ptype, source=source, ref_id=ref,
                status=detail.get("status", ""), expires_at=detail.get("expiresAt"),
            ))
        order = effective.get(name) or tuple(p.id for p in profiles)
        providers.append(ProviderStatus(name, tuple(profiles), order, (prov.get("effective") or {}).get("kind", "")))

    unusable = tuple(
        Unusable(
            profile_id=u.get("profileId", ""), provider=u.get("provider", ""), kind=u.get("kind", "cooldown"),
            reason=u.get("reason", ""), until=int(u.get("until") or 0), recovery_hint=u.get("recoveryHint", ""),
            classification=u.get("classification", ""),
        )
        for u in auth.get("unusableProfiles", []) or [] if isinstance(u, dict)
    )
    return AgentStatus(
        agent=doc.get("agentId") or agent,
        default_model=doc.get("resolvedDefault") or doc.get("defaultModel") or "",
        fallbacks=tuple(doc.get("fallbacks") or ()),
        providers=tuple(providers),
        unusable=unusable,
        store_path=auth.get("storePath", ""),
        taken_at_ms=now_ms() if taken_at_ms is None else taken_at_ms,
        missing_providers=tuple(auth.get("missingProvidersInUse") or ()),
        warn_after_ms=int(oauth.get("warnAfterMs") or 86_400_000),
    )
