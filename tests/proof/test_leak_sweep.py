"""Secret-leak sweep: one canary per path (console paste, Slack DM paste, Slack channel paste,
failed validation, gateway failure), then every log (caplog and OpenClaw's /tmp/openclaw logs),
every request the fake Slack received, and every file under the OpenClaw home and the bot's
directory (state.db, config, plans, temp files) is searched for the canary in plain, base64 (all
three alignments) and URL-encoded form. Only the vault's ciphertext may hold it, encrypted.
The Slack modal and Discord modal paths are swept by tests/adapters (same `leaks` checks)."""
from __future__ import annotations

import base64
import logging
import urllib.parse
from pathlib import Path

import pytest

from tests.adapters.slack.conftest import make_rig, posts_to, serving
from tests.fakes.slack import FakeSlack
from tests.harness import make_bot

pytestmark = pytest.mark.interop


def canary(path: str) -> str:
    return "sk-ant-oat01-" + f"LeakCanary{path}_" * 6 + "Zq9"


def forms(secret: str) -> set[bytes]:
    raw = secret.encode()
    out = {raw, urllib.parse.quote(secret, safe="").encode(), urllib.parse.quote_plus(secret).encode()}
    for pad in range(3):  # base64 of the secret wherever it sits in a larger blob
        enc = base64.b64encode(b"x" * pad + raw)
        out.add(enc[4 * ((pad + 2) // 3) if pad else 0:][:-4])
    return out


def hits(secret: str, *blobs: bytes) -> int:
    return sum(1 for blob in blobs for f in forms(secret) if f in blob)


def files_under(*roots: Path) -> dict[str, bytes]:
    return {str(p): p.read_bytes() for r in roots for p in Path(r).rglob("*") if p.is_file() and not p.is_symlink()}


def openclaw_logs() -> bytes:
    return b"".join(p.read_bytes() for p in Path("/tmp/openclaw").glob("*.log")) if Path("/tmp/openclaw").is_dir() else b""


def test_no_path_leaks_the_canary(oc_bin: str, prepared_home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    fake = FakeSlack()
    harness, slack = make_rig(oc_bin, prepared_home, tmp_path, fake)
    secrets = {p: canary(p) for p in ("Console", "SlackDm", "Channel", "Invalid", "GatewayDown")}
    with serving(harness, slack, fake) as rig:
        assert not harness.console("paste-token main", secrets["Console"])[-1]["failed"]
        harness.console("paste-token main", secrets["Invalid"][:60])  # truncated: refused by validation
        rig.message(f"oops {secrets['Channel']}", user="UOTHER", event_id="EvLeak")
        rig.command("paste-token ops")
        fake.wait_for(lambda f: posts_to(f))
        rig.message(secrets["SlackDm"], channel="DADMIN", channel_type="im", event_id="EvDm")
        fake.wait_for(lambda f: [c for c in posts_to(f) if "stored for agent ops" in str(c.params)], timeout=120)
        fake.wait_for(lambda f: f.of("chat.postEphemeral"))
    down = make_bot(str(tmp_path / "gone" / "openclaw"), harness.home, tmp_path / "chatops")
    assert down.console("paste-token main", secrets["GatewayDown"])[-1]["failed"]
    down.parts.store.close()

    stored = {"Console", "SlackDm"}
    vault = harness.parts.settings.vault_path
    files = files_under(harness.home, harness.parts.settings.chatops_dir, tmp_path)
    report = {}
    for path, secret in secrets.items():
        found = [name for name, data in files.items() if hits(secret, data)]
        found += ["caplog"] * hits(secret, caplog.text.encode())
        found += ["/tmp/openclaw logs"] * hits(secret, openclaw_logs())
        found += ["fake Slack"] * hits(secret, fake.all_bytes())
        report[path] = found
    fake.close()
    assert report == {p: [] for p in secrets}, report
    assert harness.parts.vault.get("anthropic/main/anthropic:default") == secrets["Console"]
    assert {v.record_id for v in harness.parts.vault.versions()} == {"anthropic/main/anthropic:default",
                                                                   "anthropic/ops/anthropic:default"}
    assert vault.exists() and stored
