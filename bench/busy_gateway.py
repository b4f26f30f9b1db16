"""Busy gateway: 10 agents, OpenClaw's stores written once a second the way a successful turn
writes them, the bot running with team alerts on.

Measured twice in the same run, in a child process each (CPU by getrusage, the bot and every
`openclaw` process it starts):
- "rows": the bot as shipped (status and the watcher read OpenClaw's auth rows, read-only);
- "cli" (the anchor): the same bot with the store reader refused, i.e. the CLI-only design
  (`models status --json` per agent, snapshots trusted while the files keep size and mtime).
Figures: the bot's CPU as % of a core during the load, `status` p50/p95 during the load (a request
still unanswered at the end counts with the time it had waited), and the time from a recorded
cooldown to the alert posted.

The simulated turn (`simulate_turn`) does what one real successful `openclaw agent --local` turn
was observed to do (a row diff against a real turn is run once per benchmark run and reported in
the note): the per-agent database gets new transcript rows and its `auth_profile_state` row
`primary` gets `lastUsed`, `lastProbeAt`, `errorCount: 0` and `lastGood`; the shared
`state/openclaw.sqlite` gets the agent's `agent_databases` row updated. The recorded cooldown is
the `auth_profile_state` content a 401 turn leaves (cooldownUntil = lastFailureAt + 30 s, reason
`auth`). Only this benchmark writes OpenClaw's files directly, and only in its own throwaway home.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from bench.common import Figure, bot_on, config_with_agents, home_with, percentile, under
from core.gateway.plans import Plan, ProfileTarget
from tests.fakes.anthropic import FakeAnthropic
from tests.harness import run_oc

AGENTS = 10
LOAD_S = 60.0
COOLDOWN_AT_S = 30.0
STATUS_EVERY_S = 3.0
PROFILE = "anthropic:api"


def agent_db(home: Path, agent: str) -> Path:
    return home / ".openclaw" / "agents" / agent / "agent" / "openclaw-agent.sqlite"


def _state(conn: sqlite3.Connection) -> dict:
    row = conn.execute("SELECT state_json FROM auth_profile_state WHERE state_key='primary'").fetchone()
    return json.loads(row[0]) if row else {"version": 1}


def simulate_turn(home: Path, agent: str, seq: int) -> None:
    """One successful turn's writes (see the module docstring)."""
    now = int(time.time() * 1000)
    with sqlite3.connect(agent_db(home, agent), timeout=10) as conn:
        # OpenClaw's CHECK constraints use octet_length(), newer than Python's bundled SQLite
        conn.create_function("octet_length", 1, lambda v: None if v is None else len(v.encode() if isinstance(v, str) else v),
                             deterministic=True)
        state = _state(conn)
        state.setdefault("lastGood", {})["anthropic"] = PROFILE
        stats = state.setdefault("usageStats", {}).setdefault(PROFILE, {})
        stats.update(lastUsed=now, errorCount=0, lastProbeAt=now + 70)
        conn.execute("INSERT OR REPLACE INTO auth_profile_state (state_key, state_json, updated_at) VALUES ('primary', ?, ?)",
                     (json.dumps(state, separators=(",", ":")), now + 100))
        session = f"bench-session-{agent}"
        for i in range(4):
            event = json.dumps({"type": "message", "id": f"{seq}-{i}", "timestamp": now, "text": "ok " * 40})
            conn.execute("INSERT OR REPLACE INTO transcript_events (session_id, seq, event_json, created_at) VALUES (?, ?, ?, ?)",
                         (session, seq * 4 + i, event, now))
    with sqlite3.connect(home / ".openclaw" / "state" / "openclaw.sqlite", timeout=10) as conn:
        size = agent_db(home, agent).stat().st_size
        if not conn.execute("UPDATE agent_databases SET last_seen_at=?, size_bytes=? WHERE agent_id=?", (now, size, agent)).rowcount:
            conn.execute("INSERT INTO agent_databases (agent_id, path, schema_version, last_seen_at, size_bytes) VALUES (?, ?, 23, ?, ?)",
                         (agent, f"agents/{agent}/agent/openclaw-agent.sqlite", now, size))


def record_cooldown(home: Path, agent: str) -> int:
    """What a 401 turn leaves in `auth_profile_state`; returns lastFailureAt (ms)."""
    now = int(time.time() * 1000)
    with sqlite3.connect(agent_db(home, agent), timeout=10) as conn:
        state = _state(conn)
        stats = state.setdefault("usageStats", {}).setdefault(PROFILE, {})
        stats.update(cooldownUntil=now + 30_000, cooldownReason="auth", errorCount=1, failureCounts={"auth": 1},
                     lastFailureAt=now)
        conn.execute("INSERT OR REPLACE INTO auth_profile_state (state_key, state_json, updated_at) VALUES ('primary', ?, ?)",
                     (json.dumps(state, separators=(",", ":")), now))
    return now


