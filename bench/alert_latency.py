"""Alert latency: from OpenClaw recording a cooldown to the alert on the fake Slack.

The fake Anthropic answers 401 (the quick case: OpenClaw does not retry, the turn ends in ~17 s
and the cooldown is written at once; a 429 is written only after ~2.5 min of retries, and the
watcher's part is the same). "Recorded" is `lastFailureAt` of the profile in OpenClaw's
`auth_profile_state` row, read read-only after the fact (only this benchmark reads that file); the
first change of the store files' mtime seen by a 10 ms stat loop is reported beside it. "Posted"
is when the fake Slack received `chat.postMessage`. The watcher runs with its defaults except
`poll_s` = `OPENCLAW_CHATOPS_WATCH_POLL` = 1 s.
"""
from __future__ import annotations

import json
import sqlite3
import threading
import time
from pathlib import Path

from adapters.slack.app import create
from bench.common import Figure, bot_on, home_with, median, under
from core.alerts.outbox import Destination
from core.credentials import classify
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.slack import FakeSlack
from tests.harness import run_oc

SAMPLES = 2


def last_failure_ms(state_dir: Path) -> int:
    db = state_dir / "agents" / "main" / "agent" / "openclaw-agent.sqlite"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT state_json FROM auth_profile_state WHERE state_key='primary'").fetchone()
    stats = json.loads(row[0]).get("usageStats", {})
    return max(int(s.get("lastFailureAt", 0)) for s in stats.values())


def one_sample() -> tuple[float, float]:
    binary, home = home_with(label="alert")
    anthropic = FakeAnthropic(mode="auth").start()
    fake = FakeSlack()
    run_oc(binary, home, "config", "set", "models.providers.anthropic.baseUrl", anthropic.url)
    harness = bot_on(binary, home, SLACK_BOT_TOKEN="xoxb-bench", SLACK_API_URL=fake.api_url,
                     SLACK_SIGNING_SECRET="s", SLACK_MODE="http", OPENCLAW_CHATOPS_WATCH_POLL="1")
    harness.chatops.writer.write("main", "anthropic:default", classify("sk-ant-oat01-" + "BenchAlert_" * 8), actor="bench")
    create(harness.parts)
    harness.parts.alerts.set_destination(Destination("slack", "CALERTS"))
    watcher = harness.parts.watcher
    watcher.tick(force=True)  # the baseline snapshot, as after start-up
    watcher.start()
    files = [p for p in harness.parts.gateway.signature()]
    first_change: list[float] = []
    stop = threading.Event()

    def stat_loop() -> None:
        baseline = harness.parts.gateway.signature()
        while not stop.is_set() and not first_change:
            if harness.parts.gateway.signature() != baseline:
                first_change.append(time.time())
            time.sleep(0.01)

    threading.Thread(target=stat_loop, daemon=True).start()
    run_oc(binary, home, "agent", "--local", "--agent", "main", "--message", "hi", "--json")
    post = fake.wait_for(lambda f: [c for c in f.of("chat.postMessage") if "cooldown" in json.dumps(c.params).lower()],
                         timeout=60)
    posted = time.time()
    stop.set()
    watcher.stop()
    harness.parts.alerts.outbox.drain(30)  # the rest of the incident's messages, before the fake goes
    recorded_ms = last_failure_ms(harness.state_dir)
    anthropic.stop()
    fake.close()
    harness.parts.store.close()
    assert post and files
    return posted - recorded_ms / 1000, posted - (first_change[0] if first_change else posted)


def run(samples: int = SAMPLES) -> list[Figure]:
    results = [one_sample() for _ in range(samples)]
    from_record = [r[0] for r in results]
    from_mtime = [r[1] for r in results]
    return [under("alert", f"401 cooldown recorded → Slack post, median of {samples}", median(from_record), "s", 5,
                  "recorded = lastFailureAt; samples " + ", ".join(f"{x:.2f}" for x in from_record) +
                  "; from first store-file mtime change: " + ", ".join(f"{x:.2f}" for x in from_mtime))]
