"""Read-only access to OpenClaw's auth-profile stores, for the one-time plaintext migration only.

Why this exists: `openclaw secrets audit` says *where* a plaintext profile credential is, but no
OpenClaw command reveals a stored value (status and `auth list` mask it). To move a credential that
`models auth paste-token`/`paste-api-key` stored in plaintext, the bot must read it once. Every
other feature goes through the CLI.

Guard rails, because these files are OpenClaw's private format:
- the OpenClaw version must be a release whose layout was checked (2026.9.x);
- the file must sit under the gateway's state directory and be one of the two known stores;
- tables, columns and the JSON shape must be exactly as expected, else nothing is read;
- the database is opened with a `mode=ro` URI: this module never writes to it.
"""
from __future__ import annotations

import json
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path

SUPPORTED_VERSION = re.compile(r"\b2026\.9\.\d+\b")
AGENT_STORE = "openclaw-agent.sqlite"
SHARED_STORE = Path("state") / "openclaw.sqlite"
# (table, key column, key, JSON column) per store kind, as observed in OpenClaw 2026.9.6.
_LAYOUT = {
    "agent": ("auth_profile_store", "store_key", "primary", "store_json"),
    "shared": ("config_machine_state", "state_key", "authProfiles.store", "value_json"),
}
VALUE_FIELDS = {"token": "token", "api_key": "key"}


class AuthStoreUnreadable(Exception):
    """The store is not in the shape this release of the bot knows; the message names no secret."""


@dataclass(frozen=True)
class StoreLocation:
    path: Path
    kind: str  # "agent" | "shared"
    agent: str | None  # the owning agent for an agent store; None for the shared store


def check_version(version_text: str) -> None:
    if not SUPPORTED_VERSION.search(version_text or ""):
        raise AuthStoreUnreadable(
            f"OpenClaw reports version {version_text.strip()[:60]!r}; reading its auth store is only "
            "supported for 2026.9.x. Re-paste the credential with `onboard` instead.")


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
    """The `profiles` object of one store, read through a read-only SQLite connection."""
    table, key_col, key, json_col = _LAYOUT[location.kind]
    uri = f"{location.path.as_uri()}?mode=ro"
    try:
        db = sqlite3.connect(uri, uri=True, timeout=10)
    except sqlite3.Error as exc:
        raise AuthStoreUnreadable(f"Cannot open {location.path.name} read-only: {exc}") from exc
    try:
        columns = {row[1] for row in db.execute(f"PRAGMA table_info({table})")}
        if not {key_col, json_col} <= columns:
            raise AuthStoreUnreadable(f"{location.path.name}: table {table} does not have the expected columns.")
        row = db.execute(f"SELECT {json_col} FROM {table} WHERE {key_col}=?", (key,)).fetchone()
    except sqlite3.Error as exc:
        raise AuthStoreUnreadable(f"Cannot read {location.path.name}: {type(exc).__name__}") from exc
    finally:
        db.close()
    if row is None:
        return {}
    try:
        doc = json.loads(row[0])
    except (TypeError, ValueError) as exc:
        raise AuthStoreUnreadable(f"{location.path.name}: the auth store is not JSON.") from exc
    profiles = doc.get("profiles") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(profiles, dict):
        raise AuthStoreUnreadable(f"{location.path.name}: unexpected auth store shape (want version 1 with profiles).")
    return profiles


def read_value(location: StoreLocation, profile_id: str) -> tuple[str, str]:
    """(mode, plaintext value) of one profile; raises when it is absent or not plaintext."""
    profile = read_profiles(location).get(profile_id)
    if not isinstance(profile, dict):
        raise AuthStoreUnreadable(f"Profile {profile_id} is no longer in {location.path.name}.")
    mode = profile.get("type")
    field = VALUE_FIELDS.get(mode) if isinstance(mode, str) else None
    value = profile.get(field) if field else None
    if not isinstance(value, str) or not value:
        raise AuthStoreUnreadable(f"Profile {profile_id} in {location.path.name} holds no plaintext {field or 'value'}.")
    return str(mode), value
