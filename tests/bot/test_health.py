"""The health file the running bot writes and `service status` reads, from the real watcher and
gateway client (an unreachable gateway is a CLI path that does not exist)."""
from __future__ import annotations

import json
import stat
import threading
import time
from pathlib import Path

from bot.app import build
from bot.health import HEALTH_FILE, Health, describe_health, read_health
from bot.settings import Settings
from core.alerts.outbox import Destination
from tests.fakes.slack import BOT_TOKEN, FakeSlack


def parts_with_missing_cli(tmp_path: Path, **env: str):
    state = tmp_path / ".openclaw"
    state.mkdir()
    (state / "openclaw.json").write_text('{ agents: { entries: { main: {} } } }\n')
    settings = Settings.load({"OPENCLAW_BIN": str(tmp_path / "no-such-openclaw"), "OPENCLAW_STATE_DIR": str(state),
                              "OPENCLAW_CHATOPS_DIR": str(tmp_path / "chatops"), "HOME": str(tmp_path), **env},
                             env_file=Path("/nonexistent"))
    return build(settings)


def test_health_says_which_adapters_are_connected_and_that_the_gateway_does_not_answer(tmp_path: Path):
    parts = parts_with_missing_cli(tmp_path)
    try:
        parts.alerts.set_destination(Destination("slack", "C1"))
        assert parts.watcher.tick(force=True)  # one real look: the CLI is missing
        health = Health(parts.settings.chatops_dir / HEALTH_FILE, parts.gateway, parts.watcher)
        health.watch("slack", lambda: True)
        health.watch("discord", lambda: False)
        health.write()
        path = parts.settings.chatops_dir / HEALTH_FILE
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        lines = "\n".join(describe_health(read_health(path)))
        assert "adapters: slack connected, discord not connected" in lines
        assert "gateway: NOT reachable" in lines and "Gateway CLI not found" in lines
        assert "watcher: last look" in lines and "never" not in lines.split("watcher:")[1].split("\n")[0]
        assert "STALE" not in lines

        doc = json.loads(path.read_text())
        later = "\n".join(describe_health(doc, now=time.time() + 3600))
        assert "STALE: the bot is not running or is stuck" in later
        health.stop()
        assert "the bot stopped (clean exit)" in "\n".join(describe_health(read_health(path)))
    finally:
        parts.store.close()


def test_no_health_file_is_said_plainly(tmp_path: Path):
    assert "no health file yet" in describe_health(read_health(tmp_path / HEALTH_FILE))[0]


def test_slack_in_http_mode_is_connected_while_it_listens(tmp_path: Path):
    """The adapter's own start registers the probe: in HTTP mode, connected means the port is held."""
    from adapters.slack import app as slack_app

    fake = FakeSlack()
    parts = parts_with_missing_cli(tmp_path, SLACK_BOT_TOKEN=BOT_TOKEN, SLACK_API_URL=fake.api_url,
                                   SLACK_SIGNING_SECRET="health-secret", SLACK_MODE="http",
                                   SLACK_HTTP_HOST="127.0.0.1", SLACK_HTTP_PORT="0")
    path = parts.settings.chatops_dir / HEALTH_FILE
    parts.health = Health(path, parts.gateway, parts.watcher)
    runner = threading.Thread(target=slack_app.start, args=(parts,), daemon=True)
    try:
        runner.start()
        deadline = time.monotonic() + 30
        while "slack" not in parts.health.probes and time.monotonic() < deadline:
            time.sleep(0.05)
        parts.health.write()
        assert "adapters: slack connected" in "\n".join(describe_health(read_health(path)))
        server = parts.health.probes["slack"].__self__  # the bound `listening` of the server start() runs
        server.shutdown()
        runner.join(timeout=10)
        parts.health.write()
        assert "adapters: slack not connected" in "\n".join(describe_health(read_health(path)))
    finally:
        parts.store.close()
        fake.close()
