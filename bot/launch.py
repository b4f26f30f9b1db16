"""Which chat adapters to start, decided by which tokens are set.

Each adapter registers a starter here; `run` with no tokens falls back to the console.
"""
from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import Components

Starter = Callable[["Components"], int]


def chat_adapters(settings: Settings) -> Starter | None:
    """A function that runs every configured chat adapter until stopped, or None when none is."""
    starters: list[Starter] = []
    if not starters:
        return None

    def run_all(parts: "Components") -> int:
        return max(start(parts) for start in starters)

    return run_all
