"""A loopback fake of the Anthropic Messages API.

OpenClaw (in `openclaw agent --local` turns) and the bot's probe talk to it instead of Anthropic.
Each `/v1/messages` answer is taken from `mode`: "ok" (streamed when asked), "rate_limit" (429,
which OpenClaw retries for ~2.5 min), "usage_limit" (429 for a weekly limit, not retried), "auth"
(401) or "billing" (400 credit balance too low), the error bodies OpenClaw classifies. Requests are
recorded with their auth header's fingerprint only, so a recorded request never holds a secret, and
tests compare those fingerprints with the credential they onboarded: an "ok" proves little unless
it was that credential that reached the fake.

Like Anthropic, the fake can tell keys apart: with `valid` set, any other credential is answered
401 on every endpoint (empty `valid` accepts all, for tests about what happens after the key).
"""
from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from core.secrets.credentials import fingerprint

ERRORS = {
    "rate_limit": (429, {"type": "error", "error": {"type": "rate_limit_error", "message": "Rate limited"}}),
    # A long-window limit (subscription usage): OpenClaw does not retry it, so the answer is quick.
    "usage_limit": (429, {"type": "error", "error": {"type": "rate_limit_error",
                                                     "message": "You have reached your weekly usage limit."}}),
    "auth": (401, {"type": "error", "error": {"type": "authentication_error", "message": "invalid x-api-key"}}),
    "billing": (400, {"type": "error", "error": {"type": "invalid_request_error",
                                                 "message": "Your credit balance is too low to access the Anthropic API."}}),
}


@dataclass
class Seen:
    method: str
    path: str
    credential: str  # fingerprint of the x-api-key or bearer token


@dataclass
class FakeAnthropic:
    mode: str = "ok"
    valid: set[str] = field(default_factory=set)  # credentials that pass (empty = all)
    seen: list[Seen] = field(default_factory=list)

    def accepts(self, key: str) -> bool:
        return not self.valid or key in self.valid

    def fingerprints(self, method: str = "POST") -> set[str]:
        """Fingerprints of the credentials that came with `method` requests so far."""
        return {s.credential for s in self.seen if s.method == method}

    def start(self) -> FakeAnthropic:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:  # keep test output clean
                pass

            def _credential(self) -> str:
                key = self.headers.get("x-api-key") or self.headers.get("authorization", "").removeprefix("Bearer ")
                return key

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:  # noqa: N802 - http.server naming
                key = self._credential()
                fake.seen.append(Seen("GET", self.path, fingerprint(key) if key else ""))
                if fake.mode in ERRORS and fake.mode != "billing":
                    status, body = ERRORS[fake.mode]
                    return self._send(status, body)
                if not fake.accepts(key):
                    return self._send(*ERRORS["auth"])
                self._send(200, {"data": [{"id": "claude-opus-4-6", "type": "model"}], "has_more": False})

            def do_POST(self) -> None:  # noqa: N802
                length = int(self.headers.get("content-length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                key = self._credential()
                fake.seen.append(Seen("POST", self.path, fingerprint(key) if key else ""))
                if fake.mode in ERRORS:
                    return self._send(*ERRORS[fake.mode])
                if not fake.accepts(key):
                    return self._send(*ERRORS["auth"])
                if body.get("stream"):
                    return self._stream()
                self._send(200, {"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-opus-4-6",
                                 "content": [{"type": "text", "text": "ok"}], "stop_reason": "end_turn",
                                 "usage": {"input_tokens": 1, "output_tokens": 1}})

            def _stream(self) -> None:
                """The Messages API's server-sent events for a one-word answer (OpenClaw streams)."""
                events = [
                    ("message_start", {"type": "message_start", "message": {
                        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-opus-4-6",
                        "content": [], "stop_reason": None, "usage": {"input_tokens": 1, "output_tokens": 0}}}),
                    ("content_block_start", {"type": "content_block_start", "index": 0,
                                             "content_block": {"type": "text", "text": ""}}),
                    ("content_block_delta", {"type": "content_block_delta", "index": 0,
                                             "delta": {"type": "text_delta", "text": "ok"}}),
                    ("content_block_stop", {"type": "content_block_stop", "index": 0}),
                    ("message_delta", {"type": "message_delta", "delta": {"stop_reason": "end_turn"},
                                       "usage": {"output_tokens": 1}}),
                    ("message_stop", {"type": "message_stop"}),
                ]
                data = "".join(f"event: {name}\ndata: {json.dumps(doc)}\n\n" for name, doc in events).encode()
                self.send_response(200)
                self.send_header("content-type", "text/event-stream")
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        return self

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
