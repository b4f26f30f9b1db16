"""The one line `status` and `doctor` show about plaintext credentials, cheap enough for every status.

`openclaw secrets audit` costs seconds, so neither runs it: the env keys in openclaw.json are read
live (the audit misses them anyway), and the auth stores' count is the one `secure` cached.
"""
from __future__ import annotations

from core.gateway.client import Gateway
from core.gateway.runner import GatewayError
from core.secure.migration import cached_plaintext_count
from core.store import Store

__all__ = ["plaintext_summary"]


def plaintext_summary(gateway: Gateway, store: Store) -> str:
    """"plaintext credentials: N (…). Run `secure` …", or "" when none is known."""
    try:
        keys = gateway.config().plaintext_env_keys()
    except GatewayError:
        keys = []
    audited = cached_plaintext_count(store) or 0
    count = len(keys) + audited
    if not count:
        return ""
    parts = [", ".join(keys) + " in openclaw.json"] if keys else []
    if audited:
        parts.append(f"{audited} in auth stores (last audit)")
    return f"plaintext credentials: {count} ({'; '.join(parts)}). Run `secure` to move them into the vault."
