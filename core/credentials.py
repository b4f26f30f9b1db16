"""Credential intake rules: normalise, classify, reject, fingerprint.

OpenClaw users have lost tokens to wrapped pastes (line breaks inside the token) and stored OAuth
`code#state` strings as tokens, which then 401 and push the provider into cooldown. Every rule here
answers with a message that says what was wrong *without echoing the value*.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import Enum

SETUP_TOKEN_PREFIX = "sk-ant-oat01-"
API_KEY_PREFIX = "sk-ant-api03-"
# OpenClaw's own paste-token check: at least 80 characters after whitespace is removed.
MIN_SETUP_TOKEN_LENGTH = 80
# Anthropic API keys are ~108 characters; anything much shorter is a truncated paste.
MIN_API_KEY_LENGTH = 60
_BODY = re.compile(r"^[A-Za-z0-9_-]+$")
# Finds credentials inside a chat message (for the "pasted in a channel" warning).
# Any Anthropic key family (oat01, api03, admin01, …): an admin key typed by mistake must not be
# echoed back either, even though it is never accepted as a gateway credential.
_EMBEDDED = re.compile(r"sk-ant-[a-z]+[0-9]{2}-[A-Za-z0-9_-]{16,}")
_LINE_BREAKS = re.compile(r"[ \t]*[\r\n]+[ \t]*")


class Kind(str, Enum):
    SETUP_TOKEN = "setup-token"
    API_KEY = "api-key"

    @property
    def label(self) -> str:
        return "Claude setup-token" if self is Kind.SETUP_TOKEN else "Anthropic API key"

    @property
    def openclaw_mode(self) -> str:
        """The auth-profile type OpenClaw uses for this kind."""
        return "token" if self is Kind.SETUP_TOKEN else "api_key"

    @staticmethod
    def parse(text: str) -> "Kind":
        """Accept the spellings users type: api-key, apikey, api_key, setup-token, token."""
        key = text.strip().lower().replace("_", "-")
        if key in {"api-key", "apikey", "api", "key"}:
            return Kind.API_KEY
        if key in {"setup-token", "setuptoken", "token", "oat"}:
            return Kind.SETUP_TOKEN
        raise ValueError(f"unknown credential type {text!r}: use api-key or setup-token")


class CredentialRejected(ValueError):
    """Raised with a message that is safe to show: it never contains the pasted value."""


def fingerprint(value: str) -> str:
    """What humans and logs see instead of a credential: last four characters and a hash prefix."""
    digest = hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()[:12]
    return f"…{value[-4:]} sha256:{digest}"


@dataclass(frozen=True)
class Credential:
    kind: Kind
    value: str = field(repr=False)

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.value)

    def __str__(self) -> str:  # never the value, even by accident in an f-string
        return f"<{self.kind.value} {self.fingerprint}>"


def normalise(text: str) -> str:
    """Remove every whitespace character (spaces, tabs, line breaks from wrapped pastes) and the
    quotes or backticks a chat client may have wrapped around the paste."""
    compact = "".join(text.split())
    for quote in ("```", "`", '"', "'"):
        if len(compact) > 2 * len(quote) and compact.startswith(quote) and compact.endswith(quote):
            compact = compact[len(quote):-len(quote)]
    return compact.replace("\u200b", "").replace("\ufeff", "")


def classify(text: str, expected: Kind | None = None) -> Credential:
    """Turn pasted text into a Credential or raise CredentialRejected saying why."""
    value = normalise(text)
    if not value:
        raise CredentialRejected("Nothing was pasted.")
    if not value.isascii():
        raise CredentialRejected(
            "The pasted text contains non-ASCII characters (a smart quote or a hidden character "
            "from a rich-text paste?). Copy the token again from a plain terminal."
        )
    if "#" in value:
        raise CredentialRejected(
            "That looks like an OAuth `code#state` string from a browser login, not a credential. "
            "Run `claude setup-token` and paste the token it prints."
        )
    if value.startswith(SETUP_TOKEN_PREFIX):
        kind, minimum = Kind.SETUP_TOKEN, MIN_SETUP_TOKEN_LENGTH
    elif value.startswith(API_KEY_PREFIX):
        kind, minimum = Kind.API_KEY, MIN_API_KEY_LENGTH
    elif value.startswith("sk-ant-"):
        raise CredentialRejected(
            "That Anthropic credential has an unknown prefix: expected sk-ant-oat01- (setup-token) "
            "or sk-ant-api03- (API key)."
        )
    else:
        raise CredentialRejected(
            "That is not an Anthropic credential: a setup-token starts with sk-ant-oat01- and an "
            "API key with sk-ant-api03-."
        )
    body = value[len(SETUP_TOKEN_PREFIX):]
    if not _BODY.match(body):
        raise CredentialRejected(
            "The pasted text contains characters a credential cannot have (only letters, digits, "
            "- and _). Copy it again without surrounding text."
        )
    if len(value) < minimum:
        raise CredentialRejected(
            f"The {kind.label} is too short ({len(value)} characters, at least {minimum} expected): "
            "the paste was probably cut off. Copy the whole value again."
        )
    if expected is not None and kind is not expected:
        raise CredentialRejected(
            f"This is a {kind.label}, but a {expected.label} was asked for. Start again with "
            f"the right type, or paste the {expected.label}."
        )
    return Credential(kind=kind, value=value)


def find_embedded(text: str) -> list[str]:
    """Fingerprints of credentials inside a message, also when the client wrapped them."""
    found = {m.group(0) for m in _EMBEDDED.finditer(text)}
    found |= {m.group(0) for m in _EMBEDDED.finditer(_LINE_BREAKS.sub("", text))}
    # A wrapped token also matches as its own first line; keep only the longest of overlapping hits.
    longest = [v for v in found if not any(o != v and o.startswith(v) for o in found)]
    return sorted(fingerprint(v) for v in longest)
