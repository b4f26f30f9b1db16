"""core.progress: when steps are shown, and that nothing is shown once the answer may go out."""
from __future__ import annotations

import threading

from core.progress import Progress


def test_work_done_within_the_delay_shows_nothing() -> None:
    shown: list[str] = []
    progress = Progress(shown.append, delay_s=3600)
    assert progress.run(lambda: progress.step("Asking the gateway") or "answer") == "answer"
    assert shown == []


def test_slow_work_shows_its_steps_done_and_current_and_nothing_after_finish() -> None:
    shown: list[str] = []
    seen = threading.Event()

    def show(text: str) -> None:
        shown.append(text)
        if "2 / 3" in text:
            seen.set()

    progress = Progress(show, delay_s=0, interval_s=0)

    def work() -> str:
        progress.step("Received")
        progress.step("Moving 1 / 3")
        progress.update("Moving 2 / 3")
        assert seen.wait(60)
        return "answer"

    assert progress.run(work) == "answer"
    count = len(shown)
    progress.step("Late")  # after run() returned: the answer is out, nothing may be shown any more
    assert len(shown) == count and not any("Late" in text for text in shown)
    assert "✓ Received\n⏳ Moving 2 / 3" in shown


def test_a_failing_display_does_not_fail_the_work() -> None:
    def broken(text: str) -> None:
        raise ConnectionError("chat is down")

    progress = Progress(broken, delay_s=0, interval_s=0)
    assert progress.run(lambda: "answer") == "answer"
