"""Read OpenClaw's auth state straight from its SQLite stores, read-only, behind a version guard.

Why: `openclaw models status --json` costs ~3 s of CPU per agent, and every plain turn rewrites the
files it reads from (transcripts live in the same per-agent database, and a success records
`usageStats.<profile>.lastUsed`). A bot that asks the CLI whenever those files change does a full
CLI round per turn on a busy gateway. The auth rows themselves are small JSON documents, so the
bot reads them directly and derives what `models status` would show, following OpenClaw's own
rules (2026.9.x `dist/`: `list.status-command`, `usage-state`, `order`, `auth-health`).

What is read (nothing else):
- per agent, `agents/<id>/agent/openclaw-agent.sqlite`: `auth_profile_store` row `primary`
  (`store_json`: profiles) and `auth_profile_state` row `primary` (`state_json`: `usageStats`,
  `order`, `lastGood`);
- shared, `state/openclaw.sqlite`: `config_machine_state` keys `auth.sharedStore` and
  `authProfiles.*` (a profile store that `paste-token` on a fresh single-agent home writes).

Guard rails, because these files are OpenClaw's private format:
- each database's `schema_meta` row `primary` must name a release whose layout was checked
  (`app_version` 2026.9.x) and the schema version that release writes;
- tables, columns and the JSON shape must be exactly as expected, else `AuthStateUnsupported` is
  raised and callers fall back to the CLI (status says so);
- the databases are opened with a `mode=ro` URI and `query_only`: this module never writes, and in
  WAL mode a reader never blocks OpenClaw's writers.

The same guarded reader also serves the one-time plaintext migration (`read_value`): no OpenClaw
command reveals a stored value, so moving a pasted credential into the vault must read it once.
"""
from __future__ import annotations

import hashlib
import json
import math
import re
import sqlite3
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.gateway.config import GatewayConfig
from core.gateway.status import AgentStatus, Profile, ProviderStatus, Unusable

SUPPORTED_VERSION = re.compile(r"^2026\.9\.\d+$")
AGENT_STORE = "openclaw-agent.sqlite"
SHARED_STORE = Path("state") / "openclaw.sqlite"
AGENT_SCHEMA_VERSION = 23
SHARED_SCHEMA_VERSION = 18
# Exact columns of every table read, as created by OpenClaw 2026.9.6.
SCHEMA_META = ("meta_key", "role", "schema_version", "agent_id", "app_version", "created_at", "updated_at")
AGENT_TABLES = {
    "schema_meta": SCHEMA_META,
    "auth_profile_store": ("store_key", "store_json", "updated_at"),
    "auth_profile_state": ("state_key", "state_json", "updated_at"),
}
SHARED_TABLES = {
    "schema_meta": SCHEMA_META,
    "config_machine_state": ("state_key", "value_json", "updated_at_ms"),
}
SHARED_KEYS = {"auth.sharedStore", "authProfiles.store", "authProfiles.state"}
VALUE_FIELDS = {"token": "token", "api_key": "key"}
REF_FIELDS = {"token": "tokenRef", "api_key": "keyRef"}
PROFILE_TYPES = ("api_key", "token", "oauth")
# `ProfileUsageStats` in the release's type declarations; an unknown key means a new layout.
USAGE_NUMBERS = {"lastUsed", "blockedUntil", "cooldownUntil", "disabledUntil", "errorCount", "lastFailureAt", "lastProbeAt"}
USAGE_STRINGS = {"blockedReason", "blockedSource", "blockedModel", "blockedScope", "cooldownReason",
                 "cooldownClassification", "cooldownModel", "disabledReason"}
STATE_KEYS = {"version", "order", "lastGood", "usageStats"}
# Providers whose cooldowns OpenClaw leaves to the provider (usage-state `isAuthCooldownBypassedForProvider`).
COOLDOWN_BYPASS = {"openrouter", "kilocode"}
WARN_AFTER_MS = 86_400_000  # OpenClaw's DEFAULT_OAUTH_WARN_MS
# What 2026.9.x runs when no model is configured (`dist/defaults-*.mjs` DEFAULT_PROVIDER/DEFAULT_MODEL).
BUILTIN_DEFAULT_MODEL = "openai/gpt-6-astra"


