"""Sealing a pasted credential at the hub so that only the target host can open it, once, in time.

The hub never stores a paste and the broker (and its JetStream files) must never hold one, so the
value crosses as a sealed message:
- Confidential to one host: a fresh ephemeral X25519 key agrees a secret with the host's pinned
  public key; HKDF-SHA256 (salt: the message id; info: product, format version, host name) turns it
  into an AES-256-GCM key. Only the holder of the host's private key can derive it.
- Bound to what it is for: the GCM associated data is the canonical JSON of every field but the
  ciphertext and the signature (host, agent, profile, onboarding session, message id, expiry,
  ephemeral key, nonce), and the hub signs (Ed25519) every field but the signature. A message
  moved to another host, profile or session, or given a later expiry, is refused.
- Used once, briefly: an expiry at most `MAX_LIFETIME` ahead, and the host's `ReplayLedger`
  remembers each opened message id until its expiry has passed, across restarts.
What the broker still sees: the binding fields in clear (host, agent, profile id, session id,
expiry), the message id, and the ciphertext's length, which is the credential's length.

The host checks in a fixed order — shape, signature, host, expiry, replay, then decrypts — so
nothing unsigned reaches the ledger or the decryption, and every refusal is a `SealRefused` whose
text names the reason, never a key or the credential.
"""
from __future__ import annotations

import base64
import json
import math
import os
import re
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature, InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from core.errors import ChatSafeError
from core.fleet.keys import HostKeys, HubKeys
from core.fleet.subjects import check_host_name
from core.fsutil import file_lock
from core.store import Store

__all__ = ["CLOCK_SKEW", "MAX_LIFETIME", "VERSION", "Binding", "ReplayLedger", "SealRefused", "open_sealed", "seal"]

VERSION = 1
MAX_LIFETIME = 15 * 60.0  # seconds a sealed message may be valid for, from the moment it is sealed
CLOCK_SKEW = 60.0  # how far the hub's and a host's clocks may disagree
_SIGNING_CONTEXT = b"openclaw-chatops sealed secret v1\n"  # the hub key's signatures on anything else never fit
_PAD_TO = 512  # bytes: longer than any Anthropic credential, so all look alike on the wire
_NONCE_SIZE = 12
_TAG_SIZE = 16
# raw bytes of each base64 field (None: the ciphertext, any length from a bare GCM tag up)
_SIZES: dict[str, int | None] = {"ephemeral_key": 32, "nonce": _NONCE_SIZE, "signature": 64, "ciphertext": None}
_TEXT_FIELDS = ("id", "host", "agent", "profile", "session", "ephemeral_key", "nonce", "ciphertext", "signature")
_FIELDS = frozenset({"version", "expires_at", *_TEXT_FIELDS})
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+")


class SealRefused(ChatSafeError):
    """A host would not open a sealed message. `reason` says which check failed: `malformed`,
    `signature`, `wrong-host`, `expired`, `too-far`, `replayed` or `decrypt`."""

    title = "Sealed secret refused"
    code = "sealed"

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class Binding:
    """What a sealed credential is for: the host that may open it, the agent and auth profile it
    is written to, the onboarding session it answers, and when it stops being valid (epoch s)."""

    host: str
    agent: str
    profile: str
    session: str
    expires_at: float


def seal(plaintext: str, binding: Binding, host_public: bytes, hub: HubKeys, *, now: float | None = None,
         max_lifetime: float = MAX_LIFETIME) -> dict[str, str | float | int]:
    """A JSON-safe message that only the holder of `host_public`'s private key can open, and only as
    `binding` says. ValueError (naming no secret) for a binding no host would accept."""
    now = time.time() if now is None else now
    check_host_name(binding.host)
    if not now < binding.expires_at <= now + max_lifetime:
        raise ValueError(f"a sealed secret must expire in the next {max_lifetime:.0f} s")
    ephemeral, nonce = X25519PrivateKey.generate(), os.urandom(_NONCE_SIZE)
    header: dict[str, str | float | int] = {
        "version": VERSION, "id": secrets.token_urlsafe(16), "host": binding.host, "agent": binding.agent,
        "profile": binding.profile, "session": binding.session, "expires_at": float(binding.expires_at),
        "ephemeral_key": _b64(ephemeral.public_key().public_bytes_raw()), "nonce": _b64(nonce),
    }
    key = _derive(ephemeral.exchange(X25519PublicKey.from_public_bytes(host_public)), str(header["id"]), binding.host)
    ciphertext = AESGCM(key).encrypt(nonce, _padded(plaintext.encode("utf-8")), _canonical(header))
    body = {**header, "ciphertext": _b64(ciphertext)}
    return {**body, "signature": _b64(hub.sign(_SIGNING_CONTEXT + _canonical(body)))}


