"""OpenClaw's own merge and display rules (2026.9.x `dist/`), applied to the rows read.

Each function names the OpenClaw function it follows, so a release that changes a rule points at
the one place to change here; `tests/gateway/test_authstate_differential.py` compares the result
with `openclaw models status --json`.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from core.gateway.authstate.rows import RawStore
from core.gateway.authstate.shapes import REF_FIELDS, VALUE_FIELDS, Credential

__all__ = [
    "COOLDOWN_BYPASS", "WARN_AFTER_MS", "MergedStore", "clear_expired", "eligible", "expiry_state", "finite_int",
    "health", "login_hint", "mask", "merge", "norm_provider", "timestamp_ms", "unique", "unusable_until",
]

# Providers whose cooldowns OpenClaw leaves to the provider (usage-state `isAuthCooldownBypassedForProvider`).
COOLDOWN_BYPASS = {"openrouter", "kilocode"}
WARN_AFTER_MS = 86_400_000  # OpenClaw's DEFAULT_OAUTH_WARN_MS


@dataclass(frozen=True)
class MergedStore:
    """What OpenClaw sees for one agent: the default agent's (and shared) rows read through."""

    profiles: dict[str, Credential]
    order: dict[str, list[str]] | None
    usage: dict[str, dict[str, Any]]
    local_ids: frozenset[str]
    store_path: Path


def merge(base: dict[str, Any], override: RawStore) -> dict[str, Any]:
    """persisted.ts `mergeAuthProfileStores`: the override's profiles first, its state wins per id."""
    profiles = {**override.profiles, **{k: v for k, v in base["profiles"].items() if k not in override.profiles}}
    base_order: dict[str, list[str]] = base.get("order") or {}
    over_order: dict[str, list[str]] = override.state.get("order") or {}
    order = {**base_order, **over_order} if (base_order or over_order) else None
    if order is not None:
        for provider in {norm_provider(c.get("provider")) for c in override.profiles.values()}:
            own = [p for p, c in override.profiles.items() if norm_provider(c.get("provider")) == provider]
            over_key = next((k for k in over_order if norm_provider(k) == provider), None)
            base_key = next((k for k in base_order if norm_provider(k) == provider), None)
            key = over_key or base_key
            if not key:
                continue
            for other in [k for k in order if k != key and norm_provider(k) == provider]:
                del order[other]
            if over_key:
                order[key] = unique(over_order[over_key])
            else:  # the key is the base's
                order[key] = unique([*own, *base_order.get(key, []), *order.get(key, [])])
        order = {k: [p for p in v] for k, v in order.items() if v} or None
    usage = {**base["usage"], **(override.state.get("usageStats") or {})}
    usage = {k: v for k, v in usage.items() if k in profiles or k.startswith("inline-api-key:")}
    return {"profiles": profiles, "order": order, "usage": usage}


def unique(ids: list[str]) -> list[str]:
    seen: list[str] = []
    for i in ids:
        if i not in seen:
            seen.append(i)
    return seen


def norm_provider(provider: Any) -> str:
    return str(provider or "").strip().lower()


