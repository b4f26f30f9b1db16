"""Watcher cost on an idle gateway: CPU seconds per hour with 10 agents at the default settings.

Idle means no agent turns: OpenClaw's files stay unchanged, so the watcher only stat()s them and
takes its hourly resync snapshot. Every successful turn rewrites an agent's store, so this figure
says nothing about a gateway in use: the busy-gateway benchmark measures that.

A child process runs the real watcher (poll 1 s, resync 1 h, a console alert destination so it is
not idle for lack of one). Measured there with getrusage: the CPU of one snapshot round (the
watcher process plus the `openclaw` processes it ran), then the watcher's own CPU over an idle
window of stat()-only polls. Per hour = idle rate × 3600 + one round × (3600 / resync).
The note also gives the host's wake-up cost (a fixed 20 stat() calls, back to back and after 1 s of
idle): on a VM whose idle vCPU wakes slowly that cost, not the watcher's work, sets the idle figure.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys

from bench.common import Figure, config_with_agents, home_with, quick

AGENTS = 10
WINDOW_S = 90
RESYNC_S = 3600.0

CHILD = r"""
import io, json, os, resource, sys, threading, time
from pathlib import Path
from adapters.console.notifier import ConsoleNotifier
from core.alerts.outbox import Destination
from tests.harness import make_bot

binary, home, window = sys.argv[1], Path(sys.argv[2]), float(sys.argv[3])
bot = make_bot(binary, home, home.parent / "chatops", OPENCLAW_CHATOPS_LOG_LEVEL="WARNING")
bot.parts.add_notifier("console", ConsoleNotifier(io.StringIO(), json_mode=True))
bot.parts.alerts.set_destination(Destination("console", "console"))
watcher = bot.parts.watcher

def cpu(who):
    r = resource.getrusage(who)
    return r.ru_utime + r.ru_stime

before = cpu(resource.RUSAGE_SELF) + cpu(resource.RUSAGE_CHILDREN)
started = time.monotonic()
watcher.tick(force=True)
round_cpu = cpu(resource.RUSAGE_SELF) + cpu(resource.RUSAGE_CHILDREN) - before
round_wall = time.monotonic() - started
snapshots = watcher.snapshots
def wake_cost_ms(sleep_s):
    # The same 20 stat() calls after `sleep_s` of idle: what merely waking up costs on this host.
    spent = 0.0
    for _ in range(5):
        time.sleep(sleep_s)
        t = time.thread_time()
        for _ in range(10):
            os.stat("/"); os.stat(str(home))
        spent += time.thread_time() - t
    return spent / 5 * 1000

wake = {"warm": wake_cost_ms(0.0), "after_1s": wake_cost_ms(1.0)}
idle_before = cpu(resource.RUSAGE_SELF)
thread = watcher.start()
time.sleep(window)
watcher.stop()
thread.join(5)
idle_cpu = cpu(resource.RUSAGE_SELF) - idle_before
print(json.dumps({"round_cpu": round_cpu, "round_wall": round_wall, "idle_cpu": idle_cpu, "window": window,
                  "agents": len(bot.parts.gateway.agents()), "resync": watcher.resync_s,
                  "extra_snapshots": watcher.snapshots - snapshots, "poll": watcher.poll_s, "wake": wake}))
"""


def run(window_s: float = WINDOW_S, agents: int = AGENTS) -> list[Figure]:
    if quick():
        window_s, agents = 5, 2
    binary, home = home_with(config_with_agents(agents), label="watcher")
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.run([sys.executable, "-c", CHILD, binary, str(home), str(window_s)], capture_output=True,
                          text=True, cwd=root, timeout=window_s + 600)
    if proc.returncode != 0:
        raise RuntimeError(proc.stderr[-1500:])
    m = json.loads(proc.stdout.strip().splitlines()[-1])
    idle_per_hour = m["idle_cpu"] / m["window"] * 3600
    rounds_per_hour = 3600 / m["resync"]
    per_hour = idle_per_hour + m["round_cpu"] * rounds_per_hour
    share = per_hour / 3600 * 100
    arithmetic = (f"idle gateway: no agent turns, OpenClaw's files unchanged; "
                  f"idle {m['idle_cpu']:.3f} s CPU over {m['window']:.0f} s (poll {m['poll']:g} s, "
                  f"{m['extra_snapshots']} snapshots) → {idle_per_hour:.1f} s/h; one round of {m['agents']} agents "
                  f"= {m['round_cpu']:.1f} s CPU ({m['round_wall']:.1f} s wall) × {rounds_per_hour:g}/h; "
                  f"total {per_hour:.1f} s/h = {share:.2f} % of a core; each file change or deadline adds one round "
                  f"({m['round_cpu']:.1f} s); host wake-up cost: 20 stat() calls take {m['wake']['warm']:.3f} ms CPU "
                  f"back to back, {m['wake']['after_1s']:.3f} ms after 1 s idle")
    return [Figure("watcher", f"CPU per hour, {m['agents']} agents, idle gateway, defaults", per_hour, "s/h", "≤ 72 s/h (2 % of a core)",
                   72 / per_hour if per_hour else float("inf"), per_hour <= 72, arithmetic)]
