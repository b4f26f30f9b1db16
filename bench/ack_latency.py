"""Ack latency under load: 200 concurrent signed `/openclaw status` requests against the bot in
Slack HTTP mode, while a status refresh (a real `openclaw models status`) is in flight.

Measured: wall time from sending each request to its HTTP 200 (Slack gives up after 3,000 ms).
The clients run in a separate process (bench/ack_clients.py) on the same 2 cores, so they compete
for CPU but not for the bot's interpreter lock.
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
from bench.common import Figure, bot_on, home_with, percentile, under
from tests.fakes.slack import FakeSlack, sign

ROOT = Path(__file__).resolve().parent.parent

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
    job = Path(tempfile.mkdtemp(prefix="ack-bench-")) / "job.json"
    job.write_text(json.dumps({"url": url, "requests": [{"body": b, "headers": sign(SECRET, b)} for b in bodies]}))
    clients = subprocess.Popen([sys.executable, "-m", "bench.ack_clients", str(job)], cwd=ROOT,
                               stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    time.sleep(2.0)  # the client process is up and its threads wait at the gate
    refresh.start()
    time.sleep(0.5)  # the CLI is now starting up: the refresh is in flight
    in_flight = refresh.is_alive()
    out, _ = clients.communicate("go\n", timeout=120)
    result = json.loads(out.strip().splitlines()[-1])
    statuses, latencies = result["statuses"], result["latencies_ms"]
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