class AuthStoreUnreadable(Exception):
    """The store is not in the shape this release of the bot knows; the message names no secret."""


class AuthStateUnsupported(AuthStoreUnreadable):
    """The release or layout is not one the reader was checked against: use the CLI instead."""


# -- the guarded read ------------------------------------------------------------------------------

def check_version(version_text: str) -> None:
    """Refuse a release whose layout was not checked (`openclaw --version` or `schema_meta`)."""
    found = re.search(r"\b(\d{4}\.\d+\.\d+)\b", version_text or "")
    if not found or not SUPPORTED_VERSION.match(found.group(1)):
        raise AuthStateUnsupported(
            f"OpenClaw reports version {(version_text or '').strip()[:60]!r}; reading its auth store is only "
            "supported for 2026.9.x.")


def _open(path: Path) -> sqlite3.Connection:
    try:
        # check_same_thread off: StoreCache keeps one connection per store for the watcher and the
        # status requests, and serialises its use under its own lock.
        db = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True, timeout=5, check_same_thread=False)
        db.execute("PRAGMA query_only = 1")
        return db
    except sqlite3.Error as exc:
        raise AuthStoreUnreadable(f"Cannot open {Path(path).name} read-only: {type(exc).__name__}") from exc


def _check_layout(db: sqlite3.Connection, name: str, tables: dict[str, tuple[str, ...]], role: str, schema: int) -> None:
    for table, columns in tables.items():
        found = tuple(row[1] for row in db.execute(f"PRAGMA table_info({table})"))
        if found != columns:
            raise AuthStateUnsupported(f"{name}: table {table} is not the layout this bot knows.")
    meta = db.execute("SELECT role, schema_version, app_version FROM schema_meta WHERE meta_key='primary'").fetchone()
    if meta is None:
        raise AuthStateUnsupported(f"{name}: no schema_meta row.")
    if meta[0] != role or meta[1] != schema:
        raise AuthStateUnsupported(f"{name}: schema {meta[0]}/{meta[1]}, this bot knows {role}/{schema}.")
    check_version(str(meta[2] or ""))


def _json(text: Any, name: str, what: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise AuthStateUnsupported(f"{name}: {what} is not JSON.") from exc


def _check_profiles(doc: Any, name: str) -> dict[str, dict]:
    profiles = doc.get("profiles") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(profiles, dict):
        raise AuthStateUnsupported(f"{name}: unexpected auth store shape (want version 1 with profiles).")
    for pid, cred in profiles.items():
        if not isinstance(cred, dict) or cred.get("type") not in PROFILE_TYPES or not isinstance(cred.get("provider"), str):
            raise AuthStateUnsupported(f"{name}: profile {pid} is not a shape this bot knows.")
        ref = cred.get(REF_FIELDS.get(cred["type"], ""))
        if ref is not None and not (isinstance(ref, dict) and isinstance(ref.get("source"), str) and isinstance(ref.get("id"), str)):
            raise AuthStateUnsupported(f"{name}: profile {pid} has a ref of unknown shape.")
    return profiles


def _check_state(doc: Any, name: str) -> dict[str, Any]:
    if not isinstance(doc, dict) or not set(doc) <= STATE_KEYS:
        raise AuthStateUnsupported(f"{name}: unexpected auth state shape.")
    order, usage = doc.get("order"), doc.get("usageStats")
    if order is not None and not (isinstance(order, dict) and all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in order.values())):
        raise AuthStateUnsupported(f"{name}: auth order of unknown shape.")
    if usage is not None and not isinstance(usage, dict):
        raise AuthStateUnsupported(f"{name}: usageStats of unknown shape.")
    for pid, stats in (usage or {}).items():
        if not isinstance(stats, dict):
            raise AuthStateUnsupported(f"{name}: usageStats.{pid} of unknown shape.")
        for key, value in stats.items():
            ok = (key in USAGE_NUMBERS and isinstance(value, (int, float)) and not isinstance(value, bool)) \
                or (key in USAGE_STRINGS and isinstance(value, str)) \
                or (key == "failureCounts" and isinstance(value, dict))
            if not ok:
                raise AuthStateUnsupported(f"{name}: usageStats field {key} is not one this bot knows.")
    return doc


