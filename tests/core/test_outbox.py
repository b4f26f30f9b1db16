"""Outbox: per-destination order, pacing and Retry-After, against a platform stand-in that
enforces one message per second and answers "rate limited" like Slack does."""
from __future__ import annotations

import time

from core.alerts.outbox import Destination, Outbox, RateLimited
from core.replies import Reply


class StrictChannel:
    """Accepts at most one message per `interval`; faster senders get RateLimited for the time
    left. It declares `declared` as its pace, which may be looser than what it enforces."""

    def __init__(self, interval: float, declared: float | None = None):
        self.interval = interval
        self.min_interval_s = interval if declared is None else declared
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


def burst(channel: StrictChannel, count: int = 20) -> None:
    outbox = Outbox({"fake": channel})
    dest = Destination("fake", "C1")
    for n in range(count):
        outbox.submit(dest, lambda notifier, ch, n=n: notifier.post(ch, Reply(title=f"event {n}")) and None)
    assert outbox.drain(30)
    assert channel.accepted == [f"event {n}" for n in range(count)]


def test_a_burst_is_delivered_in_order_without_a_429_storm():
    """Paced at the platform's declared rate, a burst draws not a single 429."""
    channel = StrictChannel(interval=0.1)
    burst(channel)
    assert channel.rejected == 0


def test_a_platform_stricter_than_declared_is_waited_out_not_spun_on():
    """When the platform enforces more than the notifier declared, each 429's Retry-After is
    waited out in full: one refusal per message at most, never a retry loop."""
    channel = StrictChannel(interval=0.1, declared=0.05)
    burst(channel)
    assert channel.rejected <= 20


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
