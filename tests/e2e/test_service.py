"""`openclaw-chatops service …`: the unit it writes is one systemd accepts, that runs the bot, holds
no secret, and goes away without a trace.

Every test runs the real CLI in a subprocess with a throwaway `$HOME`/`XDG_CONFIG_HOME` and no user
service manager reachable (a private `XDG_RUNTIME_DIR`, a dead session bus), so nothing is enabled
on the machine running the tests; install then prints the `systemctl --user` commands instead.
"""
from __future__ import annotations

import os
import plistlib
import shlex
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from bot.service import Layout, Service, launchd_plist
from bot.settings import Settings, read_env_file
from core.fsutil import file_lock
from tests.harness import copy_home

SLACK_TOKEN = "xoxb-1111111111-2222222222-svcTESTtokenVALUE0001"
APP_TOKEN = "xapp-1-A0SVC-3333333333-svcTESTappTOKEN0002"
VAULT_KEY = "u4x4R2VxZ0tXQ1pJdm5vb0Z4d2ZxV3l6c2V0cGxhY2U="


@pytest.fixture(scope="session")
def systemd_analyze(tmp_path_factory: pytest.TempPathFactory) -> str:
    """`systemd-analyze`, installed from Debian's `systemd` package when the machine lacks it and
    the tests run as root (CI's clean machine); skipped with the reason otherwise."""
    found = shutil.which("systemd-analyze")
    if found:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        pytest.skip("systemd-analyze is missing; install Debian's `systemd` package (needs root and apt-get)")
    lock = tmp_path_factory.getbasetemp().parent / "apt-systemd.lock"
    with file_lock(lock):  # two pytest workers must not run apt at once
        if not shutil.which("systemd-analyze"):
            env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
            cmd = ["apt-get", "install", "-y", "-q", "--no-install-recommends", "systemd"]
            if subprocess.run(cmd, env=env, capture_output=True).returncode != 0:
                subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, check=True)
                subprocess.run(cmd, env=env, capture_output=True, check=True)
    found = shutil.which("systemd-analyze")
    assert found, "apt-get installed systemd but systemd-analyze is not on PATH"
    return found


def user_env(home: Path, tmp: Path, **extra: str) -> dict[str, str]:
    """A login-less user: its own HOME and config dir, no reachable user manager."""
    runtime = tmp / "runtime"
    runtime.mkdir(mode=0o700, exist_ok=True)
    env = {
        "PATH": os.environ.get("PATH", os.defpath), "HOME": str(home), "USER": "svc-test", "NO_COLOR": "1",
        "XDG_CONFIG_HOME": str(home / ".config"), "XDG_RUNTIME_DIR": str(runtime),
        "DBUS_SESSION_BUS_ADDRESS": f"unix:path={tmp / 'no-bus'}",
    }
    env.update(extra)
    return env


def service(env: dict[str, str], cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "bot.cli", "service", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=60)


def unit_lines(path: Path) -> list[tuple[str, str]]:
    return [tuple(line.split("=", 1)) for line in path.read_text().splitlines()
            if "=" in line and not line.startswith("#")]  # type: ignore[misc]


