"""`status`: every agent's profiles, health, expiry and cooldowns, from the snapshot cache."""
from __future__ import annotations

from core.access import Role
from core.actions import ActionId
from core.durations import humanize
from core.gateway.runner import GatewayError
from core.gateway.signals import kind_failovers, stuck_cooldowns
from core.gateway.status import AgentStatus, Profile, now_ms
from core.grammar import Command
from core.handlers.alerts import open_incidents_section
from core.handlers.deps import Deps
from core.provider_scope import managed, outside_advice, uses_managed
from core.registry import handles_action, handles_verb
from core.replies import Action, Field, Reply, Section, Severity, Visibility
from core.requests import Request
from core.secure.summary import plaintext_summary


@handles_verb("status")
def handle(deps: Deps, request: Request, command: Command) -> Reply:
    agent = command.arg("agent")
    fresh = bool(command.flag("fresh"))
    if fresh and deps.policy.role_of(request.user) < Role.OPERATOR:
        return Reply.error("Not allowed", "`status --fresh` asks the gateway now and needs the operator role; "
                           f"you are {deps.policy.role_of(request.user).label}.",
                           hint="`status` shows the latest snapshot.",
                           code="denied")
    agents = [deps.gateway.require_agent(agent)] if agent else deps.gateway.agents()
    wait = deps.fresh_reads.wait_s() if fresh else 0.0
    results = _statuses(deps, request, agents, fresh=fresh and not wait)
    reply = render(deps, results, show_all=bool(command.flag("all")) or bool(agent))
    if wait:
        reply.context += (f" · --fresh is limited to one read every {humanize(deps.fresh_reads.interval_s)}:"
                          f" this is the snapshot (fresh again in {humanize(max(wait, 1))})")
    if not command.flag("private") and not reply.failed:
        reply.visibility = Visibility.IN_CHANNEL
    return reply


@handles_action(ActionId.STATUS_ALL, Role.VIEWER)
def act_all(deps: Deps, request: Request, value: str) -> Reply:
    return render(deps, _statuses(deps, request, deps.gateway.agents()), show_all=True)


def _statuses(deps: Deps, request: Request, agents: list[str], *,
              fresh: bool = False) -> dict[str, AgentStatus | GatewayError]:
    """The snapshots, saying so when they must come from the CLI (seconds per agent): the store
    reader cannot serve them (an unknown release) and there is no current CLI snapshot."""
    if any(deps.gateway.cached(a) is None for a in agents):
        request.progress.step(f"Asking the gateway for the status of {len(agents)} agent(s)")
    return deps.gateway.statuses(agents, fresh=fresh)


def profile_state(snap: AgentStatus, profile: Profile, at_ms: int) -> tuple[Severity, str]:
    """The profile's health in one phrase, with time left computed from `until`/`expires`."""
    unusable = snap.unusable_for(profile.id, at_ms)
    if unusable:
        left = humanize(unusable.remaining_ms(at_ms) / 1000)
        sev = Severity.ERROR if unusable.kind == "disabled" else Severity.WARNING
        text = f"{unusable.kind} ({unusable.reason or 'unknown'}), {left} left"
        if unusable.recovery_hint:
            text += f" — {unusable.recovery_hint}"
        return sev, text
    if profile.expires_at:
        left_s = (profile.expires_at - at_ms) / 1000
        if left_s <= 0:
            return Severity.ERROR, "expired — paste a fresh setup-token (`paste-token`)"
        if left_s * 1000 < snap.warn_after_ms or profile.status == "expiring":
            return Severity.WARNING, f"expiring in {humanize(left_s)}"
    if profile.status in ("expired", "missing"):
        return Severity.ERROR, profile.status
    return Severity.OK, "ok"


def describe_profile(deps: Deps, snap: AgentStatus, profile: Profile, at_ms: int) -> tuple[Severity, Field]:
    severity, state = profile_state(snap, profile, at_ms)
    if not managed(profile.provider):  # shown, but the bot cannot act on it: never "needs attention"
        severity = Severity.OK if severity is Severity.OK else Severity.INFO
    kind = {"token": "setup-token", "api_key": "API key"}.get(profile.type, profile.type)
    parts = [kind]
    if profile.ref_id:
        info = deps.vault.describe_ref(profile.ref_id)
        parts.append(f"vault {info}" if info else f"exec ref {profile.ref_id} (not in this bot's vault)")
    else:
        parts.append(profile.source)
    if profile.expires_at:
        parts.append(f"expires in {humanize((profile.expires_at - at_ms) / 1000)}" if profile.expires_at > at_ms
                     else "expired")
    if not profile.local:
        parts.append(f"inherited from {deps.gateway.agents()[0]}")
    if not managed(profile.provider):
        parts.append("read-only (managed with OpenClaw)")
    return severity, Field(profile.id, f"{state} · " + " · ".join(parts))