def _fingerprint(home: Path) -> tuple[dict, dict]:
    files = {str(p.relative_to(home)): (p.stat().st_size, p.stat().st_mtime_ns)
             for p in (home / ".openclaw").rglob("*") if p.is_file() and "memory-reindex" not in p.name}
    with sqlite3.connect(f"file:{agent_db(home, 'main')}?mode=ro", uri=True) as conn:
        state = _state(conn)
    return files, state


def check_simulation(binary: str, home: Path) -> str:
    """Compare one real successful turn with one simulated turn: changed files and auth fields."""
    real, sim = home.parent / "real-turn", home.parent / "sim-turn"
    shutil.copytree(home, real, symlinks=True)
    shutil.copytree(home, sim, symlinks=True)
    fake = FakeAnthropic(mode="ok").start()
    try:
        run_oc(binary, real, "config", "set", "models.providers.anthropic.baseUrl", fake.url)
        run_oc(binary, sim, "config", "set", "models.providers.anthropic.baseUrl", fake.url)
        before_real, before_sim = _fingerprint(real), _fingerprint(sim)
        turn = run_oc(binary, real, "agent", "--local", "--agent", "main", "--message", "hi", "--json")
        simulate_turn(sim, "main", 1)
        after_real, after_sim = _fingerprint(real), _fingerprint(sim)
    finally:
        fake.stop()

    read = ("agents/main/agent/openclaw-agent.sqlite", "state/openclaw.sqlite")  # the files the bot reads

    def changed(before, after) -> set[str]:
        return {k for k in set(before[0]) | set(after[0]) if before[0].get(k) != after[0].get(k)
                and k.removeprefix(".openclaw/").removesuffix("-wal") in read}

    def fields(after) -> list[str]:
        return sorted(after[1].get("usageStats", {}).get(PROFILE, {})) + sorted(k for k in after[1] if k != "usageStats")

    same_files = changed(before_real, after_real) == changed(before_sim, after_sim)
    same_fields = fields(after_real) == fields(after_sim)
    def names(before, after) -> str:
        return ", ".join(sorted(Path(p).name for p in changed(before, after)))

    return (f"simulation vs a real `agent --local` turn (rc {turn.returncode}): same SQLite files changed: {same_files} "
            f"(real: {names(before_real, after_real)}; simulated: {names(before_sim, after_sim)}: the real turn also "
            f"checkpointed its WAL); same auth_profile_state fields: {same_fields} ({', '.join(fields(after_real))})")


CHILD = r"""
import io, json, resource, sys, threading, time
from pathlib import Path
from adapters.console.notifier import ConsoleNotifier
from core.alerts.outbox import Destination
from core.gateway.authstate import AuthStateUnsupported
from tests.harness import make_bot

binary, home, mode, load_s, every_s = sys.argv[1], Path(sys.argv[2]), sys.argv[3], float(sys.argv[4]), float(sys.argv[5])
bot = make_bot(binary, home, home.parent / f"chatops-{mode}", OPENCLAW_CHATOPS_LOG_LEVEL="WARNING")
if mode == "cli":  # the anchor: the CLI-only design
    def refuse(*a, **k):
        raise AuthStateUnsupported("benchmark anchor: CLI-only design")
    bot.parts.gateway.reader.views = refuse
posted = []

class Timed(ConsoleNotifier):
    def post(self, channel, reply):
        if "cooldown" in reply.plain_text().lower() and not posted:
            posted.append(time.time())
        return super().post(channel, reply)

bot.parts.add_notifier("console", Timed(io.StringIO(), json_mode=True))
bot.parts.alerts.set_destination(Destination("console", "console"))
watcher = bot.parts.watcher
watcher.tick(force=True)  # the baseline, as after start-up
bot.console("status")  # a bot that has been running: its first reply's imports are behind it

def cpu():
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime

print("READY", flush=True)
sys.stdin.readline()  # the parent starts its 1 Hz writes now
started, cpu0, rounds0 = time.time(), cpu(), watcher.snapshots
thread = watcher.start()
latencies, pending = [], {}

def ask(i):
    t = time.perf_counter()
    pending[i] = t
    bot.console("status")
    latencies.append((time.perf_counter() - t) * 1000)
    pending.pop(i, None)

workers, i = [], 0
while time.time() - started < load_s:
    w = threading.Thread(target=ask, args=(i,), daemon=True)
    w.start(); workers.append(w); i += 1
    time.sleep(every_s)
end = time.perf_counter()
waited = [(end - t) * 1000 for t in list(pending.values())]
used = cpu() - cpu0
wall = time.time() - started
watcher.stop()
print(json.dumps({"cpu": used, "wall": wall, "latencies": latencies, "unanswered": waited, "posted": posted,
                  "rounds": watcher.snapshots - rounds0, "asked": i}), flush=True)
sys.stdout.flush()
import os; os._exit(0)  # unanswered CLI-bound status threads must not hold the measurement
"""


