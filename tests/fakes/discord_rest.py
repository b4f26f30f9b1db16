"""A loopback stand-in for Discord's REST API and gateway, for driving the real discord.py client offline.

Point `discord.http.Route.BASE` at `FakeDiscord.base` and both discord.py's HTTP client and its
webhook adapter (interaction callbacks, original-response edits, follow-ups) talk to it. Every
request is captured with its raw bytes so tests can assert order, content, and that no secret
was ever sent. Responses carry exactly `application/json`, which is what discord.py parses.

Messages are checked like Discord checks them: an embed over Discord's limits (title 256, description
4096, 25 fields, field name 256, value 1024, footer 2048, author 256; 10 embeds and 6000 characters
per message; content 2000) is answered 400 "Invalid Form Body" (code 50035), wherever it is sent.

The gateway (`GET /gateway/bot` names it) speaks Discord's protocol over a websocket: HELLO, then
IDENTIFY → READY (a session id and `resume_gateway_url`) and a GUILD_CREATE per entry of `guilds`;
heartbeats are acknowledged; `dispatch()` sends an event with the next sequence number, and events
sent while no socket is open are replayed on RESUME, as Discord does. `drop()` cuts the socket
without a close frame, like a network failure.

Channel messages are kept by id, so edits (PATCH) and replies (`message_reference`) can be checked
against the message they touch. With `message_bucket=(limit, per_s)`, message creation in a channel
is a Discord-style rate-limit bucket: responses carry `X-RateLimit-*` headers, and a create beyond
the limit is answered 429 with `retry_after` (plus the `Via` header discord.py expects from
Discord's edge). `throttle` forces the next creates to be answered 429 with the given delays.
"""
from __future__ import annotations

import asyncio
import itertools
import json
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.leaks import found_in

BOT_ID = "4242"
APP_ID = "4343"
# Discord's message limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits)
EMBED_LIMITS = {"title": 256, "description": 4096, "fields": 25, "field.name": 256, "field.value": 1024,
                "footer.text": 2048, "author.name": 256}
MAX_EMBEDS = 10
MAX_EMBED_CHARS = 6000  # title, description, field names and values, footer and author, all embeds together
MAX_CONTENT = 2000
BOT_USER = {"id": BOT_ID, "username": "openclaw-bot", "discriminator": "0", "global_name": None,
            "avatar": None, "bot": True}


def message_errors(message: dict) -> dict[str, str]:
    """Where a message body breaks Discord's limits, keyed like Discord's `errors` paths."""
    errors: dict[str, str] = {}
    if len(message.get("content") or "") > MAX_CONTENT:
        errors["content"] = f"Must be {MAX_CONTENT} or fewer in length."
    embeds = message.get("embeds") or []
    if len(embeds) > MAX_EMBEDS:
        errors["embeds"] = f"Must be {MAX_EMBEDS} or fewer in length."
    total = 0
    for n, embed in enumerate(embeds):
        texts = {"title": embed.get("title") or "", "description": embed.get("description") or "",
                 "footer.text": (embed.get("footer") or {}).get("text") or "",
                 "author.name": (embed.get("author") or {}).get("name") or ""}
        fields = embed.get("fields") or []
        if len(fields) > EMBED_LIMITS["fields"]:
            errors[f"embeds.{n}.fields"] = f"Must be {EMBED_LIMITS['fields']} or fewer in length."
        for i, f in enumerate(fields):
            for part in ("name", "value"):
                text = f.get(part) or ""
                texts[f"fields.{i}.{part}"] = text
                if not text.strip():
                    errors[f"embeds.{n}.fields.{i}.{part}"] = "This field is required"
        for key, text in texts.items():
            limit = EMBED_LIMITS[key if not key.startswith("fields.") else "field." + key.rsplit(".", 1)[1]]
            if len(text) > limit:
                errors[f"embeds.{n}.{key}"] = f"Must be {limit} or fewer in length."
            total += len(text)
    if total > MAX_EMBED_CHARS:
        errors["embeds"] = f"Embed size exceeds maximum size of {MAX_EMBED_CHARS}"
    return errors