@dataclass(frozen=True)
class RawStore:
    """One store's auth rows, shape-checked (profiles may hold plaintext: never log this)."""

    path: Path
    profiles: dict[str, dict] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    exists: bool = True


def _agent_rows(db: sqlite3.Connection, path: Path) -> RawStore:
    try:
        _check_layout(db, path.name, AGENT_TABLES, "agent", AGENT_SCHEMA_VERSION)
        store = db.execute("SELECT store_json FROM auth_profile_store WHERE store_key='primary'").fetchone()
        state = db.execute("SELECT state_json FROM auth_profile_state WHERE state_key='primary'").fetchone()
    except sqlite3.Error as exc:
        raise AuthStoreUnreadable(f"Cannot read {path.name}: {type(exc).__name__}") from exc
    profiles = _check_profiles(_json(store[0], path.name, "auth_profile_store"), path.name) if store else {}
    return RawStore(path, profiles, _check_state(_json(state[0], path.name, "auth_profile_state"), path.name) if state else {})


def _shared_rows(db: sqlite3.Connection, path: Path) -> RawStore:
    try:
        _check_layout(db, path.name, SHARED_TABLES, "global", SHARED_SCHEMA_VERSION)
        rows = dict(db.execute("SELECT state_key, value_json FROM config_machine_state "
                               "WHERE state_key = 'auth.sharedStore' OR state_key LIKE 'authProfiles.%'").fetchall())
    except sqlite3.Error as exc:
        raise AuthStoreUnreadable(f"Cannot read {path.name}: {type(exc).__name__}") from exc
    if not set(rows) <= SHARED_KEYS:
        raise AuthStateUnsupported(f"{path.name}: shared auth keys {sorted(set(rows) - SHARED_KEYS)} are not ones this bot knows.")
    where = _json(rows["auth.sharedStore"], path.name, "auth.sharedStore") if "auth.sharedStore" in rows else None
    if where is not None and where != {"location": "state-db"}:
        raise AuthStateUnsupported(f"{path.name}: shared auth store location is not one this bot knows.")
    profiles = _check_profiles(_json(rows["authProfiles.store"], path.name, "authProfiles.store"), path.name) \
        if "authProfiles.store" in rows else {}
    state = _check_state(_json(rows["authProfiles.state"], path.name, "authProfiles.state"), path.name) \
        if "authProfiles.state" in rows else {}
    return RawStore(path, profiles, state, exists=bool(rows))


def _read_once(path: Path, rows) -> RawStore:
    path = Path(path)
    if not path.exists():
        return RawStore(path, exists=False)
    db = _open(path)
    try:
        return rows(db, path)
    finally:
        db.close()


def read_agent_store(path: Path) -> RawStore:
    """The `primary` rows of one agent database (an absent file is an empty store)."""
    return _read_once(path, _agent_rows)


def read_shared_store(path: Path) -> RawStore:
    """The shared store in `state/openclaw.sqlite`, when `auth.sharedStore` says it is in use."""
    return _read_once(path, _shared_rows)


