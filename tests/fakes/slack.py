"""A loopback Slack: Web API, response_url and a Socket Mode WebSocket, recording every call.

Real slack_sdk/slack_bolt clients are pointed here with `base_url`, so tests exercise the real
libraries end to end. Everything binds 127.0.0.1. `calls` keeps every request as received, which
is what the leak tests grep for token bytes.

With `post_window_s`, chat.postMessage is limited per channel the way Slack limits it (about one
message per second): a post inside the window is answered 429 with a whole-second `Retry-After`.
Tests may shrink the window to keep a burst cheap; the answer stays whole seconds, as Slack's is.
Posted messages are kept by (channel, ts) so chat.update edits them and thread replies are seen.

Like Slack, the fake refuses what Slack refuses: a Web API call without a token is answered
`not_authed` and one with a token Slack never issued `invalid_auth`; a `response_url` takes at
most 5 posts within 30 minutes of the command (then 404 `used_url` / `expired_url`), and one it
never handed out is 404 as well.
"""
from __future__ import annotations

import itertools
import json
import math
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from slack_sdk.signature import SignatureVerifier
from websockets.sync.server import ServerConnection, serve

BOT_USER = "UBOT"
DM_PREFIX = "D"
BOT_TOKEN = "xoxb-fake"
APP_TOKEN = "xapp-fake"
RESPONSE_URL_USES = 5  # Slack: "up to 5 times within 30 minutes"
RESPONSE_URL_TTL_S = 30 * 60


@dataclass
class Message:
    """A message as the fake holds it now: the last text and blocks, how often it was edited."""

    channel: str
    ts: str
    text: str
    blocks: Any
    thread_ts: str = ""
    edits: int = 0


@dataclass
class Call:
    path: str
    params: dict[str, Any]
    raw: bytes
    headers: dict[str, str] = field(default_factory=dict)
    status: int = 200

    @property
    def method(self) -> str:
        return self.path.removeprefix("/api/")


