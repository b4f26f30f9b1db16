"""The HTTP endpoint itself, in front of a real Bolt app whose listeners the test controls.

No OpenClaw here: what is checked is which requests the server answers before Bolt runs them,
that Bolt's own answers (field errors, url_verification) still reach Slack, and that every
malformed request gets a plain HTTP refusal rather than an exception.
"""
from __future__ import annotations

import json
import queue
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from slack_bolt import Ack, App
from slack_sdk import WebClient

from adapters.slack.http_server import Received, SlackHttpServer, answered_by_server
from tests.fakes.slack import BOT_TOKEN, FakeSlack, post, sign
from tests.security.scale import count

SECRET = "server-signing-secret"
FORM = "application/x-www-form-urlencoded"


class Endpoint:
    """A real Bolt app (token checked against the fake Slack) served by SlackHttpServer."""

    def __init__(self, fake: FakeSlack):
        self.app = App(client=WebClient(token=BOT_TOKEN, base_url=fake.api_url), signing_secret=SECRET,
                       process_before_response=True)
        self.release = threading.Event()
        self.ran: queue.SimpleQueue[str] = queue.SimpleQueue()

        @self.app.command("/openclaw")
        def command(ack: Ack, body: dict) -> None:
            ack()
            self.release.wait(timeout=30)
            self.ran.put(body["text"])

        @self.app.view("form")
        def submitted(ack: Ack) -> None:
            ack(response_action="errors", errors={"secret": "That is not a setup-token"})

        self.server = SlackHttpServer(self.app, SECRET, "/openclaw", "127.0.0.1", 0)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.base = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.url = self.base + "/slack/events"

    def signed(self, body: str, content_type: str = FORM, **extra: str) -> tuple[int, bytes]:
        return post(self.url, body, {**sign(SECRET, body), **extra}, content_type)

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=10)


@pytest.fixture
def endpoint() -> Iterator[Endpoint]:
    fake = FakeSlack()
    served = Endpoint(fake)
    yield served
    served.close()
    fake.close()


def command(text: str, name: str = "/openclaw", **fields: str) -> str:
    return urllib.parse.urlencode({"team_id": "T1", "channel_id": "C1", "user_id": "U1", "command": name,
                                   "text": text, "response_url": "http://127.0.0.1:9/r", "trigger_id": "t", **fields})


def get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=10) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def test_a_command_is_answered_before_its_listener_finishes(endpoint: Endpoint) -> None:
    status, answer = endpoint.signed(command("status first"))  # its listener waits for `release`

    assert (status, answer) == (200, b"")
    assert endpoint.ran.empty()
    endpoint.release.set()
    assert endpoint.ran.get(timeout=30) == "status first"  # Bolt still ran it after the answer


@pytest.mark.parametrize("text, fields", [("status", {"channel_name": "payload-team"}),
                                          ("status", {"user_name": "payload.bob"}),
                                          ("help payload", {})])
def test_a_command_mentioning_payload_reaches_its_listener(endpoint: Endpoint, text: str, fields: dict) -> None:
    """Bolt takes any form body holding the text "payload" for an interactive payload; the server
    answered such a command at once and Bolt then dropped it, so the user saw nothing."""
    endpoint.release.set()
    assert endpoint.signed(command(text, **fields)) == (200, b"")
    assert endpoint.ran.get(timeout=30) == text


def test_bolt_answers_what_only_a_listener_can(endpoint: Endpoint) -> None:
    view = {"type": "view_submission", "user": {"id": "U1"}, "team": {"id": "T1"},
            "view": {"id": "V1", "type": "modal", "callback_id": "form", "state": {"values": {}}}}
    status, answer = endpoint.signed(urllib.parse.urlencode({"payload": json.dumps(view)}))
    assert status == 200
    assert json.loads(answer) == {"response_action": "errors", "errors": {"secret": "That is not a setup-token"}}

    status, answer = endpoint.signed(json.dumps({"type": "url_verification", "challenge": "c-123"}),
                                     "application/json")
    assert status == 200 and b"c-123" in answer

    assert endpoint.signed(command("help", name="/other"))[0] == 404  # not ours: Bolt finds no listener


def test_malformed_requests_get_plain_refusals(endpoint: Endpoint) -> None:
    body = command("status")
    good = sign(SECRET, body)
    event = json.dumps({"type": "event_callback", "event_id": "Ev1", "event": {"type": "message"}})

    assert post(endpoint.url, body, {**good, "X-Slack-Request-Timestamp": "soon"}, FORM)[0] == 401
    assert post(endpoint.url, event, {}, "application/json")[0] == 401
    assert post(endpoint.url, body + "&x=1", good, FORM)[0] == 401
    not_utf8 = urllib.request.Request(endpoint.url, data=b"command=%2Fopenclaw&text=\xff", method="POST",
                                      headers={"Content-Type": FORM, **sign(SECRET, "command=%2Fopenclaw&text=\xff")})
    with pytest.raises(urllib.error.HTTPError, match="401"):
        urllib.request.urlopen(not_utf8, timeout=10)
    assert post(endpoint.base + "/elsewhere", body, good, FORM)[0] == 404
    assert post(endpoint.url, "x" * (2 << 20), good, FORM)[0] == 413
    assert get(endpoint.url) == 405
    assert get(endpoint.base + "/healthz") == 200