class StoreCache:
    """Parsed rows per database, re-read when its files change and at least every `max_age_s`.

    A commit in WAL mode appends to `-wal` and a checkpoint writes the main file, so an unchanged
    (inode, size, mtime) of both means unchanged rows; `max_age_s` bounds the one blind spot, two
    commits within the file system's timestamp granularity that leave the WAL the same size.

    One read-only connection is kept per store file (inode): a fresh connection must parse the
    whole schema of OpenClaw's database (transcripts live there too) before its first query, about
    2 ms, which on a busy gateway is most of the watcher's cost. A kept connection once reported a
    malformed image across OpenClaw's own maintenance, so any database error drops it and the read
    is retried once on a fresh connection before the error counts."""

    def __init__(self, max_age_s: float = 5.0) -> None:
        self.max_age_s = max_age_s
        self._entries: dict[Path, tuple[tuple, float, RawStore]] = {}
        self._conns: dict[Path, tuple[int, sqlite3.Connection]] = {}
        self._lock = threading.Lock()

    def _read_kept(self, path: Path, inode: int, rows) -> RawStore:
        """`rows` on the kept connection for this file, (re)opened when the file was replaced."""
        with self._lock:
            kept = self._conns.pop(path, None)
            if kept is not None and kept[0] == inode:
                try:
                    raw = rows(kept[1], path)
                    self._conns[path] = kept
                    return raw
                except (sqlite3.Error, AuthStoreUnreadable):
                    pass  # dropped below; the read is retried once on a fresh connection
            if kept is not None:
                kept[1].close()
            fresh = (inode, _open(path))
            try:
                raw = rows(fresh[1], path)  # an error here is the store's, not the kept connection's
            except BaseException:
                fresh[1].close()
                raise
            self._conns[path] = fresh
            return raw

    @staticmethod
    def _stamp(path: Path) -> tuple | None:
        stamp = []
        for part in (path, path.with_name(path.name + "-wal")):
            try:
                st = part.stat()
            except FileNotFoundError:
                if part == path:
                    return None
                stamp.append(None)
                continue
            stamp.append((st.st_ino, st.st_size, st.st_mtime_ns))
        return tuple(stamp)

    def read(self, path: Path, rows) -> RawStore:
        path = Path(path)
        stamp = self._stamp(path)
        if stamp is None:
            with self._lock:
                self._entries.pop(path, None)
                gone = self._conns.pop(path, None)
            if gone is not None:
                gone[1].close()
            return RawStore(path, exists=False)
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(path)
        if hit and hit[0] == stamp and now - hit[1] < self.max_age_s:
            return hit[2]
        raw = self._read_kept(path, stamp[0][0], rows)
        with self._lock:
            self._entries[path] = (stamp, now, raw)
        return raw


# -- the migration's use: one plaintext value --------------------------------------------------------

@dataclass(frozen=True)
class StoreLocation:
    path: Path
    kind: str  # "agent" | "shared"
    agent: str | None  # the owning agent for an agent store; None for the shared store


def locate(state_dir: Path, file: str) -> StoreLocation:
    """Which known store an audit finding's `file` is, refusing anything else."""
    root = Path(state_dir).resolve()
    path = Path(file).resolve()
    try:
        rel = path.relative_to(root)
    except ValueError as exc:
        raise AuthStoreUnreadable(f"{file} is outside OpenClaw's state directory.") from exc
    if rel == SHARED_STORE:
        return StoreLocation(path, "shared", None)
    parts = rel.parts
    if len(parts) == 4 and parts[0] == "agents" and parts[2] == "agent" and parts[3] == AGENT_STORE:
        return StoreLocation(path, "agent", parts[1])
    raise AuthStoreUnreadable(f"{rel} is not an auth-profile store this bot knows.")


def read_profiles(location: StoreLocation) -> dict[str, dict]:
    """The `profiles` object of one store, through the guarded read-only reader."""
    reader = read_shared_store if location.kind == "shared" else read_agent_store
    return reader(location.path).profiles


def read_value(location: StoreLocation, profile_id: str) -> tuple[str, str]:
    """(mode, plaintext value) of one profile; raises when it is absent or not plaintext."""
    profile = read_profiles(location).get(profile_id)
    if not isinstance(profile, dict):
        raise AuthStoreUnreadable(f"Profile {profile_id} is no longer in {location.path.name}.")
    mode = profile.get("type")
    key = VALUE_FIELDS.get(mode) if isinstance(mode, str) else None
    value = profile.get(key) if key else None
    if not isinstance(value, str) or not value:
        raise AuthStoreUnreadable(f"Profile {profile_id} in {location.path.name} holds no plaintext {key or 'value'}.")
    return str(mode), value