class FakeSlack:
    def __init__(self, post_window_s: float | None = None, tokens: frozenset[str] = frozenset({BOT_TOKEN, APP_TOKEN})) -> None:
        self.calls: list[Call] = []
        self.tokens = tokens  # what this workspace issued; anything else is `invalid_auth`
        self._response_urls: dict[str, tuple[float, int]] = {}  # path → (issued at, posts taken)
        self.post_window_s = post_window_s
        self.messages: dict[tuple[str, str], Message] = {}
        self._last_post: dict[str, float] = {}  # channel → arrival of the last accepted post
        self._ts = itertools.count(1)
        self.socket_received: list[dict[str, Any]] = []
        self.usergroups: list[dict[str, Any]] = []
        self.rate_limited: dict[str, list[int]] = {}  # method → Retry-After values to answer first
        self.failing: dict[str, str] = {}  # method → Slack error code it answers with (ok: false)
        self._ids = itertools.count(1)
        self._cond = threading.Condition()
        self._http = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._http.daemon_threads = True
        self._ws = serve(self._socket_session, "127.0.0.1", 0)
        self._socket_conns: list[ServerConnection] = []
        self._threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in (self._http, self._ws)]
        for t in self._threads:
            t.start()

    # -- addresses ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._http.server_address[1]}"

    @property
    def api_url(self) -> str:
        return self.url + "/api/"

    def response_url(self, name: str = "cmd") -> str:
        """A fresh response_url, as Slack puts one in each command and interaction."""
        path = f"/respond/{name}-{next(self._ids)}"
        with self._cond:
            self._response_urls[path] = (time.monotonic(), 0)
        return self.url + path

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self._ws.socket.getsockname()[1]}/link"

    def close(self) -> None:
        for conn in list(self._socket_conns):
            conn.close()
        self._ws.shutdown()
        self._http.shutdown()
        self._http.server_close()

    # -- assertions --------------------------------------------------------------------------
    def of(self, method: str) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.method == method]

    def wait_for(self, predicate: Callable[[FakeSlack], Any], timeout: float = 120) -> Any:
        """Block until `predicate` holds (a guard against hanging, not a timing assertion)."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while True:
                result = predicate(self)
                if result:
                    return result
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"fake Slack never saw the expected call; calls: {[c.path for c in self.calls]}")
                self._cond.wait(left)

    def accepted(self, method: str) -> list[Call]:
        """Calls of `method` that Slack took (not refused with 429 or 404)."""
        return [c for c in self.of(method) if c.status == 200]

    def throttled(self) -> list[Call]:
        with self._cond:
            return [c for c in self.calls if c.status == 429]

    def all_bytes(self) -> bytes:
        with self._cond:
            return b"\n".join([c.raw for c in self.calls] + [json.dumps(m).encode() for m in self.socket_received])

    # -- Web API -----------------------------------------------------------------------------
    @staticmethod
    def _token(params: dict[str, Any], headers: dict[str, str]) -> str:
        """The token of a Web API call: the bearer header, else the legacy `token` argument."""
        bearer = next((v for k, v in headers.items() if k.lower() == "authorization"), "")
        return bearer.removeprefix("Bearer ").strip() or str(params.get("token") or "")

    def _respond(self, path: str) -> tuple[int, Any]:
        """A post to a response_url: Slack takes 5 within 30 minutes of the command (lock held)."""
        issued = self._response_urls.get(path)
        if issued is None:
            return 404, "no_such_url"
        at, uses = issued
        if time.monotonic() - at > RESPONSE_URL_TTL_S:
            return 404, "expired_url"
        if uses >= RESPONSE_URL_USES:
            return 404, "used_url"
        self._response_urls[path] = (at, uses + 1)
        return 200, {"ok": True}

    def _answer(self, method: str, params: dict[str, Any], token: str) -> dict[str, Any]:
        if not token:
            return {"ok": False, "error": "not_authed"}
        if token not in self.tokens:
            return {"ok": False, "error": "invalid_auth"}
        if method in self.failing:
            return {"ok": False, "error": self.failing[method]}
        if method == "auth.test":
            return {"ok": True, "user_id": BOT_USER, "bot_id": "BBOT", "team_id": "T1", "user": "openclaw"}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": DM_PREFIX + str(params.get("users", "")).lstrip("U")}}
        if method == "chat.postMessage":
            ts = f"{int(time.time())}.{next(self._ts):06d}"  # unique and increasing, like Slack's
            channel = str(params.get("channel"))
            self.messages[(channel, ts)] = Message(channel, ts, params.get("text", ""), params.get("blocks"),
                                                   str(params.get("thread_ts") or ""))
            return {"ok": True, "channel": channel, "ts": ts}
        if method == "chat.update":
            message = self.messages.get((str(params.get("channel")), str(params.get("ts"))))
            if message is None:
                return {"ok": False, "error": "message_not_found"}
            message.text, message.blocks, message.edits = params.get("text", ""), params.get("blocks"), message.edits + 1
            return {"ok": True, "channel": message.channel, "ts": message.ts}
        if method == "chat.postEphemeral":
            return {"ok": True, "message_ts": f"{time.time():.6f}"}
        if method in ("views.open", "views.update"):
            return {"ok": True, "view": {"id": f"V{next(self._ids)}"}}
        if method == "usergroups.list":
            return {"ok": True, "usergroups": self.usergroups}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.ws_url}
        return {"ok": False, "error": "unknown_method"}

    def _throttle(self, method: str, params: dict[str, Any]) -> int | None:
        """Retry-After seconds when this call is to be refused with 429, else None (lock held)."""
        pending = self.rate_limited.get(method)
        if pending:
            return pending.pop(0)
        if method != "chat.postMessage" or self.post_window_s is None:
            return None
        channel, now = str(params.get("channel")), time.monotonic()
        since = now - self._last_post.get(channel, float("-inf"))
        if since < self.post_window_s:
            return max(1, math.ceil(self.post_window_s - since))
        self._last_post[channel] = now
        return None

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:  # noqa: N802
                raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if "json" in (self.headers.get("Content-Type") or ""):
                    params = json.loads(raw or b"{}")
                else:
                    params = {k: v[0] for k, v in urllib.parse.parse_qs(raw.decode()).items()}
                path = urllib.parse.urlsplit(self.path).path
                call = Call(path, params, raw, dict(self.headers.items()))
                method = call.method
                with fake._cond:
                    retry_after = fake._throttle(method, params)
                    if retry_after is not None:
                        call.status = 429
                    elif path.startswith("/respond/"):
                        call.status, answer = fake._respond(path)
                    else:
                        answer = fake._answer(method, params, fake._token(params, call.headers))
                    fake.calls.append(call)
                    fake._cond.notify_all()
                if retry_after is not None:
                    self._send(429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(retry_after)})
                    return
                self._send(call.status, answer)

            def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
                # Slack answers a response_url refusal in plain text (`used_url`), the Web API in JSON.
                plain = isinstance(body, str)
                data = body.encode() if plain else json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "text/plain" if plain else "application/json")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: Any) -> None:
                pass

        return Handler

    # -- Socket Mode -------------------------------------------------------------------------
    def _socket_session(self, conn: ServerConnection) -> None:
        with self._cond:  # wake `send_envelope`, which may already be waiting for a connection
            self._socket_conns.append(conn)
            self._cond.notify_all()
        conn.send(json.dumps({"type": "hello", "num_connections": 1,
                              "connection_info": {"app_id": "A1"}, "debug_info": {"host": "fake"}}))
        try:
            for message in conn:
                with self._cond:
                    self.socket_received.append(json.loads(message))
                    self._cond.notify_all()
        except Exception:  # noqa: BLE001 - the client went away
            pass

    def socket_connected(self) -> bool:
        return bool(self._socket_conns)

    def send_envelope(self, kind: str, payload: dict[str, Any]) -> str:
        envelope_id = f"env-{next(self._ids)}"
        self.wait_for(lambda f: f.socket_connected())
        self._socket_conns[-1].send(json.dumps({"envelope_id": envelope_id, "type": kind, "payload": payload,
                                                "accepts_response_payload": kind != "events_api",
                                                "retry_attempt": 0, "retry_reason": ""}))
        return envelope_id


def sign(secret: str, body: str, timestamp: int | None = None) -> dict[str, str]:
    """Headers Slack would send, made with slack_sdk's own signer."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def post(url: str, body: str, headers: dict[str, str], content_type: str) -> tuple[int, bytes]:
    request = urllib.request.Request(url, data=body.encode(), method="POST",
                                     headers={"Content-Type": content_type, **headers})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()
