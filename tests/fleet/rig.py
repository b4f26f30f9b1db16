"""A whole fleet on loopback: a real nats-server, `openclaw-chatops host` processes each with its own
OpenClaw home, and an `openclaw-chatops hub` process whose Slack adapter (HTTP mode) talks to the
fake Slack. Commands reach the hub as Slack sends them (signed slash commands, DM events); every
process can be killed with SIGKILL and started again on the same state.
"""
from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.fleet.keys import HostKeys, HubKeys, encode_public
from tests.adapters.slack.conftest import ADMIN, SIGNING_SECRET, SlackRig
from tests.fakes.nats_broker import NatsBroker, free_port
from tests.fakes.slack import BOT_TOKEN, FakeSlack
from tests.harness import copy_home, run_oc

ROOT = Path(__file__).resolve().parents[2]
ALERTS = "C0ALERTS"


def wait_until(predicate: Callable[[], Any], timeout: float = 60.0, what: str = "condition") -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {timeout:g} s waiting for {what}")


@dataclass
class Proc:
    """One fleet process: its command, environment and log, killed or started at will."""

    name: str
    argv: list[str]
    env: dict[str, str]
    log_path: Path
    process: subprocess.Popen[bytes] | None = None

    def start(self) -> Proc:
        with open(self.log_path, "ab") as log:
            self.process = subprocess.Popen(self.argv, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                                            stdin=subprocess.DEVNULL, cwd=self.log_path.parent)
        return self

    def kill9(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()
        self.process = None

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""


@dataclass
class Fleet:
    root: Path
    broker: NatsBroker
    slack_fake: FakeSlack
    oc_bin: str
    hub: Proc = field(init=False)
    hosts: dict[str, Proc] = field(default_factory=dict)
    homes: dict[str, Path] = field(default_factory=dict)
    port: int = field(default_factory=free_port)

    @property
    def slack(self) -> SlackRig:
        return SlackRig(None, None, self.slack_fake, f"http://127.0.0.1:{self.port}/slack/events")  # type: ignore[arg-type]

    def hub_log(self) -> str:
        return self.hub.log()

    def command(self, text: str, **kw: Any) -> list[dict[str, Any]]:
        """A slash command as Slack sends it; the answers the requester saw at its response_url."""
        status, _, url = self.slack.command(text, **kw)
        assert status == 200, status
        return self.slack.answers(url)

    def wait_heard(self, *names: str, since: int = 0, timeout: float = 60.0) -> None:
        for name in names:
            wait_until(lambda n=name: f"host {n} is up" in self.hub_log()[since:], timeout, f"the hub to hear {name}")

    def wait_ready(self, since: int = 0) -> None:
        """The hub answers Slack and has heard every running host (in its log after `since`)."""
        wait_until(self._port_open, 60, "the hub's Slack endpoint")
        self.wait_heard(*(n for n, p in self.hosts.items() if p.running), since=since)

    def oc_json(self, host: str, *args: str) -> Any:
        """The real CLI on a host's OpenClaw home."""
        result = run_oc(self.oc_bin, self.homes[host], *args)
        return json.loads(result.stdout)

    def _port_open(self) -> bool:
        try:
            socket.create_connection(("127.0.0.1", self.port), timeout=0.5).close()
            return True
        except OSError:
            return False

    def stop(self) -> None:
        for proc in [self.hub, *self.hosts.values()]:
            proc.stop()


def break_gateway(fleet: Fleet, host: str) -> None:
    """Garble the host's OpenClaw config, as a botched hand edit would: its gateway cannot be read."""
    config = fleet.homes[host] / ".openclaw" / "openclaw.json"
    config.rename(config.with_suffix(".good"))
    config.write_text("{ this is not json5")


def mend_gateway(fleet: Fleet, host: str) -> None:
    good = fleet.homes[host] / ".openclaw" / "openclaw.good"
    good.rename(good.with_suffix(".json"))


def base_env(oc_bin: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("OPENCLAW", "SLACK_", "DISCORD_"))}
    env.update({"OPENCLAW_BIN": oc_bin, "PYTHONPATH": str(ROOT), "NO_COLOR": "1",
                "OPENCLAW_CHATOPS_WATCH_POLL": "0.3", "OPENCLAW_CHATOPS_WATCH_INTERVAL": "0.5",
                "OPENCLAW_CHATOPS_UNREACHABLE_AFTER": "1",
                "OPENCLAW_CHATOPS_FLEET_HEARTBEAT": "0.5", "OPENCLAW_CHATOPS_FLEET_SILENT_AFTER": "3"})
    return env


