"""Incident transitions and their persistence, without any gateway."""
from __future__ import annotations

from pathlib import Path

import pytest

from core.alerts.incidents import IncidentBook
from core.store import Store

COOL = {"kind": "cooldown", "owner": "main", "profile": "anthropic:api", "reason": "rate_limit", "until": 1_000, "agents": ["main"]}


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "state.db")
    yield s
    s.close()


def test_open_escalate_resolve(store: Store):
    book = IncidentBook(store)
    key = "profile:main/anthropic:api"
    assert [c.action for c in book.reconcile({key: COOL}, now=0)] == ["post"]
    assert book.reconcile({key: COOL}, now=5) == []  # dedup: same problem, no message
    moved = book.reconcile({key: {**COOL, "until": 2_000}}, now=6)
    assert [c.action for c in moved] == ["update"]
    escalated = book.reconcile({key: {**COOL, "kind": "disabled", "reason": "billing"}}, now=7)
    assert [c.action for c in escalated] == ["update+follow_up"]
    resolved = book.reconcile({}, now=60)
    assert [(c.action, c.note) for c in resolved] == [("update+follow_up", "Recovered.")]
    assert book.incidents[key].state == "resolved" and book.incidents[key].resolved_at == 60


def test_flapping_reopens_the_same_incident(store: Store):
    book = IncidentBook(store, flap_window_s=600)
    key = "profile:main/anthropic:api"
    book.reconcile({key: COOL}, now=0)
    book.reconcile({}, now=30)
    again = book.reconcile({key: COOL}, now=90)
    assert [c.action for c in again] == ["update+follow_up"] and "Again" in again[0].note
    book.reconcile({}, now=120)
    later = book.reconcile({key: COOL}, now=120 + 601)
    assert [c.action for c in later] == ["post"]


def test_the_book_survives_a_restart(store: Store):
    book = IncidentBook(store)
    key = "profile:main/anthropic:api"
    book.reconcile({key: COOL}, now=0)
    book.incidents[key].refs["slack:C1"] = "C1:1700000000.000100"
    book.save()
    reborn = IncidentBook(store)
    assert reborn.reconcile({key: COOL}, now=10) == []
    assert reborn.incidents[key].refs == {"slack:C1": "C1:1700000000.000100"}
    assert [c.action for c in reborn.reconcile({}, now=20)] == ["update+follow_up"]


def test_every_field_of_every_incident_survives_a_save(store: Store):
    """The book is saved on every change as a shallow copy of each incident's fields, not a deep
    one; what is read back must still be the whole incident, nested lists and dicts included."""
    book = IncidentBook(store)
    keys = [f"profile:main/anthropic:p{i}" for i in range(3)]
    book.reconcile({k: {**COOL, "agents": ["main", "ops"]} for k in keys}, now=0)
    book.incidents[keys[0]].refs["slack:C1"] = "C1/1700000000.000100"
    book.incidents[keys[1]].acked_by = "slack:U1"
    book.reconcile({k: COOL for k in keys[:2]}, now=5)
    book.save()
    assert IncidentBook(store).incidents == book.incidents


def test_unmanaged_kinds_are_not_resolved_by_absence(store: Store):
    book = IncidentBook(store)
    book.open_external("gateway:unreachable", {"kind": "gateway_unreachable", "message": "x"}, now=0)
    assert book.reconcile({}, now=5) == []
    assert book.resolve_external("gateway:unreachable", now=9).action == "update+follow_up"


def test_a_scoped_reconcile_resolves_only_incidents_under_its_scope(store: Store):
    """At the hub, host prod's observation says nothing about host staging's incidents."""
    book = IncidentBook(store)
    prod, staging = "profile:@prod ops/anthropic:x", "profile:@staging ops/anthropic:x"
    book.reconcile({prod: COOL}, now=0, scope="@prod ")
    book.reconcile({staging: COOL}, now=1, scope="@staging ")
    assert {i.key for i in book.open_incidents()} == {prod, staging}
    assert [(c.key, c.note) for c in book.reconcile({}, now=5, scope="@prod ")] == [(prod, "Recovered.")]
    assert [i.key for i in book.open_incidents()] == [staging]
