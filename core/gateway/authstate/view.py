"""One agent's auth state as `openclaw models status` would show it, and the reader that builds it."""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.gateway.authstate.cache import StoreCache
from core.gateway.authstate.guard import AuthStateUnsupported
from core.gateway.authstate.rows import AGENT_STORE, SHARED_STORE, RawStore, agent_rows, shared_rows
from core.gateway.authstate.rules import (
    COOLDOWN_BYPASS,
    WARN_AFTER_MS,
    MergedStore,
    clear_expired,
    eligible,
    expiry_state,
    finite_int,
    health,
    login_hint,
    mask,
    merge,
    norm_provider,
    timestamp_ms,
    unique,
    unusable_until,
)
from core.gateway.authstate.shapes import REF_FIELDS, VALUE_FIELDS, Credential
from core.gateway.config import GatewayConfig
from core.gateway.status import AgentStatus, Profile, ProviderStatus, Unusable

__all__ = ["BUILTIN_DEFAULT_MODEL", "AuthStateReader", "AuthView"]

# What 2026.9.x runs when no model is configured (`dist/defaults-*.mjs` DEFAULT_PROVIDER/DEFAULT_MODEL).
BUILTIN_DEFAULT_MODEL = "openai/gpt-6-astra"


@dataclass(frozen=True)
class AuthView:
    """One agent's auth state as OpenClaw would show it, derived from the merged rows."""

    agent: str
    default_agent: str
    merged: MergedStore
    config: GatewayConfig

    # -- per profile ----------------------------------------------------------------------------
    def providers(self) -> list[str]:
        return sorted({norm_provider(c.get("provider")) for c in self.merged.profiles.values()})

    def profile_ids(self, provider: str) -> list[str]:
        """`listProfilesForProvider`: merged-store order (the agent's own first, then inherited)."""
        return [pid for pid, c in self.merged.profiles.items() if norm_provider(c.get("provider")) == provider]

    def in_cooldown(self, profile_id: str, now: int) -> bool:
        cred = self.merged.profiles.get(profile_id) or {}
        if norm_provider(cred.get("provider")) in COOLDOWN_BYPASS:
            return False
        until = unusable_until(self.merged.usage.get(profile_id) or {})
        return until is not None and now < until

    def label(self, profile_id: str, now: int) -> str:
        """The `auth.providers[].profiles.labels` entry without its time-dependent `[cooldown 1m]`."""
        cred = self.merged.profiles[profile_id]
        kind = cred.get("type")
        if kind not in VALUE_FIELDS:
            return f"{profile_id}=OAuth"
        value = cred.get(VALUE_FIELDS[kind])
        ref = cred.get(REF_FIELDS[kind])
        if isinstance(value, str) and value.strip():
            shown = mask(value)
        elif isinstance(ref, dict):
            shown = f"ref({ref.get('source')}:{ref.get('id')})"
        else:
            shown = "missing"
        return f"{profile_id}=token:{shown}" if kind == "token" else f"{profile_id}={shown}"

    def unusable(self, now: int) -> list[Unusable]:
        """`auth.unusableProfiles`: live windows only (until > now), soonest first."""
        out: list[Unusable] = []
        for pid, raw in self.merged.usage.items():
            stats = clear_expired(raw, now)
            cred = self.merged.profiles.get(pid) or {}
            if norm_provider(cred.get("provider")) in COOLDOWN_BYPASS:
                continue
            until = unusable_until(stats)
            if not until or now >= until:
                continue
            disabled = timestamp_ms(stats.get("disabledUntil"))
            kind = "disabled" if disabled and now < disabled else "cooldown"
            reason = stats.get("disabledReason") if kind == "disabled" else stats.get("cooldownReason")
            provider = str(cred.get("provider") or "")
            model = ""
            if kind == "cooldown" and stats.get("cooldownModel"):
                model = str(stats["cooldownModel"])
            elif stats.get("blockedScope") == "model" and stats.get("blockedModel"):
                model = str(stats["blockedModel"])
            out.append(Unusable(
                profile_id=pid, provider=provider, kind=kind, reason=str(reason or ""), until=int(until),
                recovery_hint=login_hint(kind, reason, provider or pid, pid),
                classification=str(stats.get("cooldownClassification") or "") if kind == "cooldown" else "",
                model=model))
        return sorted(out, key=lambda u: u.until)

    # -- order ---------------------------------------------------------------------------------
    def explicit_order(self, provider: str) -> list[str] | None:
        for source in (self.merged.order or {}, self.config._get("auth", "order") or {}):
            if isinstance(source, dict):
                for key, ids in source.items():
                    if norm_provider(key) == provider and isinstance(ids, list):
                        return [str(i) for i in ids]
        return None

    def _valid(self, pid: str, provider: str, now: int) -> bool:
        cred = self.merged.profiles.get(pid)
        if cred is None or norm_provider(cred.get("provider")) != provider:
            return False
        cfg = (self.config._get("auth", "profiles") or {}).get(pid)
        if isinstance(cfg, dict):
            if norm_provider(cfg.get("provider")) != provider:
                return False
            if cfg.get("mode") != cred.get("type") and not (cfg.get("mode") == "oauth" and cred.get("type") == "token"):
                return False
        if isinstance(cred.get("setup"), dict) and cred["setup"].get("replacement"):
            return False
        return eligible(cred, now)[0]

    def effective_order(self, provider: str, now: int) -> list[str]:
        """order.ts `resolveAuthProfileOrder` as status calls it (no model), then auth-health's fallbacks."""
        explicit = self.explicit_order(provider)
        if explicit is not None and not explicit:
            return []
        store_ids = self.profile_ids(provider)
        cfg_profiles = self.config._get("auth", "profiles") or {}
        cfg_ids = [pid for pid, p in cfg_profiles.items()
                   if isinstance(p, dict) and norm_provider(p.get("provider")) == provider] \
            if isinstance(cfg_profiles, dict) else []
        base = explicit if explicit is not None else (cfg_ids or store_ids)
        ordered: list[str] = []
        if base:
            filtered = [p for p in base if self._valid(p, provider, now)]
            repaired = False
            from_store = any(norm_provider(k) == provider for k in (self.merged.order or {}))
            if not filtered and all(p not in self.merged.profiles for p in base) and (from_store or cfg_ids):
                filtered, repaired = [p for p in store_ids if self._valid(p, provider, now)], True
            ids = unique(filtered)
            cooling = sorted((p for p in ids if self.in_cooldown(p, now)),
                             key=lambda p: unusable_until(self.merged.usage.get(p) or {}) or now)
            ready = [p for p in ids if p not in cooling]
            if not (explicit and not repaired):
                score = {"oauth": 0, "token": 1, "api_key": 2}
                ready.sort(key=lambda p: (score.get(str(self.merged.profiles[p].get("type")), 3),
                                          1 if self.merged.profiles[p].get("type") == "oauth"
                                          and expiry_state(self.merged.profiles[p].get("expires"), now, 0) == "expired"
                                          else 0,
                                          (self.merged.usage.get(p) or {}).get("lastUsed") or 0))
            ordered = ready + cooling
        listed = sorted(store_ids)  # auth-health lists a provider's profiles by id
        result = [p for p in ordered if p in listed]
        if result:
            return result
        if explicit:
            return [p for p in explicit if p in listed]
        return listed

    # -- the snapshot --------------------------------------------------------------------------
    def snapshot(self, now: int) -> AgentStatus:
        """The same typed snapshot `parse_status` builds from `models status --json`."""
        providers: list[ProviderStatus] = []
        for name in self.providers():
            profiles = []
            for pid in self.profile_ids(name):
                cred = self.merged.profiles[pid]
                kind = str(cred.get("type"))
                ref = cred.get(REF_FIELDS.get(kind, "")) if kind in REF_FIELDS else None
                value = cred.get(VALUE_FIELDS.get(kind, "")) if kind in VALUE_FIELDS else None
                if isinstance(value, str) and value.strip():
                    source, ref_id = "plaintext in OpenClaw's store", ""
                elif isinstance(ref, dict):
                    source = f"{ref.get('source')} ref {ref.get('id')}"
                    ref_id = str(ref.get("id")) if ref.get("source") == "exec" else ""
                else:
                    source, ref_id = ("plaintext in OpenClaw's store" if kind not in VALUE_FIELDS else "missing"), ""
                status, expires = health(cred, now)
                stats = clear_expired(self.merged.usage.get(pid) or {}, now)
                counts = stats.get("failureCounts") or {}
                profiles.append(Profile(
                    id=pid, provider=name, type=kind, source=source, ref_id=ref_id, status=status, expires_at=expires,
                    local=self.agent == self.default_agent or pid in self.merged.local_ids,
                    error_count=int(stats.get("errorCount") or 0),
                    failure_counts=tuple(sorted((str(k), int(v)) for k, v in counts.items()
                                                if isinstance(v, (int, float)))),
                    last_used=finite_int(stats.get("lastUsed")),
                    last_failure_at=finite_int(stats.get("lastFailureAt"))))
            providers.append(ProviderStatus(name, tuple(profiles), tuple(self.effective_order(name, now)), "profiles"))
        model = self.config.default_model(self.agent) or BUILTIN_DEFAULT_MODEL
        in_use = {m.split("/", 1)[0] for m in (model, *self.fallbacks()) if "/" in m}
        provider_keys = {norm_provider(k) for k in (self.config._get("models", "providers") or {})
                         if isinstance((self.config._get("models", "providers", k) or {}), dict)
                         and (self.config._get("models", "providers", k) or {}).get("apiKey")}
        missing = tuple(sorted(p for p in in_use if p not in self.providers() and p not in provider_keys))
        return AgentStatus(
            agent=self.agent, default_model=model, fallbacks=self.fallbacks(), providers=tuple(providers),
            unusable=tuple(self.unusable(now)), store_path=str(self.merged.store_path), taken_at_ms=now,
            missing_providers=missing, warn_after_ms=WARN_AFTER_MS)

    def fallbacks(self) -> tuple[str, ...]:
        for model in (self.config._get("agents", "entries", self.agent, "model"),
                      self.config._get("agents", "defaults", "model")):
            if isinstance(model, dict) and isinstance(model.get("fallbacks"), list):
                return tuple(str(m) for m in model["fallbacks"])
        return ()

    def meaning(self) -> tuple[Any, ...]:
        """What matters for alerts and status, and nothing a plain successful turn changes.

        Excludes `lastUsed`, `lastProbeAt`, `lastGood` and the rows' `updated_at` (a zero count is
        the same as none: a success writes `errorCount: 0`); includes every profile's type,
        provider, where its secret lives (a fingerprint-free description), expiry, every
        cooldown / disabled / blocked field, error and failure counts, and the stored order."""
        profiles = tuple(sorted(
            (pid, c.get("type"), norm_provider(c.get("provider")), self._where(c), c.get("expires"),
             bool(isinstance(c.get("setup"), dict) and c["setup"].get("replacement")), pid in self.merged.local_ids)
            for pid, c in self.merged.profiles.items()))
        usage = tuple(sorted((pid, kept) for pid, stats in self.merged.usage.items() if (kept := tuple(sorted(
            (k, json.dumps(v, sort_keys=True)) for k, v in stats.items()
            if k not in ("lastUsed", "lastProbeAt") and v not in (0, None, {}))))))
        order = tuple(sorted((k, tuple(v)) for k, v in (self.merged.order or {}).items()))
        return (self.agent, str(self.merged.store_path), profiles, usage, order)

    @staticmethod
    def _where(cred: Credential) -> str:
        kind = str(cred.get("type"))
        ref = cred.get(REF_FIELDS.get(kind, "")) if kind in REF_FIELDS else None
        if isinstance(ref, dict) and not cred.get(VALUE_FIELDS.get(kind, "")):
            return f"ref:{ref.get('source')}:{ref.get('provider', '')}:{ref.get('id')}"
        value = cred.get(VALUE_FIELDS.get(kind, "")) if kind in VALUE_FIELDS else None
        # Plaintext changes are seen by a hash, so no secret is kept in the meaning tuple.
        return "plaintext:" + hashlib.sha256(str(value).encode()).hexdigest()[:16] if value else "missing"


