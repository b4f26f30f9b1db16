"""The bot's own state in SQLite (stdlib): onboarding sessions, audit rows, key-value state.

Nothing secret is ever written here: sessions hold who/where/what was asked, audit rows hold
fingerprints. WAL mode lets the watcher and the command handlers write at the same time.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

__all__ = ["AuditRow", "Session", "Store"]

SCHEMA = """
CREATE TABLE IF NOT EXISTS sessions (
  id TEXT PRIMARY KEY, user_key TEXT NOT NULL, agent TEXT NOT NULL, method TEXT,
  profile_id TEXT, options TEXT NOT NULL DEFAULT '{}', created_at REAL NOT NULL,
  expires_at REAL NOT NULL, state TEXT NOT NULL DEFAULT 'open'
);
CREATE TABLE IF NOT EXISTS audit (
  id INTEGER PRIMARY KEY AUTOINCREMENT, ts REAL NOT NULL, actor TEXT NOT NULL, action TEXT NOT NULL,
  agent TEXT NOT NULL DEFAULT '', profile_id TEXT NOT NULL DEFAULT '', fingerprint TEXT NOT NULL DEFAULT '',
  result TEXT NOT NULL, detail TEXT NOT NULL DEFAULT ''
);
CREATE TABLE IF NOT EXISTS kv (key TEXT PRIMARY KEY, value TEXT NOT NULL, updated_at REAL NOT NULL);
"""


@dataclass(frozen=True)
class Session:
    id: str
    user_key: str
    agent: str
    method: str | None
    profile_id: str | None
    options: dict[str, Any]
    created_at: float
    expires_at: float
    state: str

    def expired(self, at: float | None = None) -> bool:
        return (time.time() if at is None else at) >= self.expires_at


@dataclass(frozen=True)
class AuditRow:
    id: int
    ts: float
    actor: str
    action: str
    agent: str
    profile_id: str
    fingerprint: str
    result: str
    detail: str


class Store:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._lock = threading.RLock()
        self._db = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None, timeout=30)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        self._db.executescript(SCHEMA)
        self.path.chmod(0o600)

    @contextmanager
    def _tx(self) -> Iterator[sqlite3.Connection]:
        with self._lock:
            if self._db.in_transaction:  # inside `transaction()`: the outer block commits
                yield self._db
                return
            self._db.execute("BEGIN IMMEDIATE")
            try:
                yield self._db
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
            self._db.execute("COMMIT")

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """Every write inside the block commits together or not at all (an audit row mirrored from
        another host and the cursor that says it was applied). Callers that also hold a lock of
        their own take it first: this block holds the store's lock throughout."""
        with self._tx():
            yield

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # -- sessions ----------------------------------------------------------------------------
    def open_session(self, session: Session) -> None:
        """Open `session` for its user. Callers open a session only on that user's own request:
        it replaces their older open one (a DM paste must have exactly one place to go), and so
        nobody else's action can redirect or cancel a paste."""
        with self._tx() as db:
            db.execute("UPDATE sessions SET state='replaced' WHERE user_key=? AND state='open'", (session.user_key,))
            db.execute(
                "INSERT INTO sessions VALUES (?,?,?,?,?,?,?,?,?)",
                (session.id, session.user_key, session.agent, session.method, session.profile_id,
                 json.dumps(session.options), session.created_at, session.expires_at, session.state),
            )

    def session(self, session_id: str) -> Session | None:
        with self._lock:
            row = self._db.execute("SELECT * FROM sessions WHERE id=?", (session_id,)).fetchone()
        return self._session(row) if row else None

    def open_session_for(self, user_key: str) -> Session | None:
        with self._lock:
            row = self._db.execute(
                "SELECT * FROM sessions WHERE user_key=? AND state='open' ORDER BY created_at DESC LIMIT 1", (user_key,)
            ).fetchone()
        return self._session(row) if row else None

    def update_session(self, session_id: str, **changes: Any) -> None:
        if "options" in changes:
            changes["options"] = json.dumps(changes["options"])
        cols = ", ".join(f"{k}=?" for k in changes)
        with self._tx() as db:
            db.execute(f"UPDATE sessions SET {cols} WHERE id=?", (*changes.values(), session_id))

    @staticmethod
    def _session(row: sqlite3.Row) -> Session:
        return Session(row["id"], row["user_key"], row["agent"], row["method"], row["profile_id"],
                       json.loads(row["options"]), row["created_at"], row["expires_at"], row["state"])

    # -- audit -------------------------------------------------------------------------------
    def audit(self, actor: str, action: str, result: str, *, agent: str = "", profile_id: str = "",
              fingerprint: str = "", detail: str = "") -> None:
        with self._tx() as db:
            db.execute(
                "INSERT INTO audit (ts, actor, action, agent, profile_id, fingerprint, result, detail) "
                "VALUES (?,?,?,?,?,?,?,?)",
                (time.time(), actor, action, agent, profile_id, fingerprint, result, detail),
            )

    def audit_rows(self, limit: int = 20, *, since_id: int = 0) -> list[AuditRow]:
        with self._lock:
            rows = self._db.execute(
                "SELECT * FROM audit WHERE id>? ORDER BY id DESC LIMIT ?", (since_id, limit)
            ).fetchall()
        return [AuditRow(**dict(r)) for r in rows]

    # -- key/value ---------------------------------------------------------------------------
    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            row = self._db.execute("SELECT value FROM kv WHERE key=?", (key,)).fetchone()
        return json.loads(row["value"]) if row else default

    def put(self, key: str, value: Any) -> None:
        with self._tx() as db:
            db.execute("INSERT OR REPLACE INTO kv VALUES (?,?,?)", (key, json.dumps(value), time.time()))

    def put_many(self, values: dict[str, Any]) -> None:
        """Several kv writes in one transaction: the incident book, the messages it still owes and
        a cursor must never disagree after a crash."""
        now = time.time()
        with self._tx() as db:
            db.executemany("INSERT OR REPLACE INTO kv VALUES (?,?,?)",
                           [(key, json.dumps(value), now) for key, value in values.items()])
