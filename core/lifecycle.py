"""The rollback window: which superseded vault versions may still be restored, and when they go.

A rotation makes a new version current and keeps the one it replaced, so a bad replacement can be
undone without anyone pasting the old secret again. Keeping old secrets forever would turn the vault
into an archive of every credential the team ever had, so a superseded version lives only for the
window (OPENCLAW_CHATOPS_ROLLBACK_WINDOW, 7 days by default), counted from the moment the version
that replaced it became current. Purging is cheap (one read of the vault file), so it runs after
every credential write and on every watcher tick rather than on a timer of its own.
"""
from __future__ import annotations

import time

from core.vault import Vault, VersionInfo

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
    """Delete every non-current version whose window has passed; returns what was deleted
    (metadata only) so callers can audit it."""
    now = time.time() if now is None else now
    gone: list[VersionInfo] = []
    records: dict[str, list[VersionInfo]] = {}
    for info in vault.versions():
        records.setdefault(info.record_id, []).append(info)
    for record_id, versions in records.items():
        current = next((v for v in versions if v.current), None)
        if current is None or now - superseded_at(vault, record_id, current) <= window_s:
            continue
        for info in versions:
            if not info.current and vault.delete(record_id, info.version):
                gone.append(info)
    return gone
