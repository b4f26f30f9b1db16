"""Crash safety: a writer process is killed with SIGKILL at random points across more than 1,000
vault writes and config edits; afterwards every file parses, and the state is exactly the one
after the last acknowledged write, or after the one in flight: nothing else is lost or torn.

The child replays a fixed sequence of operations (vault put, vault delete of the oldest version,
an atomic config write like the resolver wrapper's) and acknowledges each on stdout once it
returned. The parent replays the same sequence in a pure model to know what the files must hold.
"""
from __future__ import annotations

import base64
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

from core.vault import Vault

KEY = bytes(range(32))
TARGET_WRITES = 1000
MAX_KILLS = 400
DEADLINE_S = 90
RECORDS = 3

CHILD = r"""
import json, sys
from pathlib import Path
from core.fsutil import atomic_write
from core.vault import Vault
root, start, key = Path(sys.argv[1]), int(sys.argv[2]), bytes(range(32))
vault = Vault(root / "vault.json", key)
print("ready", flush=True)
k = start
while True:
    rid = f"anthropic/a{(k // 3) % RECORDS}/p"
    if k % 3 == 0:
        vault.put(rid, f"secret-{k}", kind="token", created_by="crash")
    elif k % 3 == 1:
        versions = [v.version for v in vault.versions(rid)]
        if len(versions) > 1:
            vault.delete(rid, min(versions))
    else:
        atomic_write(root / "config.json", json.dumps({"k": k, "pad": "x" * 4096}).encode(), 0o600)
    print(k, flush=True)
    k += 1
""".replace("RECORDS", str(RECORDS))


def model(ops: int) -> tuple[dict[str, dict[int, str]], int | None]:
    """Vault contents (record → version → secret) and the last config `k` after `ops` operations."""
    vault: dict[str, dict[int, str]] = {}
    config = None
    for k in range(ops):
        rid = f"anthropic/a{(k // 3) % RECORDS}/p"
        if k % 3 == 0:
            versions = vault.setdefault(rid, {})
            versions[max(versions, default=0) + 1] = f"secret-{k}"
        elif k % 3 == 1:
            if len(vault.get(rid, {})) > 1:
                del vault[rid][min(vault[rid])]
        else:
            config = k
    return vault, config


def on_disk(root: Path) -> tuple[dict[str, dict[int, str]], int | None]:
    vault = Vault(root / "vault.json", KEY)
    found: dict[str, dict[int, str]] = {}
    for info in vault.versions():
        found.setdefault(info.record_id, {})[info.version] = vault.get(info.record_id, info.version)
        assert info.current == (info.version == max(v.version for v in vault.versions(info.record_id)))
    config = root / "config.json"
    return found, (json.loads(config.read_bytes())["k"] if config.exists() else None)


def test_kill_9_at_random_points_never_tears_or_loses_a_write(tmp_path: Path):
    rng = random.Random(20261125)
    env = dict(os.environ, PYTHONPATH=str(Path(__file__).resolve().parents[2]))
    applied = kills = 0
    in_flight_landed = 0
    started = time.monotonic()
    while applied < TARGET_WRITES and kills < MAX_KILLS and time.monotonic() - started < DEADLINE_S:
        child = subprocess.Popen([sys.executable, "-c", CHILD, str(tmp_path), str(applied)], stdout=subprocess.PIPE,
                                 text=True, env=env)
        assert child.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.03))
        child.send_signal(signal.SIGKILL)
        acked = [int(line) for line in child.stdout.read().split()]
        child.wait(timeout=10)
        kills += 1
        done = acked[-1] + 1 if acked else applied
        state = on_disk(tmp_path)  # raises if any file does not parse or any record fails authentication
        if state == model(done):
            applied = done
        else:
            assert state == model(done + 1), f"kill {kills}: state is neither op {done} nor op {done + 1}"
            applied = done + 1
            in_flight_landed += 1
    leftovers = [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")]
    print(f"crash safety: {applied} writes, {kills} kills, {in_flight_landed} in-flight writes landed, "
          f"{len(leftovers)} orphaned temp files (never read)")
    assert applied >= TARGET_WRITES, f"only {applied} writes in {kills} kills"
    # every leftover is a temp file of an interrupted write, never the file a reader opens
    assert all(p.startswith((".vault.json.", ".config.json.")) for p in leftovers)
    # The next vault write, under the vault's lock, sweeps the vault's orphans away (one planted the
    # way a writer killed before its rename leaves it, so there is always one); others' stay.
    (tmp_path / ".vault.json.k1ll3d.tmp").write_bytes(b"{")
    (tmp_path / ".config.json.k1ll3d.tmp").write_bytes(b"{")
    Vault(tmp_path / "vault.json", KEY).put("anthropic/a0/p", "after-the-crashes", kind="api_key", created_by="test")
    orphans = {p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")}
    assert not {p for p in orphans if p.startswith(".vault.json.")}
    assert ".config.json.k1ll3d.tmp" in orphans
    assert base64.b64encode(b"secret-0") not in (tmp_path / "vault.json").read_bytes()
