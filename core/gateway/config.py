"""Read-only view of `openclaw.json` (JSON5: comments, trailing commas, unquoted keys).

The bot reads the config file directly because OpenClaw itself treats it as a user-edited file, and
reading it costs microseconds where `openclaw config get` costs two seconds. Writes never happen
here: they go through `openclaw config set/patch` so OpenClaw's schema, backups and migrations
apply (see `client.Gateway`).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import json5

from core.gateway.runner import GatewayError

__all__ = ["CacheParams", "ConfigError", "GatewayConfig"]

DEFAULT_AGENT = "main"


class ConfigError(GatewayError):
    pass


@dataclass(frozen=True)
class CacheParams:
    cache_retention: str | None = None
    cache_control_ttl: str | None = None  # legacy spelling: 5m | 1h
    anthropic_beta: tuple[str, ...] = ()

    @property
    def effective(self) -> str | None:
        """What OpenClaw applies: cacheRetention wins; the legacy TTL maps 5m→short, 1h→long."""
        if self.cache_retention:
            return self.cache_retention
        return {"5m": "short", "1h": "long"}.get(self.cache_control_ttl or "")


@dataclass
class GatewayConfig:
    path: Path
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> GatewayConfig:
        path = Path(path)
        if not path.exists():
            return cls(path, {})
        try:
            data = json5.loads(path.read_text(encoding="utf-8"))
        except (ValueError, UnicodeDecodeError) as exc:
            raise ConfigError(f"{path} is not valid JSON5: {exc}".splitlines()[0][:300]) from exc
        if not isinstance(data, dict):
            raise ConfigError(f"{path} does not hold a JSON object.")
        return cls(path, data)

    def _get(self, *keys: str) -> Any:
        node: Any = self.data
        for key in keys:
            if not isinstance(node, dict):
                return None
            node = node.get(key)
        return node

    def agents(self) -> list[str]:
        """Configured agent ids: `agents.entries` (today), `agents.list` (legacy), else `main`."""
        ids: list[str] = []
        entries = self._get("agents", "entries")
        if isinstance(entries, dict):
            ids.extend(str(k) for k in entries)
        legacy = self._get("agents", "list")
        if isinstance(legacy, list):
            ids.extend(str(a["id"]) for a in legacy if isinstance(a, dict) and a.get("id"))
        seen: list[str] = []
        for agent in ids or [DEFAULT_AGENT]:
            if agent not in seen:
                seen.append(agent)
        if DEFAULT_AGENT not in seen:
            seen.insert(0, DEFAULT_AGENT)
        return seen

    def multi_agent(self) -> bool:
        return len(self.agents()) > 1

    def default_model(self, agent: str | None = None) -> str:
        for model in (self._get("agents", "entries", agent or "", "model"), self._get("agents", "defaults", "model")):
            if isinstance(model, str) and model:
                return model
            if isinstance(model, dict) and model.get("primary"):
                return str(model["primary"])
        return ""

    def cache_params(self, model: str, agent: str | None = None) -> CacheParams:
        """Model params from `agents.defaults.models[model].params`, overridden per agent."""
        merged: dict[str, Any] = {}
        defaults = self._get("agents", "defaults", "models", model, "params")
        if isinstance(defaults, dict):
            merged.update(defaults)
        if agent:
            own = self._get("agents", "entries", agent, "params")
            if isinstance(own, dict):
                merged.update(own)
        beta = merged.get("anthropicBeta") or ()
        betas = (beta,) if isinstance(beta, str) else tuple(str(b) for b in beta if isinstance(b, str))
        return CacheParams(merged.get("cacheRetention"), merged.get("cacheControlTtl"), betas)

    def plaintext_env_keys(self) -> list[str]:
        """Credential-looking names in `env.vars` (today's shape) and the guide's older `env` shape.

        `openclaw secrets audit` does not flag either, so the bot reports them itself."""
        found: list[str] = []
        env = self._get("env")
        if isinstance(env, dict):
            for scope, holder in (("env.vars", env.get("vars")), ("env", env)):
                if isinstance(holder, dict):
                    found.extend(f"{scope}.{k}" for k, v in holder.items()
                                 if isinstance(v, str) and k.endswith(("_API_KEY", "_TOKEN")))
        return found

    def exec_ref_ids(self, provider: str) -> set[str]:
        """Ids of every exec SecretRef to `provider` anywhere in the config (e.g. the provider-level
        `apiKey` that `secure` writes for a moment): refs OpenClaw holds outside the auth stores."""
        found: set[str] = set()
        stack: list[Any] = [self.data]
        while stack:
            node = stack.pop()
            if isinstance(node, dict):
                if node.get("source") == "exec" and node.get("provider") == provider \
                        and isinstance(node.get("id"), str):
                    found.add(node["id"])
                stack.extend(node.values())
            elif isinstance(node, list):
                stack.extend(node)
        return found
