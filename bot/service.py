"""`openclaw-chatops service install | uninstall | status | logs`: run the bot as a user service.

OpenClaw runs its gateway as a user service of the gateway's Unix user (`openclaw gateway
install`: the systemd user unit `openclaw-gateway.service`, `openclaw-gateway-<profile>` with
OPENCLAW_PROFILE; the launchd agent `ai.openclaw.gateway` on macOS). The bot must run as that same
user on the same host (it shares the vault with the gateway's exec resolver), so it installs the
same way, next to it:

- the unit runs `openclaw-chatops run` from this install (absolute paths: a user manager's PATH is
  minimal), restarts on failure, and is ordered after the gateway's unit when that unit exists;
- tokens live in an environment file (0600) the unit reads, never on a command line (which any
  local user can read in /proc);
- paths that are not secret (state dir, bot dir, CLI, PATH) are written into the unit so
  `systemctl --user cat` shows what the bot runs against.

The environment file uses the subset of syntax that systemd's `EnvironmentFile=` and the bot's own
`.env` reader agree on (KEY=value, `#` comments, optional quotes, no escapes), so the launchd
agent, which has no such directive, passes it with `run --env-file`.
"""
from __future__ import annotations

import getpass
import os
import platform
import plistlib
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from bot.health import HEALTH_FILE, describe_health, read_health
from bot.settings import Settings, SettingsError, read_env_file
from core.fsutil import atomic_write
from core.secrets.vault_keys import KEY_ENV

UNIT_NAME = "openclaw-chatops.service"
LAUNCHD_LABEL = "ai.openclaw.chatops"
GATEWAY_UNIT = "openclaw-gateway"  # OpenClaw 2026.9.6: GATEWAY_SYSTEMD_SERVICE_NAME
# What goes into the environment file at install: the bot's own settings and the chat tokens.
ENV_PREFIXES = ("OPENCLAW_CHATOPS_", "SLACK_", "DISCORD_")
# Written into the unit itself (not secret, and wanted in `systemctl --user cat`).
UNIT_ENV = ("OPENCLAW_STATE_DIR", "OPENCLAW_CHATOPS_DIR", "OPENCLAW_BIN", "PATH")
CHAT_TOKENS = ("SLACK_BOT_TOKEN", "DISCORD_BOT_TOKEN")
_PLAIN = re.compile(r"^[A-Za-z0-9_/.:@+=,-]+$")

Run = Callable[[list[str]], subprocess.CompletedProcess]


class ServiceError(Exception):
    """A refusal with what to do about it; nothing was written."""