def tree(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")}


@pytest.fixture
def bare_home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


def test_install_writes_a_unit_systemd_accepts_with_tokens_only_in_a_0600_file(
        bare_home: Path, tmp_path: Path, oc_bin: str, systemd_analyze: str):
    workdir = tmp_path / "checkout"
    workdir.mkdir()
    (workdir / ".env").write_text(f"SLACK_BOT_TOKEN={SLACK_TOKEN}\nSLACK_APP_TOKEN={APP_TOKEN}\n")
    env = user_env(bare_home, tmp_path, OPENCLAW_BIN=oc_bin)
    result = service(env, workdir, "install")
    assert result.returncode == 0, result.stderr
    layout = Layout.detect(env, "systemd")
    unit = layout.unit_path
    assert unit == bare_home / ".config/systemd/user/openclaw-chatops.service"
    fields = unit_lines(unit)
    exec_start = dict(fields)["ExecStart"]
    assert shlex.split(exec_start)[0] == str(Path(sys.executable).parent / "openclaw-chatops")
    assert shlex.split(exec_start)[1:] == ["run"]
    assert ("Restart", "on-failure") in fields
    assert ("EnvironmentFile", str(layout.env_file)) in fields
    assert ("Environment", f"OPENCLAW_BIN={oc_bin}") in fields
    assert not any(k in ("After", "Wants") for k, _ in fields)  # no gateway unit installed here
    assert stat.S_IMODE(layout.env_file.stat().st_mode) == 0o600
    assert read_env_file(layout.env_file) == {"SLACK_APP_TOKEN": APP_TOKEN, "SLACK_BOT_TOKEN": SLACK_TOKEN}
    for secret in (SLACK_TOKEN, APP_TOKEN):
        assert secret not in unit.read_text() and secret not in result.stdout + result.stderr
    out = result.stdout
    assert [line.strip() for line in out.splitlines() if line.strip().startswith("systemctl")] == [
        "systemctl --user daemon-reload", "systemctl --user enable openclaw-chatops.service",
        "systemctl --user restart openclaw-chatops.service"]
    assert "loginctl enable-linger svc-test" in out
    assert "vault key: kept in the key file" in out and "exec provider" in out

    verify = subprocess.run([systemd_analyze, "--user", "verify", str(unit)], env=env, capture_output=True, text=True)
    assert verify.returncode == 0 and not (verify.stdout + verify.stderr).strip(), verify.stdout + verify.stderr


def test_unit_is_ordered_after_the_gateway_unit_when_openclaw_installed_one(
        bare_home: Path, tmp_path: Path, oc_bin: str, systemd_analyze: str):
    # Where and under which name `openclaw gateway install` writes its unit (OpenClaw 2026.9.6).
    gateway_unit = bare_home / ".config/systemd/user/openclaw-gateway.service"
    gateway_unit.parent.mkdir(parents=True)
    gateway_unit.write_text("[Unit]\nDescription=OpenClaw Gateway\n\n[Service]\nExecStart=/bin/sleep 1\n\n"
                            "[Install]\nWantedBy=default.target\n")
    env = user_env(bare_home, tmp_path, OPENCLAW_BIN=oc_bin, OPENCLAW_CHATOPS_VAULT_KEY=VAULT_KEY)
    result = service(env, tmp_path, "install")
    assert result.returncode == 0, result.stderr
    layout = Layout.detect(env, "systemd")
    fields = unit_lines(layout.unit_path)
    assert ("After", "openclaw-gateway.service") in fields and ("Wants", "openclaw-gateway.service") in fields
    # The key goes through the unit's environment file, and the output says the gateway needs it too.
    assert read_env_file(layout.env_file)["OPENCLAW_CHATOPS_VAULT_KEY"] == VAULT_KEY
    assert "vault key: passed through the unit environment" in result.stdout
    assert "gateway.systemd.env" in result.stdout
    assert VAULT_KEY not in result.stdout + result.stderr + layout.unit_path.read_text()
    verify = subprocess.run([systemd_analyze, "--user", "verify", str(layout.unit_path)], env=env,
                            capture_output=True, text=True)
    assert verify.returncode == 0 and not (verify.stdout + verify.stderr).strip(), verify.stdout + verify.stderr


def test_install_then_uninstall_leaves_nothing_behind(bare_home: Path, tmp_path: Path, oc_bin: str):
    (bare_home / ".profile").write_text("# the user's own file\n")
    before = tree(bare_home)
    env = user_env(bare_home, tmp_path, OPENCLAW_BIN=oc_bin, SLACK_BOT_TOKEN=SLACK_TOKEN)
    assert service(env, tmp_path, "install").returncode == 0
    assert tree(bare_home) != before
    result = service(env, tmp_path, "uninstall")
    assert result.returncode == 0, result.stderr
    assert "removed" in result.stdout
    assert tree(bare_home) == before
    again = service(env, tmp_path, "uninstall")
    assert again.returncode == 0 and "nothing to remove" in again.stdout


def test_an_environment_file_systemd_would_read_differently_is_refused(bare_home: Path, tmp_path: Path, oc_bin: str):
    env = user_env(bare_home, tmp_path, OPENCLAW_BIN=oc_bin)
    layout = Layout.detect(env, "systemd")
    layout.env_file.parent.mkdir(parents=True)
    layout.env_file.write_text(f"export SLACK_BOT_TOKEN={SLACK_TOKEN}\n")
    layout.env_file.chmod(0o644)
    result = service(env, tmp_path, "install")
    assert result.returncode == 1
    assert "plain KEY=value" in result.stderr and SLACK_TOKEN not in result.stdout + result.stderr
    assert "now 0600" in result.stdout  # a too-open file is tightened at once and the user told
    assert stat.S_IMODE(layout.env_file.stat().st_mode) == 0o600
    assert not layout.unit_path.exists()


def test_exec_start_as_written_runs_the_bot_and_status_reads_its_health(
        prepared_home: Path, tmp_path: Path, oc_bin: str):
    home = copy_home(prepared_home, tmp_path / "home")
    env = user_env(home, tmp_path, OPENCLAW_BIN=oc_bin, OPENCLAW_STATE_DIR=str(home / ".openclaw"),
                   OPENCLAW_CHATOPS_DIR=str(tmp_path / "chatops"))
    assert service(env, tmp_path, "install").returncode == 0
    layout = Layout.detect(env, "systemd")
    fields = unit_lines(layout.unit_path)
    # The unit's environment, as systemd builds it: the manager's basics, Environment=, then the file.
    unit_env = {"HOME": str(home), "USER": "svc-test", "XDG_RUNTIME_DIR": env["XDG_RUNTIME_DIR"]}
    for key, value in fields:
        if key == "Environment":
            name, _, val = shlex.split(value)[0].partition("=")
            unit_env[name] = val
    unit_env.update(read_env_file(Path(dict(fields)["EnvironmentFile"])))
    argv = [w.replace("%%", "%") for w in shlex.split(dict(fields)["ExecStart"])]
    proc = subprocess.run(argv, input="status\n", env=unit_env, cwd=dict(fields)["WorkingDirectory"],
                          capture_output=True, text=True, timeout=180)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert "OpenClaw auth status" in proc.stdout
    assert "Agent main" in proc.stdout and "Agent ops" in proc.stdout

    status = service(env, tmp_path, "status")
    assert status.returncode == 0, status.stderr
    assert "service: no user service manager reachable" in status.stdout
    assert "bot health: written" in status.stdout and "the bot stopped (clean exit)" in status.stdout
    assert "adapters: none" in status.stdout
    assert "gateway: reachable" in status.stdout
    assert "watcher: last look" in status.stdout


def test_launchd_agent_runs_this_install_with_the_environment_file_and_no_secret(tmp_path: Path, oc_bin: str):
    home = tmp_path / "home"
    env = user_env(home, tmp_path, OPENCLAW_BIN=oc_bin, DISCORD_BOT_TOKEN="discord-token-value-0003")
    layout = Layout.detect(env, "launchd")
    out: list[str] = []
    code = Service(Settings.load(env, env_file=Path("/nonexistent")), layout, env, out=out.append).install()
    assert code == 0
    plist = plistlib.loads(layout.unit_path.read_bytes())
    assert layout.unit_path == home / "Library/LaunchAgents/ai.openclaw.chatops.plist"
    assert plist["ProgramArguments"][0] == str(Path(sys.executable).parent / "openclaw-chatops")
    assert plist["ProgramArguments"][1:] == ["run", "--env-file", str(layout.env_file)]
    assert plist["KeepAlive"] == {"SuccessfulExit": False} and plist["RunAtLoad"] is True
    assert plist["EnvironmentVariables"]["OPENCLAW_BIN"] == oc_bin
    assert "discord-token-value-0003" not in layout.unit_path.read_text()
    assert read_env_file(layout.env_file)["DISCORD_BOT_TOKEN"] == "discord-token-value-0003"
    assert any("launchctl bootstrap" in line for line in out)


@pytest.mark.parametrize("role, args", [("--hub", ["hub"]), ("--host=prod", ["host", "--name", "prod"])])
def test_a_fleet_member_installs_as_its_role(bare_home: Path, tmp_path: Path, oc_bin: str, systemd_analyze: str,
                                             role: str, args: list[str]):
    """docs/fleet.md: a hub or a host runs as the same user service, with its own command."""
    workdir = tmp_path / "checkout"
    workdir.mkdir()
    (workdir / ".env").write_text("OPENCLAW_CHATOPS_NATS_URL=nats://10.0.0.5:4222\n")
    env = user_env(bare_home, tmp_path, OPENCLAW_BIN=oc_bin)
    result = service(env, workdir, "install", role)
    assert result.returncode == 0, result.stderr
    unit = Layout.detect(env, "systemd").unit_path
    assert shlex.split(dict(unit_lines(unit))["ExecStart"])[1:] == args
    verify = subprocess.run([systemd_analyze, "--user", "verify", str(unit)], env=env, capture_output=True, text=True)
    assert verify.returncode == 0 and not (verify.stdout + verify.stderr).strip(), verify.stdout + verify.stderr
    agent = plistlib.loads(launchd_plist(["ocs"], {}, Path("/e/.env"), Path("/e"), Path("/e/log"), args))
    assert agent["ProgramArguments"] == ["ocs", *args, "--env-file", "/e/.env"]
