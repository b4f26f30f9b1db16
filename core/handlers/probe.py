"""`probe`: an admin's on-demand live check of an agent's profiles.

It sends a real (tiny) request per profile, so it spends tokens and can itself trip a cooldown:
that is why it is admin-only, says so in every reply, and is never run by the watcher or a timer.
"""
from __future__ import annotations

from core.gateway.live_probe import PROBE_MAX_TOKENS, probe_profiles
from core.grammar import Command
from core.handlers.deps import Deps
from core.registry import handles_verb
from core.replies import Field, Reply, Section, Severity
from core.requests import Request

SEVERITY = {"ok": Severity.OK, "rate_limit": Severity.WARNING, "timeout": Severity.WARNING}


@handles_verb("probe")
def handle(deps: Deps, request: Request, command: Command) -> Reply:
    agent, profile_id = deps.gateway.require_agent(command.arg("agent")), command.arg("profile")
    if profile_id and deps.gateway.status(agent).profile(profile_id) is None:
        return Reply.error("No such profile", f"Agent `{agent}` has no profile `{profile_id}`.")
    outcomes = probe_profiles(deps.gateway.runner, agent, profile_id=profile_id)
    deps.gateway.invalidate()  # a failed probe may have started a cooldown
    deps.store.audit(request.user.key, "probe", "ran", agent=agent, profile_id=profile_id or "",
                    detail=", ".join(f"{o.profile_id or o.label}={o.status}" for o in outcomes)[:300])
    fields = [Field(o.profile_id or o.label, o.status + (f" — {o.error}" if o.error else "")
                    + (f" ({o.latency_ms} ms)" if o.latency_ms is not None else "")) for o in outcomes]
    severity = Severity.worst([SEVERITY.get(o.status, Severity.ERROR) for o in outcomes], Severity.INFO)
    return Reply(
        title=f"Live probe of agent {agent}" + (f" / {profile_id}" if profile_id else ""),
        text=(f"This sent one real request per profile through the gateway (up to {PROBE_MAX_TOKENS} output "
              "tokens each): it spends tokens, and a failing profile may now be in cooldown. Probes only run "
              "when an admin asks."),
        sections=[Section("Results", fields=fields, severity=severity)] if fields else [],
        severity=severity)
