"""The load generator for the ack benchmark, in its own process so that its 200 client threads do
not share the bot's interpreter lock: what is measured is the bot's ack, not the clients' urllib.

Reads a JSON job from the file named on the command line (`url`, `requests`: [{body, headers}]),
waits for a line on stdin (the parent's "go", sent once the status refresh is in flight), sends
every request at once and prints one JSON line: `{"statuses": [...], "latencies_ms": [...]}`.
"""
from __future__ import annotations

import json
import sys
import threading
import time

from tests.fakes.slack import post


def main(path: str) -> None:
    job = json.loads(open(path).read())
    items = job["requests"]
    statuses = [0] * len(items)
    latencies = [0.0] * len(items)
    gate = threading.Barrier(len(items) + 1)

    def one(i: int) -> None:
        gate.wait()
        started = time.perf_counter()
        try:
            statuses[i], _ = post(job["url"], items[i]["body"], items[i]["headers"], "application/x-www-form-urlencoded")
        except OSError:  # a refused or reset connection is a failed ack
            statuses[i] = -1
        latencies[i] = (time.perf_counter() - started) * 1000

    threads = [threading.Thread(target=one, args=(i,)) for i in range(len(items))]
    for t in threads:
        t.start()
    sys.stdin.readline()
    gate.wait()
    for t in threads:
        t.join(timeout=60)
    print(json.dumps({"statuses": statuses, "latencies_ms": latencies}))


if __name__ == "__main__":
    main(sys.argv[1])
