"""`doctor`: the provider guide's troubleshooting section, applied to live state.

Each check names the symptom users search for ("No API key found for provider anthropic", …) and
says what to do from chat. Agents today read the default agent's profiles through; the guide's older
gateways did not, so the advice shows both the agent's own and its inherited profiles.
"""
from __future__ import annotations

from core.actions import ActionId
from core.durations import humanize
from core.gateway.runner import GatewayError
from core.gateway.status import AgentStatus, now_ms
from core.grammar import Command
from core.handlers.deps import Deps
from core.provider_scope import TOKEN_AUTH_NOTE, managed, outside_advice, uses_managed
from core.registry import handles_verb
from core.replies import Action, Reply, Section, Severity
from core.requests import Request
from core.secure.summary import plaintext_summary


@handles_verb("doctor")
def handle(deps: Deps, request: Request, command: Command) -> Reply:
    agent = command.arg("agent")
    agents = [deps.gateway.require_agent(agent)] if agent else deps.gateway.agents()
    sections: list[Section] = []
    actions: list[Action] = []
    for name, res in deps.gateway.statuses(agents).items():
        if isinstance(res, GatewayError):
            sections.append(Section(f"{name}: gateway unreachable",
                                    f"{res}\nFix the CLI path or the gateway host, then retry.",
                                    severity=Severity.ERROR))
            continue
        found = diagnose(deps, res)
        sections.extend(found)
        if any(s.severity is Severity.ERROR for s in found):
            actions.append(Action(ActionId.ONBOARD_START, f"Onboard {name}", f"onboard {name}", "primary"))
    plaintext = plaintext_summary(deps.gateway, deps.store)
    if plaintext:
        sections.append(Section("Plaintext credentials in config", plaintext + " Move them into the vault.",
                                severity=Severity.WARNING))
    if not sections:
        sections.append(Section("All clear", "Every agent has a usable Anthropic profile.", severity=Severity.OK))
    severity = Severity.worst([s.severity for s in sections])
    return Reply(title="OpenClaw doctor", sections=sections, severity=severity, actions=actions[:5])


def diagnose(deps: Deps, snap: AgentStatus) -> list[Section]:
    at = now_ms()
    out: list[Section] = []
    agent = snap.agent
    profiles = snap.profiles()
    anthropic = [p for p in profiles if p.provider == "anthropic"]
    for provider in snap.missing_providers:
        if not managed(provider):
            out.append(Section(f'{agent}: "No API key found for provider {provider}"',
                               outside_advice(provider, agent), severity=Severity.INFO))
    if "anthropic" in snap.missing_providers or (not anthropic and uses_managed(snap)):
        own = [p.id for p in anthropic if p.local]
        inherited = [p.id for p in anthropic if not p.local]
        out.append(Section(
            f'{agent}: "No API key found for provider anthropic"',
            f"Auth is per agent. {agent} has {len(own)} own profile(s) ({', '.join(own) or 'none'}) and "
            f"inherits {len(inherited)} ({', '.join(inherited) or 'none'}). Older gateways did not inherit the "
            f"main agent's keys. Run `onboard {agent}` to give it its own credential.", severity=Severity.ERROR))
    for provider in snap.exhausted_providers(at):
        waits = ", ".join(f"{u.profile_id} {u.kind} ({u.reason}) {humanize(u.remaining_ms(at) / 1000)} left"
                          for u in snap.live_unusable(at) if u.provider in (provider, ""))
        out.append(Section(
            f'{agent}: "No available auth profile (all in cooldown/unavailable)"',
            f"{waits}.\nWait for the cooldown, or add another {provider} profile (`onboard {agent}`) so the "
            "gateway can fail over.", severity=Severity.ERROR))
    for u in snap.live_unusable(at):
        if u.reason == "auth":
            out.append(Section(
                f"{agent}: 401 / invalid token on {u.profile_id}",
                "Anthropic rejected the credential. For a subscription token, run `claude setup-token` again and "
                f"paste it with `paste-token {agent} --profile-id {u.profile_id}`; for an API key, create a new key "
                f"and `onboard {agent} api-key --profile-id {u.profile_id}`.", severity=Severity.ERROR))
        elif u.reason == "billing":
            out.append(Section(f"{agent}: {u.profile_id} disabled for billing",
                               f"{u.recovery_hint or 'Top up credits.'} "
                               f"It is retried in {humanize(u.remaining_ms(at) / 1000)}.",
                               severity=Severity.ERROR))
    if any(p.type == "token" for p in anthropic) and not any(p.type == "api_key" for p in anthropic):
        out.append(Section(f"{agent}: setup-token only", f"{TOKEN_AUTH_NOTE} Add a key as well with "
                           f"`onboard {agent} api-key`; the gateway fails over between them.", severity=Severity.INFO))
    for p in anthropic:
        if p.ref_id and not deps.vault.describe_ref(p.ref_id) and p.ref_id.startswith("anthropic/"):
            out.append(Section(
                f'{agent}: "No credentials found for profile {p.id}"',
                f"Active profile {p.id} points at {p.ref_id}, which this bot's vault does not hold. "
                f"Paste it again: `onboard {agent} --profile-id {p.id}`.", severity=Severity.ERROR))
        if p.type == "oauth" and p.status in ("expired", "missing"):
            out.append(Section(
                f'{agent}: "OAuth token refresh failed" on {p.id}',
                "The Claude subscription login can no longer refresh. Re-authenticate with a fresh setup-token "
                f"through the DM flow: `paste-token {agent}`.", severity=Severity.ERROR))
        elif p.expires_at and p.expires_at <= at:
            out.append(Section(f"{agent}: {p.id} expired",
                               f"Run `claude setup-token` and `paste-token {agent} --profile-id {p.id}`.",
                               severity=Severity.ERROR))
        elif p.expires_at and p.expires_at - at < snap.warn_after_ms * 7:
            out.append(Section(f"{agent}: {p.id} expires in {humanize((p.expires_at - at) / 1000)}",
                               f"Paste a fresh setup-token before then: `paste-token {agent} --profile-id {p.id}`.",
                               severity=Severity.WARNING))
    return out
