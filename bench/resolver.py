"""Exec resolver cold start: the wrapper script spawned the way OpenClaw spawns it (absolute path,
only `LC_CTYPE`/`OPENCLAW_CLI` and the passEnv names in the environment, its own directory as
working directory, the request on stdin), one process per call, answering one real vault record."""
from __future__ import annotations

import json
import subprocess
import time

from bench.common import Figure, bot_on, home_with, median, percentile, quick, under
from core.secrets.credentials import classify

CALLS = 30


def run(calls: int = CALLS) -> list[Figure]:
    if quick():
        calls = 3
    binary, home = home_with(label="resolver")
    harness = bot_on(binary, home)
    token = "sk-ant-oat01-" + "BenchResolver_" * 7
    version = harness.parts.vault.put("anthropic/main/anthropic:default", classify(token).value, kind="token",
                                      created_by="bench")
    script = harness.parts.settings.resolver_path
    request = json.dumps({"protocolVersion": 1, "provider": "openclaw_chatops", "ids": [version.ref]})
    env = {"LC_CTYPE": "C.UTF-8", "OPENCLAW_CLI": "1"}
    times = []
    for _ in range(calls):
        started = time.perf_counter()
        proc = subprocess.run([str(script)], input=request, capture_output=True, text=True, env=env,
                              cwd=str(script.parent), timeout=30)
        times.append((time.perf_counter() - started) * 1000)
        answer = json.loads(proc.stdout)
        if answer["values"].get(version.ref) != token:
            raise RuntimeError(f"resolver answered wrongly (rc {proc.returncode}): {proc.stderr[-300:]}")
    harness.parts.store.close()
    return [under("resolver", f"median cold start ({calls} spawns)", median(times), "ms", 150),
            under("resolver", f"p95 cold start ({calls} spawns)", percentile(times, 95), "ms", 150)]
