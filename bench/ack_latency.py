"""Ack latency under load: 200 concurrent signed `/openclaw status` requests against the bot in
Slack HTTP mode, while a status refresh (a real `openclaw models status`) is in flight.

Measured: wall time from sending each request to its HTTP 200 (Slack gives up after 3,000 ms).
The clients run in this process on the same 2 cores as the bot, so the figures include their cost.
"""
from __future__ import annotations

import threading
import time
import urllib.parse

from adapters.slack.app import create
from bench.common import Figure, bot_on, home_with, percentile, under
from tests.fakes.slack import FakeSlack, post, sign

REQUESTS = 200
SECRET = "bench-signing-secret"


def run(requests: int = REQUESTS) -> list[Figure]:
    binary, home = home_with(label="ack")
    fake = FakeSlack()
    harness = bot_on(binary, home, SLACK_BOT_TOKEN="xoxb-bench", SLACK_API_URL=fake.api_url,
                     SLACK_SIGNING_SECRET=SECRET, SLACK_MODE="http")
    slack = create(harness.parts)
    server = slack.http_server("127.0.0.1", 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/slack/events"
    bodies = [urllib.parse.urlencode({
        "token": "legacy", "team_id": "T1", "channel_id": "C1", "user_id": f"U{i}", "user_name": "u",
        "command": "/openclaw", "text": "status", "response_url": fake.response_url(f"r{i}"),
        "trigger_id": f"t{i}", "api_app_id": "A1"}) for i in range(requests)]
    refresh = threading.Thread(target=lambda: harness.parts.gateway.statuses(fresh=True))
    latencies: list[float] = [0.0] * requests
    statuses: list[int] = [0] * requests
    gate = threading.Barrier(requests + 1)

    def one(i: int) -> None:
        headers = sign(SECRET, bodies[i])
        gate.wait()
        started = time.perf_counter()
        try:
            statuses[i], _ = post(url, bodies[i], headers, "application/x-www-form-urlencoded")
        except OSError:  # a refused or reset connection is a failed ack, counted below
            statuses[i] = -1
        latencies[i] = (time.perf_counter() - started) * 1000

    clients = [threading.Thread(target=one, args=(i,)) for i in range(requests)]
    for c in clients:
        c.start()
    refresh.start()
    time.sleep(0.5)  # the CLI is now starting up: the refresh is in flight
    in_flight = refresh.is_alive()
    gate.wait()
    for c in clients:
        c.join(timeout=60)
    refresh.join(timeout=120)
    try:  # the replies themselves are not what is measured; give them a bounded time to land
        fake.wait_for(lambda f: len([c for c in f.calls if "/respond/r" in c.path]) >= requests, timeout=60)
    except AssertionError:
        pass
    replied = len({c.path for c in fake.calls if "/respond/r" in c.path})
    server.shutdown()
    server.server_close()
    harness.parts.store.close()
    fake.close()
    ok = sum(1 for s in statuses if s == 200)
    note = f"{ok}/{requests} answered 200; refresh in flight at send: {in_flight}; {replied} replies posted within 60 s"
    return [under("ack", f"p50 ack ({requests} concurrent)", percentile(latencies, 50), "ms", 50, note),
            under("ack", f"p99 ack ({requests} concurrent)", percentile(latencies, 99), "ms", 50,
                  "Slack's limit: 3,000 ms")]
