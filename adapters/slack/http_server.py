"""HTTP mode: one endpoint for slash commands, interactivity and events, acknowledged first.

Slack waits 3 s for the answer to each request, and a team opening `/openclaw status` at once sends
a burst that arrives within milliseconds. Two choices keep every answer fast:

- One event loop (aiohttp, which ships with discord.py) parses and answers every request. A thread
  per connection cost about 0.5 ms of interpreter time per request before any work was done; the
  loop costs about 0.1 ms.
- Requests whose answer is always an empty 200 — our slash command and Events API callbacks — are
  verified here (slack_sdk's signature check: HMAC over the raw body, timestamp within 5 minutes),
  answered at once, and queued for Bolt, which verifies them again and runs the listener. The queue
  runs on one thread and waits for a pause in the traffic (at most `MAX_DEFER`), so a burst is
  acknowledged before any listener competes with the loop for the interpreter.
  Everything else — modal submissions (their answer can carry field errors), button clicks (the
  paste button opens a modal on a 3 s trigger), url_verification — runs through Bolt before the
  answer, on a small pool, exactly as Bolt would serve it.

Bolt reads any form body that contains the text "payload" anywhere (a channel `#payload-team`, a
command `help payload`) as an interactive payload and finds nothing in it. `Received.for_bolt`
hands Bolt such a body read as the plain form it is, so the command still reaches its listener.

Put TLS in front (a reverse proxy): Slack only calls https URLs. Bodies are never logged, since a
modal submission carries a credential.
"""
from __future__ import annotations

import asyncio
import json
import queue
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_plus

from aiohttp import web
from slack_bolt import App, BoltContext, BoltRequest, BoltResponse
from slack_bolt.request.internals import build_context
from slack_sdk.signature import SignatureVerifier

from adapters.slack.logs import library_logger

log = library_logger(__name__)  # a modal submission carries a credential: same redaction as Bolt's logs

EVENTS_PATH = "/slack/events"
MAX_BODY = 1 << 20  # Slack payloads are far smaller; refuse to buffer anything larger
BACKLOG = 512  # connections the kernel holds while the loop is busy; a burst must not see resets
BOLT_THREADS = 4  # requests Bolt answers itself: modal submissions, clicks; rare, each short
QUIET = 0.02  # s without a new request before queued listeners run (a burst on a busy core has 5 ms gaps)
MAX_DEFER = 0.5  # s a queued listener waits for that pause at most, so steady traffic still runs


def answered_by_server(body: str, content_type: str, command: str) -> bool:
    """Whether the answer to this request is an empty 200 whatever the listener does.

    True for our slash command (its listener acks with nothing and replies through response_url)
    and for Events API callbacks (Bolt acks those itself). A slash command that is not ours stays
    with Bolt, which answers it 404 as before."""
    if content_type == "application/json":
        try:
            return json.loads(body).get("type") == "event_callback"
        except (ValueError, AttributeError):
            return False
    if body.startswith("{"):  # Bolt reads this as JSON whatever the content type
        return False
    # Only the `command` field is decoded: parsing the whole form (parse_qs) was half of this
    # server's own time per request in a burst. A field name that is itself percent-encoded is left
    # to Bolt's parser, and so is a form with a `payload` field (Bolt reads only that one), so a
    # yes here is always a yes there.
    found = []
    for pair in body.split("&"):
        name, _, value = pair.partition("=")
        if name == "command" and value:
            found.append(unquote_plus(value))
        elif "%" in name or "+" in name or name == "payload":
            return False
    return found == [command]


def form_misread_as_payload(body: str, content_type: str | None) -> dict[str, Any] | None:
    """The fields of a form body that Bolt would take for an interactive payload because the text
    "payload" occurs in it (its rule: a non-JSON body containing that text is read for a
    `payload` field only) although it has no such field; None for every other body."""
    if content_type == "application/json" or not body or body.startswith("{") or "payload" not in body:
        return None
    fields = parse_qsl(body, keep_blank_values=True)
    return None if any(name == "payload" for name, _ in fields) else dict(fields)


