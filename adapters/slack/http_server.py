"""HTTP mode: one endpoint for slash commands, interactivity and events, served by a thread pool.

Bolt's bundled server is single-threaded and meant for development; here each request gets a
thread, Bolt verifies the signature (HMAC over the raw body, timestamp within 5 minutes) and the
response leaves as soon as the listener acknowledges. Put TLS in front (a reverse proxy): Slack
only calls https URLs. Bodies are never logged, since a modal submission carries a credential.
"""
from __future__ import annotations

import logging
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

from slack_bolt import App, BoltRequest

log = logging.getLogger(__name__)

EVENTS_PATH = "/slack/events"
MAX_BODY = 1 << 20  # Slack payloads are far smaller; refuse to buffer anything larger


def make_server(app: App, host: str, port: int, path: str = EVENTS_PATH) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - http.server's naming
            url = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            if url.path != path or length > MAX_BODY:
                self._send(404 if url.path != path else 413, b"")
                return
            body = self.rfile.read(length).decode("utf-8")
            headers = {k.lower(): [v] for k, v in self.headers.items()}
            response = app.dispatch(BoltRequest(body=body, query=url.query, headers=headers))
            payload = (response.body or "").encode("utf-8")
            self._send(response.status, payload, response.first_headers_without_set_cookie())

        def do_GET(self) -> None:  # noqa: N802
            self._send(200 if urlsplit(self.path).path == "/healthz" else 404, b"")

        def _send(self, status: int, payload: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                if name.lower() != "content-length":
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:  # noqa: A002
            log.debug("http %s", format % args)

    server = Server((host, port), Handler)
    server.daemon_threads = True
    return server


class Server(ThreadingHTTPServer):
    # socketserver's default listen backlog is 5: a burst of slash commands (a team opening
    # `/openclaw status` at once) saw connection resets before the server ever ran (163 of 200).
    request_queue_size = 256