def open_sealed(message: object, host_name: str, keys: HostKeys, hub_public: bytes, ledger: ReplayLedger, *,
                now: float | None = None, max_lifetime: float = MAX_LIFETIME) -> tuple[Binding, str]:
    """The binding and the credential of a message sealed to this host, or SealRefused. The message
    id is recorded as used only once the credential is out, so a forgery cannot burn a real id."""
    now = time.time() if now is None else now
    fields, raw = _checked_shape(message)
    body = {k: v for k, v in fields.items() if k != "signature"}
    try:
        Ed25519PublicKey.from_public_bytes(hub_public).verify(raw["signature"], _SIGNING_CONTEXT + _canonical(body))
    except InvalidSignature:
        raise SealRefused("signature", "The sealed secret does not carry the pinned hub's signature: it was "
                                       "changed on the way or sealed elsewhere. Nothing was stored.") from None
    binding = Binding(fields["host"], fields["agent"], fields["profile"], fields["session"], fields["expires_at"])
    if binding.host != host_name:
        raise SealRefused("wrong-host", f"The sealed secret is for host {binding.host!r}, not this host "
                                        f"({host_name!r}). Nothing was stored.")
    if now >= binding.expires_at:
        raise SealRefused("expired", "The sealed secret expired before this host opened it. Nothing was stored; "
                                      "paste it again.")
    if binding.expires_at - now > max_lifetime + CLOCK_SKEW:
        raise SealRefused("too-far", f"The sealed secret would stay valid longer than {max_lifetime / 60:.0f} min: "
                                     "check the hub's clock. Nothing was stored.")
    message_id: str = fields["id"]
    with ledger.claim(message_id, binding.expires_at, now):
        header = {k: v for k, v in body.items() if k != "ciphertext"}
        try:
            key = _derive(keys.exchange(raw["ephemeral_key"]), message_id, host_name)
            plain = AESGCM(key).decrypt(raw["nonce"], raw["ciphertext"], _canonical(header))
            return binding, plain.rstrip(b"\0").decode("utf-8")
        except (InvalidTag, ValueError):
            raise SealRefused("decrypt", "The sealed secret does not open with this host's key: it was sealed to "
                                         "another key (was this host enrolled again?). Nothing was stored.") from None


class ReplayLedger:
    """The ids of messages this host has opened, each kept until its expiry (plus `CLOCK_SKEW`, should
    the clock step back) is past: until then the same message would still pass every other check.
    Kept in the host's Store so a restart does not forget them, and pruned on every use."""

    KEY = "fleet.sealed.opened"

    def __init__(self, store: Store):
        self._store = store
        self._lock_path = Path(f"{store.path}.sealed")  # file_lock: threads and processes alike

    @contextmanager
    def claim(self, message_id: str, expires_at: float, now: float) -> Iterator[None]:
        """Refuse a used id; otherwise run the body and record the id if it succeeds. Check and
        record are one step under a lock, so two deliveries of a message cannot both open it."""
        with file_lock(self._lock_path):
            opened: dict[str, Any] = {k: v for k, v in (self._store.get(self.KEY) or {}).items() if v > now}
            if message_id in opened:
                raise SealRefused("replayed", "This sealed secret was already opened once; each is good for "
                                              "one use. Paste the secret again.")
            yield
            opened[message_id] = expires_at + CLOCK_SKEW
            self._store.put(self.KEY, opened)


def _checked_shape(message: object) -> tuple[dict[str, Any], dict[str, bytes]]:
    """The message's fields once every one is there with its type, and its base64 fields decoded;
    or SealRefused('malformed')."""
    if not isinstance(message, dict) or set(message) != _FIELDS:
        raise SealRefused("malformed", "Not a sealed secret: fields are missing or unknown. Nothing was stored.")
    version = message["version"]
    if type(version) is not int or version != VERSION:  # not bool, and no str() of an unbounded int
        raise SealRefused("malformed", f"The sealed secret is not in the format this host reads (version {VERSION}): "
                                       "update the hub and host together. Nothing was stored.")
    bad = [name for name in _TEXT_FIELDS if not isinstance(message[name], str) or not message[name]]
    expires = message["expires_at"]
    if type(expires) is not float or not math.isfinite(expires):
        bad.append("expires_at")
    raw: dict[str, bytes] = {}
    for name, size in _SIZES.items():
        decoded = None if name in bad else _unb64(message[name])
        if decoded is None or (len(decoded) < _TAG_SIZE if size is None else len(decoded) != size):
            bad.append(name)
        else:
            raw[name] = decoded
    if bad:
        raise SealRefused("malformed", f"The sealed secret has unusable fields ({', '.join(sorted(bad))}). "
                                       "Nothing was stored.")
    return dict(message), raw


def _padded(data: bytes) -> bytes:
    """The plaintext NUL-padded to a multiple of `_PAD_TO`: the broker sees the ciphertext's length,
    and an API key and a setup-token differ in length. No credential holds a NUL."""
    blocks = -(-max(len(data), 1) // _PAD_TO)  # ceiling division: at least one block
    return data.ljust(blocks * _PAD_TO, b"\0")


def _derive(shared: bytes, message_id: str, host: str) -> bytes:
    info = f"openclaw-chatops sealed secret v{VERSION} host={host}".encode()
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=message_id.encode("utf-8"), info=info).derive(shared)


def _canonical(fields: dict[str, Any]) -> bytes:
    """One byte string per set of fields, whichever order they arrived in."""
    return json.dumps(fields, sort_keys=True, separators=(",", ":"), ensure_ascii=True, allow_nan=False).encode()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes | None:
    """Strict urlsafe base64 without padding: None for anything `_b64` would not have written."""
    if not _BASE64URL.fullmatch(text) or len(text) % 4 == 1:
        return None
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    return raw if _b64(raw) == text else None
