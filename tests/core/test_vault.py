"""The vault: versions, authenticated records, wrong keys and tampering, key rotation."""
from __future__ import annotations

import base64
import hashlib
import json
import os
from pathlib import Path

import pytest

from core.secrets.vault import Vault, VaultError, ref_id
from core.secrets.vault_keys import Keyring, key_source

SECRET = "sk-ant-oat01-" + "S" * 90


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def vault(tmp_path: Path) -> Vault:
    return Vault(tmp_path / "vault.json", key_source(None, None, tmp_path / "vault.key", create=True))


def test_key_file_is_created_private_and_reused(tmp_path: Path):
    key = key_source(None, None, tmp_path / "k", create=True)().primary
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o600
    assert key_source(None, None, tmp_path / "k", create=False)().primary == key


def test_key_from_environment_must_be_32_bytes_base64(tmp_path: Path):
    env_key = base64.b64encode(os.urandom(32)).decode()
    assert len(key_source(env_key, None, tmp_path / "unused", create=False)().primary) == 32
    with pytest.raises(VaultError, match="32 bytes"):
        key_source(base64.b64encode(b"short").decode(), None, tmp_path / "unused", create=False)
    with pytest.raises(VaultError, match="base64"):
        key_source("not base64!!", None, tmp_path / "unused", create=False)
    with pytest.raises(VaultError, match="PREVIOUS_KEYS"):
        key_source(env_key, "not base64!!", tmp_path / "unused", create=False)
    assert not (tmp_path / "unused").exists()


def test_a_key_file_readable_by_others_is_refused(tmp_path: Path):
    key_source(None, None, tmp_path / "k", create=True)
    (tmp_path / "k").chmod(0o644)
    with pytest.raises(VaultError, match="chmod 600"):
        key_source(None, None, tmp_path / "k", create=False)


def test_versions_are_kept_and_ciphertext_only_on_disk(vault: Vault):
    v1 = vault.put("anthropic/main/anthropic:default", SECRET, kind="setup-token", created_by="console:ops")
    v2 = vault.put("anthropic/main/anthropic:default", SECRET[:-1] + "T", kind="setup-token", created_by="console:ops")
    assert (v1.version, v2.version) == (1, 2) and v2.current
    assert vault.resolve(ref_id(v1.record_id, 1)) == SECRET
    assert vault.resolve("anthropic/main/anthropic:default") == SECRET[:-1] + "T"
    assert SECRET.encode() not in vault.path.read_bytes()
    assert vault.path.stat().st_mode & 0o777 == 0o600


def test_a_new_version_can_wait_before_it_becomes_current(vault: Vault):
    vault.put("r", "old-secret", kind="api-key", created_by="x")
    pending = vault.put("r", "new-secret", kind="api-key", created_by="x", make_current=False)
    assert vault.get("r") == "old-secret" and not pending.current
    vault.set_current("r", pending.version)
    assert vault.get("r") == "new-secret"


def test_records_cannot_be_swapped_between_ids(vault: Vault):
    vault.put("anthropic/main/a", "secret-a", kind="api-key", created_by="x")
    vault.put("anthropic/ops/b", "secret-b", kind="api-key", created_by="x")
    data = json.loads(vault.path.read_text())
    records = data["records"]
    records["anthropic/main/a"], records["anthropic/ops/b"] = records["anthropic/ops/b"], records["anthropic/main/a"]
    vault.path.write_text(json.dumps(data))
    with pytest.raises(VaultError, match="tampered"):
        vault.get("anthropic/main/a")


def test_tampered_ciphertext_is_reported_and_the_file_left_alone(vault: Vault):
    vault.put("r", SECRET, kind="setup-token", created_by="x")
    data = json.loads(vault.path.read_text())
    entry = data["records"]["r"]["versions"]["1"]
    blob = bytearray(base64.b64decode(entry["ciphertext"]))
    blob[0] ^= 1
    entry["ciphertext"] = base64.b64encode(bytes(blob)).decode()
    vault.path.write_text(json.dumps(data))
    before = digest(vault.path)
    with pytest.raises(VaultError, match="tampered") as err:
        vault.get("r")
    assert SECRET not in str(err.value)
    with pytest.raises(VaultError):
        Vault(vault.path, Keyring(os.urandom(32), vault.keyring().keys)).reencrypt()
    assert digest(vault.path) == before


def test_wrong_key_is_named_as_such(vault: Vault, tmp_path: Path):
    vault.put("r", SECRET, kind="setup-token", created_by="x")
    other = Vault(vault.path, os.urandom(32))
    before = digest(vault.path)
    with pytest.raises(VaultError, match="key does not match"):
        other.get("r")
    with pytest.raises(VaultError, match="nothing was written"):
        other.put("r2", "x" * 90, kind="api-key", created_by="x")
    with pytest.raises(VaultError):
        Vault(vault.path, Keyring(os.urandom(32), (os.urandom(32),))).reencrypt()
    assert digest(vault.path) == before
    assert vault.get("r") == SECRET


def test_corrupt_file_is_a_clear_error_and_untouched(vault: Vault):
    vault.path.write_text("{not json")
    with pytest.raises(VaultError, match="corrupt"):
        vault.put("r", SECRET, kind="setup-token", created_by="x")
    assert vault.path.read_text() == "{not json"


def test_reencrypt_moves_every_version_to_the_newest_key_and_reads_by_key_id(vault: Vault):
    vault.put("a", "secret-a", kind="api-key", created_by="x")
    vault.put("a", "secret-a2", kind="api-key", created_by="x")
    vault.put("b", "secret-b", kind="api-key", created_by="x")
    old, new = vault.keyring().primary, os.urandom(32)
    both = Vault(vault.path, Keyring(new, (old,)))
    # Until the re-encryption, new versions keep the key the vault already uses: a gateway that
    # still has only the old key keeps resolving them.
    both.put("c", "secret-c", kind="api-key", created_by="x")
    assert {v.key_id for v in both.versions()} == {vault.keyring().ids[0]}
    assert both.reencrypt() == 4 and both.reencrypt() == 0
    fresh = Vault(vault.path, new)
    assert fresh.get("a", 1) == "secret-a" and fresh.get("a") == "secret-a2" and fresh.get("c") == "secret-c"
    with pytest.raises(VaultError, match="key does not match"):
        Vault(vault.path, old).get("b")


def test_a_pending_version_is_marked_until_it_becomes_current(vault: Vault):
    vault.put("r", "old-secret", kind="api-key", created_by="x")
    pending = vault.put("r", "new-secret", kind="api-key", created_by="x", make_current=False)
    assert pending.pending and not pending.current
    vault.set_current("r", pending.version)
    assert [(v.version, v.current, v.pending) for v in vault.versions("r")] == [(1, False, False), (2, True, False)]


def test_delete_one_version_or_the_record(vault: Vault):
    vault.put("a", "one", kind="api-key", created_by="x")
    vault.put("a", "two", kind="api-key", created_by="x")
    assert vault.delete("a", 2) and vault.get("a") == "one"
    assert vault.delete("a") and vault.versions("a") == []
    with pytest.raises(KeyError):
        vault.get("a")