# -- OpenClaw's merge and display rules ----------------------------------------------------------------

@dataclass(frozen=True)
class MergedStore:
    """What OpenClaw sees for one agent: the default agent's (and shared) rows read through."""

    profiles: dict[str, dict]
    order: dict[str, list[str]] | None
    usage: dict[str, dict]
    local_ids: frozenset[str]
    store_path: Path


def _merge(base: dict[str, Any], override: RawStore) -> dict[str, Any]:
    """persisted.ts `mergeAuthProfileStores`: the override's profiles first, its state wins per id."""
    profiles = {**override.profiles, **{k: v for k, v in base["profiles"].items() if k not in override.profiles}}
    base_order, over_order = base.get("order"), override.state.get("order")
    order = {**(base_order or {}), **(over_order or {})} if (base_order or over_order) else None
    if order is not None:
        for provider in {_norm(c.get("provider")) for c in override.profiles.values()}:
            own = [p for p, c in override.profiles.items() if _norm(c.get("provider")) == provider]
            over_key = next((k for k in (over_order or {}) if _norm(k) == provider), None)
            base_key = next((k for k in (base_order or {}) if _norm(k) == provider), None)
            key = over_key or base_key
            if not key:
                continue
            for other in [k for k in order if k != key and _norm(k) == provider]:
                del order[other]
            if over_key:
                order[key] = _unique(over_order[over_key])
            else:
                order[key] = _unique([*own, *(base_order or {}).get(base_key, []), *order.get(key, [])])
        order = {k: [p for p in v] for k, v in order.items() if v} or None
    usage = {**base["usage"], **(override.state.get("usageStats") or {})}
    usage = {k: v for k, v in usage.items() if k in profiles or k.startswith("inline-api-key:")}
    return {"profiles": profiles, "order": order, "usage": usage}


def _unique(ids: list[str]) -> list[str]:
    seen: list[str] = []
    for i in ids:
        if i not in seen:
            seen.append(i)
    return seen


def _norm(provider: Any) -> str:
    return str(provider or "").strip().lower()


