"""Wiring: settings in, a ready `ChatOps` (with its gateway, vault and store) out.

Also installs the exec resolver wrapper that OpenClaw runs. OpenClaw requires the command to be an
absolute path to a regular file (not a symlink), owned by the gateway user and not writable by
group or others; a virtualenv's `python` is usually a symlink, so the bot writes a small shell
script of its own (0700) that execs this interpreter on `bot.resolve` with the vault paths.
"""
from __future__ import annotations

import logging
import shlex
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from bot.settings import Settings
from core.access import Policy
from core.alerts.center import AlertCenter
from core.alerts.outbox import Notifier, Outbox
from core.alerts.watcher import Watcher
from core.chatops import ChatOps
from core.fsutil import atomic_write
from core.gateway.client import Gateway
from core.gateway.plans import ExecProvider
from core.gateway.runner import CliRunner
from core.handlers.deps import Deps, Options
from core.secrets.anthropic_check import Prober
from core.secrets.vault import Vault
from core.secrets.vault_keys import KEY_ENV, PREVIOUS_KEYS_ENV, key_source
from core.store import Store

if TYPE_CHECKING:
    from bot.health import Health
    from core.alerts.sink import AlertSink

PACKAGE_ROOT = Path(__file__).resolve().parent.parent


def resolver_script(settings: Settings) -> str:
    q = shlex.quote
    return (
        "#!/bin/sh\n"
        "# Exec SecretRef resolver for OpenClaw, written by openclaw-chatops. Do not edit: it is\n"
        "# rewritten when settings change. It decrypts one vault record per requested id.\n"
        f"PYTHONPATH={q(str(PACKAGE_ROOT))} exec {q(sys.executable)} -m bot.resolve "
        f"--vault {q(str(settings.vault_path))} --key-file {q(str(settings.vault_key_file))}\n"
    )


def install_resolver(settings: Settings) -> Path:
    """Write the wrapper when missing or stale; OpenClaw's path checks must pass on it."""
    path = settings.resolver_path
    text = resolver_script(settings).encode()
    if not path.exists() or path.read_bytes() != text or path.stat().st_mode & 0o077:
        atomic_write(path, text, 0o700)
    return path


def exec_provider(settings: Settings) -> ExecProvider:
    # Both names whenever the key is in the environment: during a key rotation the resolver needs
    # the previous keys as well, and naming a variable the gateway does not have is harmless.
    pass_env = (KEY_ENV, PREVIOUS_KEYS_ENV) if settings.vault_key else ()
    return ExecProvider(settings.resolver_provider, str(install_resolver(settings)), pass_env=pass_env)


def resolver_env(settings: Settings, provider: ExecProvider) -> dict[str, str]:
    """What the resolver reads through `passEnv` when OpenClaw runs it for the bot's own calls.
    Taken from the settings, not the process environment: a key set only in `.env` must reach it,
    and during a key rotation the previous keys must too, or records not yet re-encrypted fail."""
    known = {KEY_ENV: settings.vault_key or "", PREVIOUS_KEYS_ENV: settings.vault_previous_keys or ""}
    return {name: known[name] for name in provider.pass_env if known.get(name)}


class ChatSideParts:
    """What every running process with chat adapters hands them (`core.adapter.AdapterParts`):
    `run`'s `Components` and a fleet hub's `HubParts` both carry these attributes."""

    settings: Settings
    store: Store
    alerts: AlertCenter
    health: Health | None

    @property
    def env(self) -> Mapping[str, str]:
        """The raw settings: each adapter parses its own."""
        return self.settings.raw

    @property
    def notes(self) -> Store:
        return self.store

    def add_notifier(self, platform: str, notifier: Notifier) -> None:
        """Adapters register how they deliver alerts (post, edit in place, thread follow-up); then
        alerts a previous run saved but did not deliver to this platform go out."""
        self.alerts.add_notifier(platform, notifier)

    def watch_connection(self, adapter: str, connected: Callable[[], bool]) -> None:
        """An adapter's connection probe, asked at every health write (none until health runs)."""
        if self.health is not None:
            self.health.watch(adapter, connected)


@dataclass
class Components(ChatSideParts):
    """The running bot's parts; to the chat adapters, their `core.adapter.AdapterParts`."""

    settings: Settings
    chatops: ChatOps
    gateway: Gateway
    vault: Vault
    store: Store
    alerts: AlertCenter
    watcher: Watcher
    health: Health | None = None  # set by `run` (bot/health.py); see `watch_connection`


def build(settings: Settings, *, policy: Policy | None = None,
          sink_for: Callable[[Store], AlertSink] | None = None) -> Components:
    """The bot's parts. A fleet host (`bot/fleet/host_process.py`) passes the hub-trusting policy
    and the sink its watcher reports to (the event journal) instead of the local alert center."""
    logging.basicConfig(level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    settings.chatops_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    provider = exec_provider(settings)
    runner = CliRunner(settings.openclaw_bin, settings.state_dir, timeout=settings.cli_timeout_s,
                       base_env=settings.raw, resolver_env=resolver_env(settings, provider))
    gateway = Gateway(runner, provider, plan_dir=settings.chatops_dir / "plans",
                      max_age_s=settings.snapshot_max_age_s)
    vault = Vault(settings.vault_path,
                  key_source(settings.vault_key, settings.vault_previous_keys, settings.vault_key_file, create=True))
    store = Store(settings.state_db)
    prober = Prober(settings.anthropic_base_url) if settings.probe else None
    alerts = AlertCenter(store, Outbox({}), flap_window_s=settings.flap_window_s)
    sink = sink_for(store) if sink_for is not None else alerts
    watcher = Watcher(gateway, sink, poll_s=settings.watch_poll_s, retry_s=settings.watch_interval_s,
                      resync_s=settings.watch_resync_s, expiry_lead_s=settings.expiry_lead_s,
                      unreachable_after=settings.unreachable_after)
    deps = Deps.wire(gateway, vault, store, policy or settings.policy, rollback_window_s=settings.rollback_window_s,
                     prober=prober, alerts=alerts if sink_for is None else None,
                     options=Options(session_ttl_s=settings.session_ttl_s, store_unverified=settings.store_unverified,
                                     burned_notice=settings.burned_notice))
    chatops = ChatOps(deps)
    watcher.housekeeping = deps.housekeeping.run
    return Components(settings, chatops, gateway, vault, store, alerts, watcher)
