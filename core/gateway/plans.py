"""`openclaw secrets apply` plans: the only way the bot writes a credential into OpenClaw.

A plan carries SecretRefs (`{source:"exec", provider, id}`) and the exec provider definition, never
a secret value, so plan files are safe to keep for debugging.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

__all__ = ["ExecProvider", "Plan", "ProfileTarget"]

TARGET_TYPES = {"token": ("auth-profiles.token.token", "token"), "api_key": ("auth-profiles.api_key.key", "key")}


@dataclass(frozen=True)
class ExecProvider:
    """The resolver definition OpenClaw stores under `secrets.providers.<name>`."""

    name: str
    command: str
    args: tuple[str, ...] = ()
    pass_env: tuple[str, ...] = ()
    timeout_ms: int = 5000

    def upsert(self) -> dict[str, Any]:
        body: dict[str, Any] = {"source": "exec", "command": self.command, "timeoutMs": self.timeout_ms}
        if self.args:
            body["args"] = list(self.args)
        if self.pass_env:
            body["passEnv"] = list(self.pass_env)
        return body


@dataclass(frozen=True)
class ProfileTarget:
    agent: str
    profile_id: str
    mode: str  # "token" | "api_key"
    ref_id: str
    provider: str = "anthropic"


@dataclass
class Plan:
    provider: ExecProvider
    targets: list[ProfileTarget] = field(default_factory=list)
    # Refs for `models.providers.anthropic.apiKey`. Only `secure` uses one, briefly: beside profiles
    # it shadows them (REF_SHADOWED), but writing it makes OpenClaw scrub a shared-store plaintext.
    provider_key_refs: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: list[dict[str, Any]] = []
        for t in self.targets:
            target_type, leaf = TARGET_TYPES[t.mode]
            out.append({
                "type": target_type,
                "path": f"profiles.{t.profile_id}.{leaf}",
                "pathSegments": ["profiles", t.profile_id, leaf],
                "agentId": t.agent,
                "authProfileProvider": t.provider,
                "ref": {"source": "exec", "provider": self.provider.name, "id": t.ref_id},
            })
        for ref in self.provider_key_refs:
            out.append({
                "type": "models.providers.apiKey", "path": "models.providers.anthropic.apiKey",
                "pathSegments": ["models", "providers", "anthropic", "apiKey"], "providerId": "anthropic",
                "ref": {"source": "exec", "provider": self.provider.name, "id": ref},
            })
        return {"version": 1, "protocolVersion": 1,
                "providerUpserts": {self.provider.name: self.provider.upsert()}, "targets": out}
