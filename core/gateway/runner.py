"""Run the `openclaw` CLI and classify its failures.

Each call costs 2–9 s (Node start-up plus plugin loading), stderr is noisy on nearly every
command, and some commands exit 0 with findings or 1 on a healthy exec-ref setup. So: parse stdout
JSON only, never trust exit codes for health, and bound every call with a timeout.

The CLI gets an allow-listed environment, never the bot's own: OpenClaw and every plugin it loads
see the process environment, and OpenClaw treats a chat channel as configured when its token
variable is present (`doctor --fix` then installs that channel's plugin from npm). So the bot's
Slack/Discord tokens and its own settings stay out. Its stdin is never the bot's either: Node sets
an inherited stdin non-blocking, and the console's next read would then end as if at EOF.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from core.errors import ChatSafeError


class GatewayError(ChatSafeError):
    """The gateway CLI could not answer; `str()` is safe to show in chat."""

    title = "Gateway problem"
    code = "gateway"


class CliMissing(GatewayError):
    pass


class CliTimeout(GatewayError):
    pass


class CliFailed(GatewayError):
    pass


class CliGarbled(GatewayError):
    pass


@dataclass
class CliResult:
    args: list[str]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    def checked(self) -> CliResult:
        """This result, or CliFailed with OpenClaw's own message when the command failed: one rule
        for every Runner, the CLI's and the scripted one of the tests."""
        if self.returncode != 0:
            raise CliFailed(f"`openclaw {self.command}` failed: {self.error_message()}")
        return self

    def json(self) -> Any:
        """The JSON document on stdout (some commands print a banner line before it)."""
        text = self.stdout.strip()
        start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
        if start < 0:
            raise CliGarbled(f"`openclaw {self.command}` printed no JSON (exit {self.returncode}).")
        try:
            return json.loads(text[start:])
        except ValueError as exc:
            raise CliGarbled(
                f"`openclaw {self.command}` printed output that is not JSON (exit {self.returncode}).") from exc

    @property
    def command(self) -> str:
        return " ".join(a for a in self.args[:3] if not a.startswith("-"))

    def error_message(self) -> str:
        """OpenClaw's own error text, from its JSON error document or its last stderr lines."""
        try:
            doc = self.json()
            if isinstance(doc, dict) and isinstance(doc.get("error"), dict):
                return str(doc["error"].get("message", "")).strip()
        except CliGarbled:
            pass
        lines = [ln.strip() for ln in (self.stderr + "\n" + self.stdout).splitlines() if ln.strip()]
        reasons = [ln for ln in lines if ln.startswith("[openclaw] Reason:")]
        if reasons:
            return reasons[-1].removeprefix("[openclaw] Reason:").strip()
        useful = [ln for ln in lines if not ln.startswith("[") and "could not be verified" not in ln]
        return (useful or lines or ["no output"])[-1][:300]


# What the CLI may see of the bot's environment: the basics a Node program needs, and OpenClaw's
# own variables (OPENCLAW_*) minus the bot's settings (OPENCLAW_CHATOPS_*, which hold the vault key).
# No proxy variables: none of the commands the bot runs needs the network.
CLI_ENV_NAMES = frozenset({"PATH", "HOME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "NO_COLOR"})
CLI_ENV_PREFIXES = ("LC_", "OPENCLAW_")
BOT_ENV_PREFIX = "OPENCLAW_CHATOPS_"
# OpenClaw runs exec SecretRef resolvers only for commands given this flag (`secrets apply`,
# `secrets audit`); only those calls get the resolver's `passEnv` variables (the vault key).
RESOLVING_FLAG = "--allow-exec"


def cli_environment(source: Mapping[str, str]) -> dict[str, str]:
    """The allow-listed subset of `source` a CLI call may inherit."""
    return {name: value for name, value in source.items()
            if (name in CLI_ENV_NAMES or name.startswith(CLI_ENV_PREFIXES)) and not name.startswith(BOT_ENV_PREFIX)}


class Runner(Protocol):
    """What `Gateway` needs from whatever answers for OpenClaw: the real CLI (`CliRunner`) or, in
    tests, a scripted stand-in (as httpx takes a `MockTransport`). Answers are `CliResult`s and
    failures `GatewayError`s either way, so everything above this seam behaves the same."""

    state_dir: Path
    timeout: float

    def run(self, *args: str, stdin: str | None = None, timeout: float | None = None,
            check: bool = True) -> CliResult:
        """One command; `check` turns a non-zero exit into CliFailed."""
        ...

    def json(self, *args: str, stdin: str | None = None, timeout: float | None = None) -> Any:
        """One `--json` command's document; a non-zero exit becomes CliFailed."""
        ...


class CliRunner:
    """Runs one OpenClaw installation against one state directory.

    `base_env` is where the allow-listed variables come from (the bot's settings: environment plus
    `.env`; default the process environment). `resolver_env` holds what the exec resolver needs
    through `passEnv` and is added only to calls that may run it."""

    def __init__(self, binary: str, state_dir: Path, *, timeout: float = 60.0,
                 home: Path | None = None, base_env: Mapping[str, str] | None = None,
                 resolver_env: Mapping[str, str] | None = None):
        self.binary = binary
        self.state_dir = Path(state_dir)
        self.timeout = timeout
        self.home = home
        self.base_env = os.environ if base_env is None else base_env
        self.resolver_env = dict(resolver_env or {})

    def env(self, args: tuple[str, ...] = ()) -> dict[str, str]:
        env = cli_environment(self.base_env)
        env["OPENCLAW_STATE_DIR"] = str(self.state_dir)
        env["OPENCLAW_CONFIG_PATH"] = str(self.state_dir / "openclaw.json")
        if self.home is not None:
            env["HOME"] = str(self.home)
        env.setdefault("NO_COLOR", "1")
        if RESOLVING_FLAG in args:
            env.update(self.resolver_env)
        return env

    def run(self, *args: str, stdin: str | None = None, timeout: float | None = None,
            check: bool = True) -> CliResult:
        argv = [self.binary, *args]
        started = time.monotonic()
        # Without input the child still must not share the bot's stdin (see the module docstring).
        feed: dict[str, Any] = {"input": stdin} if stdin is not None else {"stdin": subprocess.DEVNULL}
        try:
            proc = subprocess.run(
                argv, **feed, capture_output=True, text=True, env=self.env(args),
                timeout=timeout or self.timeout, cwd=str(self.state_dir if self.state_dir.is_dir() else "/"),
            )
        except FileNotFoundError as exc:
            raise CliMissing(
                f"Gateway CLI not found at {self.binary!r}; set OPENCLAW_BIN to the `openclaw` executable.") from exc
        except PermissionError as exc:
            raise CliMissing(f"Gateway CLI at {self.binary!r} is not executable; check OPENCLAW_BIN.") from exc
        except subprocess.TimeoutExpired as exc:
            raise CliTimeout(
                f"`openclaw {' '.join(args[:2])}` did not answer within {timeout or self.timeout:.0f} s; "
                "the gateway host may be overloaded (OPENCLAW_CHATOPS_CLI_TIMEOUT)."
            ) from exc
        result = CliResult(argv[1:], proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
        return result.checked() if check else result

    def json(self, *args: str, stdin: str | None = None, timeout: float | None = None) -> Any:
        """Run a `--json` command; a non-zero exit with a JSON error document becomes CliFailed."""
        return self.run(*args, stdin=stdin, timeout=timeout).json()
