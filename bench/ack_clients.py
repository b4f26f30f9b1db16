"""The load generator for the ack benchmark, in its own process so that it does not share the
bot's interpreter lock.

It is one thread driving non-blocking sockets: a first version used 200 urllib threads, and
against a server that answers with a constant it still measured a p99 of ~90 ms — its own threads
queueing for their interpreter lock — where this one measures ~9 ms. Each request's clock starts
just before its TCP connect, so connection setup is inside the figure, as it is for Slack.

Reads a JSON job from the file named on the command line (`url`, `requests`: [{body, headers}]),
waits for a line on stdin (the parent's "go", sent once the status refresh is in flight), sends
every request at once and prints one JSON line: `{"statuses": [...], "latencies_ms": [...]}`
(status -1: the connection was refused, reset or timed out).
"""
from __future__ import annotations

import json
import selectors
import socket
import sys
import time
from urllib.parse import urlsplit

TIMEOUT = 30.0


def wire(url: str, body: str, headers: dict[str, str]) -> bytes:
    """One HTTP/1.1 request as Slack would send it: form body, signature headers, no keep-alive."""
    parts = urlsplit(url)
    data = body.encode()
    lines = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}",
             "Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(data)}",
             "Connection: close", *(f"{k}: {v}" for k, v in headers.items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


def status_of(head: bytes) -> int:
    try:
        return int(head.split(b" ", 2)[1])
    except (IndexError, ValueError):
        return -1


def send_all(url: str, requests: list[bytes]) -> tuple[list[int], list[float]]:
    parts = urlsplit(url)
    address = (parts.hostname, parts.port)
    selector = selectors.DefaultSelector()
    started = [0.0] * len(requests)
    statuses = [-1] * len(requests)
    latencies = [TIMEOUT * 1000] * len(requests)
    received: dict[int, bytes] = {}
    for i in range(len(requests)):
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        started[i] = time.perf_counter()
        if sock.connect_ex(address) not in (0, 115):  # 115: EINPROGRESS
            sock.close()
            continue
        selector.register(sock, selectors.EVENT_WRITE, i)
    deadline = time.perf_counter() + TIMEOUT
    while selector.get_map() and time.perf_counter() < deadline:
        for key, events in selector.select(timeout=1.0):
            sock, i = key.fileobj, key.data
            try:
                if events & selectors.EVENT_WRITE:
                    sock.sendall(requests[i])  # a few hundred bytes: fits the socket buffer at once
                    selector.modify(sock, selectors.EVENT_READ, i)
                    continue
                chunk = sock.recv(65536)
            except OSError:
                chunk = b""
            received[i] = received.get(i, b"") + chunk
            if b"\r\n" in received[i] or not chunk:
                latencies[i] = (time.perf_counter() - started[i]) * 1000
                statuses[i] = status_of(received[i]) if chunk or received[i] else -1
                selector.unregister(sock)
                sock.close()
    for key in list(selector.get_map().values()):
        key.fileobj.close()
    return statuses, latencies


def main(path: str) -> None:
    job = json.loads(open(path).read())
    requests = [wire(job["url"], item["body"], item["headers"]) for item in job["requests"]]
    sys.stdin.readline()
    statuses, latencies = send_all(job["url"], requests)
    print(json.dumps({"statuses": statuses, "latencies_ms": latencies}))


if __name__ == "__main__":
    main(sys.argv[1])
