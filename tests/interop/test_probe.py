"""`probe`: a live check through the running gateway's `models.probe`, against a loopback fake
Anthropic that answers ok, 429 and 401 in turn. One profile per answer, because a failing probe
may put its profile (or, for 401, the provider) in cooldown and later probes would be skipped."""
from __future__ import annotations

import secrets
import socket
import subprocess
import time

import pytest

from core.credentials import classify
from tests.fakes.anthropic import FakeAnthropic
from tests.harness import BotHarness

pytestmark = pytest.mark.interop

KEYS = {p: "sk-ant-api03-" + f"Probe{p[-1].upper()}" * 14 for p in ("anthropic:a", "anthropic:b", "anthropic:c")}
# After one failing probe OpenClaw may skip the agent's provider, so the 401 case uses another agent.
AGENT = {"anthropic:a": "main", "anthropic:b": "main", "anthropic:c": "ops"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def gateway(bot: BotHarness):
    """A real `openclaw gateway run` on loopback for this home, with the fake Anthropic behind it."""
    fake = FakeAnthropic(mode="ok").start()
    bot.oc("config", "set", "models.providers.anthropic.baseUrl", fake.url)
    for profile, key in KEYS.items():
        assert bot.chatops.writer.write(AGENT[profile], profile, classify(key), actor="test").verified
    port, token = free_port(), secrets.token_hex(16)
    env = {"OPENCLAW_GATEWAY_PORT": str(port), "OPENCLAW_GATEWAY_TOKEN": token}
    bot.parts.gateway.runner.extra_env.update(env)
    proc = subprocess.Popen(
        [bot.binary, "gateway", "run", "--bind", "loopback", "--port", str(port), "--auth", "token", "--token", token,
         "--allow-unconfigured"], env=bot.parts.gateway.runner.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:  # wait for the port (start-up takes ~13 s)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            time.sleep(0.5)
    yield fake
    proc.terminate()
    try:
        proc.wait(20)
    except subprocess.TimeoutExpired:
        proc.kill()
    fake.stop()


def test_probe_reports_what_anthropic_answers(bot: BotHarness, gateway: FakeAnthropic):
    results = {}
    # A plain 429 is retried by the gateway for ~2.5 min; a weekly-limit 429 is the same rate_limit
    # to OpenClaw without the retries.
    for profile, mode in (("anthropic:a", "ok"), ("anthropic:b", "usage_limit"), ("anthropic:c", "auth")):
        gateway.mode = mode
        [reply] = bot.console(f"probe {AGENT[profile]} {profile}")
        assert not reply["failed"], reply
        assert "spends tokens" in reply["text"]
        [field] = reply["sections"][0]["fields"]
        results[field["label"]] = field["value"].split(" ", 1)[0]
    assert results == {"anthropic:a": "ok", "anthropic:b": "rate_limit", "anthropic:c": "auth"}
    assert any(s.method == "POST" for s in gateway.seen)
    rows = [r for r in bot.parts.store.audit_rows() if r.action == "probe"]
    assert len(rows) == 3
    for key in KEYS.values():
        assert key not in repr(rows)