class AuthStateReader:
    """Reads every agent's auth rows under one OpenClaw state directory (cheap: a few SQL reads)."""

    def __init__(self, state_dir: Path):
        self.state_dir = Path(state_dir)
        self.cache = StoreCache()

    def agent_db(self, agent: str) -> Path:
        return self.state_dir / "agents" / agent / "agent" / AGENT_STORE

    def view(self, agent: str, config: GatewayConfig) -> AuthView:
        """Raise AuthStateUnsupported when any store involved is not a layout this bot knows."""
        return self.views([agent], config)[agent]

    def views(self, agents: list[str], config: GatewayConfig) -> dict[str, AuthView]:
        """Several agents at once: the shared and default-agent stores are read once for all."""
        default = config.agents()[0]
        if not (self.state_dir / SHARED_STORE).exists():  # no schema_meta yet to tell the release
            raise AuthStateUnsupported("OpenClaw has not created its state database yet.")
        shared = self.cache.read(self.state_dir / SHARED_STORE, shared_rows)
        main = self.cache.read(self.agent_db(default), agent_rows)
        return {agent: self._view(agent, default, shared, main, config) for agent in agents}

    def _view(self, agent: str, default: str, shared: RawStore, main: RawStore, config: GatewayConfig) -> AuthView:
        chain = [shared, main] if agent == default \
            else [shared, main, self.cache.read(self.agent_db(agent), agent_rows)]
        merged: dict[str, Any] = {"profiles": {}, "order": None, "usage": {}}
        for raw in chain:
            if raw.profiles or raw.state:
                merged = merge(merged, raw)
        own = chain[-1]
        if own.profiles or agent == default and not shared.profiles:
            store_path = own.path
        elif agent != default and main.profiles:
            store_path = main.path
        elif shared.profiles:
            store_path = shared.path
        else:
            store_path = own.path
        return AuthView(agent, default, MergedStore(merged["profiles"], merged["order"], merged["usage"],
                                                    frozenset(own.profiles), store_path), config)
