"""Read OpenClaw's auth state straight from its SQLite stores, read-only, behind a version guard.

Why: `openclaw models status --json` costs ~3 s of CPU per agent, and every plain turn rewrites the
files it reads from (transcripts live in the same per-agent database, and a success records
`usageStats.<profile>.lastUsed`). A bot that asks the CLI whenever those files change does a full
CLI round per turn on a busy gateway. The auth rows themselves are small JSON documents, so the
bot reads them directly and derives what `models status` would show, following OpenClaw's own
rules (2026.9.x `dist/`: `list.status-command`, `usage-state`, `order`, `auth-health`).

One module per step, each depending only on those above it:
- `guard`: the release and schema guard, the read-only connection, the two errors;
- `shapes`: the JSON documents in the rows, checked against the shape the release writes;
- `rows`: where the rows live (per agent, and the shared store) and reading one store's rows;
- `cache`: `StoreCache`, the kept read-only connections and rows re-read only when a file changed;
- `plaintext`: the one-time plaintext migration's read of one stored value (no OpenClaw command
  reveals it);
- `rules`: OpenClaw's merge, cooldown, eligibility and display rules;
- `view`: `AuthView` (one agent as `models status` shows it) and `AuthStateReader`, which builds them.

Callers import from this package; what they use is re-exported here.
"""
from __future__ import annotations

from core.gateway.authstate.cache import StoreCache
from core.gateway.authstate.guard import AuthStateUnsupported, AuthStoreUnreadable, check_version
from core.gateway.authstate.plaintext import StoreLocation, locate, read_profiles, read_value
from core.gateway.authstate.rows import RawStore, read_agent_store, read_shared_store
from core.gateway.authstate.view import AuthStateReader, AuthView

__all__ = [
    "AuthStateReader",
    "AuthStateUnsupported",
    "AuthStoreUnreadable",
    "AuthView",
    "RawStore",
    "StoreCache",
    "StoreLocation",
    "check_version",
    "locate",
    "read_agent_store",
    "read_profiles",
    "read_shared_store",
    "read_value",
]
