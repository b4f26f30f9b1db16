"""docs/fleet.md "Try it on one machine", run the way a new user runs it: the installed entry point
in a fresh directory, no settings in the environment, each process configured by the files the
previous steps wrote. A broker, one sandboxed host, and the hub's console with commands piped in."""
from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from pathlib import Path

import nats
import nats.errors
import pytest

from core.fleet.subjects import Subjects
from core.secrets.credentials import fingerprint
from tests.fakes.nats_broker import free_port, server_binary
from tests.leaks import files_holding, found_in, openclaw_logs

ENTRY = str(Path(sys.executable).with_name("openclaw-chatops"))
TOKEN = "sk-ant-oat01-" + "FleetQuickStart_" * 6
pytestmark = pytest.mark.slow


def clean_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCLAW", "SLACK_", "DISCORD_"))}
    return {**env, "HOME": str(home)}


def run(work: Path, *args: str, stdin: str = "", env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run([ENTRY, *args], input=stdin, text=True, capture_output=True, cwd=work, env=env,
                          timeout=600)


def host_up(port: int, hub_env: str, timeout: float = 120.0) -> None:
    """Until host `prod` answers the hub's `hello` (what a user would see by waiting a moment)."""
    creds = dict(line.split("=", 1) for line in hub_env.splitlines() if "=" in line and not line.startswith("#"))

    async def ask() -> None:
        nc = await nats.connect(f"nats://127.0.0.1:{port}", user=creds["OPENCLAW_CHATOPS_NATS_USER"],
                                password=creds["OPENCLAW_CHATOPS_NATS_PASSWORD"], inbox_prefix=Subjects().inbox("hub"))
        try:
            deadline = time.monotonic() + timeout
            while True:
                try:
                    await nc.request(Subjects().command("prod"), b'{"op": "hello"}', timeout=2)
                    return
                except (nats.errors.NoRespondersError, nats.errors.TimeoutError):
                    if time.monotonic() > deadline:
                        raise
                    await asyncio.sleep(0.2)
        finally:
            await nc.close()

    asyncio.run(ask())


def test_the_fleet_quick_start(tmp_path: Path):
    home, work = tmp_path / "home", tmp_path / "work"
    home.mkdir()
    (work / "hub").mkdir(parents=True)
    (work / "prod").mkdir()
    env = clean_env(home)
    port = free_port()

    # 1. The broker's config and every member's credentials; the broker itself.
    made = run(work, "hub", "nats-config", "--host", "prod", "--port", str(port), env=env)
    assert made.returncode == 0, made.stderr
    broker = subprocess.Popen([server_binary(), "-c", "fleet-broker/nats-server.conf"], cwd=work,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    host = None
    try:
        url = f"OPENCLAW_CHATOPS_NATS_URL=nats://127.0.0.1:{port}\n"
        # 2. The hub's key, printed for the hosts; the host's key, printed for the hub.
        hub_env = work / "hub" / ".env"
        hub_env.write_text(url + "OPENCLAW_CHATOPS_DIR=state\n" + (work / "fleet-broker/credentials/hub.env").read_text())
        enrolled = run(work / "hub", "hub", "enroll", env=env)
        assert enrolled.returncode == 0, enrolled.stderr
        hub_key = next(line.strip() for line in enrolled.stdout.splitlines() if "FLEET_HUB_KEY=" in line)
        (work / "prod" / ".env").write_text(url + hub_key + "\n"
                                            + (work / "fleet-broker/credentials/prod.env").read_text())
        pinned = run(work / "prod", "host", "enroll", "--name", "prod", "--sandbox", env=env)
        assert pinned.returncode == 0, pinned.stderr
        pin = next(line.strip() for line in pinned.stdout.splitlines() if line.strip().startswith("prod="))
        with hub_env.open("a") as f:
            f.write(f"OPENCLAW_CHATOPS_FLEET_HOSTS={pin}\n")

        # 3. The host, then the hub's console with commands piped in.
        host = subprocess.Popen([ENTRY, "host", "--name", "prod", "--sandbox"], cwd=work / "prod", env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        host_up(port, (work / "fleet-broker/credentials/hub.env").read_text())  # a loaded machine starts it slowly
        script = "\n".join(["status", "paste-token ops", TOKEN, "status ops"]) + "\n"
        console = run(work / "hub", "hub", stdin=script, env=env)
    finally:
        if host is not None:
            host.terminate()
            host.wait(timeout=30)
        broker.terminate()
        broker.wait(timeout=30)

    assert console.returncode == 0, console.stderr[-3000:]
    assert "starting the console adapter" in console.stderr
    assert "Claude setup-token stored for agent ops" in console.stdout, console.stdout[-3000:]
    assert fingerprint(TOKEN) in console.stdout.split("stored for agent ops", 1)[1]
    # The hub holds no vault and runs no OpenClaw; the token is nowhere but the host's vault, encrypted.
    assert not (work / "hub" / "state" / "vault.json").exists()
    assert not (work / "hub" / ".sandbox").exists()
    assert TOKEN not in console.stdout + console.stderr
    assert files_holding(TOKEN, tmp_path) == []
    assert not found_in(TOKEN, openclaw_logs())
