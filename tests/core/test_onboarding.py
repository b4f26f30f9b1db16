"""Acceptance: onboarding through the console adapter only, against the real OpenClaw CLI."""
from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.harness import BotHarness

TOKEN = "sk-ant-oat01-" + "CanaryTok3n_" * 8
API_KEY = "sk-ant-api03-" + "CanaryK3y-" * 10


def test_console_onboards_a_token_and_a_key_and_the_audit_is_clean(bot: BotHarness, tmp_path: Path):
    """The real entry point (`openclaw-chatops console --json`) in a subprocess, fed by a pipe."""
    script = "\n".join(["/openclaw paste-token main --expires-in 365d", TOKEN,
                        "/openclaw onboard ops", "api-key", API_KEY, "/openclaw status"]) + "\n"
    env = dict(os.environ, **bot.env)
    proc = subprocess.run([sys.executable, "-m", "bot.cli", "console", "--json"], input=script, text=True,
                          capture_output=True, env=env, cwd=tmp_path, timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    stored = [r for r in replies if "stored for agent" in r["title"]]
    assert len(stored) == 2, [r["title"] for r in replies]
    for secret in (TOKEN, API_KEY):
        assert secret not in proc.stdout and secret not in proc.stderr
        assert bot.leaks(secret, Path("/tmp/openclaw")) == []
    # The vault holds ciphertext only, and both versions are there.
    assert {v.record_id for v in bot.parts.vault.versions()} == {"anthropic/main/anthropic:default", "anthropic/ops/anthropic:api"}

    audit = bot.oc_json("secrets", "audit", "--allow-exec", "--json")
    assert audit["status"] == "clean"
    assert audit["summary"]["plaintextCount"] == 0 and audit["summary"]["unresolvedRefCount"] == 0
    main = bot.oc_json("models", "status", "--json", "--agent", "main")
    ops = bot.oc_json("models", "status", "--json", "--agent", "ops")
    main_labels = main["auth"]["providers"][0]["profiles"]["labels"]
    ops_labels = ops["auth"]["providers"][0]["profiles"]["labels"]
    assert any("anthropic:default=token:ref(exec:anthropic/main/anthropic:default#v1)" in label for label in main_labels)
    assert any("anthropic:api=ref(exec:anthropic/ops/anthropic:api#v1)" in label for label in ops_labels)
    # The setup-token's expiry reached the gateway although no plan can carry it.
    expiry = [p for p in main["auth"]["oauth"]["profiles"] if p["profileId"] == "anthropic:default"][0]
    assert expiry["remainingMs"] > 360 * 86_400_000
    # The final status reply agrees with the gateway.
    status = replies[-1]
    fields = {f["label"]: f["value"] for s in status["sections"] for f in s["fields"]}
    assert "anthropic:default" in fields and "anthropic:api" in fields


@pytest.mark.any_runner
def test_in_process_onboarding_keeps_logs_and_audit_rows_clean(bot: BotHarness, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    replies = bot.console("onboard main setup-token --profile-id anthropic:team", TOKEN)
    assert "stored for agent main" in replies[-1]["title"], replies[-1]
    assert TOKEN not in caplog.text and TOKEN not in json.dumps(replies)
    rows = bot.parts.store.audit_rows()
    assert rows[0].action == "onboard" and rows[0].result == "stored" and rows[0].fingerprint.startswith("…")
    assert TOKEN not in repr(rows)
    plans = list((bot.parts.settings.chatops_dir / "plans").glob("*.json"))
    assert plans and all(TOKEN.encode() not in p.read_bytes() for p in plans)
    # The exec resolver answers OpenClaw with the secret (that is its job) from a minimal env.
    resolver = bot.parts.settings.resolver_path
    request = json.dumps({"protocolVersion": 1, "provider": "openclaw_chatops",
                          "ids": ["anthropic/main/anthropic:team#v1", "anthropic/main/nope#v1"]})
    out = subprocess.run([str(resolver)], input=request, capture_output=True, text=True, env={"LC_CTYPE": "C.UTF-8"},
                         cwd=resolver.parent, timeout=30)
    answer = json.loads(out.stdout)
    assert answer["values"] == {"anthropic/main/anthropic:team#v1": TOKEN}
    assert answer["errors"] == {"anthropic/main/nope#v1": {"code": "NOT_FOUND"}}
    assert TOKEN not in out.stderr
    mode = resolver.stat().st_mode
    assert not resolver.is_symlink() and mode & 0o022 == 0
