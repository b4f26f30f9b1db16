"""The encrypted credential vault: one JSON file of AES-256-GCM records on the gateway host.

Why this shape:
- Each record id (e.g. `anthropic/main/anthropic:default`) keeps numbered versions, and OpenClaw's
  SecretRef points at one version (`…#v2`). A rotation writes a new version before the gateway is
  re-pointed, so an interrupted rotation leaves the gateway on the old, working secret.
- The associated data of every ciphertext is `<record id>#v<version>`: a record copied under
  another id, or a version swapped for another, fails authentication instead of decrypting.
- The key never sits in the vault file. A key id (hash prefix of the key) is stored per version so a
  wrong key is reported as such, and a tampered file as tampered.
What the key does not protect against: anyone who can read both the vault and the key (the same
Unix user on the gateway host) can decrypt, and so can the gateway through the resolver: that is
its job. It protects the credentials in backups, copies of `~/.openclaw`, config files and plans.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.credentials import fingerprint
from core.fsutil import atomic_write, discard_stale_temps, file_lock

VAULT_FORMAT = 1
KEY_ENV = "OPENCLAW_CHATOPS_VAULT_KEY"
_REF = re.compile(r"^(?P<record>.+)#v(?P<version>[0-9]+)$")


class VaultError(Exception):
    """A vault problem described without any secret material."""


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"openclaw-chatops-key-id" + key).hexdigest()[:16]


def decode_key(text: str, origin: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise VaultError(f"The vault key from {origin} is not valid base64.") from exc
    if len(key) != 32:
        raise VaultError(f"The vault key from {origin} must be 32 bytes (got {len(key)}).")
    return key


def load_key(env_value: str | None, key_file: Path, *, create: bool) -> bytes:
    """The key from the environment when set, else from the 0600 key file (made on first use)."""
    if env_value:
        return decode_key(env_value, KEY_ENV)
    key_file = Path(key_file)
    if key_file.exists():
        if key_file.stat().st_mode & 0o077:
            raise VaultError(f"The vault key file {key_file} is readable by others: chmod 600 it.")
        return decode_key(key_file.read_text(), str(key_file))
    if not create:
        raise VaultError(f"No vault key: set {KEY_ENV} or create {key_file} (`openclaw-chatops vault init`).")
    key = AESGCM.generate_key(bit_length=256)
    with file_lock(key_file):
        if not key_file.exists():
            atomic_write(key_file, base64.b64encode(key) + b"\n", 0o600)
    return decode_key(key_file.read_text(), str(key_file))


def ref_id(record_id: str, version: int) -> str:
    """The SecretRef id OpenClaw stores: one fixed version of one record."""
    return f"{record_id}#v{version}"


def split_ref(ref: str) -> tuple[str, int | None]:
    match = _REF.match(ref)
    if match:
        return match.group("record"), int(match.group("version"))
    return ref, None


@dataclass(frozen=True)
class VersionInfo:
    """Everything about a stored version except its secret."""

    record_id: str
    version: int
    kind: str
    fingerprint: str
    created_at: int
    created_by: str
    expires_at: int | None
    current: bool

    @property
    def ref(self) -> str:
        return ref_id(self.record_id, self.version)


class Vault:
    def __init__(self, path: Path, key: bytes):
        self.path = Path(path)
        self._key = key
        self._key_id = key_id(key)

    # -- reading -----------------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"format": VAULT_FORMAT, "records": {}}
        try:
            data = json.loads(self.path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            raise VaultError(f"The vault file {self.path} is corrupt (not JSON); it was left untouched.") from exc
        if not isinstance(data, dict) or data.get("format") != VAULT_FORMAT or not isinstance(data.get("records"), dict):
            raise VaultError(f"The vault file {self.path} has an unknown format; it was left untouched.")
        return data

    def _decrypt(self, record_id: str, version: int, entry: dict[str, Any], key: bytes | None = None) -> str:
        key = key or self._key
        if entry.get("key_id") != key_id(key):
            raise VaultError(
                f"The vault key does not match the one that encrypted {record_id!r} "
                f"(key id {key_id(key)}, record written with {entry.get('key_id')})."
            )
        try:
            nonce = base64.b64decode(entry["nonce"])
            blob = base64.b64decode(entry["ciphertext"])
            plain = AESGCM(key).decrypt(nonce, blob, ref_id(record_id, version).encode())
        except (InvalidTag, KeyError, ValueError, TypeError) as exc:
            raise VaultError(f"Vault record {record_id!r} v{version} failed authentication: the file was tampered with.") from exc
        return plain.decode("utf-8")

    def get(self, record_id: str, version: int | None = None) -> str:
        record = self._load()["records"].get(record_id)
        if record is None:
            raise KeyError(record_id)
        version = version if version is not None else record["current"]
        entry = record["versions"].get(str(version))
        if entry is None:
            raise KeyError(ref_id(record_id, version))
        return self._decrypt(record_id, version, entry)

    def resolve(self, ref: str) -> str:
        """Secret for a SecretRef id (`record#vN`, or a bare record id meaning its current version)."""
        record_id, version = split_ref(ref)
        return self.get(record_id, version)

    def versions(self, record_id: str | None = None) -> list[VersionInfo]:
        out: list[VersionInfo] = []
        for rid, record in sorted(self._load()["records"].items()):
            if record_id is not None and rid != record_id:
                continue
            for number, entry in sorted(record["versions"].items(), key=lambda kv: int(kv[0])):
                out.append(
                    VersionInfo(
                        record_id=rid,
                        version=int(number),
                        kind=entry.get("kind", ""),
                        fingerprint=entry.get("fingerprint", ""),
                        created_at=int(entry.get("created_at", 0)),
                        created_by=entry.get("created_by", ""),
                        expires_at=entry.get("expires_at"),
                        current=int(number) == record["current"],
                    )
                )
        return out

    def current(self, record_id: str) -> VersionInfo | None:
        return next((v for v in self.versions(record_id) if v.current), None)

    # -- writing -----------------------------------------------------------------------------
    def _encrypt(self, record_id: str, version: int, secret: str, key: bytes) -> dict[str, str]:
        nonce = os.urandom(12)
        blob = AESGCM(key).encrypt(nonce, secret.encode("utf-8"), ref_id(record_id, version).encode())
        return {
            "key_id": key_id(key),
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(blob).decode(),
        }

    def _check_key(self, data: dict[str, Any]) -> None:
        """Refuse to write with a key other than the one the vault was written with, so a
        misconfigured key can never leave a vault encrypted under two keys."""
        for rid, record in data["records"].items():
            for entry in record["versions"].values():
                if entry.get("key_id") != self._key_id:
                    raise VaultError(
                        f"The vault key does not match the one that encrypted {rid!r} (key id {self._key_id}, "
                        f"record written with {entry.get('key_id')}); nothing was written.")
                return

    def _save(self, data: dict[str, Any]) -> None:
        """Callers hold the vault's lock, so temp files of a writer that died are safe to sweep."""
        self._check_key(data)
        discard_stale_temps(self.path)
        atomic_write(self.path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode(), 0o600)

    def put(self, record_id: str, secret: str, *, kind: str, created_by: str,
            expires_at: int | None = None, make_current: bool = True) -> VersionInfo:
        """Store `secret` as the next version of `record_id`; earlier versions stay for rollback."""
        with file_lock(self.path):
            data = self._load()
            record = data["records"].setdefault(record_id, {"current": 0, "versions": {}})
            version = max((int(v) for v in record["versions"]), default=0) + 1
            entry = self._encrypt(record_id, version, secret, self._key)
            entry.update(kind=kind, fingerprint=fingerprint(secret), created_at=int(time.time()),
                         created_by=created_by, expires_at=expires_at)
            record["versions"][str(version)] = entry
            if make_current or not record["current"]:
                record["current"], record["current_since"] = version, int(time.time())
            self._save(data)
        info = self.current(record_id) if make_current else None
        return info or next(v for v in self.versions(record_id) if v.version == version)

    def set_current(self, record_id: str, version: int) -> None:
        with file_lock(self.path):
            data = self._load()
            record = data["records"].get(record_id)
            if record is None or str(version) not in record["versions"]:
                raise KeyError(ref_id(record_id, version))
            record["current"], record["current_since"] = version, int(time.time())
            self._save(data)

    def current_since(self, record_id: str) -> int | None:
        """When the record's current version became current (epoch s): the start of the rollback
        window of the versions it replaced. None for records written before this was kept."""
        record = self._load()["records"].get(record_id)
        return record.get("current_since") if record else None

    def delete(self, record_id: str, version: int | None = None) -> bool:
        """Remove one version, or the whole record when `version` is None."""
        with file_lock(self.path):
            data = self._load()
            record = data["records"].get(record_id)
            if record is None:
                return False
            if version is None:
                del data["records"][record_id]
            else:
                if record["versions"].pop(str(version), None) is None:
                    return False
                if not record["versions"]:
                    del data["records"][record_id]
                elif record["current"] == version:
                    record["current"] = max(int(v) for v in record["versions"])
            self._save(data)
        return True

    def rotate_key(self, new_key: bytes) -> int:
        """Re-encrypt every version under `new_key` in one atomic write; returns the count.

        Every record is decrypted first, so a wrong current key or a tampered record aborts the
        rotation with the file untouched."""
        with file_lock(self.path):
            data = self._load()
            count = 0
            for rid, record in data["records"].items():
                for number, entry in record["versions"].items():
                    secret = self._decrypt(rid, int(number), entry)
                    entry.update(self._encrypt(rid, int(number), secret, new_key))
                    count += 1
            old = self._key, self._key_id
            self._key, self._key_id = new_key, key_id(new_key)
            try:
                self._save(data)
            except BaseException:
                self._key, self._key_id = old
                raise
        return count