@dataclass
class Captured:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]
    body: bytes
    seen: Any = None  # what `observe` returned when the request arrived (e.g. CLI calls so far)

    @property
    def json(self) -> Any:
        return json.loads(self.body) if self.body else None

    @property
    def raw(self) -> bytes:
        head = f"{self.method} {self.path}?{self.query}\n{self.headers}\n".encode()
        return head + self.body


@dataclass
class FakeDiscord:
    observe: Callable[[], Any] = lambda: None
    requests: list[Captured] = field(default_factory=list)
    members: dict[tuple[str, str], dict] = field(default_factory=dict)  # (guild, user) → member payload
    message_bucket: tuple[int, float] | None = None  # (creates, per seconds) per channel
    throttle: list[float] = field(default_factory=list)  # retry_after values for the next creates
    can_reply: bool = True  # False: no Read Message History, so a reply is refused 403
    messages: dict[str, dict] = field(default_factory=dict)  # id → message as it stands
    statuses: list[tuple[Captured, int]] = field(default_factory=list)  # every answer's status
    guilds: list[dict] = field(default_factory=list)  # GUILD_CREATE payloads sent after READY
    heartbeat_ms: int = 1000
    frames: list[dict] = field(default_factory=list)  # every gateway frame the client sent

    def __post_init__(self) -> None:
        self._windows: dict[str, tuple[float, int]] = {}  # channel → (window start, creates in it)
        self._ids = itertools.count(900_000)
        self._changed = asyncio.Condition()
        self._runner: web.AppRunner | None = None
        self.base = ""
        self.gateway_url = ""
        self.session_id = ""
        self._events: list[dict] = []  # dispatches of the current session, for RESUME to replay
        self._socket: tuple[web.Request, web.WebSocketResponse] | None = None
        self._live: web.WebSocketResponse | None = None  # the socket past IDENTIFY or RESUME

    async def start(self) -> FakeDiscord:
        app = web.Application()
        app.router.add_route("GET", "/gateway", self._gateway)
        app.router.add_route("*", "/api/v10/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.base = f"http://127.0.0.1:{port}/api/v10"
        self.gateway_url = f"ws://127.0.0.1:{port}/gateway"
        return self

    async def stop(self) -> None:
        if self._socket:
            await self._socket[1].close()
        if self._runner:
            await self._runner.cleanup()

    # -- gateway -------------------------------------------------------------------------------
    async def dispatch(self, event: str, data: dict) -> None:
        """Send an event now, or on RESUME when no socket is open."""
        frame = {"op": 0, "t": event, "s": len(self._events) + 1, "d": data}
        self._events.append(frame)
        if self._live is not None and not self._live.closed:
            await self._live.send_str(json.dumps(frame))

    def drop(self) -> None:
        """Cut the open socket without a close frame (the client sees code 1006 and resumes)."""
        request, ws = self._socket  # type: ignore[misc]
        self._socket = self._live = None
        request.transport.abort()  # type: ignore[union-attr]

    async def wait_frame(self, match: Callable[[dict], bool], *, guard_s: float = 90) -> dict:
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: any(match(f) for f in self.frames)), guard_s)
        return next(f for f in self.frames if match(f))

    async def _gateway(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self._socket = (request, ws)
        await ws.send_str(json.dumps({"op": 10, "s": None, "t": None, "d": {"heartbeat_interval": self.heartbeat_ms}}))
        async for message in ws:
            if message.type is not WSMsgType.TEXT:
                continue
            frame = json.loads(message.data)
            async with self._changed:
                self.frames.append(frame)
                self._changed.notify_all()
            if frame["op"] == 1:  # heartbeat
                await ws.send_str(json.dumps({"op": 11, "s": None, "t": None, "d": None}))
            elif frame["op"] == 2:  # identify: a new session
                self.session_id, self._events, self._live = secrets.token_hex(8), [], ws
                await self.dispatch("READY", {
                    "v": 10, "user": BOT_USER, "session_id": self.session_id, "resume_gateway_url": self.gateway_url,
                    "guilds": [{"id": g["id"], "unavailable": True} for g in self.guilds],
                    "application": {"id": APP_ID, "flags": 0}})
                for guild in self.guilds:
                    await self.dispatch("GUILD_CREATE", guild)
            elif frame["op"] == 6:  # resume: replay what the client missed
                if frame["d"]["session_id"] != self.session_id:
                    await ws.send_str(json.dumps({"op": 9, "s": None, "t": None, "d": False}))
                    continue
                for missed in self._events[frame["d"]["seq"] or 0:]:
                    await ws.send_str(json.dumps(missed))
                self._live = ws
                await self.dispatch("RESUMED", {})
        return ws

    async def wait_for(self, match: Callable[[Captured], bool], *, guard_s: float = 90) -> Captured:
        """The first captured request matching; the guard only stops a broken test from hanging."""
        async with self._changed:
            await asyncio.wait_for(self._changed.wait_for(lambda: any(match(r) for r in self.requests)), guard_s)
        return next(r for r in self.requests if match(r))

    def find(self, method: str, fragment: str) -> list[Captured]:
        return [r for r in self.requests if r.method == method and fragment in r.path]

    def answered(self, status: int) -> list[Captured]:
        return [r for r, s in self.statuses if s == status]

    def leaks(self, secret: str) -> list[Captured]:
        """Requests holding the secret in any form tests.leaks knows (plain, URL-encoded, base64)."""
        return [r for r in self.requests if found_in(secret, r.raw)]

    # -- server --------------------------------------------------------------------------------
    def _message(self, channel_id: str, body: dict | None) -> dict:
        body = body or {}
        reference = {"message_reference": body["message_reference"]} if body.get("message_reference") else {}
        return {"id": str(next(self._ids)), "channel_id": channel_id, **reference, "author": BOT_USER, "type": 0,
                "content": body.get("content") or "", "embeds": body.get("embeds") or [],
                "components": body.get("components") or [], "attachments": [], "mentions": [],
                "mention_roles": [], "pinned": False, "mention_everyone": False, "tts": False,
                "timestamp": "2026-01-01T00:00:00+00:00", "edited_timestamp": None, "flags": body.get("flags", 0)}

    async def _handle(self, request: web.Request) -> web.Response:
        body = await request.read()
        captured = Captured(request.method, "/" + request.match_info["tail"], dict(request.query),
                            dict(request.headers), body, self.observe())
        async with self._changed:
            limited, headers = self._bucket(captured)
            response = limited or self._invalid(captured) or self._answer(captured)
            response.headers.update(headers)
            self.requests.append(captured)
            self.statuses.append((captured, response.status))
            self._changed.notify_all()
        return response

    def _bucket(self, r: Captured) -> tuple[web.Response | None, dict[str, str]]:
        """For a message create: a 429 when over the channel's bucket (or forced by `throttle`),
        else the rate-limit headers Discord would attach to the answer."""
        parts = r.path.strip("/").split("/")
        if not (r.method == "POST" and parts[0] == "channels" and parts[-1] == "messages"):
            return None, {}
        if self.throttle:
            return self._too_many(self.throttle.pop(0)), {}
        if self.message_bucket is None:
            return None, {}
        limit, per = self.message_bucket
        now = time.monotonic()
        start, used = self._windows.get(parts[1], (now, 0))
        if now - start >= per:
            start, used = now, 0
        if used >= limit:
            return self._too_many(start + per - now), {}
        self._windows[parts[1]] = (start, used + 1)
        return None, {"X-RateLimit-Limit": str(limit), "X-RateLimit-Remaining": str(limit - used - 1),
                      "X-RateLimit-Reset-After": f"{start + per - now:.3f}", "X-RateLimit-Bucket": "messages"}

    @staticmethod
    def _too_many(retry_after: float) -> web.Response:
        body = {"message": "You are being rate limited.", "retry_after": round(retry_after, 3), "global": False}
        return web.Response(status=429, body=json.dumps(body).encode(), headers={
            "Content-Type": "application/json", "Via": "1.1 google", "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Scope": "user"})

    @staticmethod
    def _invalid(r: Captured) -> web.Response | None:
        """400 for a message (a create, an edit, an interaction response) Discord would refuse."""
        if r.method not in ("POST", "PATCH") or "application/json" not in r.headers.get("Content-Type", ""):
            return None
        body = r.json
        message = body.get("data") if isinstance(body, dict) and "type" in body and "data" in body else body
        errors = message_errors(message) if isinstance(message, dict) else {}
        if not errors:
            return None
        return web.Response(status=400, headers={"Content-Type": "application/json"}, body=json.dumps(
            {"message": "Invalid Form Body", "code": 50035,
             "errors": {k: {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": v}]} for k, v in errors.items()}}
        ).encode())

    def _answer(self, r: Captured) -> web.Response:
        parts = r.path.strip("/").split("/")
        data: Any
        if r.path == "/users/@me":
            data = BOT_USER
        elif r.path == "/gateway/bot":
            data = {"url": self.gateway_url, "shards": 1, "session_start_limit": {
                "total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}}
        elif r.path == "/oauth2/applications/@me":
            data = {"id": APP_ID, "name": "openclaw", "description": "", "icon": None, "bot_public": False,
                    "bot_require_code_grant": False, "owner": BOT_USER, "verify_key": "0" * 64, "flags": 0}
        elif parts[0] == "interactions" and parts[-1] == "callback":
            payload = r.json
            flags = (payload.get("data") or {}).get("flags", 0)
            data = {"interaction": {"id": parts[1], "type": 2, "response_message_loading": payload["type"] == 5,
                                    "response_message_ephemeral": bool(flags & 64)},
                    "resource": {"type": payload["type"]}}
        elif parts[0] == "webhooks" and r.method in ("PATCH", "POST"):
            data = self._message("0", r.json)
        elif parts[0] == "webhooks" and r.method == "DELETE":
            return web.Response(status=204)
        elif parts[0] == "applications" and parts[-1] == "commands" and r.method == "PUT":
            data = [dict(c, id=str(next(self._ids)), application_id=APP_ID, version="1") for c in r.json]
        elif parts[0] == "users" and len(parts) == 2 and parts[1].isdigit():
            data = {"id": parts[1], "username": "someone", "discriminator": "0", "avatar": None}
        elif r.path == "/users/@me/channels":
            data = {"id": str(next(self._ids)), "type": 1, "recipients": [{"id": r.json["recipient_id"],
                    "username": "someone", "discriminator": "0", "avatar": None}]}
        elif parts[0] == "channels" and parts[-1] == "messages" and r.method == "POST" and \
                not self.can_reply and (r.json or {}).get("message_reference"):
            return web.Response(status=403, body=b'{"message": "Missing Permissions", "code": 50013}',
                                headers={"Content-Type": "application/json"})
        elif parts[0] == "channels" and parts[-1] == "messages" and r.method == "POST":
            data = self._message(parts[1], r.json)
            self.messages[data["id"]] = data
        elif r.method == "PATCH" and len(parts) == 4 and parts[0] == "channels" and parts[3] in self.messages:
            data = self.messages[parts[3]]
            data.update({k: v for k, v in (r.json or {}).items() if k in ("content", "embeds", "components")},
                        edited_timestamp="2026-01-01T00:00:01+00:00")
        elif parts[0] == "channels" and r.method == "DELETE":
            return web.Response(status=204)
        elif parts[0] == "guilds" and parts[2] == "members" and (parts[1], parts[3]) in self.members:
            data = self.members[(parts[1], parts[3])]
        elif parts[0] == "guilds" and len(parts) == 4 and parts[2] == "members":
            return web.Response(status=404, body=b'{"message": "Unknown Member", "code": 10007}',
                                headers={"Content-Type": "application/json"})
        else:
            return web.Response(status=404, body=b'{"message": "Unknown", "code": 10000}',
                                headers={"Content-Type": "application/json"})
        return web.Response(body=json.dumps(data).encode(), headers={"Content-Type": "application/json"})
