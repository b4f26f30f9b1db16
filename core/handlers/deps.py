"""`Deps`: everything a handler may use, handed to it explicitly.

A handler is `(deps, request, command) -> Reply` (or `(deps, request, value)` for a button): it sees
the services below and nothing of the dispatcher that called it, so handlers import no dispatcher
and a test can hand them any gateway, vault or store it builds.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from core.access import Policy
from core.alerts.center import AlertCenter
from core.gateway.client import Gateway
from core.gateway.fresh_reads import FreshReads
from core.requests import Directories
from core.secrets.anthropic_check import Prober
from core.secrets.housekeeping import VaultHousekeeping
from core.secrets.retention import DEFAULT_ROLLBACK_WINDOW_S
from core.secrets.vault import Vault
from core.secrets.writer import CredentialWriter
from core.store import Store

__all__ = ["Deps", "Options"]


@dataclass
class Options:
    session_ttl_s: float = 600.0
    store_unverified: bool = True  # when the probe cannot reach Anthropic, store anyway?
    large_fleet: int = 8  # more agents than this: status summarises healthy ones
    burned_notice: bool = False  # also tell the alert channel when a credential is posted in a shared channel


@dataclass
class Deps:
    gateway: Gateway
    vault: Vault
    store: Store
    policy: Policy
    writer: CredentialWriter
    housekeeping: VaultHousekeeping  # run after each credential write; owns the rollback window
    options: Options = field(default_factory=Options)
    prober: Prober | None = None  # checks a pasted credential with Anthropic; None: not checked
    alerts: AlertCenter | None = None  # None when the bot runs without the alert watcher
    directories: Directories = field(default_factory=Directories)  # set by the adapters, by platform
    fresh_reads: FreshReads = field(default_factory=FreshReads)  # spaces `status --fresh` rounds

    @classmethod
    def wire(cls, gateway: Gateway, vault: Vault, store: Store, policy: Policy, *,
             rollback_window_s: float = DEFAULT_ROLLBACK_WINDOW_S, prober: Prober | None = None,
             alerts: AlertCenter | None = None, options: Options | None = None) -> Deps:
        """The services built from the ones the bot starts with: the writer and housekeeping
        work on the same gateway and vault."""
        return cls(gateway, vault, store, policy, CredentialWriter(gateway, vault),
                   VaultHousekeeping(gateway, vault, store, rollback_window_s),
                   options=options or Options(), prober=prober, alerts=alerts)
