"""Outbox: per-destination order, pacing and Retry-After, against a platform stand-in that
enforces one message per second and answers "rate limited" like Slack does."""
from __future__ import annotations

import time

from core.alerts.outbox import Destination, Outbox, RateLimited
from core.replies import Reply


class StrictChannel:
    """Accepts at most one message per `interval`; faster senders get RateLimited(interval)."""

    min_interval_s = 0.05

    def __init__(self, interval: float):
        self.interval = interval
        self.last = 0.0
        self.accepted: list[str] = []
        self.rejected = 0

    def post(self, channel: str, reply: Reply) -> str:
        now = time.monotonic()
        if now - self.last < self.interval:
            self.rejected += 1
            raise RateLimited(self.interval - (now - self.last))
        self.last = now
        self.accepted.append(reply.title)
        return str(len(self.accepted))

    def update(self, channel, ref, reply):  # pragma: no cover - not used here
        raise AssertionError

    follow_up = update


def test_a_burst_is_delivered_in_order_without_a_429_storm():
    channel = StrictChannel(interval=0.1)
    outbox = Outbox({"fake": channel})
    dest = Destination("fake", "C1")
    for n in range(20):
        outbox.submit(dest, lambda notifier, ch, n=n: notifier.post(ch, Reply(title=f"event {n}")) and None)
    assert outbox.drain(30)
    assert channel.accepted == [f"event {n}" for n in range(20)]
    assert channel.rejected <= 20  # at most one retry per message: it waits as told, never spins


def test_unknown_platform_is_dropped_with_a_warning(caplog):
    outbox = Outbox({})
    outbox.submit(Destination("nowhere", "x"), lambda n, c: None)
    assert "no notifier for nowhere" in caplog.text


def test_an_undeliverable_message_is_dropped_without_holding_the_queue(caplog):
    from core.alerts.outbox import Undeliverable

    delivered: list[str] = []

    def fail(notifier, channel):
        raise Undeliverable("Slack answered not_in_channel")

    class Sink:
        min_interval_s = 0.0

    outbox = Outbox({"fake": Sink()})
    dest = Destination("fake", "C1")
    outbox.submit(dest, fail)
    outbox.submit(dest, lambda notifier, channel: delivered.append("next"))
    assert outbox.drain(10)
    assert delivered == ["next"] and "dropped: Slack answered not_in_channel" in caplog.text
