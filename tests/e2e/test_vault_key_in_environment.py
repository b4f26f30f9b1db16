"""The vault key only in the environment, end to end with the real OpenClaw CLI: the bot (the real
`openclaw-chatops console` process) writes a credential through `secrets apply`, which resolves
it through our resolver with the key OpenClaw passes it (`passEnv`); no key file is ever made.
Then the first step of an environment key rotation: with the new key and the old one as a
previous key, OpenClaw still resolves every ref; with no key it resolves none."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
from pathlib import Path

import json5

from tests.harness import copy_home

TOKEN = "sk-ant-oat01-" + "EnvKeyTok3n_" * 8


def key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def audit(oc_bin: str, home: Path, **env: str) -> dict:
    """`secrets audit --allow-exec` as a gateway started with `env` would resolve refs."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("OPENCLAW_CHATOPS_VAULT_") and k != "OPENCLAW_CONFIG_PATH"}
    result = subprocess.run([oc_bin, "secrets", "audit", "--allow-exec", "--json"], capture_output=True, text=True,
                            env={**base, "HOME": str(home), "OPENCLAW_STATE_DIR": str(home / ".openclaw"),
                                 "NO_COLOR": "1", **env}, timeout=300)
    doc = json.loads(result.stdout[result.stdout.index("{"):])
    # rc 0 when every ref resolved, 2 when one did not (observed with 2026.9.6)
    assert result.returncode == (0 if doc["summary"]["unresolvedRefCount"] == 0 else 2), result.stderr[-2000:]
    return doc


def test_a_key_only_in_the_environment_reaches_the_resolver_through_pass_env(oc_bin: str, prepared_home: Path,
                                                                              tmp_path: Path):
    home = copy_home(prepared_home, tmp_path / "home")
    chatops = tmp_path / "chatops"
    old = key()
    env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "OPENCLAW_BIN": oc_bin, "NO_COLOR": "1",
           "OPENCLAW_STATE_DIR": str(home / ".openclaw"), "OPENCLAW_CHATOPS_DIR": str(chatops),
           "OPENCLAW_CHATOPS_VAULT_KEY": old}
    script = Path(sys.executable).with_name("openclaw-chatops")

    def paste(agent: str, bot_env: dict[str, str]) -> subprocess.CompletedProcess:
        run = subprocess.run([str(script), "console", "--json"], input=f"paste-token {agent}\n{TOKEN}\n",
                             capture_output=True, text=True, env=bot_env, cwd=tmp_path, timeout=600)
        replies = [json.loads(line) for line in run.stdout.splitlines() if line.strip()]
        assert run.returncode == 0 and not replies[-1]["failed"], (replies[-1:], run.stderr[-2000:])
        assert f"stored for agent {agent}" in replies[-1]["title"], replies[-1]
        return run

    run = paste("main", env)
    assert not (chatops / "vault.key").exists()  # the key lives in the environment only
    assert TOKEN not in run.stdout + run.stderr
    config = json5.loads((home / ".openclaw" / "openclaw.json").read_text())
    pass_env = config["secrets"]["providers"]["openclaw_chatops"]["passEnv"]
    assert pass_env == ["OPENCLAW_CHATOPS_VAULT_KEY", "OPENCLAW_CHATOPS_VAULT_PREVIOUS_KEYS"]

    # A gateway started with the old key, and one restarted mid-rotation with new + previous:
    # both resolve the ref (records stay under the old key until `rotate-key --finish`).
    assert audit(oc_bin, home, OPENCLAW_CHATOPS_VAULT_KEY=old)["summary"]["unresolvedRefCount"] == 0
    switching = audit(oc_bin, home, OPENCLAW_CHATOPS_VAULT_KEY=key(), OPENCLAW_CHATOPS_VAULT_PREVIOUS_KEYS=old)
    assert switching["status"] == "clean" and switching["summary"]["unresolvedRefCount"] == 0, switching["findings"]
    # The bot restarted mid-rotation (new key, old one as previous) still writes under the key the
    # vault uses, so its own `secrets apply` must hand the resolver the previous keys too.
    paste("ops", {**env, "OPENCLAW_CHATOPS_VAULT_KEY": key(), "OPENCLAW_CHATOPS_VAULT_PREVIOUS_KEYS": old})
    # Proof that the key came from the environment: without it nothing resolves.
    assert audit(oc_bin, home)["summary"]["unresolvedRefCount"] >= 1
