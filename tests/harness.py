"""Test harness: a prepared OpenClaw home copied per test, and a bot wired to it.

Building the home costs several `openclaw` calls (2–9 s each), so it is built once per session
and copied with `shutil.copytree` for every test (tens of milliseconds). `BotHarness` is the
"testbot" of this project: `bot.console("status")` returns the reply documents, `bot.oc(...)`
runs the CLI against the same home, `bot.leaks(secret)` lists every file that holds it.

"The CLI" is either the real `openclaw` or the scripted one (tests/fakes/openclaw.py): a binary
path named `fake-openclaw` (see `fake_binary`) makes `prepare_home`, `make_bot` and `run_oc` use
the scripted OpenClaw, so one test body runs against both (tests/conftest.py chooses).
"""
from __future__ import annotations

import io
import json
import os
import shutil
import sqlite3
import subprocess
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from adapters.console import Console
from bot.app import Components, build
from bot.settings import Settings
from tests.fakes import openclaw as scripted
from tests.leaks import files_holding

T = TypeVar("T")

BASE_CONFIG = """// prepared by the openclaw-chatops test harness
{
  agents: {
    defaults: { model: { primary: "anthropic/claude-opus-4-6" } },
    ownership: "explicit",
    entries: { main: {}, ops: {} },
  },
}
"""


def openclaw_bin() -> str:
    found = os.environ.get("OPENCLAW_BIN")
    if found:
        return found
    root = Path(__file__).resolve().parent.parent
    out = subprocess.run(["bash", str(root / "scripts" / "install-openclaw.sh")], check=True,
                         capture_output=True, text=True).stdout
    return out.strip().splitlines()[-1]


FAKE_NAME = "fake-openclaw"


def fake_binary(where: Path) -> str:
    """The "binary" that stands for the scripted OpenClaw; its calls are logged beside it."""
    return str(Path(where) / FAKE_NAME)


def is_fake(binary: str) -> bool:
    return Path(binary).name == FAKE_NAME


def scripted_runner(binary: str, home: Path, **kwargs: Any) -> scripted.FakeOpenClaw:
    return scripted.FakeOpenClaw(home / ".openclaw", call_log=Path(binary).parent / "cli-calls.log", **kwargs)


def run_oc(binary: str, home: Path, *args: str, stdin: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    if is_fake(binary):
        return scripted_runner(binary, home).completed(*args, stdin=stdin)
    env = dict(os.environ, HOME=str(home), OPENCLAW_STATE_DIR=str(home / ".openclaw"), NO_COLOR="1")
    env.pop("OPENCLAW_CONFIG_PATH", None)
    return subprocess.run([binary, *args], input=stdin, capture_output=True, text=True, env=env, timeout=timeout)


_BUILT: dict[tuple[str, str], Any] = {}


def once_per_binary(what: str, binary: str, build: Callable[[], T]) -> T:
    """`build()` the first time this process asks for `what` with `binary`, its result after that.

    pytest sets a session fixture up again whenever the next test wants `oc_bin` with another
    parameter (a plain test, then an `any_runner` twin, then a plain test again), and under xdist
    those alternate often; what OpenClaw built for the same binary is the same, and tests only
    copy it, so it is built once per worker instead of once per switch."""
    key = (what, binary)
    if key not in _BUILT:
        _BUILT[key] = build()
    return _BUILT[key]


def prepare_home(binary: str, home: Path, config: str = BASE_CONFIG) -> Path:
    """A valid two-agent OpenClaw home that OpenClaw itself has already read once."""
    if is_fake(binary):
        return scripted.prepare(home, config)
    state = home / ".openclaw"
    state.mkdir(parents=True, mode=0o700)
    (state / "openclaw.json").write_text(config)
    result = run_oc(binary, home, "models", "status", "--json", "--agent", "main")
    assert result.returncode == 0, result.stderr[-2000:]
    return home


@dataclass
class BotHarness:
    home: Path
    binary: str
    parts: Components
    env: dict[str, str]

    @property
    def state_dir(self) -> Path:
        return self.home / ".openclaw"

    @property
    def chatops(self):
        return self.parts.chatops

    def console(self, *lines: str) -> list[dict[str, Any]]:
        """Run lines through the real console adapter in JSON mode; returns the reply documents."""
        out = io.StringIO()
        Console(self.chatops, stdin=io.StringIO("\n".join(lines) + "\n"), stdout=out, json_mode=True,
                interactive=False, user="tester").run()
        return [json.loads(line) for line in out.getvalue().splitlines() if line.strip()]

    def oc(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        return run_oc(self.binary, self.home, *args, stdin=stdin)

    def oc_json(self, *args: str) -> Any:
        result = self.oc(*args)
        assert result.returncode == 0, (result.stdout[-1000:], result.stderr[-1000:])
        return json.loads(result.stdout[result.stdout.index("{"):])

    def held_ref(self, profile_id: str, agent: str = "main") -> str:
        """The exec ref id the gateway holds for the profile, read from OpenClaw's own status."""
        labels = self.oc_json("models", "status", "--json", "--agent", agent)["auth"]["providers"][0]["profiles"]["labels"]
        label = next(entry for entry in labels if entry.startswith(profile_id + "="))
        return label.split("ref(exec:", 1)[1].split(")", 1)[0]

    def resolve(self, ref: str) -> str:
        """What the exec resolver answers for `ref`, run with the minimal env OpenClaw gives it."""
        resolver = self.parts.settings.resolver_path
        out = subprocess.run([str(resolver)], capture_output=True, text=True, env={"LC_CTYPE": "C.UTF-8"},
                             input=json.dumps({"protocolVersion": 1, "provider": "openclaw_chatops", "ids": [ref]}),
                             cwd=resolver.parent, timeout=60)
        return json.loads(out.stdout)["values"][ref]

    def leaks(self, secret: str, *extra_roots: Path) -> list[str]:
        """Files under the home, the bot dir and `extra_roots` holding the secret in any form."""
        return files_holding(secret, self.home, self.parts.settings.chatops_dir, *extra_roots)


def make_bot(binary: str, home: Path, chatops_dir: Path, **overrides: str) -> BotHarness:
    env = {
        "OPENCLAW_BIN": binary,
        "OPENCLAW_STATE_DIR": str(home / ".openclaw"),
        "OPENCLAW_CHATOPS_DIR": str(chatops_dir),
        "HOME": str(home),
        "PATH": os.environ.get("PATH", ""),
        "OPENCLAW_CHATOPS_LOG_LEVEL": "DEBUG",
    }
    env.update(overrides)
    settings = Settings.load(env, env_file=Path("/nonexistent"))
    parts = build(settings)
    if is_fake(binary):
        real = parts.gateway.runner
        parts.gateway.runner = scripted_runner(binary, home, timeout=real.timeout, resolver_env=real.resolver_env)
    return BotHarness(home, binary, parts, env)


def force_slow_path(state_dir: Path) -> None:
    """Give the shared store an auth key this bot never saw, as a future OpenClaw release might:
    the store reader refuses the layout and every status read goes to the CLI (the slow path)."""
    with sqlite3.connect(state_dir / "state" / "openclaw.sqlite") as conn:
        conn.execute("INSERT INTO config_machine_state (state_key, value_json, updated_at_ms) "
                     "VALUES ('authProfiles.future', '{}', 1)")


def copy_home(src: Path, dst: Path) -> Path:
    shutil.copytree(src, dst, symlinks=True)
    return dst
