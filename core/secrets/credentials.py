"""Credential intake rules: normalise, classify, reject, fingerprint.

OpenClaw users have lost tokens to wrapped pastes (line breaks inside the token) and stored OAuth
`code#state` strings as tokens, which then 401 and push the provider into cooldown. Every rule here
answers with a message that says what was wrong *without echoing the value*.

The same notion of "what a credential looks like once the paste is cleaned up" serves three
places: the intake (`normalise`), the warning about a credential posted in a channel
(`find_embedded`) and the redaction of logs (`redact`). A paste the intake would accept must never
slip past the other two because of a line break, a space or a zero-width character inside it.
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from enum import Enum

from core.errors import ChatSafeError

__all__ = [
    "CREDENTIAL_PREFIX", "Credential", "CredentialRejected", "Kind", "classify", "find_embedded", "fingerprint",
    "normalise", "redact",
]

CREDENTIAL_PREFIX = "sk-ant-"  # every Anthropic credential family starts with it
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
# Characters a rich-text client or a terminal slips into a paste without anyone seeing them. The
# intake drops them together with every whitespace character (str.isspace).
INVISIBLE = "\u200b\u200c\u200d\u2060\ufeff"
_GAP = rf"[\s{INVISIBLE}]"
# The same gaps once a library has escaped the text for its log line: JSON (`\\n`, `\\u200b`,
# any depth), a form or URL body (`%0A`, `+`, `%E2%80%8B`, `%5Cn` for JSON inside a form).
_BACKSLASH = r"(?:\\|%5[cC])+"
_ESCAPED_GAP = (_GAP + rf"|{_BACKSLASH}(?:[nrtf]|u(?:200[bBcCdD]|2060|[fF][eE][fF][fF]|00[aA]0|0020))"
                r"|%(?:0[9aAcCdD]|20|[eE]2%80%8[bBcCdD]|[eE]2%81%[aA]0|[eE][fF]%[bB][bB]%[bB][fF]|[cC]2%[aA]0)|\+")
_ESCAPED_DASH = rf"%2[dD]|{_BACKSLASH}u002[dD]"
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


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
    def parse(text: str) -> Kind:
        """Accept the spellings users type: api-key, apikey, api_key, setup-token, token."""
        key = text.strip().lower().replace("_", "-")
        if key in {"api-key", "apikey", "api", "key"}:
            return Kind.API_KEY
        if key in {"setup-token", "setuptoken", "token", "oat"}:
            return Kind.SETUP_TOKEN
        raise ValueError(f"unknown credential type {text!r}: use api-key or setup-token")


class CredentialRejected(ChatSafeError, ValueError):
    """Raised with a message that is safe to show: it never contains the pasted value."""

    title = "Not stored"
    code = "rejected"


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


def _without_gaps(text: str) -> str:
    return "".join(ch for ch in text if not ch.isspace() and ch not in INVISIBLE)


def normalise(text: str) -> str:
    """Remove every whitespace character (spaces, tabs, line breaks from wrapped pastes), the
    invisible characters of a rich-text paste and the quotes or backticks a chat client may have
    wrapped around the paste."""
    compact = _without_gaps(text)
    for quote in ("```", "`", '"', "'"):
        if len(compact) > 2 * len(quote) and compact.startswith(quote) and compact.endswith(quote):
            compact = compact[len(quote):-len(quote)]
    return compact


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
    elif value.startswith(CREDENTIAL_PREFIX):
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


_LONGEST = 512  # characters after `sk-ant-` a spread-out match looks at, far beyond any credential


def _spread(gap: str, dash: str = "-") -> re.Pattern[str]:
    """`sk-ant-` and a body, with any run of `gap` between any two characters (the intake ignores
    them) and `dash` wherever a "-" may stand. The body is bounded (credentials are ~110
    characters) so that a text full of prefixes costs linear time."""
    between = f"(?:{gap})*"
    prefix = between.join(["s", "k", f"(?:{dash})", "a", "n", "t", f"(?:{dash})"])
    return re.compile(f"{prefix}(?:{between}(?:[A-Za-z0-9_]|{dash})){{1,{_LONGEST}}}")


_SPREAD = _spread(_GAP)
_SPREAD_ESCAPED = _spread(_ESCAPED_GAP, f"-|{_ESCAPED_DASH}")
_PIECES = re.compile(f"(?P<gap>(?:{_GAP})+)|[^\\s{INVISIBLE}]+")


def _least_length(value: str) -> int:
    """The shortest credential of this family the intake accepts."""
    return MIN_SETUP_TOKEN_LENGTH if value.startswith(SETUP_TOKEN_PREFIX) else MIN_API_KEY_LENGTH


def _credential_in(span: str) -> tuple[str | None, int]:
    """The credential a spread-out match stands for, joined back as the intake would join it, and
    how much of `span` it took.

    Invisible characters and line breaks (a wrapped paste) are looked through, up to the next
    `sk-ant-` or, once the credential is long enough to be whole, a blank line. A space is looked
    through only while what came before is too short to be a whole credential: a space inside a
    paste still counts, the words after a complete token do not become part of it. When only
    words joined across spaces would make the match long enough (`sk-ant-oat01- is the prefix`),
    just its part before the first space is considered."""
    value, end = "", 0
    before_spaces: tuple[str, int] | None = None
    for piece in _PIECES.finditer(span):
        gap = piece.group("gap")
        if gap is None:
            value, end = value + piece.group(0), piece.end()
            continue
        if span.startswith("sk-ant-", piece.end()):
            break
        breaks, whole = len(_LINE_BREAK.findall(gap)), len(value) >= _least_length(value)
        if breaks > 1 and whole:
            break
        if breaks == 0 and any(ch.isspace() for ch in gap):
            if whole:
                break
            before_spaces = before_spaces or (value, end)
    if before_spaces is not None and len(value) < _least_length(value):
        value, end = before_spaces
    match = _EMBEDDED.match(value)
    return (match.group(0) if match else None), max(end, 1)


def find_embedded(text: str) -> list[str]:
    """Fingerprints of the credentials inside a message, however the paste was wrapped or spread."""
    found, at = set(), 0
    while (match := _SPREAD.search(text, at)) is not None:
        value, used = _credential_in(match.group(0))
        if value:
            found.add(value)
        at = match.start() + used
    return sorted(fingerprint(v) for v in found)


def redact(text: str, replacement: str) -> str:
    """`text` with everything from an `sk-ant-` prefix through the last character that could still
    belong to the credential replaced, looking through line breaks, spaces, invisible characters and
    their JSON- and percent-escaped forms. Deliberately greedy (a log line may lose a few words
    after a credential): even a truncated or malformed paste is secret."""
    return _SPREAD_ESCAPED.sub(replacement, text)