# Fields of Slack's envelopes that are objects (or lists of objects) when present. Bolt's own
# middleware and context builders read them before any listener runs, so a signed body with a
# string there became a 500 and a logged traceback (found by the soak's fuzzing). The envelope and
# its `event` differ: inside an event `channel`, `team` and `user` are ids. Some fields may be null
# in Slack's payloads (`enterprise` outside Enterprise Grid); the ones Bolt reads as
# `.get(name, {})` or indexes may not.
ENVELOPE_KINDS: dict[str, type] = {
                  "event": dict, "view": dict, "team": dict, "enterprise": dict, "channel": dict, "container": dict,
                  "message": dict, "workflow_step": dict, "function_data": dict, "actions": list,
                  "authorizations": list, "response_urls": list}
EVENT_KINDS: dict[str, type] = {"message": dict, "previous_message": dict, "item": dict, "assistant_thread": dict}
MAY_BE_NULL = frozenset({"team", "enterprise", "channel", "container", "authorizations", "response_urls"})


def readable_by_bolt(body: Any) -> bool:
    """Whether the parsed body has the shape Slack sends, at the levels Bolt reads before routing
    (the envelope and its `event`); a refusal is a 400, as Bolt gives for a body it cannot route."""
    if not isinstance(body, dict):
        return False
    event = body.get("event")
    levels = [(body, ENVELOPE_KINDS)] + ([(event, EVENT_KINDS)] if isinstance(event, dict) else [])
    for level, kinds in levels:
        for name, kind in kinds.items():
            if name not in level or (level[name] is None and name in MAY_BE_NULL):
                continue
            value = level[name]
            if not isinstance(value, kind) or (isinstance(value, list) and not all(isinstance(v, dict) for v in value)):
                return False
    return True


@dataclass(frozen=True)
class Received:
    """A request as it came in; turned into a BoltRequest on the thread that runs it."""

    body: str
    query: str
    headers: dict[str, list[str]]
    at: float

    def for_bolt(self) -> BoltRequest:
        request = BoltRequest(body=self.body, query=self.query, headers=dict(self.headers))
        fields = form_misread_as_payload(self.body, request.content_type)
        if fields is not None:
            # The raw body stays as signed (Bolt verifies it again); only the parsed view, from
            # which Bolt routes, is what its own form branch would have produced.
            request.body = fields
            request.context = build_context(BoltContext(), fields)
        return request


class AnsweredQueue:
    """Requests Slack already has its answer for, run through Bolt one at a time after a burst."""

    def __init__(self, dispatch: Callable[[BoltRequest], BoltResponse]):
        self._dispatch = dispatch
        self._items: queue.SimpleQueue[Received | None] = queue.SimpleQueue()
        self._last_arrival = 0.0
        self._thread = threading.Thread(target=self._run, name="slack-answered", daemon=True)
        self._thread.start()

    def put(self, item: Received) -> None:
        self._last_arrival = item.at
        self._items.put(item)

    def close(self) -> None:
        self._items.put(None)

    def _run(self) -> None:
        while (item := self._items.get()) is not None:
            self._wait_for_pause(item.at)
            try:
                response = self._dispatch(item.for_bolt())
            except Exception:  # noqa: BLE001 - Bolt reports listener errors itself; this is the last net
                log.exception("Slack request failed in Bolt after it was answered")
                continue
            if response.status != 200:
                log.warning("Bolt answered %s to a request already acknowledged", response.status)

    def _wait_for_pause(self, arrived: float) -> None:
        while (now := time.monotonic()) - arrived < MAX_DEFER and (quiet_for := now - self._last_arrival) < QUIET:
            time.sleep(QUIET - quiet_for)


