"""The work after the ack: a small bounded pool the Bolt listeners hand their slow part to.

Every listener acknowledges first and only then calls core: Slack drops a request that is not
acknowledged within 3 s, and one gateway CLI call alone takes 2–9 s. Listeners run in the thread
that received the request (`process_before_response`), so work done there would hold the thread
that answers Slack (Socket Mode) or feeds Bolt (HTTP mode), and a burst of commands would queue
behind gateway calls.

Why not Bolt's lazy listeners on `listener_executor`, which do the same thing: before a lazy
listener is queued, Bolt deep-copies the whole request (`BoltRequest.to_copyable`, the body parsed
again and the context's clients copied) in the thread that must ack, before the ack leaves. That
is 0.46 ms per slash command against 0.13 ms for a listener that acks and queues (App.dispatch,
slack_bolt 1.30, on a 2-core host): on a burst of 200 commands, 66 ms more before the last ack,
where the ack bench already sits above its 50 ms budget (bench/RESULTS.md). What is kept is what
Bolt's lazy runner does without the copy: a bounded `ThreadPoolExecutor` and a last-net log line.
"""
from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from adapters.slack.logs import library_logger

log = library_logger(__name__)  # a job may hold pasted text: same redaction

WORKERS = 8  # few: every runnable worker takes interpreter-lock slices from the threads that must ack


class Workers:
    def __init__(self, size: int = WORKERS) -> None:
        self.pool = ThreadPoolExecutor(max_workers=size, thread_name_prefix="slack-work")

    def later(self, job: Callable[..., None], *args: Any) -> None:
        """Run `job` after the ack, off Bolt's threads; a crash is logged, never lost silently."""
        def run() -> None:
            try:
                job(*args)
            except Exception:  # noqa: BLE001 - jobs report to the user themselves; this is the last net
                log.exception("Slack job failed")
        self.pool.submit(run)
