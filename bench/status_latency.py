"""Status latency: a `status` request to the rendered Slack reply (Block Kit), with a warm snapshot
and a cold one, against the anchor: running `openclaw models status --json` for the same agents,
which is what an operator would do by hand over SSH."""
from __future__ import annotations

import time

from adapters.slack.render import messages
from bench.common import Figure, bot_on, home_with, median, percentile, under
from core.credentials import classify
from core.requests import Place, PlaceKind, Request, User
from tests.harness import run_oc

WARM = 200
COLD = 3


def run(warm: int = WARM, cold: int = COLD) -> list[Figure]:
    binary, home = home_with(label="status")
    harness = bot_on(binary, home)
    harness.chatops.writer.write("main", "anthropic:default", classify("sk-ant-oat01-" + "BenchStatus_" * 8),
                                 actor="bench", expires_in="30d")
    request = Request(User("console", "bench"), Place(PlaceKind.CONSOLE, "console"), "status")
    agents = harness.parts.gateway.agents()

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
        for agent in agents:
            result = run_oc(binary, home, "models", "status", "--json", "--agent", agent)
            if result.returncode != 0:
                raise RuntimeError(result.stderr[-300:])
        cli_ms.append((time.perf_counter() - started) * 1000)
    harness.parts.store.close()
    anchor = median(cli_ms)
    p95 = percentile(warm_ms, 95)
    names = ", ".join(agents)
    return [
        under("status", f"warm p95 ({warm} requests, agents {names})", p95, "ms", 150,
              f"warm p50 {median(warm_ms):.1f} ms"),
        Figure("status", "warm speed-up over the CLI anchor", anchor / p95, "×", "≥ 20×", anchor / p95 / 20,
               anchor / p95 >= 20, f"anchor: `models status --json` × {len(agents)} agents, median {anchor:.0f} ms"),
        Figure("status", f"cold median ({cold} runs)", median(cold_ms), "ms", f"anchor {anchor:.0f} ms",
               anchor / median(cold_ms), True, "cold = the same CLI calls, main first, then the rest in parallel"),
    ]
