"""Which chat adapters to start, decided by which tokens are set.

Adapters are `core.adapter.Adapter`s: the launcher asks each whether it is configured and starts
those that are; adapters import nothing from `bot/`. Each adapter's `start(parts)` blocks until it
stops, so with Slack and Discord both configured each runs in its own thread; the process ends
when all have stopped (or on Ctrl-C). Adapter modules are imported here, at `run` time, so
`console`, `resolve` and `vault` never load slack_bolt or discord.py.
"""
from __future__ import annotations

import threading
from collections.abc import Callable, Mapping

from core.adapter import Adapter, AdapterParts

Starter = Callable[[AdapterParts], int]


def known_adapters() -> list[Adapter]:
    from adapters.discord import app as discord_app
    from adapters.slack import app as slack_app

    return [slack_app, discord_app]


def configured_adapters(env: Mapping[str, str]) -> list[Adapter]:
    return [adapter for adapter in known_adapters() if adapter.configured(env)]


def chat_adapters(env: Mapping[str, str]) -> Starter | None:
    """A function that runs every configured chat adapter until stopped, or None when none is."""
    adapters = configured_adapters(env)
    if not adapters:
        return None

    def run_all(parts: AdapterParts) -> int:
        if len(adapters) == 1:
            return adapters[0].start(parts)
        codes: list[int] = []
        threads = [threading.Thread(target=lambda a=a: codes.append(a.start(parts)), name=a.name, daemon=True)
                   for a in adapters]
        for thread in threads:
            thread.start()
        try:
            for thread in threads:
                thread.join()
        except KeyboardInterrupt:
            return 130
        return max(codes, default=0)

    return run_all
