"""The guard in front of every read: only a release and schema whose layout was checked is read.

These databases are OpenClaw's private format. Each one's `schema_meta` row `primary` must name a
release whose layout was checked (`app_version` 2026.9.x) and the schema version that release
writes, and every table read must have exactly the columns that release creates; anything else
raises `AuthStateUnsupported` and callers fall back to the CLI (status says so). The databases are
opened with a `mode=ro` URI and `query_only`: nothing here writes, and in WAL mode a reader never
blocks OpenClaw's writers.
"""
from __future__ import annotations

import re
import sqlite3
from pathlib import Path

__all__ = [
    "AGENT_SCHEMA_VERSION", "AGENT_TABLES", "SHARED_SCHEMA_VERSION", "SHARED_TABLES", "SUPPORTED_VERSION",
    "AuthStateUnsupported", "AuthStoreUnreadable", "check_layout", "check_version", "open_readonly",
]

SUPPORTED_VERSION = re.compile(r"^2026\.9\.\d+$")
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


class AuthStoreUnreadable(Exception):
    """The store is not in the shape this release of the bot knows; the message names no secret."""


class AuthStateUnsupported(AuthStoreUnreadable):
    """The release or layout is not one the reader was checked against: use the CLI instead."""


def check_version(version_text: str) -> None:
    """Refuse a release whose layout was not checked (`openclaw --version` or `schema_meta`)."""
    found = re.search(r"\b(\d{4}\.\d+\.\d+)\b", version_text or "")
    if not found or not SUPPORTED_VERSION.match(found.group(1)):
        raise AuthStateUnsupported(
            f"OpenClaw reports version {(version_text or '').strip()[:60]!r}; reading its auth store is only "
            "supported for 2026.9.x.")


def open_readonly(path: Path) -> sqlite3.Connection:
    """A `mode=ro`, `query_only` connection: nothing read through it can write OpenClaw's files."""
    try:
        # check_same_thread off: StoreCache keeps one connection per store for the watcher and the
        # status requests, and serialises its use under its own lock.
        db = sqlite3.connect(f"{Path(path).as_uri()}?mode=ro", uri=True, timeout=5, check_same_thread=False)
        db.execute("PRAGMA query_only = 1")
        return db
    except sqlite3.Error as exc:
        raise AuthStoreUnreadable(f"Cannot open {Path(path).name} read-only: {type(exc).__name__}") from exc


def check_layout(db: sqlite3.Connection, name: str, tables: dict[str, tuple[str, ...]], role: str, schema: int) -> None:
    """Exact columns of every table read, then the `schema_meta` role, schema version and release."""
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
