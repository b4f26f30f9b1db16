"""The rollback window's purge against credential writes in progress (pure vault, no gateway)."""
from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

from core.secrets.retention import purge_superseded, settle_pending
from core.secrets.vault import Vault

DAY = 86400.0
WINDOW = 7 * DAY


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(tmp_path / "vault.json", bytes(range(32)))


def test_a_pending_version_survives_the_purge_and_can_still_become_current(vault: Vault):
    vault.put("r", "v1-secret", kind="api-key", created_by="x")
    pending = vault.put("r", "v2-secret", kind="api-key", created_by="x", make_current=False)
    eight_days_on = time.time() + 8 * DAY  # v1 has been current for 8 days: past the window
    assert purge_superseded(vault, WINDOW, now=eight_days_on) == []
    vault.set_current("r", pending.version)  # what the writer does once OpenClaw points at v2
    assert vault.get("r") == "v2-secret"
    # v1 is now superseded: the window counts from v2 becoming current, and then v1 goes.
    assert [v.version for v in purge_superseded(vault, WINDOW, now=time.time() + 8 * DAY)] == [1]
    assert [v.version for v in vault.versions("r")] == [2]


def test_the_purge_waits_for_a_credential_write_in_progress(vault: Vault):
    vault.put("r", "v1-secret", kind="api-key", created_by="x")
    purged: list[int] = []

    def housekeeping() -> None:
        with vault.quiescent():
            purged.extend(v.version for v in purge_superseded(vault, WINDOW, now=time.time() + 8 * DAY))

    with vault.credential_write():
        pending = vault.put("r", "v2-secret", kind="api-key", created_by="x", make_current=False)
        thread = threading.Thread(target=housekeeping)
        thread.start()
        thread.join(0.5)
        assert thread.is_alive() and purged == []  # it waits for the write, whatever it would decide
        vault.set_current("r", pending.version)
    thread.join(10)
    assert not thread.is_alive()
    # It ran after the write, on the state the write left: v2 current, v1 (8 days on) past its window.
    assert vault.get("r") == "v2-secret" and purged == [1]


def test_settling_keeps_what_openclaw_points_at_and_drops_what_it_never_took(vault: Vault):
    vault.put("a", "a1", kind="api-key", created_by="x")
    taken = vault.put("a", "a2", kind="api-key", created_by="x", make_current=False)
    never = vault.put("b", "b1", kind="api-key", created_by="x", make_current=False)  # a new record
    made, gone = settle_pending(vault, {taken.ref}, complete=False)
    assert [v.ref for v in made] == [taken.ref] and gone == []  # not every agent was read: keep the rest
    assert vault.current("a").version == 2 and not vault.current("a").pending
    made, gone = settle_pending(vault, {taken.ref}, complete=True)
    assert made == [] and [v.ref for v in gone] == [never.ref]
    assert vault.versions("b") == []
