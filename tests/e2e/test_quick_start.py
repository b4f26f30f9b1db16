"""The README quick start, run the way a new user runs it: the installed `openclaw-chatops` entry
point, in a fresh directory, with no OpenClaw, Slack or Discord settings in the environment and a
home of its own, commands piped in. The pinned OpenClaw comes from the project cache through
`scripts/install-openclaw.sh`, as `--sandbox` fetches it."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.secrets.credentials import fingerprint
from tests.leaks import files_holding, found_in, openclaw_logs

ENTRY = str(Path(sys.executable).with_name("openclaw-chatops"))
TOKEN = "sk-ant-oat01-" + "QuickStartTok3n_" * 6


def new_user(tmp_path: Path, *args: str, stdin: str) -> tuple[subprocess.CompletedProcess, Path]:
    """Run the entry point in `tmp_path/work` with a clean environment and `tmp_path/home` as HOME."""
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir(exist_ok=True)
    work.mkdir(exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCLAW", "SLACK_", "DISCORD_"))}
    env["HOME"] = str(home)
    proc = subprocess.run([ENTRY, *args], input=stdin, text=True, capture_output=True, cwd=work, env=env,
                          timeout=600)
    return proc, work


def test_the_readme_quick_start(tmp_path: Path):
    """`run --sandbox` with no chat tokens is the console: status, paste-token (the token on the
    next line, since stdin is not a terminal), status again; the token never shows anywhere."""
    script = "\n".join(["status", "paste-token ops --expires-in 365d", TOKEN, "status"]) + "\n"
    proc, work = new_user(tmp_path, "run", "--sandbox", stdin=script)

    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "starting the console adapter" in proc.stderr
    first, last = proc.stdout.split("OpenClaw auth status")[1:]  # the two status replies, in order
    assert "Agent main" in first and "Agent ops" in first and "No auth profiles" in first
    assert "Claude setup-token stored for agent ops" in first  # the paste's reply follows the first status
    assert "anthropic:default" in last and fingerprint(TOKEN) in last and "vault" in last
    # The sandbox lives in the working directory; the user's own home got no OpenClaw state.
    assert (work / ".sandbox" / ".openclaw" / "openclaw.json").is_file()
    assert not (tmp_path / "home" / ".openclaw").exists()
    assert TOKEN not in proc.stdout and TOKEN not in proc.stderr
    assert files_holding(TOKEN, tmp_path) == []
    assert not found_in(TOKEN, openclaw_logs())


def test_the_console_exits_2_when_a_line_cannot_be_parsed(tmp_path: Path):
    """Scripts rely on the exit status: 0 at the end of clean input, 2 once any line could not be
    parsed (the lines after it still run)."""
    proc, _ = new_user(tmp_path, "console", "--json", "--sandbox", stdin="help\nstatus --no-such-flag\nhelp\n")
    assert proc.returncode == 2, (proc.returncode, proc.stderr[-2000:])
    replies = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [r["code"] for r in replies] == ["", "parse", ""]
    assert "--no-such-flag" in replies[1]["text"]

    proc, _ = new_user(tmp_path, "console", "--json", "--sandbox", stdin="help\n")
    assert proc.returncode == 0, proc.stderr[-2000:]
