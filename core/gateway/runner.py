"""Run the `openclaw` CLI and classify its failures.

Each call costs 2–9 s (Node start-up plus plugin loading), stderr is noisy on nearly every
command, and some commands exit 0 with findings or 1 on a healthy exec-ref setup. So: parse stdout
JSON only, never trust exit codes for health, and bound every call with a timeout.
"""
from __future__ import annotations

import json
import os
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class GatewayError(Exception):
    """The gateway CLI could not answer; `str()` is safe to show in chat."""


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

    def json(self) -> Any:
        """The JSON document on stdout (some commands print a banner line before it)."""
        text = self.stdout.strip()
        start = min((i for i in (text.find("{"), text.find("[")) if i >= 0), default=-1)
        if start < 0:
            raise CliGarbled(f"`openclaw {self.command}` printed no JSON (exit {self.returncode}).")
        try:
            return json.loads(text[start:])
        except ValueError as exc:
            raise CliGarbled(f"`openclaw {self.command}` printed output that is not JSON (exit {self.returncode}).") from exc

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


class CliRunner:
    """Runs one OpenClaw installation against one state directory."""

    def __init__(self, binary: str, state_dir: Path, *, timeout: float = 60.0,
                 home: Path | None = None, extra_env: dict[str, str] | None = None):
        self.binary = binary
        self.state_dir = Path(state_dir)
        self.timeout = timeout
        self.home = home
        self.extra_env = dict(extra_env or {})

    def env(self) -> dict[str, str]:
        env = dict(os.environ)
        env["OPENCLAW_STATE_DIR"] = str(self.state_dir)
        env["OPENCLAW_CONFIG_PATH"] = str(self.state_dir / "openclaw.json")
        if self.home is not None:
            env["HOME"] = str(self.home)
        env.setdefault("NO_COLOR", "1")
        env.update(self.extra_env)
        return env

    def run(self, *args: str, stdin: str | None = None, timeout: float | None = None,
            check: bool = True) -> CliResult:
        argv = [self.binary, *args]
        started = time.monotonic()
        try:
            proc = subprocess.run(
                argv, input=stdin, capture_output=True, text=True, env=self.env(),
                timeout=timeout or self.timeout, cwd=str(self.state_dir if self.state_dir.is_dir() else "/"),
            )
        except FileNotFoundError as exc:
            raise CliMissing(f"Gateway CLI not found at {self.binary!r}; set OPENCLAW_BIN to the `openclaw` executable.") from exc
        except PermissionError as exc:
            raise CliMissing(f"Gateway CLI at {self.binary!r} is not executable; check OPENCLAW_BIN.") from exc
        except subprocess.TimeoutExpired as exc:
            raise CliTimeout(
                f"`openclaw {' '.join(args[:2])}` did not answer within {timeout or self.timeout:.0f} s; "
                "the gateway host may be overloaded (OPENCLAW_CHATOPS_CLI_TIMEOUT)."
            ) from exc
        result = CliResult(argv[1:], proc.returncode, proc.stdout, proc.stderr, time.monotonic() - started)
        if check and proc.returncode != 0:
            raise CliFailed(f"`openclaw {result.command}` failed: {result.error_message()}")
        return result

    def json(self, *args: str, stdin: str | None = None, timeout: float | None = None) -> Any:
        """Run a `--json` command; a non-zero exit with a JSON error document becomes CliFailed."""
        result = self.run(*args, stdin=stdin, timeout=timeout, check=False)
        if result.returncode != 0:
            raise CliFailed(f"`openclaw {result.command}` failed: {result.error_message()}")
        return result.json()
