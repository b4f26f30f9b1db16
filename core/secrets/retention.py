"""The rollback window: which superseded vault versions may still be restored, and when they go.

A rotation makes a new version current and keeps the one it replaced, so a bad replacement can be
undone without anyone pasting the old secret again. Keeping old secrets forever would turn the vault
into an archive of every credential the team ever had, so a superseded version lives only for the
window (OPENCLAW_CHATOPS_ROLLBACK_WINDOW, 7 days by default), counted from the moment the version
that replaced it became current. Purging is cheap (one read of the vault file), so it runs after
every credential write and from the watcher's housekeeping rather than on a timer of its own.

A *pending* version (written, not yet made current: a credential write between its vault put and
its `set_current`) is never purged: OpenClaw may already point at it. Housekeeping holds the
vault's `quiescent` lock, so it never runs inside a write; a pending version it finds there was
left by a writer that died, and `settle_pending` finishes that write the way OpenClaw decided it:
current if OpenClaw points at it, deleted if OpenClaw never took it.
"""
from __future__ import annotations

import time

from core.secrets.vault import Vault, VersionInfo

__all__ = ["DEFAULT_ROLLBACK_WINDOW_S", "previous_version", "purge_superseded", "settle_pending"]

DEFAULT_ROLLBACK_WINDOW_S = 7 * 86400.0


def superseded_at(vault: Vault, record_id: str, current: VersionInfo) -> int:
    """When the versions other than `current` stopped being used; records from before
    `current_since` was kept fall back to the current version's creation time."""
    return vault.current_since(record_id) or current.created_at


def previous_version(vault: Vault, record_id: str, window_s: float, now: float | None = None) -> VersionInfo | None:
    """The newest version older than the current one, if it is still inside the window."""
    versions = vault.versions(record_id)
    current = next((v for v in versions if v.current), None)
    if current is None:
        return None
    now = time.time() if now is None else now
    if now - superseded_at(vault, record_id, current) > window_s:
        return None
    older = [v for v in versions if v.version < current.version]
    return older[-1] if older else None


def purge_superseded(vault: Vault, window_s: float, now: float | None = None) -> list[VersionInfo]:
    """Delete every superseded version whose window has passed, never a pending one; returns what
    was deleted (metadata only) so callers can audit it. The choice and the deletion are one
    locked vault write."""
    now = time.time() if now is None else now

    def expired(record_id: str, versions: list[VersionInfo], since: int | None) -> list[int]:
        current = next((v for v in versions if v.current), None)
        if current is None or now - (since or current.created_at) <= window_s:
            return []
        return [v.version for v in versions if not v.current and not v.pending]

    return vault.delete_where(expired)


def settle_pending(vault: Vault, pointed_at: set[str], complete: bool) -> tuple[list[VersionInfo], list[VersionInfo]]:
    """Finish the writes a dead writer left pending: a version OpenClaw points at (`pointed_at`:
    every vault ref OpenClaw holds) becomes current; one it does not point at is deleted, but only
    when `complete` says `pointed_at` covers every agent. Call it with `vault.quiescent()` held.
    Returns (made current, deleted)."""
    made: list[VersionInfo] = []
    for info in vault.versions():
        if info.pending and info.ref in pointed_at:
            vault.set_current(info.record_id, info.version)
            made.append(info)
    if not complete:
        return made, []
    abandoned = {(v.record_id, v.version) for v in vault.versions() if v.pending and v.ref not in pointed_at}
    gone: list[VersionInfo] = []
    for record_id, version in sorted(abandoned):
        info = next(v for v in vault.versions(record_id) if v.version == version)
        if vault.delete(record_id, version):
            gone.append(info)
    return made, gone
