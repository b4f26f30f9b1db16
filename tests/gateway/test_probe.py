"""`probe`: a live check through the running gateway's `models.probe`, against a loopback fake
Anthropic that answers ok, 429 and 401 in turn. One profile per answer, because a failing probe
may put its profile (or, for 401, the provider) in cooldown and later probes would be skipped."""
from __future__ import annotations

import json
import secrets
import socket
import subprocess
import time
from pathlib import Path

import pytest

from core.secrets.credentials import classify
from tests.fakes.anthropic import FakeAnthropic
from tests.harness import BotHarness, copy_home, make_bot

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
    fake = FakeAnthropic(mode="ok", valid=set(KEYS.values())).start()  # any other key gets a 401
    bot.oc("config", "set", "models.providers.anthropic.baseUrl", fake.url)
    for profile, key in KEYS.items():
        assert bot.chatops.writer.write(AGENT[profile], profile, classify(key), actor="test").verified
    port, token = free_port(), secrets.token_hex(16)
    env = {"OPENCLAW_GATEWAY_PORT": str(port), "OPENCLAW_GATEWAY_TOKEN": token}
    runner = bot.parts.gateway.runner
    runner.base_env = {**runner.base_env, **env}
    proc = subprocess.Popen(
        [bot.binary, "gateway", "run", "--bind", "loopback", "--port", str(port), "--auth", "token", "--token", token,
         "--allow-unconfigured"], env=runner.env(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
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
        before = len(gateway.seen)
        [reply] = bot.console(f"probe {AGENT[profile]} {profile}")
        # What reached Anthropic for this probe is the credential onboarded for the profile, read
        # from the vault. (The gateway may send other requests meanwhile, with its other profiles.)
        sent = {s.credential for s in gateway.seen[before:] if s.method == "POST"}
        assert classify(KEYS[profile]).fingerprint in sent, (profile, sent)
        assert not reply["failed"], reply
        assert "spends tokens" in reply["text"]
        [field] = reply["sections"][0]["fields"]
        results[field["label"]] = field["value"].split(" ", 1)[0]
    assert results == {"anthropic:a": "ok", "anthropic:b": "rate_limit", "anthropic:c": "auth"}
    # Nothing but onboarded credentials ever reached Anthropic (and `valid` refuses anything else).
    assert gateway.fingerprints() <= {classify(key).fingerprint for key in KEYS.values()}
    rows = [r for r in bot.parts.store.audit_rows() if r.action == "probe"]
    assert len(rows) == 3
    for key in KEYS.values():
        assert key not in repr(rows)


def test_intake_probe_stores_what_anthropic_accepts_and_refuses_the_rest(oc_bin: str, prepared_home: Path,
                                                                          tmp_path: Path):
    """OPENCLAW_CHATOPS_PROBE=true: a pasted key goes to `GET /v1/models` first. One Anthropic
    refuses is not stored anywhere and the admin is told why; one it accepts is stored."""
    good, bad = "sk-ant-api03-" + "IntakeGood" * 9, "sk-ant-api03-" + "IntakeBad0" * 9
    fake = FakeAnthropic(valid={good}).start()
    bot = make_bot(oc_bin, copy_home(prepared_home, tmp_path / "home"), tmp_path / "chatops",
                   OPENCLAW_CHATOPS_PROBE="true", OPENCLAW_CHATOPS_ANTHROPIC_BASE_URL=fake.url)
    try:
        config = (bot.state_dir / "openclaw.json").read_bytes()
        refused = bot.console("onboard main api-key", bad)[-1]
        assert refused["failed"] and refused["code"] == "rejected", refused
        assert refused["title"] == "Not stored" and "rejected by Anthropic (HTTP 401)" in refused["text"]
        assert fake.fingerprints("GET") == {classify(bad).fingerprint}  # it was that key Anthropic refused
        assert bot.parts.vault.versions() == [] and (bot.state_dir / "openclaw.json").read_bytes() == config
        [row] = [r for r in bot.parts.store.audit_rows() if r.result == "rejected"]
        assert row.fingerprint == classify(bad).fingerprint

        stored = bot.console("onboard main api-key", good)[-1]
        assert stored["title"] == "Anthropic API key stored for agent main, profile anthropic:api", stored
        assert {"label": "Anthropic check", "value": "accepted by Anthropic"} in stored["sections"][0]["fields"]
        assert [v.record_id for v in bot.parts.vault.versions()] == ["anthropic/main/anthropic:api"]
        for key in (good, bad):
            assert key not in json.dumps([refused, stored]) and bot.leaks(key) == []
    finally:
        bot.parts.store.close()
        fake.stop()
