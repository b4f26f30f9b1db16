"""Live auth probes: one tiny real request per profile, made by OpenClaw itself.

Why the gateway RPC and not `openclaw models status --probe`: both run OpenClaw's `runAuthProbes`,
but the CLI command never activates the secrets runtime, so every exec-ref profile (all of this
bot's) comes back `unknown` with "secret reference was not materialized by the active runtime"
(observed with 2026.9.6). The running gateway has its secrets snapshot, so `models.probe` resolves
our refs through the resolver and really calls Anthropic. Its budget is fixed by OpenClaw at 8
output tokens per profile and its timeout is clamped to 5–60 s. A probe that fails with 401 is a
real failure to OpenClaw too: it can start a cooldown on that profile.
"""
from __future__ import annotations

import json
from dataclasses import dataclass

from core.gateway.runner import CliGarbled, Runner

__all__ = ["PROBE_MAX_TOKENS", "ProbeOutcome", "probe_profiles"]

PROBE_MAX_TOKENS = 8  # fixed by OpenClaw's models.probe handler


@dataclass(frozen=True)
class ProbeOutcome:
    profile_id: str
    status: str  # ok | auth | rate_limit | billing | timeout | format | no_model | unknown
    label: str = ""
    error: str = ""
    latency_ms: int | None = None


def probe_profiles(runner: Runner, agent: str, provider: str = "anthropic", profile_id: str | None = None,
                   timeout_ms: int = 20_000) -> list[ProbeOutcome]:
    """Ask the running gateway to probe one profile, or every profile of `provider` for `agent`."""
    params: dict[str, object] = {"provider": provider, "agentId": agent, "timeoutMs": timeout_ms}
    if profile_id:
        params["profileId"] = profile_id
    # The CLI's own RPC timeout (10 s by default) must outlast the probe's, or a slow answer
    # (a 429 the gateway retries) looks like a dead gateway.
    call_timeout_ms = timeout_ms * 3 + 10_000
    doc = runner.json("gateway", "call", "models.probe", "--json", "--params", json.dumps(params),
                      "--timeout", str(call_timeout_ms), timeout=max(runner.timeout, call_timeout_ms / 1000 + 30))
    if not isinstance(doc, dict) or not isinstance(doc.get("results"), list):
        raise CliGarbled("`openclaw gateway call models.probe` returned a document without `results`.")
    return [ProbeOutcome(profile_id=str(r.get("profileId", "")), status=str(r.get("status", "unknown")),
                         label=str(r.get("label", "")), error=str(r.get("error", "")), latency_ms=r.get("latencyMs"))
            for r in doc["results"] if isinstance(r, dict)]