def agent_section(deps: Deps, snap: AgentStatus, at_ms: int) -> Section:
    fields: list[Field] = []
    severities: list[Severity] = []
    for profile in snap.profiles():
        sev, f = describe_profile(deps, snap, profile, at_ms)
        fields.append(f)
        severities.append(sev)
    lines = [f"model {snap.default_model or 'not set'}"
             + (f" → fallbacks {', '.join(snap.fallbacks)}" if snap.fallbacks else "")]
    for provider in snap.exhausted_providers(at_ms):
        if managed(provider):
            severities.append(Severity.ERROR)
            lines.append(f"⛔ No available auth profile for {provider}: every profile is in cooldown or disabled.")
        else:
            severities.append(Severity.INFO)
            lines.append(f"ℹ️ Every {provider} profile is in cooldown or disabled (OpenClaw manages {provider}).")
    for stuck in stuck_cooldowns(snap):
        severities.append(Severity.ERROR)
        lines.append(f"⛔ {stuck['profile']}: {stuck['hint']}")
    for failover in kind_failovers(snap, at_ms):
        severities.append(Severity.WARNING)
        lines.append(f"⚠️ Failover: {failover['message']}")
    for provider in snap.missing_providers:
        if managed(provider):
            severities.append(Severity.ERROR)
            lines.append(f"⛔ No credentials for {provider}: run `onboard {snap.agent}`.")
        else:
            severities.append(Severity.INFO)
            lines.append(f"ℹ️ No credentials for {provider}, which this agent's models use. "
                         + outside_advice(provider, snap.agent))
    if not any(managed(p.provider) for p in snap.profiles()):
        if uses_managed(snap):
            severities.append(Severity.ERROR)
            lines.append(f"{'No auth profiles' if not snap.profiles() else 'No Anthropic auth profile'}. "
                         f"Run `onboard {snap.agent}`.")
        elif snap.missing_providers:  # nothing usable at all: onboarding Anthropic is what the bot can do
            severities.append(Severity.WARNING)
            lines.append(f"⚠️ No Anthropic auth profile; `onboard {snap.agent}` adds one.")
        else:
            lines.append(f"No Anthropic auth profile; `onboard {snap.agent}` adds one.")
    elif not uses_managed(snap):
        lines.append(f"The gateway uses Anthropic profiles only for anthropic/… models; this agent runs "
                     f"{snap.default_model or 'another provider'}.")
    model = snap.default_model
    if model.startswith("anthropic/"):
        retention = deps.gateway.config().cache_params(model, snap.agent).effective
        lines.append(f"prompt cache: {retention or 'default (short with an API key)'}")
    return Section(title=f"Agent {snap.agent}", text="\n".join(lines), fields=fields,
                   severity=Severity.worst(severities))


def render(deps: Deps, results: dict[str, AgentStatus | GatewayError], *, show_all: bool) -> Reply:
    at = now_ms()
    sections: list[Section] = []
    failures = 0
    for agent, res in results.items():
        if isinstance(res, GatewayError):
            failures += 1
            sections.append(Section(f"Agent {agent}", f"status unavailable: {res}", severity=Severity.ERROR))
        else:
            sections.append(agent_section(deps, res, at))
    actions: list[Action] = []
    healthy = [s for s in sections if s.severity in (Severity.OK, Severity.INFO)]
    if not show_all and len(sections) > deps.options.large_fleet and healthy:
        sections = [s for s in sections if s not in healthy]
        sections.insert(0, Section("Healthy agents", ", ".join(s.title.removeprefix("Agent ") for s in healthy),
                                   severity=Severity.OK))
        actions.append(Action(ActionId.STATUS_ALL, "Show all"))
    snaps = [r for r in results.values() if isinstance(r, AgentStatus)]
    oldest = min((s.taken_at_ms for s in snaps), default=at)
    severity = Severity.worst([s.severity for s in sections])
    title = "OpenClaw auth status" + ("" if severity in (Severity.OK, Severity.INFO) else " — needs attention")
    context = f"snapshot {humanize((at - oldest) / 1000)} old · {len(results)} agent(s)"
    slow = next((s.slow_path for s in snaps if s.slow_path), "")
    if slow:
        context += f" · slow path (`openclaw models status`): {slow}"
    if deps.alerts is not None and (incidents := deps.alerts.open_incidents()):
        sections.append(open_incidents_section(incidents))
    plaintext = plaintext_summary(deps.gateway, deps.store)
    if plaintext:
        sections.append(Section("Plaintext credentials", plaintext, severity=Severity.WARNING))
        severity = Severity.worst([severity, Severity.WARNING])
    return Reply(title=title, sections=sections, severity=severity, actions=actions, context=context,
                 failed=failures == len(results) and failures > 0)
