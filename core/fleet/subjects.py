"""The NATS subjects hub and hosts speak on, named once.

Every subject a host may use carries its own name, so the broker can give each host a user whose
permissions cover only its own subjects (`core.fleet.broker_config`): host A can neither read
host B's requests nor publish what only the hub may. Replies to the hub's requests go back on the
hub's inbox through the server's `allow_responses`, never through a subject a host may name.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["EVENT_KINDS", "HOST_NAME", "STREAM", "Subjects", "check_host_name"]

# Lowercase letters, digits and dashes: a NATS token (no `.`, `*`, `>` or spaces), a Slack/Discord
# button value prefix (no `|`), and a name people type after `--host` or `@`.
HOST_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,31}$")
STREAM = "CHATOPS_EVENTS"  # JetStream stream holding every host's alert and audit events
EVENT_KINDS = ("alerts", "audit")


def check_host_name(name: str) -> str:
    """The name, or ValueError saying what a host name may hold."""
    if not HOST_NAME.match(name) or name == "hub":  # `hub` names the hub's own inbox
        raise ValueError(f"host name {name!r}: use 1-32 lowercase letters, digits and dashes, starting with a "
                         "letter or digit; not `hub`")
    return name


@dataclass(frozen=True)
class Subjects:
    """All subjects under one prefix (`CHATOPS_FLEET_PREFIX`, default `chatops`), so two fleets can
    share a broker."""

    prefix: str = "chatops"

    def command(self, host: str) -> str:
        """Hub → host requests (request/reply)."""
        return f"{self.prefix}.host.{host}.cmd"

    def progress(self, host: str, request_id: str) -> str:
        """Host → hub progress lines of one running request."""
        return f"{self.prefix}.hub.progress.{host}.{request_id}"

    def progress_all(self) -> str:
        return f"{self.prefix}.hub.progress.>"

    def heartbeat(self, host: str) -> str:
        """Host → hub: alive, with its public key and agents."""
        return f"{self.prefix}.hub.heartbeat.{host}"

    def heartbeat_all(self) -> str:
        return f"{self.prefix}.hub.heartbeat.*"

    def events(self, host: str, kind: str) -> str:
        """Host → JetStream: alert and audit events (`kind` in EVENT_KINDS)."""
        return f"{self.prefix}.events.{host}.{kind}"

    def events_all(self) -> str:
        return f"{self.prefix}.events.>"

    def stream(self) -> str:
        """The JetStream stream name for this prefix (stream names allow no dots)."""
        return STREAM if self.prefix == "chatops" else f"{STREAM}_{self.prefix.upper().replace('.', '_')}"

    def inbox(self, who: str) -> str:
        """The inbox prefix a connection uses (`who` is a host name or `hub`), so its permissions
        can name its own replies only."""
        return f"_INBOX_{self.prefix.replace('.', '_')}_{who}"
