"""Progress while a command works: nobody waits in silence.

A paste takes 10–30 s of `openclaw` CLI calls on a loaded host and `secure` longer; without a sign
of life the admin pastes again or thinks it failed. Handlers report their steps to the request's
`progress` sink (`Request.progress`); each adapter wraps its own way of showing a line (a Slack
message edited in place, the deferred Discord reply, a terminal status line) in one `Progress`,
which decides *when* to show:

- nothing during the first `delay_s` (0.7 s), so a fast answer never flickers a "Working…" first;
- then the steps so far, and each later step, at most once per `interval_s`, from one background
  thread, so a handler never waits on a chat API and the platform's edit limits are respected;
- `finish()` stops it and waits for a display already under way, so the final answer always
  lands after (and replaces) the last progress display.
"""
from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Protocol, TypeVar

__all__ = ["CURRENT", "DONE", "SILENT", "Progress", "ProgressSink"]

log = logging.getLogger(__name__)

DELAY_S = 0.7  # fast answers show nothing; anything slower shows a step within a second
INTERVAL_S = 1.0  # at most one display per second: chat edits are rate limited
DONE, CURRENT = "✓", "⏳"
WORKING = "Working…"  # shown when slow work has not named a step yet
T = TypeVar("T")


class ProgressSink(Protocol):
    """Where handlers report what they are doing (no secret, ever: these lines reach chat)."""

    def step(self, text: str) -> None:
        """A new step began; the previous one is done."""
        ...

    def update(self, text: str) -> None:
        """The current step moved on (`Moving 2 / 5 into the vault`)."""
        ...


class Silent:
    """The sink of a request nobody watches (scripts, `--json`, tests of core alone)."""

    def step(self, text: str) -> None:
        pass

    def update(self, text: str) -> None:
        pass


SILENT = Silent()


class Progress:
    """The steps of one running command, shown through `show(text)` once it is slow.

    `show` gets every step so far, one per line: finished ones marked ✓, the current one ⏳.
    Adapters that show one line only (a terminal) take the last."""

    def __init__(self, show: Callable[[str], None], *, delay_s: float = DELAY_S,
                 interval_s: float = INTERVAL_S) -> None:
        self._show = show
        self.delay_s = delay_s
        self.interval_s = interval_s
        self._lines = [WORKING]
        self._first = True  # the placeholder line is replaced by the first real step
        self._version = 0
        self._done = False
        self._cond = threading.Condition()
        self._thread: threading.Thread | None = None

    # -- the sink ------------------------------------------------------------------------------
    def step(self, text: str) -> None:
        with self._cond:
            if self._first:
                self._lines = [text]
                self._first = False
            else:
                self._lines.append(text)
            self._version += 1
            self._cond.notify_all()

    def update(self, text: str) -> None:
        with self._cond:
            self._lines[-1] = text
            self._first = False
            self._version += 1
            self._cond.notify_all()

    # -- running -------------------------------------------------------------------------------
    def run(self, work: Callable[[], T]) -> T:
        """`work()` with progress shown while it is slow; returns once nothing more will be shown."""
        self.start()
        try:
            return work()
        finally:
            self.finish()

    def start(self) -> None:
        self._thread = threading.Thread(target=self._loop, name="progress", daemon=True)
        self._thread.start()

    def finish(self) -> None:
        """Stop showing, once a display under way is done: the caller's answer comes after it."""
        with self._cond:
            self._done = True
            self._cond.notify_all()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join()

    def _loop(self) -> None:
        shown_version = -1
        wait = self.delay_s
        while True:
            with self._cond:
                self._cond.wait_for(lambda: self._done, timeout=wait)  # quiet time first
                self._cond.wait_for(lambda: self._done or self._version != shown_version)  # noqa: B023 - runs in this wait
                if self._done:
                    return
                text, shown_version = render(self._lines), self._version
            try:
                self._show(text)
            except Exception:  # noqa: BLE001 - progress is best effort: the command goes on
                log.warning("could not show progress", exc_info=True)
            wait = self.interval_s


def render(lines: list[str]) -> str:
    return "\n".join([f"{DONE} {line}" for line in lines[:-1]] + [f"{CURRENT} {lines[-1]}"])