def make_fleet(root: Path, broker: NatsBroker, fake: FakeSlack, oc_bin: str, prepared_home: Path,
               names: tuple[str, ...], **hub_env: str) -> Fleet:
    """Enroll every host (its key made as `host enroll` makes it, pinned at the hub) and build
    the processes; nothing is started."""
    fleet = Fleet(root, broker, fake, oc_bin)
    hub_dir = root / "hub"
    hub_dir.mkdir(parents=True)
    hub_key = HubKeys.load_or_create(hub_dir / "chatops" / "hub.key")
    pins = []
    for name in names:
        host_dir = root / name
        host_dir.mkdir(parents=True)
        fleet.homes[name] = copy_home(prepared_home, host_dir / "home")
        keys = HostKeys.load_or_create(host_dir / "chatops" / "host.key")
        pins.append(f"{name}={keys.fingerprint}")
        env = {**base_env(oc_bin), "OPENCLAW_STATE_DIR": str(fleet.homes[name] / ".openclaw"),
               "OPENCLAW_CHATOPS_DIR": str(host_dir / "chatops"), "HOME": str(fleet.homes[name]),
               "OPENCLAW_CHATOPS_NATS_URL": broker.url, "OPENCLAW_CHATOPS_NATS_USER": name,
               "OPENCLAW_CHATOPS_NATS_PASSWORD": broker.hosts[name].password,
               "OPENCLAW_CHATOPS_FLEET_HUB_KEY": encode_public(hub_key.public_bytes())}
        fleet.hosts[name] = Proc(name, [sys.executable, "-m", "bot.cli", "host", "--name", name], env,
                                 host_dir / "host.log")
    env = {**base_env(oc_bin), "OPENCLAW_CHATOPS_DIR": str(hub_dir / "chatops"), "HOME": str(hub_dir),
           "OPENCLAW_STATE_DIR": str(hub_dir / "no-openclaw-here"),
           "OPENCLAW_CHATOPS_NATS_URL": broker.url, "OPENCLAW_CHATOPS_NATS_USER": "hub",
           "OPENCLAW_CHATOPS_NATS_PASSWORD": broker.hub.password, "OPENCLAW_CHATOPS_FLEET_HOSTS": ",".join(pins),
           "OPENCLAW_CHATOPS_ADMINS": f"slack:{ADMIN}", "SLACK_BOT_TOKEN": BOT_TOKEN, "SLACK_API_URL": fake.api_url,
           "SLACK_SIGNING_SECRET": SIGNING_SECRET, "SLACK_MODE": "http", "SLACK_HTTP_PORT": str(fleet.port),
           **hub_env}
    fleet.hub = Proc("hub", [sys.executable, "-m", "bot.cli", "hub"], env, hub_dir / "hub.log")
    return fleet


@contextmanager
def running_fleet(root: Path, oc_bin: str, prepared_home: Path, names: tuple[str, ...]) -> Iterator[Fleet]:
    """A broker with a user per host, the fake Slack, every host and the hub started and ready;
    all of it stopped on the way out."""
    broker = NatsBroker(root / "broker", hosts=names).start()
    fake = FakeSlack()
    fleet = make_fleet(root, broker, fake, oc_bin, prepared_home, names)
    for proc in fleet.hosts.values():
        proc.start()
    fleet.hub.start()
    try:
        fleet.wait_ready()
        yield fleet
    finally:
        fleet.stop()
        broker.stop()
        fake.close()
