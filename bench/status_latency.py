"""Status latency with 10 agents: a `status` request to the rendered Slack reply (Block Kit), cold
and warm, each beside the anchor: running `openclaw models status --json` for the same agents one
after another, which is what an operator would do by hand over SSH.

Cold is the first request after the snapshot cache was dropped (start-up, or OpenClaw's files
changed): what a user waits for after every turn on a busy gateway. Warm is a cache hit: the bot
skips the CLI altogether, so its ratio to the anchor says what the cache saves, not how fast the
bot reads OpenClaw. Each has its own row, its own target and the anchor beside it.
"""
from __future__ import annotations

import time

from adapters.slack.render import messages
from bench.common import Figure, bot_on, config_with_agents, home_with, median, percentile, quick, under
from core.requests import Place, PlaceKind, Request, User
from core.secrets.credentials import classify
from tests.harness import run_oc

AGENTS = 10
WARM = 200
COLD = 3
COLD_TARGET_MS = 50  # a cold status for 10 agents on an idle gateway
WARM_TARGET_MS = 150


def run(agents: int = AGENTS, warm: int = WARM, cold: int = COLD) -> list[Figure]:
    if quick():
        agents, warm, cold = 2, 20, 1
    binary, home = home_with(config_with_agents(agents), label="status")
    harness = bot_on(binary, home)
    harness.chatops.writer.write("main", "anthropic:default", classify("sk-ant-oat01-" + "BenchStatus_" * 8),
                                 actor="bench", expires_in="30d")
    request = Request(User("console", "bench"), Place(PlaceKind.CONSOLE, "console"), "status")
    names = harness.parts.gateway.agents()

    def once() -> float:
        started = time.perf_counter()
        reply = harness.chatops.handle(request)
        messages(reply)
        if reply.failed:
            raise RuntimeError(f"status failed: {reply.to_dict()}")
        return (time.perf_counter() - started) * 1000

    cold_ms = []
    for _ in range(cold):
        harness.parts.gateway.invalidate()
        cold_ms.append(once())
    warm_ms = [once() for _ in range(warm)]
    cli_ms = []
    for _ in range(cold):
        started = time.perf_counter()
        for agent in names:
            result = run_oc(binary, home, "models", "status", "--json", "--agent", agent)
            if result.returncode != 0:
                raise RuntimeError(result.stderr[-300:])
        cli_ms.append((time.perf_counter() - started) * 1000)
    harness.parts.store.close()
    anchor = median(cli_ms)
    anchor_note = f"anchor: `models status --json` × {len(names)} agents one after another, median of {cold}: {anchor:.0f} ms"
    cold_median, p95 = median(cold_ms), percentile(warm_ms, 95)
    return [
        under("status", f"cold median ({cold} runs, {len(names)} agents, idle gateway)", cold_median, "ms", COLD_TARGET_MS,
              f"runs {', '.join(f'{x:.0f}' for x in cold_ms)} ms; {anchor_note}; cold took {cold_median / anchor:.2g}× the anchor's time; "
              "cold = the snapshot cache dropped before the request"),
        under("status", f"warm p95 ({warm} requests, {len(names)} agents)", p95, "ms", WARM_TARGET_MS,
              f"warm p50 {median(warm_ms):.1f} ms; a cache hit, which skips the CLI (OpenClaw's files unchanged); "
              f"{anchor_note}; warm p95 took {p95 / anchor:.2g}× the anchor's time: what the cache saves, not how fast "
              "OpenClaw is read"),
    ]