def _ms(value: Any) -> float | None:
    """`asDateTimestampMs`: a positive finite number, else None."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) and value > 0:
        return value
    return None


def unusable_until(stats: dict[str, Any]) -> float | None:
    """usage-state `resolveProfileUnusableUntil` for display: the latest of block, cooldown, disable."""
    values = [v for v in (_ms(stats.get("blockedUntil")), _ms(stats.get("cooldownUntil")), _ms(stats.get("disabledUntil"))) if v]
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


def _expiry_state(expires: Any, now: int, warn_ms: int) -> str:
    """`resolveTokenExpiryState` as status uses it: missing | invalid | expired | expiring | valid."""
    if expires is None:
        return "missing"
    if not isinstance(expires, (int, float)) or isinstance(expires, bool) or not math.isfinite(expires) or expires <= 0:
        return "invalid"
    if expires <= now:
        return "expired"
    return "expiring" if expires - now <= warn_ms else "valid"


def _has_secret(cred: dict, kind: str) -> bool:
    value, ref = cred.get(VALUE_FIELDS[kind]), cred.get(REF_FIELDS[kind])
    return (isinstance(value, str) and bool(value.strip())) or (isinstance(ref, dict) and bool(ref.get("id")))


def eligible(cred: dict | None, now: int) -> tuple[bool, str]:
    """credential-state `evaluateStoredCredentialEligibility`, for api_key and token credentials."""
    if cred is None:
        return False, "profile_missing"
    kind = cred.get("type")
    if kind in VALUE_FIELDS:
        if not _has_secret(cred, kind):
            return False, "missing_credential"
        if kind == "token":
            state = _expiry_state(cred.get("expires"), now, 0)
            if state == "invalid":
                return False, "invalid_expires"
            if state == "expired":
                return False, "expired"
        return True, "ok"
    expires = _expiry_state(cred.get("expires"), now, 0)
    return (expires != "expired"), ("expired" if expires == "expired" else "ok")


def health(cred: dict, now: int, warn_ms: int = WARN_AFTER_MS) -> tuple[str, int | None]:
    """auth-health `buildProfileHealth`: (status, expiresAt); an API key is `static` or `missing`."""
    if isinstance(cred.get("setup"), dict) and cred["setup"].get("replacement"):
        return "missing", None
    ok, reason = eligible(cred, now)
    if cred.get("type") == "api_key":
        return ("static" if ok else "missing"), None
    if not ok:
        return ("expired" if reason == "expired" else "missing"), None
    state = _expiry_state(cred.get("expires"), now, warn_ms)
    if state in ("missing", "invalid"):
        return ("static" if cred.get("type") == "token" else "missing"), None
    return {"expiring": "expiring", "expired": "expired"}.get(state, "ok"), int(cred["expires"])


@dataclass(frozen=True)
class AuthView:
    """One agent's auth state as OpenClaw would show it, derived from the merged rows."""

    agent: str
    default_agent: str
    merged: MergedStore
    config: GatewayConfig

    # -- per profile ----------------------------------------------------------------------------
    def providers(self) -> list[str]:
        return sorted({_norm(c.get("provider")) for c in self.merged.profiles.values()})

    def profile_ids(self, provider: str) -> list[str]:
        """`listProfilesForProvider`: merged-store order (the agent's own first, then inherited)."""
        return [pid for pid, c in self.merged.profiles.items() if _norm(c.get("provider")) == provider]

    def in_cooldown(self, profile_id: str, now: int) -> bool:
        cred = self.merged.profiles.get(profile_id) or {}
        if _norm(cred.get("provider")) in COOLDOWN_BYPASS:
            return False
        until = unusable_until(self.merged.usage.get(profile_id) or {})
        return bool(until) and now < until

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
            if _norm(cred.get("provider")) in COOLDOWN_BYPASS:
                continue
            until = unusable_until(stats)
            if not until or now >= until:
                continue
            disabled = _ms(stats.get("disabledUntil"))
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
                    if _norm(key) == provider and isinstance(ids, list):
                        return [str(i) for i in ids]
        return None

    def _valid(self, pid: str, provider: str, now: int) -> bool:
        cred = self.merged.profiles.get(pid)
        if cred is None or _norm(cred.get("provider")) != provider:
            return False
        cfg = (self.config._get("auth", "profiles") or {}).get(pid)
        if isinstance(cfg, dict):
            if _norm(cfg.get("provider")) != provider:
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
        cfg_ids = [pid for pid, p in cfg_profiles.items() if isinstance(p, dict) and _norm(p.get("provider")) == provider] \
            if isinstance(cfg_profiles, dict) else []
        base = explicit if explicit is not None else (cfg_ids or store_ids)
        ordered: list[str] = []
        if base:
            filtered = [p for p in base if self._valid(p, provider, now)]
            repaired = False
            from_store = any(_norm(k) == provider for k in (self.merged.order or {}))
            if not filtered and all(p not in self.merged.profiles for p in base) and (from_store or cfg_ids):
                filtered, repaired = [p for p in store_ids if self._valid(p, provider, now)], True
            ids = _unique(filtered)
            cooling = sorted((p for p in ids if self.in_cooldown(p, now)),
                             key=lambda p: unusable_until(self.merged.usage.get(p) or {}) or now)
            ready = [p for p in ids if p not in cooling]
            if not (explicit and not repaired):
                score = {"oauth": 0, "token": 1, "api_key": 2}
                ready.sort(key=lambda p: (score.get(self.merged.profiles[p].get("type"), 3),
                                          1 if self.merged.profiles[p].get("type") == "oauth"
                                          and _expiry_state(self.merged.profiles[p].get("expires"), now, 0) == "expired" else 0,
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
                    failure_counts=tuple(sorted((str(k), int(v)) for k, v in counts.items() if isinstance(v, (int, float)))),
                    last_used=_int(stats.get("lastUsed")), last_failure_at=_int(stats.get("lastFailureAt"))))
            providers.append(ProviderStatus(name, tuple(profiles), tuple(self.effective_order(name, now)), "profiles"))
        model = self.config.default_model(self.agent) or BUILTIN_DEFAULT_MODEL
        in_use = {m.split("/", 1)[0] for m in (model, *self.fallbacks()) if "/" in m}
        provider_keys = {_norm(k) for k in (self.config._get("models", "providers") or {})
                         if isinstance((self.config._get("models", "providers", k) or {}), dict)
                         and (self.config._get("models", "providers", k) or {}).get("apiKey")}
        missing = tuple(sorted(p for p in in_use if p not in self.providers() and p not in provider_keys))
        return AgentStatus(
            agent=self.agent, default_model=model, fallbacks=self.fallbacks(), providers=tuple(providers),
            unusable=tuple(self.unusable(now)), store_path=str(self.merged.store_path), taken_at_ms=now,
            missing_providers=missing, warn_after_ms=WARN_AFTER_MS)

    def fallbacks(self) -> tuple[str, ...]:
        for model in (self.config._get("agents", "entries", self.agent, "model"), self.config._get("agents", "defaults", "model")):
            if isinstance(model, dict) and isinstance(model.get("fallbacks"), list):
                return tuple(str(m) for m in model["fallbacks"])
        return ()

    def meaning(self) -> tuple:
        """What matters for alerts and status, and nothing a plain successful turn changes.

        Excludes `lastUsed`, `lastProbeAt`, `lastGood` and the rows' `updated_at` (a zero count is
        the same as none: a success writes `errorCount: 0`); includes every profile's type,
        provider, where its secret lives (a fingerprint-free description), expiry, every
        cooldown / disabled / blocked field, error and failure counts, and the stored order."""
        profiles = tuple(sorted(
            (pid, c.get("type"), _norm(c.get("provider")), self._where(c), c.get("expires"),
             bool(isinstance(c.get("setup"), dict) and c["setup"].get("replacement")), pid in self.merged.local_ids)
            for pid, c in self.merged.profiles.items()))
        usage = tuple(sorted((pid, kept) for pid, stats in self.merged.usage.items() if (kept := tuple(sorted(
            (k, json.dumps(v, sort_keys=True)) for k, v in stats.items()
            if k not in ("lastUsed", "lastProbeAt") and v not in (0, None, {}))))))
        order = tuple(sorted((k, tuple(v)) for k, v in (self.merged.order or {}).items()))
        return (self.agent, str(self.merged.store_path), profiles, usage, order)

    @staticmethod
    def _where(cred: dict) -> str:
        kind = cred.get("type")
        ref = cred.get(REF_FIELDS.get(kind, "")) if kind in REF_FIELDS else None
        if isinstance(ref, dict) and not cred.get(VALUE_FIELDS.get(kind, "")):
            return f"ref:{ref.get('source')}:{ref.get('provider', '')}:{ref.get('id')}"
        value = cred.get(VALUE_FIELDS.get(kind, "")) if kind in VALUE_FIELDS else None
        # Plaintext changes are seen by a hash, so no secret is kept in the meaning tuple.
        return "plaintext:" + hashlib.sha256(str(value).encode()).hexdigest()[:16] if value else "missing"


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) else None


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
        shared = self.cache.read(self.state_dir / SHARED_STORE, _shared_rows)
        main = self.cache.read(self.agent_db(default), _agent_rows)
        return {agent: self._view(agent, default, shared, main, config) for agent in agents}

    def _view(self, agent: str, default: str, shared: RawStore, main: RawStore, config: GatewayConfig) -> AuthView:
        chain = [shared, main] if agent == default else [shared, main, self.cache.read(self.agent_db(agent), _agent_rows)]
        merged: dict[str, Any] = {"profiles": {}, "order": None, "usage": {}}
        for raw in chain:
            if raw.profiles or raw.state:
                merged = _merge(merged, raw)
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
