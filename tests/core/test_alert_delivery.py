"""Durable alert delivery, without any gateway: what the book owes the channel is saved with the
book, so a process that dies between saving an incident and posting it posts it after a restart,
exactly once; and a caller's cursor commits with them."""
from __future__ import annotations

import io
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from adapters.console.notifier import ConsoleNotifier
from core.alerts.center import AlertCenter
from core.alerts.outbox import Destination, Outbox
from core.replies import Reply
from core.store import Store

KEY = "profile:main/anthropic:api"
COOL = {"kind": "cooldown", "owner": "main", "profile": "anthropic:api", "reason": "rate_limit",
        "until": 4_000_000_000_000, "agents": ["main"]}


class ProcessKilled(BaseException):
    """The process dying mid-delivery: not an error the outbox handles, nothing after it runs."""


class DyingNotifier(ConsoleNotifier):
    """The console notifier in a process that is killed as it is about to post."""

    def post(self, channel: str, reply: Reply) -> str:
        raise ProcessKilled


class SlowNotifier(ConsoleNotifier):
    """The console notifier behind a slow platform: a post waits until `gate` opens."""

    gate = threading.Event()

    def post(self, channel: str, reply: Reply) -> str:
        assert self.gate.wait(10)
        return super().post(channel, reply)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "state.db"


@pytest.fixture
def store(db: Path) -> Iterator[Store]:
    s = Store(db)
    yield s
    s.close()


def center_on(store: Store, out: io.StringIO, notifier: type[ConsoleNotifier] = ConsoleNotifier) -> AlertCenter:
    center = AlertCenter(store, Outbox({"console": notifier(out, json_mode=True)}, threaded=False))
    center.set_destination(Destination("console", "console"))
    return center


def posts(out: io.StringIO) -> list[str]:
    return [e["reply"]["title"] for e in map(json.loads, out.getvalue().splitlines()) if e["alert"] == "post"]


def test_put_many_writes_all_or_nothing(store: Store):
    store.put_many({"a": 1, "b": [2]})
    assert (store.get("a"), store.get("b")) == (1, [2])
    with pytest.raises(TypeError):
        store.put_many({"a": 10, "c": object()})
    assert (store.get("a"), store.get("c")) == (1, None)


def test_a_post_saved_but_not_delivered_is_posted_once_after_a_restart(db: Path):
    first = Store(db)
    center = center_on(first, io.StringIO(), DyingNotifier)
    with pytest.raises(ProcessKilled), center.lock:
        center.reconcile({KEY: COOL}, ("profile",))
    first.close()

    out = io.StringIO()
    reborn = Store(db)
    center = AlertCenter(reborn, Outbox({"console": SlowNotifier(out, json_mode=True)}))  # delivered by a worker
    assert center.book.incidents[KEY].refs == {}  # the incident is known, its message was never posted
    center.resume()
    center.resume()  # a second adapter registering while the first delivery is in flight resubmits nothing
    SlowNotifier.gate.set()
    assert center.outbox.drain(10)
    assert posts(out) == ["⚠️ Profile in cooldown — main/anthropic:api"]
    assert len(out.getvalue().splitlines()) == 1  # and no redundant edit either
    assert center.book.incidents[KEY].refs == {"console:console": "1"}
    reborn.close()

    again = io.StringIO()
    third = Store(db)
    center_on(third, again).resume()
    assert again.getvalue() == ""  # delivered means cleared: a later start owes nothing
    third.close()


def test_publish_saves_a_callers_cursor_with_the_book(store: Store):
    center = center_on(store, io.StringIO())
    with center.lock:
        center.reconcile({KEY: COOL}, ("profile",), also={"cursor": 7})
    assert store.get("cursor") == 7
    assert KEY in AlertCenter(store, Outbox({})).book.incidents


class ReportingMeanwhile(dict):
    """The outbox's notifiers, where registering one lets another thread report a change at that
    very moment (a fleet hub's event intake applying a backlog as the Slack adapter comes up)."""

    report: threading.Thread

    def __setitem__(self, platform: str, notifier: Any) -> None:
        super().__setitem__(platform, notifier)
        self.report.start()
        self.report.join(1)  # it runs now unless registering holds the center's lock


def notes(out: io.StringIO) -> list[str]:
    return [e["reply"]["title"] for e in map(json.loads, out.getvalue().splitlines()) if e["alert"] == "follow_up"]


def test_messages_owed_from_before_a_restart_go_out_before_newer_ones(db: Path):
    first = Store(db)
    center = AlertCenter(first, Outbox({}))  # the adapter never came up: both stay owed
    center.set_destination(Destination("console", "console"))
    with center.lock:
        center.reconcile({KEY: COOL}, ("profile",))
        center.reconcile({}, ("profile",))
    first.close()

    out = io.StringIO()
    notifiers = ReportingMeanwhile()
    reborn = Store(db)
    center = AlertCenter(reborn, Outbox(notifiers, threaded=False))
    notifiers.report = threading.Thread(target=lambda: center.reconcile({KEY: COOL}, ("profile",)))
    center.add_notifier("console", ConsoleNotifier(out, json_mode=True))
    notifiers.report.join(10)
    assert [n.split(":")[0] for n in notes(out)] == ["Recovered.", "Again (2× in a short time)"]
    assert len(posts(out)) == 1
    reborn.close()
