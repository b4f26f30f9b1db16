"""The seam between the bot and its chat adapters: what an adapter is, and what it is handed.

`bot/` builds the running parts and starts the adapters it finds configured; an adapter imports
core and its platform's library, never `bot/`. So the launcher may import every adapter without
a package cycle, and a new platform needs nothing from `bot/` but a line in its list of adapters.
"""
from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:  # types only: the settings parser imports `ConfigError` and must not load the dispatcher
    from core.alerts.outbox import Notifier
    from core.chatops import ChatOps

__all__ = ["Adapter", "AdapterParts", "ConfigError", "Notes"]


class ConfigError(ValueError):
    """A setting that cannot be used, said in one line that names it. Raised before anything
    connects; the command line prints it and exits 2 (the bot's own settings raise it too)."""


class Notes(Protocol):
    """A few small values an adapter keeps across restarts (the Discord command tree's digest),
    in the bot's own store."""

    def get(self, key: str, default: Any = None) -> Any: ...

    def put(self, key: str, value: Any) -> None: ...


class AdapterParts(Protocol):
    """What the running bot hands an adapter's `start`: the dispatcher, the raw settings (each
    adapter parses its own), and the two registrations an adapter makes."""

    @property
    def chatops(self) -> ChatOps: ...

    @property
    def env(self) -> Mapping[str, str]: ...

    @property
    def notes(self) -> Notes: ...

    def add_notifier(self, platform: str, notifier: Notifier) -> None:
        """How this platform carries team alerts (post, edit in place, follow-up)."""

    def watch_connection(self, adapter: str, connected: Callable[[], bool]) -> None:
        """The question the health file asks of the adapter at every write: am I connected?"""


class Adapter(Protocol):
    """A chat adapter as the launcher sees it; each adapter's `app` module is one."""

    name: str

    def configured(self, env: Mapping[str, str]) -> bool:
        """Whether the settings name this platform (its token is set); cheap, no connection."""

    def start(self, parts: AdapterParts) -> int:
        """Run until stopped; the exit status. Raises `ConfigError` for a setting it cannot use."""
