"""Where the auth rows live and reading them: per agent `openclaw-agent.sqlite`, and the shared store.

- per agent, `agents/<id>/agent/openclaw-agent.sqlite`: `auth_profile_store` row `primary`
  (`store_json`: profiles) and `auth_profile_state` row `primary` (`state_json`: `usageStats`,
  `order`, `lastGood`);
- shared, `state/openclaw.sqlite`: `config_machine_state` keys `auth.sharedStore` and
  `authProfiles.*` (a profile store that `paste-token` on a fresh single-agent home writes).
"""
from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.gateway.authstate.guard import (
    AGENT_SCHEMA_VERSION,
    AGENT_TABLES,
    SHARED_SCHEMA_VERSION,
    SHARED_TABLES,
    AuthStateUnsupported,
    AuthStoreUnreadable,
    check_layout,
    open_readonly,
)
from core.gateway.authstate.shapes import Credential, check_profiles, check_state, parse_json

__all__ = [
    "AGENT_STORE", "SHARED_KEYS", "SHARED_STORE", "RawStore", "Rows",
    "agent_rows", "read_agent_store", "read_shared_store", "shared_rows",
]

AGENT_STORE = "openclaw-agent.sqlite"
SHARED_STORE = Path("state") / "openclaw.sqlite"
SHARED_KEYS = {"auth.sharedStore", "authProfiles.store", "authProfiles.state"}


@dataclass(frozen=True)
class RawStore:
    """One store's auth rows, shape-checked (profiles may hold plaintext: never log this)."""

    path: Path
    profiles: dict[str, Credential] = field(default_factory=dict)
    state: dict[str, Any] = field(default_factory=dict)
    exists: bool = True


# How one store's rows are read from an open connection: `agent_rows` or `shared_rows`.
Rows = Callable[[sqlite3.Connection, Path], RawStore]


def agent_rows(db: sqlite3.Connection, path: Path) -> RawStore:
    """The agent database's `primary` store and state rows (a missing row is an empty one)."""
    try:
        check_layout(db, path.name, AGENT_TABLES, "agent", AGENT_SCHEMA_VERSION)
        store = db.execute("SELECT store_json FROM auth_profile_store WHERE store_key='primary'").fetchone()
        state = db.execute("SELECT state_json FROM auth_profile_state WHERE state_key='primary'").fetchone()
    except sqlite3.Error as exc:
        raise AuthStoreUnreadable(f"Cannot read {path.name}: {type(exc).__name__}") from exc
    profiles = check_profiles(parse_json(store[0], path.name, "auth_profile_store"), path.name) if store else {}
    auth_state = check_state(parse_json(state[0], path.name, "auth_profile_state"), path.name) if state else {}
    return RawStore(path, profiles, auth_state)


def shared_rows(db: sqlite3.Connection, path: Path) -> RawStore:
    """The shared store's `authProfiles.*` keys; only the `state-db` location is one this bot knows."""
    try:
        check_layout(db, path.name, SHARED_TABLES, "global", SHARED_SCHEMA_VERSION)
        rows = dict(db.execute("SELECT state_key, value_json FROM config_machine_state "
                               "WHERE state_key = 'auth.sharedStore' OR state_key LIKE 'authProfiles.%'").fetchall())
    except sqlite3.Error as exc:
        raise AuthStoreUnreadable(f"Cannot read {path.name}: {type(exc).__name__}") from exc
    if not set(rows) <= SHARED_KEYS:
        raise AuthStateUnsupported(
            f"{path.name}: shared auth keys {sorted(set(rows) - SHARED_KEYS)} are not ones this bot knows.")
    where = parse_json(rows["auth.sharedStore"], path.name, "auth.sharedStore") if "auth.sharedStore" in rows else None
    if where is not None and where != {"location": "state-db"}:
        raise AuthStateUnsupported(f"{path.name}: shared auth store location is not one this bot knows.")
    profiles = check_profiles(parse_json(rows["authProfiles.store"], path.name, "authProfiles.store"), path.name) \
        if "authProfiles.store" in rows else {}
    state = check_state(parse_json(rows["authProfiles.state"], path.name, "authProfiles.state"), path.name) \
        if "authProfiles.state" in rows else {}
    return RawStore(path, profiles, state, exists=bool(rows))


def _read_once(path: Path, rows: Rows) -> RawStore:
    path = Path(path)
    if not path.exists():
        return RawStore(path, exists=False)
    db = open_readonly(path)
    try:
        return rows(db, path)
    finally:
        db.close()


def read_agent_store(path: Path) -> RawStore:
    """The `primary` rows of one agent database (an absent file is an empty store)."""
    return _read_once(path, agent_rows)


def read_shared_store(path: Path) -> RawStore:
    """The shared store in `state/openclaw.sqlite`, when `auth.sharedStore` says it is in use."""
    return _read_once(path, shared_rows)