def _run(argv: list[str]) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(argv, capture_output=True, text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return subprocess.CompletedProcess(argv, 127, "", str(exc))


@dataclass(frozen=True)
class Layout:
    """Where the service's files go for this user."""

    system: str  # "systemd" | "launchd"
    home: Path
    config_home: Path

    @classmethod
    def detect(cls, env: dict[str, str], system: str | None = None) -> Layout:
        home = Path(env.get("HOME") or Path.home())
        config = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
        return cls(system or ("launchd" if platform.system() == "Darwin" else "systemd"), home, config)

    @property
    def unit_path(self) -> Path:
        if self.system == "launchd":
            return self.home / "Library" / "LaunchAgents" / f"{LAUNCHD_LABEL}.plist"
        return self.config_home / "systemd" / "user" / UNIT_NAME

    @property
    def env_dir(self) -> Path:
        return self.config_home / "openclaw-chatops"

    @property
    def env_file(self) -> Path:
        return self.env_dir / "service.env"

    @property
    def log_file(self) -> Path:
        """launchd only: it has no journal, so the agent writes here."""
        return self.home / "Library" / "Logs" / "openclaw-chatops.log"

    def gateway_unit(self, env: dict[str, str]) -> str | None:
        """OpenClaw's gateway unit when it is installed for this user (where `gateway install`
        writes it), else None: ordering after an absent unit would only add a warning."""
        profile = (env.get("OPENCLAW_PROFILE") or "").strip()
        name = GATEWAY_UNIT + (f"-{profile}" if profile and profile.lower() != "default" else "")
        for unit_dir in {self.config_home / "systemd" / "user", self.home / ".config" / "systemd" / "user"}:
            if (unit_dir / f"{name}.service").exists():
                return f"{name}.service"
        return None


def entry_point() -> list[str]:
    """The command that runs this install: its console script when there is one next to this
    interpreter (a virtualenv's bin/), else this interpreter on the module."""
    script = Path(sys.executable).parent / "openclaw-chatops"
    if script.is_file() and os.access(script, os.X_OK):
        return [str(script.absolute())]
    return [str(Path(sys.executable).absolute()), "-m", "bot.cli"]


def unit_environment(settings: Settings) -> dict[str, str]:
    bin_path = shutil.which(settings.openclaw_bin) or settings.openclaw_bin
    return {
        "OPENCLAW_STATE_DIR": str(settings.state_dir),
        "OPENCLAW_CHATOPS_DIR": str(settings.chatops_dir),
        "OPENCLAW_BIN": str(Path(bin_path).absolute()) if os.sep in bin_path else bin_path,
        "PATH": settings.get("PATH") or os.defpath,
    }


def _quote(word: str) -> str:
    """One word of a systemd command line or assignment: `%` and `$` are specifiers there."""
    word = word.replace("%", "%%").replace("$", "$$")
    if _PLAIN.match(word):
        return word
    return '"' + word.replace("\\", "\\\\").replace('"', '\\"') + '"'


CREATED_MARK = "# Directories install created (uninstall removes them when empty): "


def missing_dirs(path: Path) -> list[Path]:
    """`path` and its ancestors that do not exist yet, deepest first."""
    out: list[Path] = []
    while not path.exists() and path != path.parent:
        out.append(path)
        path = path.parent
    return out


def systemd_unit(command: list[str], env: dict[str, str], env_file: Path, work_dir: Path, after: str | None,
                 created: Sequence[Path] = (), run_args: Sequence[str] = ("run",)) -> str:
    lines = [
        "# Written by `openclaw-chatops service install`; run it again to change this file.",
        *([CREATED_MARK + " ".join(shlex.quote(str(d)) for d in created)] if created else []),
        "[Unit]",
        "Description=openclaw-chatops: OpenClaw credentials from Slack and Discord",
    ]
    if after:
        lines += [f"After={after}", f"Wants={after}"]
    lines += [
        "",
        "[Service]",
        "Type=simple",
        "ExecStart=" + " ".join(_quote(w) for w in [*command, *run_args]),
        f"WorkingDirectory={_quote(str(work_dir))}",
        *(f"Environment={_quote(f'{k}={v}')}" for k, v in env.items()),
        "# Tokens and the bot's settings; 0600, never on the command line.",
        f"EnvironmentFile={_quote(str(env_file))}",
        "Restart=on-failure",
        "RestartSec=5",
        "UMask=0077",
        "",
        "[Install]",
        "WantedBy=default.target",
        "",
    ]
    return "\n".join(lines)


def launchd_plist(command: list[str], env: dict[str, str], env_file: Path, work_dir: Path, log_file: Path,
                  run_args: Sequence[str] = ("run",)) -> bytes:
    """launchd has no EnvironmentFile: the agent passes the file's path to `run --env-file`."""
    return plistlib.dumps({
        "Label": LAUNCHD_LABEL,
        "ProgramArguments": [*command, *run_args, "--env-file", str(env_file)],
        "EnvironmentVariables": env,
        "WorkingDirectory": str(work_dir),
        "RunAtLoad": True,
        "KeepAlive": {"SuccessfulExit": False},  # restart on failure, like Restart=on-failure
        "ThrottleInterval": 5,
        "Umask": 0o077,
        "StandardOutPath": str(log_file),
        "StandardErrorPath": str(log_file),
    })


def validate_env_file(path: Path) -> dict[str, str]:
    """Parse the file the way both readers would; refuse what they would read differently."""
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("export ") or line.endswith("\\") or "\\" in line or line.startswith(";"):
            raise ServiceError(f"{path}:{number}: use plain KEY=value lines (no `export`, `;` comments or backslashes) "
                               "so systemd and the bot read the same value")
    try:
        return read_env_file(path)
    except SettingsError as exc:
        raise ServiceError(str(exc)) from exc


def env_file_text(settings: Settings) -> tuple[str, list[str]]:
    """The environment file install writes when there is none: every bot and chat setting in effect
    now (environment and `.env`), except what the unit itself carries. Returns text and key names."""
    keys = sorted(k for k, v in settings.raw.items()
                  if k.startswith(ENV_PREFIXES) and k not in UNIT_ENV and v and "\n" not in v)
    for key in keys:
        if "\\" in settings.raw[key]:
            raise ServiceError(f"{key} holds a backslash, which systemd's EnvironmentFile would read differently")
    body = "".join(f"{k}={_env_value(settings.raw[k])}\n" for k in keys)
    header = ("# openclaw-chatops service settings (0600). Tokens go here, never on a command line.\n"
              "# Plain KEY=value lines. After editing: `systemctl --user restart openclaw-chatops`.\n")
    return header + body, keys


def _env_value(value: str) -> str:
    if _PLAIN.match(value):
        return value
    for quote in "\"'":
        if quote not in value:
            return quote + value + quote
    raise ServiceError("a setting holds both quote characters; set it in the environment file by hand")


@dataclass
class Service:
    settings: Settings
    layout: Layout
    env: dict[str, str]
    out: Callable[[str], None] = print
    run: Run = _run
    # What the service runs: `run` (one gateway), or a fleet's `hub` / `host --name NAME`.
    run_args: tuple[str, ...] = ("run",)

    # -- what user manager is there --------------------------------------------------------------
    def manager_reachable(self) -> bool:
        if self.layout.system == "launchd":
            return self.run(["launchctl", "print", f"gui/{os.getuid()}"]).returncode == 0
        return self.run(["systemctl", "--user", "show-environment"]).returncode == 0

    def linger_command(self) -> str | None:
        """`loginctl enable-linger` when the user's services would stop at logout (or never start
        at boot); None when lingering is on or the host has no logind to ask."""
        if self.layout.system != "systemd":
            return None
        user = self.env.get("USER") or getpass.getuser()
        result = self.run(["loginctl", "show-user", user, "--property=Linger", "--value"])
        if result.returncode == 0 and result.stdout.strip() == "yes":
            return None
        return f"loginctl enable-linger {user}"

    def _systemctl(self, *args: str) -> list[str]:
        return ["systemctl", "--user", *args]

    def _activation(self) -> list[list[str]]:
        if self.layout.system == "launchd":
            return [["launchctl", "bootstrap", f"gui/{os.getuid()}", str(self.layout.unit_path)]]
        # restart, not start: a re-install must pick up the new unit and environment file
        return [self._systemctl("daemon-reload"), self._systemctl("enable", UNIT_NAME),
                self._systemctl("restart", UNIT_NAME)]

    # -- commands ---------------------------------------------------------------------------------
    def install(self) -> int:
        layout, settings = self.layout, self.settings
        command = entry_point()
        new_dirs = {*self._created_before(), *missing_dirs(layout.env_dir), *missing_dirs(layout.unit_path.parent)}
        created = sorted(new_dirs, key=lambda d: len(d.parts), reverse=True)  # deepest first
        created_env = not layout.env_file.exists()
        if created_env:
            text, keys = env_file_text(settings)
            atomic_write(layout.env_file, text.encode(), 0o600)
            self.out(f"wrote {layout.env_file} (0600) with {', '.join(keys) or 'no settings'}")
        else:
            if layout.env_file.stat().st_mode & 0o077:
                os.chmod(layout.env_file, 0o600)
                self.out(f"{layout.env_file} was readable by others: now 0600. Rotate the tokens it holds.")
            self.out(f"kept {layout.env_file} (0600)")
        file_env = validate_env_file(layout.env_file)
        unit_env = unit_environment(settings)
        after = layout.gateway_unit(self.env) if layout.system == "systemd" else None
        if layout.system == "launchd":
            data = launchd_plist(command, unit_env, layout.env_file, layout.env_dir, layout.log_file, self.run_args)
            atomic_write(layout.unit_path, data, 0o644)
        else:
            unit = systemd_unit(command, unit_env, layout.env_file, layout.env_dir, after, created, self.run_args)
            atomic_write(layout.unit_path, unit.encode(), 0o644)
        self.out(f"wrote {layout.unit_path}: runs `{' '.join(command)} run`, restarts on failure")
        if layout.system == "systemd":
            self.out(f"ordered after {after}" if after else
                     f"no {GATEWAY_UNIT}.service installed for this user (`openclaw gateway install`): "
                     "not ordered after it")
        self._say_vault_key(file_env)
        if not any(file_env.get(t) for t in CHAT_TOKENS):
            self.out(f"⚠ no {' or '.join(CHAT_TOKENS)} in {layout.env_file}: a service without chat tokens has no "
                     "console to talk to and stops at once. Add them, then restart the service.")
        steps = self._activation()
        if self.manager_reachable():
            if layout.system == "launchd":  # bootstrap refuses a loaded agent: unload the old one first
                self.run(["launchctl", "bootout", f"gui/{os.getuid()}/{LAUNCHD_LABEL}"])
            for argv in steps:
                result = self.run(argv)
                if result.returncode != 0:
                    self.out(f"`{' '.join(argv)}` failed: {(result.stderr or result.stdout).strip()[:300]}")
                    return 1
            self.out(f"started {UNIT_NAME if layout.system == 'systemd' else LAUNCHD_LABEL}")
        else:
            self.out("no user service manager reachable from here; run these as this user in a login session:")
            for argv in steps:
                self.out("  " + " ".join(argv))
        linger = self.linger_command()
        if linger:
            self.out(f"to keep it running without a login session (and start it at boot): {linger}")
        return 0

    def _say_vault_key(self, file_env: dict[str, str]) -> None:
        gateway_env = self.settings.state_dir / "gateway.systemd.env"
        if file_env.get(KEY_ENV) or self.settings.vault_key:
            self.out(f"vault key: passed through the unit environment ({KEY_ENV} in {self.layout.env_file}). "
                     f"The gateway's exec provider gets it through passEnv, so OpenClaw's gateway service needs the "
                     f"same {KEY_ENV} in its environment ({gateway_env}), then `openclaw gateway restart`.")
        else:
            self.out(f"vault key: kept in the key file {self.settings.vault_key_file} (0600). The gateway's exec "
                     "provider reads the same file through the resolver script, so both must run as this user.")

    def _created_before(self) -> list[Path]:
        """The directories an earlier install recorded as its own (a re-install keeps the list)."""
        try:
            text = self.layout.unit_path.read_text(encoding="utf-8")
        except OSError:
            return []
        for line in text.splitlines():
            if line.startswith(CREATED_MARK):
                return [Path(p) for p in shlex.split(line.removeprefix(CREATED_MARK))]
        return []

    def uninstall(self) -> int:
        layout = self.layout
        created = self._created_before()
        if self.manager_reachable():
            argv = (["launchctl", "bootout", f"gui/{os.getuid()}/{LAUNCHD_LABEL}"] if layout.system == "launchd"
                    else self._systemctl("disable", "--now", UNIT_NAME))
            self.run(argv)  # fails harmlessly when it was never loaded
        removed = []
        for path in (layout.unit_path, layout.env_file):
            if path.exists():
                path.unlink()
                removed.append(str(path))
        for directory in [layout.env_dir, *created]:  # deepest first
            try:
                directory.rmdir()  # only when empty: other units and files stay
            except OSError:
                pass
        if layout.system == "systemd" and self.manager_reachable():
            self.run(self._systemctl("daemon-reload"))
        self.out("removed " + ", ".join(removed) if removed else "nothing to remove: the service was not installed")
        return 0

    def status(self) -> int:
        layout = self.layout
        installed = layout.unit_path.exists()
        self.out(f"unit: {layout.unit_path}" + ("" if installed else " (not installed)"))
        if self.manager_reachable():
            if layout.system == "launchd":
                result = self.run(["launchctl", "print", f"gui/{os.getuid()}/{LAUNCHD_LABEL}"])
                state = next((ln.strip() for ln in result.stdout.splitlines() if ln.strip().startswith("state =")),
                             "not loaded")
                self.out(f"service: {state}")
            else:
                result = self.run(self._systemctl("show", UNIT_NAME, "--property=LoadState,ActiveState,SubState,"
                                                  "MainPID,NRestarts,ExecMainStartTimestamp"))
                props = dict(ln.split("=", 1) for ln in result.stdout.splitlines() if "=" in ln)
                self.out(f"service: {props.get('ActiveState', 'unknown')} ({props.get('SubState', '?')}), "
                         f"pid {props.get('MainPID', '?')}, restarts {props.get('NRestarts', '?')}, "
                         f"since {props.get('ExecMainStartTimestamp') or '-'}")
        else:
            self.out("service: no user service manager reachable from here")
        for line in describe_health(read_health(self.settings.chatops_dir / HEALTH_FILE)):
            self.out(line)
        return 0

    def logs_command(self) -> list[str]:
        if self.layout.system == "launchd":
            return ["tail", "-n", "100", "-F", str(self.layout.log_file)]
        return ["journalctl", "--user", "-u", UNIT_NAME, "-n", "100", "-f"]
