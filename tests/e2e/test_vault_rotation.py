"""`openclaw-chatops vault rotate-key` end to end: the real command in a subprocess, killed with
SIGKILL (or failing with ENOSPC) at each durable step, and after every kill each version still
decrypts through the real resolver with a key that is stored somewhere.

Steps are counted as the atomic renames the command makes (tests/killpoints/sitecustomize.py):
key file `new, old` → vault re-encrypted → key file `new`.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from core.secrets.vault import Vault
from core.secrets.vault_keys import key_id, key_source, read_key_file

ROOT = Path(__file__).resolve().parents[2]
KILLPOINTS = ROOT / "tests" / "killpoints"
SECRETS = {("anthropic/main/anthropic:default", 1): "sk-ant-oat01-" + "RotKeyOne_" * 9,
           ("anthropic/main/anthropic:default", 2): "sk-ant-oat01-" + "RotKeyTwo_" * 9,
           ("anthropic/ops/anthropic:api", 1): "sk-ant-api03-" + "RotKeyApi_" * 9}
STEPS = [f"{n}:{when}" for n in (1, 2, 3) for when in ("before", "after", "enospc")]


def cli() -> list[str]:
    script = Path(sys.executable).with_name("openclaw-chatops")
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def run_cli(chatops: Path, *args: str, kill_at: str = "", **env: str) -> subprocess.CompletedProcess:
    full = {"PATH": os.environ.get("PATH", ""), "HOME": str(chatops.parent), "PYTHONPATH": str(KILLPOINTS),
            "OPENCLAW_STATE_DIR": str(chatops.parent / "state"), "OPENCLAW_CHATOPS_DIR": str(chatops), **env}
    if kill_at:
        full["CHATOPS_KILL_AT"] = kill_at
    return subprocess.run([*cli(), "vault", *args], capture_output=True, text=True, env=full, timeout=60,
                          cwd=chatops.parent)


def resolve_all(chatops: Path, **env: str) -> dict[str, str]:
    """Every ref, through the real resolver with only the environment OpenClaw would pass."""
    ids = [f"{rid}#v{n}" for rid, n in SECRETS]
    out = subprocess.run([sys.executable, "-m", "bot.resolve", "--vault", str(chatops / "vault.json"),
                          "--key-file", str(chatops / "vault.key")],
                         input=json.dumps({"protocolVersion": 1, "ids": ids}), capture_output=True, text=True,
                         env={"PYTHONPATH": str(ROOT), **env}, timeout=30)
    answer = json.loads(out.stdout)
    assert not answer.get("errors"), answer.get("errors")
    return answer["values"]


def expected() -> dict[str, str]:
    return {f"{rid}#v{n}": secret for (rid, n), secret in SECRETS.items()}


def fill(chatops: Path, env_key: str | None = None) -> None:
    vault = Vault(chatops / "vault.json", key_source(env_key, None, chatops / "vault.key", create=True))
    for (rid, _), secret in SECRETS.items():
        vault.put(rid, secret, kind="api-key", created_by="test")


def no_key_material(result: subprocess.CompletedProcess, *keys: bytes) -> None:
    for key in keys:
        assert base64.b64encode(key).decode() not in result.stdout + result.stderr


@pytest.fixture
def filled(tmp_path: Path) -> Path:
    chatops = tmp_path / "template" / "chatops"
    chatops.mkdir(parents=True, mode=0o700)
    fill(chatops)
    return chatops


@pytest.mark.parametrize("step", STEPS)
def test_key_file_rotation_killed_or_failing_at_each_step_loses_no_record(filled: Path, tmp_path: Path, step: str):
    chatops = tmp_path / "run" / "chatops"
    shutil.copytree(filled.parent, chatops.parent)
    [original] = read_key_file(chatops / "vault.key")

    interrupted = run_cli(chatops, "rotate-key", kill_at=step)
    if step.endswith("enospc"):
        assert interrupted.returncode == 1 and "No space left on device" in interrupted.stderr, interrupted
        assert "Traceback" not in interrupted.stderr
    else:
        assert interrupted.returncode == -9, interrupted
    assert resolve_all(chatops) == expected()  # with the keys the key file holds now

    finished = run_cli(chatops, "rotate-key")
    assert finished.returncode == 0, finished
    [key] = read_key_file(chatops / "vault.key")
    assert key != original and resolve_all(chatops) == expected()
    assert {v.key_id for v in Vault(chatops / "vault.json", key).versions()} == {key_id(key)}
    resumed = len(read_key_file(filled / "vault.key")) == 1 and "Finished an interrupted rotation" in finished.stdout
    # Killed after the key file held two keys, the next run finishes that rotation (same new key).
    assert resumed == (step not in ("1:before", "1:enospc", "3:after")), (step, finished.stdout)
    no_key_material(finished, key, original)
    # A write killed before its rename leaves a 0600 temp file; the next write under the lock sweeps it.
    assert not [p.name for p in chatops.iterdir() if p.name.endswith(".tmp")]


def test_a_full_key_file_rotation_reports_key_ids_only(filled: Path):
    [original] = read_key_file(filled / "vault.key")
    done = run_cli(filled, "rotate-key")
    assert done.returncode == 0, done
    [key] = read_key_file(filled / "vault.key")
    assert f"3 version(s) re-encrypted under key {key_id(key)}" in done.stdout and key_id(original) in done.stdout
    no_key_material(done, key, original)
    assert resolve_all(filled) == expected()
    listed = run_cli(filled, "list")
    assert listed.returncode == 0 and listed.stdout.count(f"key {key_id(key)}") == 3, listed


def test_environment_key_rotation_in_two_steps_never_needs_a_key_nobody_has(tmp_path: Path):
    chatops = tmp_path / "chatops"
    chatops.mkdir(mode=0o700)
    old = base64.b64encode(os.urandom(32)).decode()
    fill(chatops, env_key=old)
    before = (chatops / "vault.json").read_bytes()

    # No fd 3, no key printed: without a place to store the new key the command changes nothing.
    refused = run_cli(chatops, "rotate-key", OPENCLAW_CHATOPS_VAULT_KEY=old)
    assert refused.returncode == 2 and "--new-key-file" in refused.stderr, refused
    assert (chatops / "vault.json").read_bytes() == before and not (chatops / "vault.key").exists()

    new_file = tmp_path / "operator" / "new.key"
    new_file.parent.mkdir(mode=0o700)
    staged = run_cli(chatops, "rotate-key", "--new-key-file", str(new_file), OPENCLAW_CHATOPS_VAULT_KEY=old)
    assert staged.returncode == 0, staged
    [new_key] = read_key_file(new_file)
    new = base64.b64encode(new_key).decode()
    assert new_file.stat().st_mode & 0o777 == 0o600 and key_id(new_key) in staged.stdout
    assert (chatops / "vault.json").read_bytes() == before
    no_key_material(staged, new_key, base64.b64decode(old))
    again = run_cli(chatops, "rotate-key", "--new-key-file", str(new_file), OPENCLAW_CHATOPS_VAULT_KEY=old)
    assert again.returncode == 1 and "already exists" in again.stderr and read_key_file(new_file) == [new_key]

    # The operator restarts the bot with new + previous; the gateway may still run with the old key
    # alone: a version the bot writes now must still resolve there.
    switching = {"OPENCLAW_CHATOPS_VAULT_KEY": new, "OPENCLAW_CHATOPS_VAULT_PREVIOUS_KEYS": old}
    Vault(chatops / "vault.json", key_source(new, old, chatops / "vault.key", create=False)).put(
        "anthropic/main/anthropic:default", "sk-ant-oat01-" + "RotKeyNew_" * 9, kind="setup-token", created_by="test")
    SECRETS[("anthropic/main/anthropic:default", 3)] = "sk-ant-oat01-" + "RotKeyNew_" * 9
    try:
        assert resolve_all(chatops, OPENCLAW_CHATOPS_VAULT_KEY=old) == expected()
        assert resolve_all(chatops, **switching) == expected()
        for step in ("1:before", "1:after"):
            killed = run_cli(chatops, "rotate-key", "--finish", kill_at=step, **switching)
            assert killed.returncode == -9, killed
            assert resolve_all(chatops, **switching) == expected()
        finished = run_cli(chatops, "rotate-key", "--finish", **switching)
        assert finished.returncode == 0 and "PREVIOUS_KEYS" in finished.stdout, finished
        no_key_material(finished, new_key, base64.b64decode(old))
        assert resolve_all(chatops, OPENCLAW_CHATOPS_VAULT_KEY=new) == expected()
        assert not (chatops / "vault.key").exists()
    finally:
        del SECRETS[("anthropic/main/anthropic:default", 3)]