# Envelopes with Slack's field names holding values of any JSON kind: Bolt reads some of these
# fields before any listener runs, and a signed body with the wrong kind there must not be a 500.
ENVELOPE = st.dictionaries(
    st.sampled_from(["type", "event", "challenge", "actions", "view", "team", "user", "channel", "message",
                     "enterprise", "authorizations", "container"]),
    st.sampled_from(["event_callback", "url_verification", "block_actions", "view_submission", "message_action",
                     "x", 1, None, {}, [], [1], ["x"], [{}], {"type": "message"}, {"id": "U1"}]),
    max_size=4)
WRONG_KINDS = [
    {"type": "event_callback", "event": "url_verification"},
    {"type": "event_callback", "event": None},
    {"type": "block_actions", "actions": "x"},
    {"type": "block_actions", "actions": [1]},
    {"type": "view_submission", "view": "x"},
    {"type": "block_actions", "team": "x"},
    {"type": "message_action", "message": "x"},
]


@pytest.mark.parametrize("envelope", WRONG_KINDS, ids=lambda e: "-".join(f"{k}={v}" for k, v in e.items()))
@pytest.mark.parametrize("as_payload", [False, True], ids=["json", "payload-form"])
def test_a_signed_body_with_a_field_of_the_wrong_kind_is_a_400(endpoint: Endpoint, envelope: dict,
                                                               as_payload: bool) -> None:
    """Slack never sends these; Bolt's middleware would raise on them (a 500 and a traceback)."""
    body = urllib.parse.urlencode({"payload": json.dumps(envelope)}) if as_payload else json.dumps(envelope)
    assert endpoint.signed(body, FORM if as_payload else "application/json")[0] == 400
    if not as_payload:  # JSON by its content type, whatever the first character (Bolt's own rule)
        assert endpoint.signed(" " + body, "application/json")[0] == 400


@settings(max_examples=count("SLACK_HTTP_EXAMPLES", 150), deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.one_of(st.text(max_size=200),
                      st.builds(lambda d: urllib.parse.urlencode(d),
                                st.dictionaries(st.sampled_from(["command", "payload", "text", "ssl_check"]),
                                                st.text(max_size=40), max_size=4)),
                      st.builds(json.dumps, ENVELOPE),
                      st.builds(lambda d: urllib.parse.urlencode({"payload": json.dumps(d)}), ENVELOPE)),
       content_type=st.sampled_from([FORM, "application/json", "text/plain", ""]),
       signed=st.booleans())
def test_any_request_gets_an_http_answer(endpoint: Endpoint, body: str, content_type: str, signed: bool) -> None:
    """Unsigned, nothing gets past the signature check but Slack's certificate check, which Bolt
    answers with an empty 200 before verifying (it carries nothing and runs no listener). Signed
    (only Slack holds the secret), a shape Bolt does not know is a 400 or 404, never a 500; and the
    server stays up."""
    headers = sign(SECRET, body) if signed else {}
    endpoint.release.set()
    status, answer = post(endpoint.url, body, headers, content_type)

    if signed:
        assert status in (200, 400, 404), status
    elif is_ssl_check(body, content_type):
        assert (status, answer) == (200, b""), status
    else:
        assert status == 401, status
    assert endpoint.signed(command("still up"))[0] == 200


def is_ssl_check(body: str, content_type: str) -> bool:
    """Whether Bolt reads the body as Slack's `ssl_check=1` (its own parse, as the server hands it over)."""
    try:
        parsed = Received(body, "", {"content-type": [content_type]} if content_type else {}, 0.0).for_bolt().body
    except (ValueError, TypeError, AttributeError, KeyError):  # the server's own test of what Bolt cannot read
        return False
    return isinstance(parsed, dict) and parsed.get("ssl_check") == "1"


SLACK_FIELDS = ["command", "text", "response_url", "user_id", "channel_id", "trigger_id", "comm%61nd", "command+",
                "payload", "channel_name", "user_name"]


@settings(max_examples=300, deadline=None)
@given(pairs=st.lists(st.tuples(st.sampled_from(SLACK_FIELDS),
                                st.sampled_from(["/openclaw", "/other", "", "a b&c=d", "payload", "#payload-team",
                                                 "payload.bob", "help payload", "{}"])),
                      max_size=6),
       raw=st.text(alphabet="command=/opencl%2F&+xpayld{}", max_size=40))
def test_early_answer_only_when_bolt_would_read_our_command(pairs: list[tuple[str, str]], raw: str) -> None:
    """The server reads only the `command` field; Bolt parses the whole body by its own rules (JSON
    when it starts with "{", the `payload` field alone when the text "payload" occurs anywhere,
    else the form), as the server hands it over. Whatever the body, a yes from the server must be a
    yes from Bolt, and on forms as Slack encodes them (names never percent-encoded, one command)
    the two agree exactly."""
    def full_parse(body: str) -> bool:
        try:
            request = Received(body=body, query="", headers={"content-type": [FORM]}, at=0.0).for_bolt()
        except ValueError:  # Bolt cannot read it at all (JSON that is not)
            return False
        return request.body.get("command") == "/openclaw"

    encoded = "&".join(f"{name}={urllib.parse.quote_plus(value)}" for name, value in pairs)
    for body in (encoded, raw, f"{encoded}&{raw}"):
        if answered_by_server(body, FORM, "/openclaw"):
            assert full_parse(body), body
    names = [name for name, _ in pairs]
    if not {"comm%61nd", "command+"} & set(names) and names.count("command") <= 1:
        assert answered_by_server(encoded, FORM, "/openclaw") == full_parse(encoded), encoded