def measure(binary: str, home: Path, mode: str, load_s: float) -> dict:
    """Run the bot (mode rows|cli) under the 1 Hz writes; record a cooldown halfway."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    proc = subprocess.Popen([sys.executable, "-c", CHILD, binary, str(home), mode, str(load_s), str(STATUS_EVERY_S)],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, cwd=root)
    assert proc.stdout and proc.stdin
    line = proc.stdout.readline()
    if "READY" not in line:
        raise RuntimeError(f"bench child did not start: {line!r}")
    proc.stdin.write("go\n")
    proc.stdin.flush()
    agents = [f"agent{i}" for i in range(1, AGENTS)] + ["main"]
    started, seq, recorded = time.time(), 0, None
    while time.time() - started < load_s:
        tick = time.time()
        if recorded is None and tick - started >= COOLDOWN_AT_S:
            recorded = record_cooldown(home, agents[len(agents) // 2])
        else:
            simulate_turn(home, agents[seq % len(agents)], seq)
            seq += 1
        time.sleep(max(0.0, 1.0 - (time.time() - tick)))
    out, _ = proc.communicate(timeout=600)
    result = json.loads(out.strip().splitlines()[-1])
    result["recorded"] = recorded
    result["writes"] = seq
    return result


def prepare(binary: str, home: Path) -> None:
    """One API-key profile per agent (exec refs into the bot's vault), in one `secrets apply`."""
    bot = bot_on(binary, home)
    vault, gateway = bot.parts.vault, bot.parts.gateway
    targets = []
    for agent in gateway.agents():
        version = vault.put(f"anthropic/{agent}/{PROFILE}", "sk-ant-api03-" + f"Busy{agent}_".ljust(12, "x") * 7,
                            kind="api-key", created_by="bench")
        targets.append(ProfileTarget(agent, PROFILE, "api_key", version.ref))
    gateway.apply_plan(Plan(gateway.provider, targets))
    bot.parts.store.close()


def figures(mode: str, m: dict) -> dict[str, float]:
    answered = m["latencies"]
    samples = answered + m["unanswered"]
    alert = (m["posted"][0] - m["recorded"] / 1000) if m["posted"] else float("inf")
    return {"cpu": m["cpu"] / m["wall"] * 100, "p50": percentile(samples, 50), "p95": percentile(samples, 95),
            "alert": alert, "answered": len(answered), "asked": m["asked"], "rounds": m["rounds"]}


def run(load_s: float = LOAD_S) -> list[Figure]:
    binary, home = home_with(config_with_agents(AGENTS), label="busy")
    prepare(binary, home)
    check = check_simulation(binary, home)
    got = {}
    for mode in ("rows", "cli"):
        work = home.parent / f"home-{mode}"
        shutil.copytree(home, work, symlinks=True)
        got[mode] = figures(mode, measure(binary, work, mode, load_s))
    rows, cli = got["rows"], got["cli"]

    def anchor(key: str, unit: str) -> str:
        return f"CLI-only anchor (same run): {cli[key]:.2f} {unit}"

    common = (f"{AGENTS} agents, store written at 1 Hz for {load_s:.0f} s, status every {STATUS_EVERY_S:g} s "
              f"({rows['answered']}/{rows['asked']} answered; anchor {cli['answered']}/{cli['asked']}), snapshot rounds "
              f"{rows['rounds']} (anchor {cli['rounds']})")
    return [
        under("busy", "bot CPU during the load", rows["cpu"], "% of a core", 1,
              f"{anchor('cpu', '%')}; {common}; {check}"),
        under("busy", "status p50 during the load", rows["p50"], "ms", 50, anchor("p50", "ms")),
        under("busy", "status p95 during the load", rows["p95"], "ms", 50,
              anchor("p95", "ms") + " (unanswered requests count with the time they had waited)"),
        under("busy", "recorded cooldown → alert posted", rows["alert"], "s", 2, anchor("alert", "s")),
        Figure("busy", "CPU saved over the CLI-only anchor", cli["cpu"] / rows["cpu"] if rows["cpu"] else float("inf"),
               "×", "≥ 20×", (cli["cpu"] / rows["cpu"] / 20) if rows["cpu"] else float("inf"),
               rows["cpu"] * 20 <= cli["cpu"], "same run, same load"),
    ]
