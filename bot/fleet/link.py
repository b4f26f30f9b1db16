"""One NATS connection on its own asyncio loop, for a bot whose other threads are synchronous.

The chat adapters and handlers run in threads (Bolt's, discord.py's executor, the watcher), and
nats-py is asyncio: this module owns one loop in a daemon thread and lets those threads call it
and wait with a deadline. The connection keeps trying while the broker is away (at start too: a
host must keep watching its gateway with the broker down and publish once it is back).
"""
from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any, TypeVar

import nats
from nats.aio.client import Client

log = logging.getLogger(__name__)
T = TypeVar("T")
RETRY_S = 0.5  # between connection attempts while the broker is away
SETUP_RETRY_S = 2.0  # between attempts at a failed first-connection setup (each logs a warning)


class NatsLink:
    def __init__(self, url: str, *, user: str, password: str, name: str, inbox_prefix: str) -> None:
        self.url = url
        self.user = user
        self.password = password
        self.name = name
        self.inbox_prefix = inbox_prefix
        self.loop = asyncio.new_event_loop()
        self.nc: Client | None = None
        self._on_connect: list[Callable[[Client], Awaitable[None]]] = []
        self._thread = threading.Thread(target=self.loop.run_forever, name=f"nats-{name}", daemon=True)
        self._stopping = False
        self._ready = threading.Event()  # set once connected and set up

    # -- lifecycle -------------------------------------------------------------------------------
    def on_connect(self, setup: Callable[[Client], Awaitable[None]]) -> None:
        """Run `setup(nc)` once the first connection is up (subscriptions, streams). nats-py
        restores subscriptions itself after a reconnect."""
        self._on_connect.append(setup)

    def start(self) -> None:
        """Start the loop and begin connecting; returns at once (`connected` says when it is up)."""
        self._thread.start()
        self.submit(self._connect())

    def stop(self) -> None:
        self._stopping = True
        if self.nc is not None:
            try:
                self.call(self.nc.close(), timeout=5)
            except Exception:  # noqa: BLE001 - closing a dead connection may fail; we are leaving anyway
                log.debug("closing the NATS connection failed", exc_info=True)
        try:
            self.call(self._cancel_tasks(), timeout=5)
        except Exception:  # noqa: BLE001 - the loop may be gone already; nothing left to stop then
            log.debug("cancelling the link's tasks failed", exc_info=True)
        self.loop.call_soon_threadsafe(self.loop.stop)

    async def _cancel_tasks(self) -> None:
        """End the loops started on this link (the event pump's), so stopping is quiet and clean."""
        me = asyncio.current_task()
        tasks = [t for t in asyncio.all_tasks() if t is not me]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    @property
    def connected(self) -> bool:
        return self.nc is not None and self.nc.is_connected

    async def _connect(self) -> None:
        while not self._stopping:
            try:
                self.nc = await nats.connect(
                    self.url, user=self.user, password=self.password, name=self.name,
                    inbox_prefix=self.inbox_prefix, allow_reconnect=True, max_reconnect_attempts=-1,
                    reconnect_time_wait=RETRY_S, connect_timeout=2, error_cb=self._error,
                    disconnected_cb=self._disconnected, reconnected_cb=self._reconnected)
                break
            except Exception as exc:  # noqa: BLE001 - keep trying: the broker may come up later
                log.warning("NATS at %s not reachable (%s); retrying", self.url, type(exc).__name__)
                await asyncio.sleep(RETRY_S)
        else:
            return
        log.info("connected to NATS at %s as %s", self.url, self.user)
        for setup in self._on_connect:
            await self._set_up(setup, self.nc)
        self._ready.set()

    async def _set_up(self, setup: Callable[[Client], Awaitable[None]], nc: Client) -> None:
        """Run one setup until it succeeds: it runs only on the first connection, so one that failed
        (the broker died right after we connected, JetStream not enabled yet) would otherwise leave
        this process without its subscription or event stream until it is restarted."""
        while not self._stopping:
            try:
                await setup(nc)
                return
            except Exception as exc:  # noqa: BLE001 - the broker's answer, whatever it is, may differ next time
                log.warning("NATS setup %s failed (%s: %s); retrying", getattr(setup, "__qualname__", setup),
                            type(exc).__name__, exc)
                await asyncio.sleep(SETUP_RETRY_S)

    def wait_ready(self, timeout: float) -> bool:
        """Wait (at most `timeout`) for the first connection and its setup; False if not there yet."""
        return self._ready.wait(timeout)

    async def _error(self, exc: Exception) -> None:
        log.warning("NATS: %s", exc)

    async def _disconnected(self) -> None:
        if not self._stopping:
            log.warning("NATS connection lost; reconnecting")

    async def _reconnected(self) -> None:
        log.info("NATS connection back")

    # -- calling the loop from other threads ---------------------------------------------------
    def submit(self, coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
        return asyncio.run_coroutine_threadsafe(coro, self.loop)

    def call(self, coro: Coroutine[Any, Any, T], *, timeout: float) -> T:
        """Run `coro` on the loop and wait for it (at most `timeout`: TimeoutError)."""
        future = self.submit(coro)
        try:
            return future.result(timeout)
        except concurrent.futures.TimeoutError:
            future.cancel()
            raise TimeoutError(f"no result within {timeout:g} s") from None
