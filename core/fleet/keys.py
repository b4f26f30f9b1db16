"""The fleet's key pairs, each in a 0600 file, and how their public halves are written and compared.

Why two kinds:
- A host holds an X25519 key pair: the hub seals a pasted credential to the host's public key
  (`core.fleet.sealing`), so only that host can open it; the broker and the hub's disk never can.
- The hub holds an Ed25519 signing key pair: a host opens only what the hub signed, so a broker
  user that can publish to the host (or a host impersonating the hub) cannot plant a credential.
Each side pins the other's public key out of band at enrollment: the hub's config names each host
with its `fingerprint`, each host's config carries the hub's public key (`encode_public`).

Key files are PEM (unencrypted PKCS#8), which `openssl pkey` reads, written once and atomically;
errors name the file, never its bytes.
"""
from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Callable
from pathlib import Path

from cryptography.exceptions import UnsupportedAlgorithm
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey

from core.errors import ChatSafeError
from core.fsutil import atomic_write, discard_stale_temps, file_lock

__all__ = ["PUBLIC_KEY_SIZE", "FleetKeyError", "HostKeys", "HubKeys", "decode_public", "encode_public", "fingerprint"]

PUBLIC_KEY_SIZE = 32  # raw X25519 and Ed25519 public keys alike
_ENCODED_PUBLIC = re.compile(r"[A-Za-z0-9_-]{43}")  # 32 bytes, urlsafe base64 without padding


class FleetKeyError(ChatSafeError, ValueError):
    """A key file or public key value that cannot be used, described by where it came from only."""

    title = "Fleet key problem"
    code = "fleet_key"


def fingerprint(public: bytes) -> str:
    """`sha256:` and the first 128 bits of the key's SHA-256 in groups of four hex digits: short
    enough to read aloud and compare, long enough that nobody can make a key that matches. Also
    `base64 -d | sha256sum` of the raw key, so an admin can check it without this program."""
    digest = hashlib.sha256(public).hexdigest()[:32]
    return "sha256:" + ":".join(digest[i:i + 4] for i in range(0, 32, 4))


def encode_public(public: bytes) -> str:
    """A raw public key as config values and heartbeats carry it: urlsafe base64, no padding."""
    return base64.urlsafe_b64encode(public).rstrip(b"=").decode("ascii")


def decode_public(text: str, origin: str = "the public key") -> bytes:
    """The raw 32 bytes of an `encode_public` value, or FleetKeyError naming `origin`. Only the
    canonical spelling is accepted, so one key has exactly one text and pinned values compare."""
    if isinstance(text, str) and _ENCODED_PUBLIC.fullmatch(text):
        raw = base64.urlsafe_b64decode(text + "=")
        if encode_public(raw) == text:
            return raw
    raise FleetKeyError(f"{origin} is not a public key: expected 43 characters of urlsafe base64 "
                        "(as `openclaw-chatops host enroll` / `hub enroll` print it).")


class _KeyPair:
    """What both key pairs share: the private key kept inside, its raw public half, the
    fingerprint an admin compares, and a repr that shows only that."""

    _private: X25519PrivateKey | Ed25519PrivateKey

    def public_bytes(self) -> bytes:
        return self._private.public_key().public_bytes_raw()

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.public_bytes())

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.fingerprint})"


class HostKeys(_KeyPair):
    """A host's X25519 key pair: what sealed credentials are sealed to."""

    def __init__(self, private: X25519PrivateKey):
        self._private: X25519PrivateKey = private

    @classmethod
    def load_or_create(cls, path: Path) -> HostKeys:
        key = _load_or_create(Path(path), X25519PrivateKey.generate)
        if not isinstance(key, X25519PrivateKey):
            raise _unusable(path, "host", "X25519")
        return cls(key)

    def exchange(self, peer_public: bytes) -> bytes:
        """The X25519 shared secret with `peer_public` (ValueError for a key that yields none)."""
        return self._private.exchange(X25519PublicKey.from_public_bytes(peer_public))


class HubKeys(_KeyPair):
    """The hub's Ed25519 key pair: every sealed message carries its signature."""

    def __init__(self, private: Ed25519PrivateKey):
        self._private: Ed25519PrivateKey = private

    @classmethod
    def load_or_create(cls, path: Path) -> HubKeys:
        key = _load_or_create(Path(path), Ed25519PrivateKey.generate)
        if not isinstance(key, Ed25519PrivateKey):
            raise _unusable(path, "hub", "Ed25519")
        return cls(key)

    def sign(self, data: bytes) -> bytes:
        return self._private.sign(data)


def _load_or_create(path: Path, generate: Callable[[], PrivateKeyTypes]) -> PrivateKeyTypes | None:
    """The key in `path` (None if the file holds none), made first if there is no file. Under the
    file's lock, so two processes starting together end up with one key, and an existing file is
    never replaced: it may hold the key the other side has pinned."""
    with file_lock(path):
        if not path.exists():
            discard_stale_temps(path)
            key = generate()
            atomic_write(path, key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                 serialization.NoEncryption()), 0o600)
            return key
        try:
            if path.stat().st_mode & 0o077:
                raise FleetKeyError(f"The key file {path} is readable by others: chmod 600 it.")
            data = path.read_bytes()
        except OSError as exc:
            raise FleetKeyError(f"The key file {path} cannot be read ({exc.strerror or type(exc).__name__}).") from None
        try:
            return serialization.load_pem_private_key(data, password=None)
        except (ValueError, TypeError, UnsupportedAlgorithm):  # their text may quote the file: not repeated
            return None


def _unusable(path: Path, role: str, algorithm: str) -> FleetKeyError:
    return FleetKeyError(f"The {role} key file {path} does not hold a {role} key (a PEM {algorithm} private key). "
                         "Restore it from a backup, or move it aside and enroll again.")
