"""Which chat adapters to start, decided by which tokens are set.

Each adapter's `start(parts)` blocks until it stops, so with Slack and Discord both configured
each runs in its own thread; the process ends when all have stopped (or on Ctrl-C). Adapter
modules are imported here, at `run` time, so `console`, `resolve` and `vault` never load
slack_bolt or discord.py.
"""
from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Callable

from bot.settings import Settings

if TYPE_CHECKING:
    from bot.app import Components

Starter = Callable[["Components"], int]


def configured_starters(settings: Settings) -> list[Starter]:
    starters: list[Starter] = []
    from adapters.slack import app as slack_app

    if slack_app.configured(settings):
        starters.append(slack_app.start)
    from adapters.discord import app as discord_app

    if discord_app.configured(settings):
        starters.append(discord_app.start)
    return starters


def chat_adapters(settings: Settings) -> Starter | None:
    """A function that runs every configured chat adapter until stopped, or None when none is."""
    starters = configured_starters(settings)
    if not starters:
        return None

    def run_all(parts: "Components") -> int:
        if len(starters) == 1:
            return starters[0](parts)
        codes: list[int] = []
        threads = [threading.Thread(target=lambda s=s: codes.append(s(parts)), name=s.__module__, daemon=True)
                   for s in starters]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except KeyboardInterrupt:
            return 130
        return max(codes, default=0)

    return run_all
