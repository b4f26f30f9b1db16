"""The console keeps reading a pipe while `openclaw` runs beside it (real entry point, real CLI).

A supervisor or script feeds the console slowly through a pipe that stays open. Meanwhile the alert
watcher runs `openclaw models status` in its own thread. A child that shared the bot's stdin would
set it non-blocking (Node does so for its lifetime); the console's next read would then fail with
EAGAIN, which Python reports as end of input, and the console would exit 0 mid-script.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.adapters.discord.discord_harness import wrap_openclaw
from tests.harness import copy_home, force_slow_path, make_bot

FEED_AFTER_CLI_S = 8.0  # keep feeding this long after the watcher's CLI calls started
STEP_S = 0.25


def test_console_fed_slowly_outlives_the_watchers_cli_calls(oc_bin: str, prepared_home: Path, tmp_path: Path) -> None:
    binary, cli_log = wrap_openclaw(oc_bin, tmp_path)
    home = copy_home(prepared_home, tmp_path / "home")
    force_slow_path(home / ".openclaw")  # the store reader serves looks without a child: make them use the CLI
    bot = make_bot(binary, home, tmp_path / "chatops", OPENCLAW_CHATOPS_WATCH_POLL="0.2")
    bot.parts.store.close()
    env = {**os.environ, **bot.env}
    errors = (tmp_path / "console.err").open("w")
    proc = subprocess.Popen([sys.executable, "-m", "bot.cli", "console", "--json"], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=errors, text=True, env=env, cwd=tmp_path)
    replies: list[dict] = []
    reader = threading.Thread(target=lambda: replies.extend(json.loads(line) for line in proc.stdout), daemon=True)
    reader.start()
    sent = 0

    def send(line: str) -> None:
        nonlocal sent
        proc.stdin.write(line + "\n")
        proc.stdin.flush()
        sent += 1

    try:
        send("alerts here")
        send("alerts on")  # the watcher now takes its first snapshot: one `models status` per agent
        deadline = time.monotonic() + 120
        while "models status" not in (cli_log.read_text() if cli_log.exists() else ""):
            assert proc.poll() is None, (tmp_path / "console.err").read_text()[-2000:]
            assert time.monotonic() < deadline, "the watcher never ran the CLI: this test would prove nothing"
            time.sleep(0.05)
        until = time.monotonic() + FEED_AFTER_CLI_S
        while time.monotonic() < until and proc.poll() is None:
            send("alerts")
            time.sleep(STEP_S)
        assert proc.poll() is None, f"the console quit with {proc.returncode} while its input was still open"
    except BrokenPipeError:
        pytest.fail(f"the console quit with {proc.wait()} while its input was still open")
    finally:
        if proc.poll() is None:
            proc.stdin.close()
        code = proc.wait(120)
        reader.join(10)
    assert code == 0
    assert len(replies) == sent, (len(replies), sent)
    assert replies[1]["title"] == "Team alerts on" and all(r["title"] == "Team alerts" for r in replies[2:])