def timestamp_ms(value: Any) -> float | None:
    """`asDateTimestampMs`: a positive finite number, else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return value
    return None


def unusable_until(stats: dict[str, Any]) -> float | None:
    """usage-state `resolveProfileUnusableUntil` for display: the latest of block, cooldown, disable."""
    values = [v for v in (timestamp_ms(stats.get(f"{name}Until")) for name in ("blocked", "cooldown", "disabled")) if v]
    return max(values) if values else None


def clear_expired(stats: dict[str, Any], now: int) -> dict[str, Any]:
    """usage-state `clearExpiredCooldowns` for one profile (a copy): status runs it before it lists
    unusable profiles, so an expired window's reason does not leak into a live one's entry."""
    out = dict(stats)
    expired = {name: isinstance(out.get(f"{name}Until"), (int, float)) and 0 < out[f"{name}Until"] <= now
               for name in ("cooldown", "blocked", "disabled")}
    fields = {"cooldown": ("cooldownUntil", "cooldownReason", "cooldownClassification", "cooldownModel"),
              "blocked": ("blockedUntil", "blockedReason", "blockedSource", "blockedModel", "blockedScope"),
              "disabled": ("disabledUntil", "disabledReason")}
    for name, gone in expired.items():
        if gone:
            for key in fields[name]:
                out.pop(key, None)
    if any(expired.values()) and not unusable_until(out):
        out["errorCount"] = 0
        rate = (out.get("failureCounts") or {}).get("rate_limit")
        out.pop("failureCounts", None)
        if rate:
            out["failureCounts"] = {"rate_limit": rate}
    return out


def login_hint(kind: str, reason: str | None, provider: str, profile_id: str) -> str:
    """oauth-refresh-failure `buildAuthProfileUnusableHint`."""
    if reason in ("auth", "auth_permanent", "session_expired"):
        return f"Re-authenticate with `openclaw models auth login --provider {provider} --profile-id '{profile_id}'`."
    if kind == "disabled" and reason == "billing":
        return "Top up credits (provider billing) or switch provider."
    return "Wait for cooldown or switch provider."


def expiry_state(expires: Any, now: int, warn_ms: int) -> str:
    """`resolveTokenExpiryState` as status uses it: missing | invalid | expired | expiring | valid."""
    if expires is None:
        return "missing"
    if not isinstance(expires, (int, float)) or isinstance(expires, bool) or not math.isfinite(expires) or expires <= 0:
        return "invalid"
    if expires <= now:
        return "expired"
    return "expiring" if expires - now <= warn_ms else "valid"


def _has_secret(cred: Credential, kind: str) -> bool:
    value, ref = cred.get(VALUE_FIELDS[kind]), cred.get(REF_FIELDS[kind])
    return (isinstance(value, str) and bool(value.strip())) or (isinstance(ref, dict) and bool(ref.get("id")))


def eligible(cred: Credential | None, now: int) -> tuple[bool, str]:
    """credential-state `evaluateStoredCredentialEligibility`, for api_key and token credentials."""
    if cred is None:
        return False, "profile_missing"
    kind = cred.get("type")
    if kind in VALUE_FIELDS:
        if not _has_secret(cred, kind):
            return False, "missing_credential"
        if kind == "token":
            state = expiry_state(cred.get("expires"), now, 0)
            if state == "invalid":
                return False, "invalid_expires"
            if state == "expired":
                return False, "expired"
        return True, "ok"
    expires = expiry_state(cred.get("expires"), now, 0)
    return (expires != "expired"), ("expired" if expires == "expired" else "ok")


def health(cred: Credential, now: int, warn_ms: int = WARN_AFTER_MS) -> tuple[str, int | None]:
    """auth-health `buildProfileHealth`: (status, expiresAt); an API key is `static` or `missing`."""
    if isinstance(cred.get("setup"), dict) and cred["setup"].get("replacement"):
        return "missing", None
    ok, reason = eligible(cred, now)
    if cred.get("type") == "api_key":
        return ("static" if ok else "missing"), None
    if not ok:
        return ("expired" if reason == "expired" else "missing"), None
    state = expiry_state(cred.get("expires"), now, warn_ms)
    if state in ("missing", "invalid"):
        return ("static" if cred.get("type") == "token" else "missing"), None
    return {"expiring": "expiring", "expired": "expired"}.get(state, "ok"), int(cred["expires"])


def finite_int(value: Any) -> int | None:
    finite = isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)
    return int(value) if finite else None


def mask(value: str) -> str:
    """model-catalog-auth-labels `maskApiKey` (what the CLI prints for a plaintext value)."""
    text = "".join(ch for ch in value if ord(ch) >= 32 and ord(ch) != 127).strip()
    if not text:
        return "missing"
    if len(text) <= 6:
        return f"{text[:1]}...{text[-1:]}"
    if len(text) <= 16:
        return f"{text[:2]}...{text[-2:]}"
    return f"{text[:8]}...{text[-8:]}"
