"""Alert latency with 10 agents: from OpenClaw recording a cooldown to the alert on the fake Slack.

One OpenClaw home with 10 agents. The default agent holds no profile, so nothing is inherited and
each cooldown belongs to one agent; each of the other nine holds profiles of its own (vault refs,
all written by one `secrets apply`). The fake Anthropic answers 401 (the quick case: OpenClaw does
not retry, rotates to the agent's next profile, and writes each cooldown as that profile fails; a
429 is written only after ~2.5 min of retries, and the watcher's part is the same). One real
`openclaw agent --local` turn per agent, one after another: every cooldown a turn recorded is a
sample, and the next turn starts once its alerts are posted, so each turn is the only activity on
an otherwise idle gateway. A cooldown with no alert is reported as missed, and counts as infinite.

"Recorded" is `lastFailureAt` of the profile in the agent's `auth_profile_state` row, read
read-only after the fact (only this benchmark reads that file). "Posted" is when the fake Slack
received the `chat.postMessage` of that profile's incident. The watcher runs with its defaults
except `poll_s` = `OPENCLAW_CHATOPS_WATCH_POLL` = 1 s.
"""
from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

from adapters.slack.app import create
from bench.common import Arrivals, Figure, bot_on, config_with_agents, home_with, median, percentile, quick, under
from core.alerts.outbox import Destination
from core.gateway.plans import Plan, ProfileTarget
from core.gateway.runner import GatewayError
from core.secrets.credentials import Kind
from core.secrets.writer import record_id
from tests.fakes.anthropic import FakeAnthropic
from tests.fakes.slack import BOT_TOKEN, FakeSlack
from tests.harness import run_oc

AGENTS = 10
TARGET_S = 5
WAIT_S = 180  # after a turn, a cooldown with no alert by then counts as missed
PROFILES = {"anthropic:default": (Kind.SETUP_TOKEN, "sk-ant-oat01-" + "BenchAlert_" * 8),
            "anthropic:backup": (Kind.SETUP_TOKEN, "sk-ant-oat01-" + "BenchAlertBackup_" * 5),
            "anthropic:api": (Kind.API_KEY, "sk-ant-api03-" + "BenchAlertKey_" * 5)}


def last_failures_ms(state_dir: Path, agent: str) -> dict[str, int]:
    """`lastFailureAt` per profile, as OpenClaw recorded it in the agent's own store."""
    db = state_dir / "agents" / agent / "agent" / "openclaw-agent.sqlite"
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        row = conn.execute("SELECT state_json FROM auth_profile_state WHERE state_key='primary'").fetchone()
    stats = json.loads(row[0]).get("usageStats", {}) if row else {}
    return {profile: int(s["lastFailureAt"]) for profile, s in stats.items() if s.get("lastFailureAt")}


def run(agents: int = AGENTS) -> list[Figure]:
    if quick():
        agents = 2
    binary, home = home_with(config_with_agents(agents), label="alert")
    anthropic = FakeAnthropic(mode="auth").start()
    fake = FakeSlack()
    run_oc(binary, home, "config", "set", "models.providers.anthropic.baseUrl", anthropic.url)
    harness = bot_on(binary, home, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake.api_url,
                     SLACK_SIGNING_SECRET="s", SLACK_MODE="http", OPENCLAW_CHATOPS_WATCH_POLL="1")
    parts = harness.parts
    names = parts.gateway.agents()
    targets = []
    for agent in names[1:]:  # the default agent holds none: nothing is inherited, each cooldown is one agent's
        for profile, (kind, value) in PROFILES.items():
            version = parts.vault.put(record_id(agent, profile), value, kind=kind.value, created_by="bench")
            targets.append(ProfileTarget(agent, profile, kind.openclaw_mode, version.ref))
    parts.gateway.apply_plan(Plan(parts.gateway.provider, targets))
    create(parts)
    parts.alerts.set_destination(Destination("slack", "CALERTS"))
    watcher = parts.watcher
    started = time.monotonic()
    watcher.tick(force=True)  # the baseline snapshot, as after start-up
    round_s = time.monotonic() - started
    for agent, snap in list(parts.gateway.statuses().items())[1:]:  # the snapshots the baseline just took
        if isinstance(snap, GatewayError) or set(PROFILES) - {p.id for p in snap.profiles() if p.local}:
            raise RuntimeError(f"agent {agent} does not hold the bench profiles: {snap}")
    arrivals = Arrivals(fake)
    watcher.start()
    samples: list[float] = []
    missed: list[str] = []
    try:
        for agent in names[1:]:
            turn_started_ms = time.time() * 1000
            run_oc(binary, home, "agent", "--local", "--agent", agent, "--message", "hi", "--json", timeout=600)
            recorded = {p: t for p, t in last_failures_ms(harness.state_dir, agent).items() if t >= turn_started_ms}
            if not recorded:
                raise RuntimeError(f"the 401 turn on {agent} recorded no failure")
            deadline = time.monotonic() + WAIT_S
            for profile, at_ms in recorded.items():
                posted = arrivals.posted(f"incident profile:{agent}/{profile}", deadline)
                samples.append(float("inf") if posted is None else posted - at_ms / 1000)
                if posted is None:
                    missed.append(f"{agent}/{profile}")
    finally:
        arrivals.stop()
        watcher.stop()
        parts.alerts.outbox.drain(30)  # the rest of the incidents' messages, before the fake goes
        anthropic.stop()
        fake.close()
        parts.store.close()
    p50, p95 = median(samples), percentile(samples, 95)
    note = (f"{len(samples)} samples from {len(names) - 1} turns (one real 401 turn on each agent but the default one, "
            f"which holds no profile; one after another; every cooldown a turn recorded is a sample; the next turn starts "
            f"once its alerts are posted): " + ", ".join(f"{x:.1f}" for x in samples) + " s; "
            f"missed (no alert within {WAIT_S} s of the turn): {', '.join(missed) or 'none'}; recorded = lastFailureAt; "
            f"one watcher round of {len(names)} agents took {round_s:.1f} s wall at start-up")
    return [under("alert", f"401 cooldown recorded → Slack post, p50 ({len(samples)} samples, {len(names)} agents)",
                  p50, "s", TARGET_S, note),
            under("alert", f"401 cooldown recorded → Slack post, p95 ({len(samples)} samples, {len(names)} agents)",
                  p95, "s", TARGET_S, "nearest-rank p95; samples in the p50 row's note")]
