"""`cache`: prompt-caching settings (`cacheRetention`) the way the provider guide describes them.

Writes go through `openclaw config set` so OpenClaw validates and backs up its own file. Values are
checked here first, because OpenClaw's schema accepts any `params` (a typo would only be warned
about at run time). `long` needs the `extended-cache-ttl-2025-04-11` beta header, which today's
OpenClaw sends only when it is listed in `params.anthropicBeta`, so it is merged in.
"""
from __future__ import annotations

from core.gateway.runner import GatewayError
from core.grammar import Command
from core.handlers.deps import Deps
from core.registry import handles_verb
from core.replies import Field, Reply, Section, Severity
from core.requests import Request

LEGACY = {"5m": "short", "1h": "long"}
RETENTIONS = ("none", "short", "long")
EXTENDED_TTL_BETA = "extended-cache-ttl-2025-04-11"


def params_path(model: str, agent: str | None) -> str:
    if agent:
        return f"agents.entries.{agent}.params"
    return f'agents.defaults.models["{model}"].params'


@handles_verb("cache")
def handle(deps: Deps, request: Request, command: Command) -> Reply:
    config = deps.gateway.config()
    agent_flag = command.flag("agent")
    agent = deps.gateway.require_agent(agent_flag) if isinstance(agent_flag, str) else None
    model = command.arg("model") or config.default_model(agent)
    if not model or "/" not in model:
        return Reply.error("Which model?",
                           f"`{model or '(none)'}` is not a model ref like `anthropic/claude-opus-4-6`.")
    retention = command.arg("retention")
    if retention is None:
        return _show(deps, model, agent)
    notes = []
    if retention in LEGACY:
        notes.append(f"`{retention}` is the legacy cacheControlTtl spelling; "
                     f"saved as cacheRetention `{LEGACY[retention]}`.")
        retention = LEGACY[retention]
    if not model.startswith("anthropic/"):
        notes.append("Prompt caching settings apply to Anthropic models only.")
    current = config.cache_params(model, agent)
    values: dict[str, object] = {f"{params_path(model, agent)}.cacheRetention": retention}
    if retention == "long" and EXTENDED_TTL_BETA not in current.anthropic_beta:
        values[f"{params_path(model, agent)}.anthropicBeta"] = [*current.anthropic_beta, EXTENDED_TTL_BETA]
        notes.append(f"Added the `{EXTENDED_TTL_BETA}` beta header that 1-hour caching needs.")
    if current.cache_control_ttl:
        notes.append(f"Legacy cacheControlTtl `{current.cache_control_ttl}` is still set; "
                     "cacheRetention takes precedence.")
    deps.gateway.config_set(values)
    deps.store.audit(request.user.key, "cache", "set", agent=agent or "", detail=f"{model} cacheRetention={retention}")
    after = deps.gateway.config().cache_params(model, agent)
    notes.extend(_subscription_warning(deps, agent))
    return Reply(
        title=f"Prompt caching for {model}: {after.effective}",
        text="\n".join(notes),
        sections=[Section("Saved", fields=[Field("Scope", f"agent {agent}" if agent else "all agents (defaults)"),
                                           Field("cacheRetention", str(after.cache_retention)),
                                           Field("anthropicBeta", ", ".join(after.anthropic_beta) or "—")],
                          severity=Severity.OK)],
        severity=Severity.OK,
    )


def _show(deps: Deps, model: str, agent: str | None) -> Reply:
    config = deps.gateway.config()
    fields = [Field("defaults", config.cache_params(model).effective
                    or "default (short with an API key, none with a setup-token)")]
    for name in config.agents():
        own = config.cache_params(model, name)
        if own != config.cache_params(model):
            fields.append(Field(f"agent {name}", own.effective or "default"))
    return Reply(title=f"Prompt caching for {model}", sections=[Section("cacheRetention", fields=fields)],
                 text="Set with `cache [model] none|short|long` (legacy 5m|1h accepted).")


def _subscription_warning(deps: Deps, agent: str | None) -> list[str]:
    """Subscription (setup-token) auth ignores cache settings: say so when that is all an agent has."""
    agents = [agent] if agent else deps.gateway.agents()
    only_tokens = []
    for name in agents:
        snap = deps.gateway.cached(name)
        if snap is None:
            try:
                snap = deps.gateway.status(name)
            except GatewayError:
                continue
        types = {p.type for p in snap.profiles()}
        if types and types <= {"token", "oauth"}:
            only_tokens.append(name)
    if not only_tokens:
        return []
    return [f"⚠️ Agent(s) {', '.join(only_tokens)} only have setup-token (subscription) auth, which ignores "
            "cache settings: caching applies with an Anthropic API key."]
