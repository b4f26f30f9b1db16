"""The encrypted credential vault: one JSON file of AES-256-GCM records on the gateway host.

Why this shape:
- Each record id (e.g. `anthropic/main/anthropic:default`) keeps numbered versions, and OpenClaw's
  SecretRef points at one version (`…#v2`). A rotation writes a new version before the gateway is
  re-pointed, so an interrupted rotation leaves the gateway on the old, working secret.
- The associated data of every ciphertext is `<record id>#v<version>`: a record copied under
  another id, or a version swapped for another, fails authentication instead of decrypting.
- The key never sits in the vault file. A key id (hash prefix of the key) is stored per version so a
  wrong key is reported as such, and a tampered file as tampered, and so that during a key rotation
  each record is decrypted with the key it was written with (core/secrets/vault_keys.py).
- A version written with `make_current=False` is *pending* until `set_current` or `delete`: a
  credential write in progress. Housekeeping never removes a pending version (core/secrets/retention.py).
What the key does not protect against: anyone who can read both the vault and the key (the same
Unix user on the gateway host) can decrypt, and so can the gateway through the resolver: that is
its job. It protects the credentials in backups, copies of `~/.openclaw`, config files and plans.
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.fsutil import atomic_write, discard_stale_temps, file_lock
from core.secrets.credentials import fingerprint
from core.secrets.vault_keys import Keyring, KeySource, VaultError, key_id

__all__ = ["Vault", "VaultError", "VersionInfo", "ref_id", "split_ref"]

VAULT_FORMAT = 1
_REF = re.compile(r"^(?P<record>.+)#v(?P<version>[0-9]+)$")


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
    pending: bool = False
    key_id: str = ""

    @property
    def ref(self) -> str:
        return ref_id(self.record_id, self.version)


class Vault:
    def __init__(self, path: Path, keys: bytes | Keyring | KeySource):
        self.path = Path(path)
        if isinstance(keys, bytes):
            keys = Keyring(keys)
        if isinstance(keys, Keyring):
            ring = keys
            self._keys: KeySource = lambda: ring
        else:
            self._keys = keys
        self._held = threading.local()

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """The vault's cross-process lock, reentrant within one thread, so a multi-step change
        (a key rotation) can hold it across several vault calls."""
        depth = getattr(self._held, "depth", 0)
        if depth:
            self._held.depth = depth + 1
            try:
                yield
            finally:
                self._held.depth = depth
            return
        with file_lock(self.path):
            self._held.depth = 1
            try:
                yield
            finally:
                self._held.depth = 0

    def keyring(self) -> Keyring:
        return self._keys()

    def credential_write(self) -> contextlib.AbstractContextManager[None]:
        """Held (shared: writes run side by side) by every multi-step credential change from its
        vault put to its `set_current`, the span in which OpenClaw may already point at a version
        the vault does not call current yet."""
        return file_lock(self._writes_lock, shared=True)

    def quiescent(self) -> contextlib.AbstractContextManager[None]:
        """Exclusive against `credential_write`: housekeeping holds it, so it never judges a
        version in the middle of a write (in any process)."""
        return file_lock(self._writes_lock)

    @property
    def _writes_lock(self) -> Path:
        return self.path.with_name(self.path.name + ".writes")

    # -- reading -----------------------------------------------------------------------------
    def _load(self) -> dict[str, Any]:
        if not self.path.exists():
            return {"format": VAULT_FORMAT, "records": {}}
        try:
            data = json.loads(self.path.read_bytes())
        except (ValueError, UnicodeDecodeError) as exc:
            raise VaultError(f"The vault file {self.path} is corrupt (not JSON); it was left untouched.") from exc
        if not isinstance(data, dict) or data.get("format") != VAULT_FORMAT \
                or not isinstance(data.get("records"), dict):
            raise VaultError(f"The vault file {self.path} has an unknown format; it was left untouched.")
        return data

    def _decrypt(self, record_id: str, version: int, entry: dict[str, Any]) -> str:
        ring = self._keys()
        key = ring.by_id(entry.get("key_id"))
        if key is None:
            raise VaultError(
                f"The vault key does not match the one that encrypted {record_id!r} "
                f"(key id {', '.join(ring.ids)}, record written with {entry.get('key_id')})."
            )
        try:
            nonce = base64.b64decode(entry["nonce"])
            blob = base64.b64decode(entry["ciphertext"])
            plain = AESGCM(key).decrypt(nonce, blob, ref_id(record_id, version).encode())
        except (InvalidTag, KeyError, ValueError, TypeError) as exc:
            raise VaultError(
                f"Vault record {record_id!r} v{version} failed authentication: the file was tampered with.") from exc
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
            if record_id is None or rid == record_id:
                out.extend(_infos(rid, record))
        return out

    def current(self, record_id: str) -> VersionInfo | None:
        return next((v for v in self.versions(record_id) if v.current), None)

    def describe_ref(self, ref: str) -> str:
        """`v2 …abcd sha256:…` for a ref this vault holds (a bare record id means its current
        version), "" for one it does not: status and doctor tell the bot's refs from foreign ones."""
        record, version = split_ref(ref)
        try:
            for info in self.versions(record):
                if version is None and info.current or info.version == version:
                    return f"v{info.version} {info.fingerprint}"
        except VaultError:
            return ""
        return ""

    # -- writing -----------------------------------------------------------------------------
    def _encrypt(self, record_id: str, version: int, secret: str, key: bytes) -> dict[str, Any]:
        nonce = os.urandom(12)
        blob = AESGCM(key).encrypt(nonce, secret.encode("utf-8"), ref_id(record_id, version).encode())
        return {
            "key_id": key_id(key),
            "nonce": base64.b64encode(nonce).decode(),
            "ciphertext": base64.b64encode(blob).decode(),
        }

    def _write_key(self, data: dict[str, Any]) -> bytes:
        """The key a new version is encrypted with: the one every record already uses while the
        keyring knows it, so until `reencrypt` runs the vault stays readable with the key it had
        (a gateway not yet restarted with a rotated key keeps resolving new versions too); the
        newest key for an empty or mixed vault. A record under a key the keyring does not know
        means a misconfigured key: nothing is written, so a vault never ends up needing a key
        nobody has."""
        ring = self._keys()
        used = {entry.get("key_id") for record in data["records"].values() for entry in record["versions"].values()}
        unknown = sorted(str(kid) for kid in used if ring.by_id(kid) is None)
        if unknown:
            raise VaultError(
                f"The vault key does not match the one that encrypted the vault (key id {', '.join(ring.ids)}, "
                f"records written with {', '.join(unknown)}); nothing was written.")
        only = ring.by_id(next(iter(used))) if len(used) == 1 else None  # known: checked above
        return only if only is not None else ring.primary

    def _save(self, data: dict[str, Any]) -> None:
        """Callers hold the vault's lock, so temp files of a writer that died are safe to sweep."""
        self._write_key(data)
        discard_stale_temps(self.path)
        atomic_write(self.path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode(), 0o600)

    def put(self, record_id: str, secret: str, *, kind: str, created_by: str,
            expires_at: int | None = None, make_current: bool = True) -> VersionInfo:
        """Store `secret` as the next version of `record_id`; earlier versions stay for rollback."""
        with self.locked():
            data = self._load()
            key = self._write_key(data)
            record = data["records"].setdefault(record_id, {"current": 0, "versions": {}})
            version = max((int(v) for v in record["versions"]), default=0) + 1
            entry = self._encrypt(record_id, version, secret, key)
            entry.update(kind=kind, fingerprint=fingerprint(secret), created_at=int(time.time()),
                         created_by=created_by, expires_at=expires_at)
            if not make_current:
                entry["pending"] = True
            record["versions"][str(version)] = entry
            if make_current or not record["current"]:
                record["current"], record["current_since"] = version, int(time.time())
            self._save(data)
        info = self.current(record_id) if make_current else None
        return info or next(v for v in self.versions(record_id) if v.version == version)

    def set_current(self, record_id: str, version: int) -> None:
        """Make `version` the one in use (it stops being pending)."""
        with self.locked():
            data = self._load()
            record = data["records"].get(record_id)
            if record is None or str(version) not in record["versions"]:
                raise KeyError(ref_id(record_id, version))
            record["versions"][str(version)].pop("pending", None)
            record["current"], record["current_since"] = version, int(time.time())
            self._save(data)

    def current_since(self, record_id: str) -> int | None:
        """When the record's current version became current (epoch s): the start of the rollback
        window of the versions it replaced. None for records written before this was kept."""
        record = self._load()["records"].get(record_id)
        return record.get("current_since") if record else None

    def delete(self, record_id: str, version: int | None = None) -> bool:
        """Remove one version, or the whole record when `version` is None."""
        with self.locked():
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

    def delete_where(self, select: Callable[[str, list[VersionInfo], int | None], list[int]]) -> list[VersionInfo]:
        """Delete, in one locked read-modify-write, the versions that
        `select(record_id, versions, current_since)` names, so the choice is made on the same
        state it is applied to (a choice made on an earlier read could remove a version a writer
        has made current since). The current version is never deleted. Returns what was deleted
        (metadata only)."""
        with self.locked():
            data = self._load()
            gone: list[VersionInfo] = []
            for rid, record in list(data["records"].items()):
                infos = {v.version: v for v in _infos(rid, record)}
                for number in select(rid, list(infos.values()), record.get("current_since")):
                    if number != record["current"] and record["versions"].pop(str(number), None) is not None:
                        gone.append(infos[number])
            if gone:
                self._save(data)
        return gone

    def reencrypt(self) -> int:
        """Re-encrypt every version not under the keyring's newest key, in one atomic write;
        returns how many. Every record is decrypted first, so a record no known key opens, or a
        tampered one, aborts with the file untouched."""
        with self.locked():
            data = self._load()
            primary = self._keys().primary
            count = 0
            for rid, record in data["records"].items():
                for number, entry in record["versions"].items():
                    if entry.get("key_id") == key_id(primary):
                        continue
                    secret = self._decrypt(rid, int(number), entry)
                    entry.update(self._encrypt(rid, int(number), secret, primary))
                    count += 1
            if count:
                self._save(data)
        return count


def _infos(record_id: str, record: dict[str, Any]) -> list[VersionInfo]:
    """Everything about a record's versions except their secrets, oldest first."""
    return [
        VersionInfo(
            record_id=record_id,
            version=int(number),
            kind=entry.get("kind", ""),
            fingerprint=entry.get("fingerprint", ""),
            created_at=int(entry.get("created_at", 0)),
            created_by=entry.get("created_by", ""),
            expires_at=entry.get("expires_at"),
            current=int(number) == record["current"],
            pending=bool(entry.get("pending")),
            key_id=entry.get("key_id", ""),
        )
        for number, entry in sorted(record["versions"].items(), key=lambda kv: int(kv[0]))
    ]
