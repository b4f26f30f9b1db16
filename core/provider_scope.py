"""Which provider's credentials this bot manages, and what to say about the others.

OpenClaw agents can use any provider's models (2026.9.6 defaults to `openai/gpt-6-astra` when no
model is configured), but `onboard`, `paste-token` and the vault handle Anthropic credentials only.
Other providers' profiles are shown read-only, their gaps are reported with OpenClaw's own command
for them, and they do not count towards "needs attention": the overall health is what the bot
can act on.
"""
from __future__ import annotations

from core.gateway.status import AgentStatus

__all__ = ["TOKEN_AUTH_NOTE", "managed", "outside_advice", "uses_managed"]

MANAGED_PROVIDER = "anthropic"


def managed(provider: str) -> bool:
    """True for the provider this bot onboards; profiles without a provider count as ours."""
    return provider in (MANAGED_PROVIDER, "")


def uses_managed(snap: AgentStatus) -> bool:
    """Does the agent's default or a fallback model run on Anthropic?"""
    return any(m.startswith(f"{MANAGED_PROVIDER}/") for m in (snap.default_model, *snap.fallbacks))


def outside_advice(provider: str, agent: str) -> str:
    return (f"This bot onboards Anthropic credentials only; add {provider} with OpenClaw: "
            f"`openclaw models auth paste-api-key --provider {provider} --agent {agent}` "
            f"(or `openclaw onboard` for its sign-in).")


# OpenClaw's Anthropic provider page: token auth expires and can be revoked; an API key is the
# recommendation for new setups. Setup-tokens stay fully supported here.
TOKEN_AUTH_NOTE = ("Anthropic token auth (setup-tokens) can expire and can be revoked, so an API key is "
                   "recommended for new setups; setup-tokens stay fully supported.")