class SlackHttpServer:
    """The HTTP endpoint, with the start/stop surface of `socketserver` (`serve_forever` blocks
    the calling thread; `shutdown` from another thread ends it; `server_close` frees the port)."""

    def __init__(self, app: App, signing_secret: str, command: str, host: str, port: int,
                 path: str = EVENTS_PATH):
        self._app = app
        self._verifier = SignatureVerifier(signing_secret)
        self._command = command
        self._path = path
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._sock = socket.create_server((host, port), family=family, backlog=BACKLOG)
        self.server_address: tuple[str, int] = self._sock.getsockname()[:2]
        self._bolt = ThreadPoolExecutor(max_workers=BOLT_THREADS, thread_name_prefix="slack-bolt")
        self._answered = AnsweredQueue(app.dispatch)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._stopping = threading.Event()
        self._done = threading.Event()

    # -- lifecycle -------------------------------------------------------------------------------
    def serve_forever(self) -> None:
        # asyncio.Runner turns Ctrl-C (in the main thread) into a cancellation of `_serve`, so the
        # site closes its connections before KeyboardInterrupt reaches the caller.
        try:
            with asyncio.Runner() as runner:
                runner.run(self._serve())
        finally:
            self._done.set()

    def shutdown(self) -> None:
        self._stopping.set()
        if self._loop is not None and self._stop is not None:
            self._loop.call_soon_threadsafe(self._stop.set)
            self._done.wait(timeout=10)

    def listening(self) -> bool:
        """Whether the port is still held (the health file's "connected" in HTTP mode)."""
        return self._sock.fileno() >= 0

    def server_close(self) -> None:
        self._sock.close()
        self._answered.close()
        self._bolt.shutdown(wait=False)

    async def _serve(self) -> None:
        # aiohttp's low-level server: one handler, no router or middleware chain, which a burst
        # would pay for on every request.
        runner = web.ServerRunner(web.Server(self._on_request, access_log=None, logger=log),
                                  handle_signals=False)
        await runner.setup()
        await web.SockSite(runner, self._sock, backlog=BACKLOG).start()
        self._stop = asyncio.Event()
        self._loop = asyncio.get_running_loop()
        try:
            if not self._stopping.is_set():
                await self._stop.wait()
        finally:
            await runner.cleanup()

    # -- requests --------------------------------------------------------------------------------
    async def _on_request(self, request: web.BaseRequest) -> web.Response:
        if request.path == "/healthz" and request.method in ("GET", "HEAD"):
            return web.Response(status=200)
        if request.path != self._path:
            return web.Response(status=404)
        if request.method != "POST":
            return web.Response(status=405, headers={"Allow": "POST"})
        if (request.content_length or 0) > MAX_BODY:  # read() also stops a chunked body at 1 MiB
            return web.Response(status=413)
        return await self._on_post(request)

    async def _on_post(self, request: web.BaseRequest) -> web.Response:
        raw = await request.read()
        received = Received(body=raw.decode("utf-8", errors="replace"), query=request.query_string,
                            headers={k.lower(): request.headers.getall(k) for k in request.headers.keys()},
                            at=time.monotonic())
        if answered_by_server(received.body, request.content_type, self._command):
            if not self._signed(received):
                return web.json_response({"error": "invalid request"}, status=401)
            if request.content_type == "application/json" and not readable_by_bolt(json.loads(received.body)):
                return web.json_response({"error": "invalid request"}, status=400)
            self._answered.put(received)
            return web.Response(status=200)
        try:
            bolt_request = received.for_bolt()
            readable = readable_by_bolt(bolt_request.body)
        except (ValueError, TypeError, AttributeError, KeyError):  # a body Bolt cannot read at all
            readable = False
        if not readable:
            return web.json_response({"error": "invalid request"}, status=400 if self._signed(received) else 401)
        response = await asyncio.get_running_loop().run_in_executor(self._bolt, self._app.dispatch, bolt_request)
        headers = {k: v for k, v in response.first_headers_without_set_cookie().items()
                   if k.lower() != "content-length"}
        return web.Response(status=response.status, body=(response.body or "").encode("utf-8"), headers=headers)

    def _signed(self, received: Received) -> bool:
        """The check Bolt's request verification makes, done before the early answer."""
        timestamps = received.headers.get("x-slack-request-timestamp")
        signatures = received.headers.get("x-slack-signature")
        timestamp = timestamps[0] if timestamps else None
        signature = signatures[0] if signatures else None
        try:
            return self._verifier.is_valid(received.body, timestamp, signature)
        except ValueError:  # a timestamp that is not a number
            return False

