"""The vault's keys: one key that new records are encrypted with, and during a key rotation the
keys it replaces, each known by its key id.

Why more than one key: a rotation must store the new key durably *before* any record is encrypted
under it, and every record must stay readable by the resolver OpenClaw spawns at every moment of
the switch, including after a kill -9 half way. So for a while two keys are valid at once:
- Key file (the default): one base64 key per line. The first line is the newest key; the lines
  after it are keys a rotation has not finished replacing. `vault rotate-key` writes `new, old`
  first, re-encrypts the vault, and only then writes `new` alone (core/secrets/key_rotation.py).
- Environment (`OPENCLAW_CHATOPS_VAULT_KEY`): the service manager owns the key, so the bot cannot
  store a new one there. The operator adds the new key and moves the old one to
  `OPENCLAW_CHATOPS_VAULT_PREVIOUS_KEYS` (comma-separated) in the service environment of both the
  bot and the gateway; OpenClaw passes both names to the resolver (`passEnv`).
The key file is re-read whenever it changes, so a bot that is running while `vault rotate-key`
rewrites the file encrypts with a key the file still holds.
"""
from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from core.errors import ChatSafeError
from core.fsutil import atomic_write, discard_stale_temps, file_lock, fsync_dir

__all__ = [
    "KEY_ENV", "PREVIOUS_KEYS_ENV", "KeyFile", "KeySource", "Keyring", "VaultError", "key_id", "key_source", "new_key",
    "read_key_file", "stage_new_key", "write_key_file",
]

KEY_ENV = "OPENCLAW_CHATOPS_VAULT_KEY"
PREVIOUS_KEYS_ENV = "OPENCLAW_CHATOPS_VAULT_PREVIOUS_KEYS"


class VaultError(ChatSafeError):
    """A vault problem described without any secret material."""

    title = "Vault problem"
    code = "vault"


def key_id(key: bytes) -> str:
    return hashlib.sha256(b"openclaw-chatops-key-id" + key).hexdigest()[:16]


def new_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def decode_key(text: str, origin: str) -> bytes:
    try:
        key = base64.b64decode(text.strip(), validate=True)
    except ValueError as exc:
        raise VaultError(f"The vault key from {origin} is not valid base64.") from exc
    if len(key) != 32:
        raise VaultError(f"The vault key from {origin} must be 32 bytes (got {len(key)}).")
    return key


def encode_key(key: bytes) -> str:
    return base64.b64encode(key).decode()


@dataclass(frozen=True)
class Keyring:
    """The key new records are written with, and older keys that only decrypt."""

    primary: bytes
    previous: tuple[bytes, ...] = ()

    @property
    def keys(self) -> tuple[bytes, ...]:
        return (self.primary, *self.previous)

    @property
    def ids(self) -> list[str]:
        return [key_id(k) for k in self.keys]

    def by_id(self, kid: str | None) -> bytes | None:
        return next((k for k in self.keys if key_id(k) == kid), None)


KeySource = Callable[[], Keyring]


def read_key_file(key_file: Path) -> list[bytes]:
    key_file = Path(key_file)
    if key_file.stat().st_mode & 0o077:
        raise VaultError(f"The vault key file {key_file} is readable by others: chmod 600 it.")
    lines = [line.strip() for line in key_file.read_text().splitlines()]
    keys = [decode_key(line, str(key_file)) for line in lines if line and not line.startswith("#")]
    if not keys:
        raise VaultError(f"The vault key file {key_file} holds no key.")
    return keys


def write_key_file(key_file: Path, keys: list[bytes]) -> None:
    """Atomic and fsynced: a crash leaves the old list or the new one, never neither. Callers hold
    the key file's lock, so the (0600) temp file of a writer killed before its rename goes now."""
    discard_stale_temps(key_file)
    atomic_write(key_file, "".join(encode_key(k) + "\n" for k in keys).encode(), 0o600)


class KeyFile:
    """A `KeySource` reading the key file again whenever it was replaced (new inode, size or
    mtime), so a long-running bot follows a rotation made by `vault rotate-key`."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self._seen: tuple[int, int, int] | None = None
        self._ring: Keyring | None = None

    def __call__(self) -> Keyring:
        try:
            st = self.path.stat()
        except FileNotFoundError as exc:
            raise VaultError(f"The vault key file {self.path} is gone; restore it from a backup.") from exc
        seen = (st.st_ino, st.st_size, st.st_mtime_ns)
        if self._ring is None or seen != self._seen:
            keys = read_key_file(self.path)
            self._ring, self._seen = Keyring(keys[0], tuple(keys[1:])), seen
        return self._ring


def env_keyring(env_key: str, env_previous: str | None) -> Keyring:
    previous = tuple(decode_key(part, PREVIOUS_KEYS_ENV) for part in (env_previous or "").split(",") if part.strip())
    return Keyring(decode_key(env_key, KEY_ENV), previous)


def key_source(env_key: str | None, env_previous: str | None, key_file: Path, *, create: bool) -> KeySource:
    """The keys from the environment when set, else from the 0600 key file (made on first use)."""
    if env_key:
        ring = env_keyring(env_key, env_previous)
        return lambda: ring
    if env_previous:
        raise VaultError(f"{PREVIOUS_KEYS_ENV} is set but {KEY_ENV} is not: set both, or neither.")
    key_file = Path(key_file)
    if not key_file.exists():
        if not create:
            raise VaultError(f"No vault key: set {KEY_ENV} or create {key_file} (`openclaw-chatops vault init`).")
        with file_lock(key_file):
            if not key_file.exists():
                write_key_file(key_file, [new_key()])
    source = KeyFile(key_file)
    source()  # a missing, open or malformed key file is reported now, not at the first write
    return source


def stage_new_key(path: Path) -> bytes:
    """Write a fresh key to a new 0600 file the operator chose, fsynced, and return it. An
    existing file is never overwritten (it may hold the only copy of a key); nothing else changes,
    so a crash here costs at most an empty file."""
    path = Path(path)
    key = new_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError as exc:
        raise VaultError(f"{path} already exists; choose a new file (it is never overwritten).") from exc
    with os.fdopen(fd, "wb") as handle:
        handle.write((encode_key(key) + "\n").encode())
        handle.flush()
        os.fsync(handle.fileno())
    fsync_dir(path.parent)
    return key
