"""`vault rotate-key`: replace the vault key in an order that no failure or kill -9 can turn into
a vault nobody can decrypt.

Key file, one command (`rotate_key_file`), holding the vault's lock throughout so no bot write
interleaves; each step is one atomic, fsynced write:
  1. key file `new, old`   — the new key is stored before anything is encrypted with it;
  2. vault re-encrypted under `new` (one atomic write; both keys are in the file meanwhile);
  3. key file `new`        — the old key goes only once no record needs it.
Killed after 1 or 2, the key file still holds both keys (the resolver and the bot read both), and
running the command again finishes the same rotation instead of starting another.

Key in the service environment: the bot cannot write the service manager's settings, and the
running gateway keeps the old key in its environment (`passEnv`) until it restarts. So the switch
is split where the operator acts (README, "Security model"): `stage_env_key` writes a new key to a
new file the operator names and touches nothing else; the operator sets it as
OPENCLAW_CHATOPS_VAULT_KEY with the old key in OPENCLAW_CHATOPS_VAULT_PREVIOUS_KEYS for both the
gateway and the bot and restarts them (records stay under the old key meanwhile: new versions are
written with the key the vault already uses); `finish` then re-encrypts under the new key.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.fsutil import file_lock
from core.secrets.vault import Vault
from core.secrets.vault_keys import KeyFile, VaultError, key_id, new_key, read_key_file, stage_new_key, write_key_file

__all__ = ["Rotation", "finish", "rotate_key_file", "stage_env_key"]


@dataclass(frozen=True)
class Rotation:
    """What a rotation step did, by key id (never key material)."""

    new_id: str
    retired_ids: tuple[str, ...]
    reencrypted: int
    resumed: bool = False


def rotate_key_file(vault_path: Path, key_file: Path) -> Rotation:
    """Steps 1–3 above; resumes an interrupted rotation (a key file with more than one key)."""
    vault = Vault(vault_path, KeyFile(key_file))
    with vault.locked(), file_lock(key_file):
        keys = read_key_file(key_file)
        resumed = len(keys) > 1
        if not resumed:
            keys = [new_key(), keys[0]]
            vault.versions()  # a vault that does not parse is refused before the key file changes
            write_key_file(key_file, keys)
        count = vault.reencrypt()
        _check_all_under(vault, keys[0])
        write_key_file(key_file, keys[:1])
    return Rotation(key_id(keys[0]), tuple(key_id(k) for k in keys[1:]), count, resumed)


def finish(vault: Vault) -> Rotation:
    """Re-encrypt every record under the keyring's newest key (the environment's last step)."""
    ring = vault.keyring()
    with vault.locked():
        used = {v.key_id for v in vault.versions()}
        count = vault.reencrypt()
        _check_all_under(vault, ring.primary)
    return Rotation(key_id(ring.primary), tuple(sorted(used - {key_id(ring.primary)})), count)


def stage_env_key(path: Path) -> str:
    """The environment's first step: a new key in a new 0600 file; returns its key id."""
    return key_id(stage_new_key(path))


def _check_all_under(vault: Vault, key: bytes) -> None:
    """Every version decrypts and is under `key`, before anything stops holding an older key."""
    for info in vault.versions():
        vault.get(info.record_id, info.version)
        if info.key_id != key_id(key):
            raise VaultError(f"{info.ref} is still under key {info.key_id}; the older key was kept.")
