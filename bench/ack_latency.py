"""Ack latency under load: 200 concurrent signed `/openclaw status` requests against the bot in
Slack HTTP mode, while a status refresh (a real `openclaw models status`) is in flight.

The store reader answers status without a child, so the bench gives OpenClaw's shared store a
layout the reader refuses (the slow path): the refresh is then a real CLI call, the worst case an
ack must not wait on.

Measured: wall time from each request's TCP connect to the status line of its answer (Slack gives
up after 3,000 ms). The clients run in a separate process (bench/ack_clients.py) on the same 2
cores, so they compete for CPU but not for the bot's interpreter lock. Five bursts, each with its
own refresh in flight; the figure is the median burst, and the note lists every burst's p99 and
the host's floor: bench/constant_server.py gets a burst right after each of the bot's, so both see
the host at the same speed.
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from pathlib import Path

from adapters.slack.app import create
from bench.common import Figure, bot_on, home_with, percentile, quick, under
from tests.fakes.slack import BOT_TOKEN, FakeSlack, sign
from tests.harness import BotHarness, force_slow_path

ROOT = Path(__file__).resolve().parent.parent

REQUESTS = 200
BURSTS = 5  # the figure is the burst with the median p99; the note lists them all
SECRET = "bench-signing-secret"


def burst(url: str, fake: FakeSlack, harness: BotHarness, requests: int, tag: str) -> tuple[list[int], list[float], bool]:
    """One burst of signed commands, sent while a real status refresh runs; returns the HTTP
    statuses, the latencies, and whether the refresh was still in flight when the burst left."""
    bodies = [urllib.parse.urlencode({
        "token": "legacy", "team_id": "T1", "channel_id": "C1", "user_id": f"U{i}", "user_name": "u",
        "command": "/openclaw", "text": "status", "response_url": fake.response_url(f"{tag}r{i}"),
        "trigger_id": f"t{i}", "api_app_id": "A1"}) for i in range(requests)]
    refresh = threading.Thread(target=lambda: harness.parts.gateway.statuses(fresh=True))
    job = Path(tempfile.mkdtemp(prefix="ack-bench-")) / "job.json"
    job.write_text(json.dumps({"url": url, "requests": [{"body": b, "headers": sign(SECRET, b)} for b in bodies]}))
    clients = subprocess.Popen([sys.executable, "-m", "bench.ack_clients", str(job)], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    time.sleep(2.0)  # the client process is up, its requests built, waiting for "go"
    refresh.start()
    time.sleep(0.5)  # the CLI is now starting up: the refresh is in flight
    in_flight = refresh.is_alive()
    out, _ = clients.communicate("go\n", timeout=120)
    result = json.loads(out.strip().splitlines()[-1])
    refresh.join(timeout=120)
    return result["statuses"], result["latencies_ms"], in_flight


def run(requests: int = REQUESTS, bursts: int = BURSTS) -> list[Figure]:
    if quick():
        requests, bursts = 20, 1
    binary, home = home_with(label="ack")
    force_slow_path(home / ".openclaw")
    fake = FakeSlack()
    harness = bot_on(binary, home, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake.api_url,
                     SLACK_SIGNING_SECRET=SECRET, SLACK_MODE="http")
    slack = create(harness.parts)
    server = slack.http_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    floor = subprocess.Popen([sys.executable, "-m", "bench.constant_server"], cwd=ROOT, stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, text=True)
    floor_url = f"http://127.0.0.1:{floor.stdout.readline().strip()}/slack/events"
    runs, floor_p99s = [], []
    for n in range(bursts):
        runs.append(burst(url, fake, harness, requests, f"b{n}"))
        try:  # bursts are repetitions: the next starts once this one's replies have landed (bounded)
            fake.wait_for(lambda f, n=n: len([c for c in f.calls if "/respond/b" in c.path]) >= requests * (n + 1),
                          timeout=60)
        except AssertionError:
            pass
        floor_p99s.append(percentile(burst(floor_url, fake, harness, requests, f"f{n}")[1], 99))
    replied = len({c.path for c in fake.calls if "/respond/b" in c.path})
    server.shutdown()
    server.server_close()
    floor.communicate("", timeout=30)
    harness.parts.store.close()
    fake.close()
    p50s = [percentile(latencies, 50) for _, latencies, _ in runs]
    p99s = [percentile(latencies, 99) for _, latencies, _ in runs]
    middle = sorted(range(bursts), key=lambda n: p99s[n])[bursts // 2]
    ok = sum(1 for statuses, _, _ in runs for s in statuses if s == 200)
    in_flight = all(flag for _, _, flag in runs)
    note = (f"{ok}/{requests * bursts} answered 200; refresh in flight at every send: {in_flight}; "
            f"{replied} replies posted within 60 s")
    each = ", ".join(f"{p:.1f}" for p in p99s)
    floors = ", ".join(f"{p:.1f}" for p in floor_p99s)
    gap = sorted(bot - base for bot, base in zip(p99s, floor_p99s, strict=True))[bursts // 2]
    return [under("ack", f"p50 ack ({requests} concurrent, median burst of {bursts})", p50s[middle], "ms", 50, note),
            under("ack", f"p99 ack ({requests} concurrent, median burst of {bursts})", p99s[middle], "ms", 50,
                  f"p99 of each burst: {each} ms; floor on this host (a server answering a constant, a burst "
                  f"right after each of the bot's): {floors} ms; median gap to the floor: {gap:.1f} ms; "
                  f"Slack's limit: 3,000 ms")]
