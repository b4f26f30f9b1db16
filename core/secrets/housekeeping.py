"""Vault housekeeping: finish what a dead writer left pending, then purge past the rollback window.

It runs after every credential write and from the watcher's tick (see core.secrets.retention for
the rules); it owns the rollback window so that `rollback` and the purge read the same number.
It needs the gateway only to learn which refs OpenClaw holds, and the store only for audit rows.
"""
from __future__ import annotations

import logging

from core.gateway.client import Gateway
from core.gateway.runner import GatewayError
from core.secrets.retention import DEFAULT_ROLLBACK_WINDOW_S, purge_superseded, settle_pending
from core.secrets.vault import Vault, VersionInfo
from core.store import Store

__all__ = ["VaultHousekeeping"]

log = logging.getLogger(__name__)

ACTOR = "openclaw-chatops"  # who audit rows of housekeeping name: no person asked for them


class VaultHousekeeping:
    def __init__(self, gateway: Gateway, vault: Vault, store: Store,
                 rollback_window_s: float = DEFAULT_ROLLBACK_WINDOW_S) -> None:
        self.gateway = gateway
        self.vault = vault
        self.store = store
        self.rollback_window_s = rollback_window_s  # how long a rotated-out version stays restorable

    def run(self) -> None:
        """Never inside a credential write (any process): finish writes a dead writer left pending,
        then drop rotated-out versions past the rollback window; an audit row for each change."""
        with self.vault.quiescent():
            if any(v.pending for v in self.vault.versions()):
                self._settle_pending()
            for info in purge_superseded(self.vault, self.rollback_window_s):
                self._audit("purge", "purged", info, f"v{info.version} past the rollback window")

    def _settle_pending(self) -> None:
        """Ask OpenClaw which vault refs it holds (a fresh status of every agent, and the config);
        see `core.secrets.retention.settle_pending`. Runs only after a writer died mid-write."""
        refs: set[str] = set()
        complete = True
        try:
            refs |= self.gateway.config().exec_ref_ids(self.gateway.provider.name)
            for snap in self.gateway.statuses(fresh=True).values():
                if isinstance(snap, GatewayError):
                    complete = False
                    continue
                refs |= {p.ref_id for p in snap.profiles() if p.ref_id}
        except GatewayError as exc:
            log.warning("pending vault versions left as they are: the gateway could not be read (%s)", exc)
            return
        made, gone = settle_pending(self.vault, refs, complete)
        for info in made:
            self._audit("recover", "made-current", info,
                        f"v{info.version}: OpenClaw points at it; its write was interrupted")
        for info in gone:
            self._audit("recover", "discarded", info, f"v{info.version}: an interrupted write OpenClaw never took")

    def _audit(self, action: str, result: str, info: VersionInfo, detail: str) -> None:
        self.store.audit(ACTOR, action, result, profile_id=info.record_id.rsplit("/", 1)[-1],
                         agent=info.record_id.split("/")[1] if info.record_id.count("/") >= 2 else "",
                         fingerprint=info.fingerprint, detail=detail)
