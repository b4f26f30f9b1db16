"""`remove`, `order`, `audit`: admin commands on profiles and the audit trail."""
from __future__ import annotations

import datetime as dt

from core.gateway.runner import GatewayError
from core.grammar import Command
from core.handlers.deps import Deps
from core.registry import handles_verb
from core.replies import Field, Reply, Section, Severity
from core.requests import Request
from core.secrets.writer import record_id


@handles_verb("remove")
def handle_remove(deps: Deps, request: Request, command: Command) -> Reply:
    agent = deps.gateway.require_agent(command.arg("agent"))
    profile_id = command.arg("profile") or ""
    snap = deps.gateway.status(agent, fresh=True)
    profile = snap.profile(profile_id)
    if profile is None:
        return Reply.error("No such profile", f"Agent `{agent}` has no profile `{profile_id}`. "
                           f"It has: {', '.join(p.id for p in snap.profiles()) or 'none'}.")
    if not profile.local:
        owner = deps.gateway.agents()[0]
        return Reply.error(
            "Refused: inherited profile",
            f"`{profile_id}` belongs to agent `{owner}`; `{agent}` only reads it through. Removing it here "
            f"would delete it from `{owner}` for every agent.",
            hint=f"To remove it everywhere: `remove {profile_id} {owner}`.")
    try:
        deps.gateway.logout(agent, profile_id)
    except GatewayError as exc:
        deps.store.audit(request.user.key, "remove", "failed", agent=agent, profile_id=profile_id,
                         detail=str(exc)[:300])
        raise
    info = deps.vault.current(record_id(agent, profile_id))
    deps.vault.delete(record_id(agent, profile_id))
    deps.store.audit(request.user.key, "remove", "removed", agent=agent, profile_id=profile_id,
                    fingerprint=info.fingerprint if info else "")
    return Reply(title=f"Removed {profile_id} from agent {agent}",
                 text="The profile and its vault record are gone." if info
                 else "The profile is gone (it was not in this bot's vault).",
                 severity=Severity.OK)


@handles_verb("order")
def handle_order(deps: Deps, request: Request, command: Command) -> Reply:
    agent = deps.gateway.require_agent(command.arg("agent"))
    wanted = command.args.get("profiles") or []
    snap = deps.gateway.status(agent)
    if command.flag("clear"):
        deps.gateway.set_order(agent, [])
        deps.store.audit(request.user.key, "order", "cleared", agent=agent)
        return Reply(title=f"Auth order override cleared for {agent}", severity=Severity.OK)
    if not wanted:
        provider = next((p for p in snap.providers if p.provider == "anthropic"), None)
        override = deps.gateway.order(agent)
        return Reply(title=f"Auth order for agent {agent}", sections=[Section("anthropic", fields=[
            Field("effective", " → ".join(provider.effective_order) if provider else "—"),
            Field("override", " → ".join(override) if override else "none (config / round-robin)")])])
    known = [p.id for p in snap.profiles()]
    unknown = [w for w in wanted if w not in known]
    if unknown:
        return Reply.error("Unknown profile", f"{', '.join(unknown)} not found for {agent}. Known: {', '.join(known)}.")
    deps.gateway.set_order(agent, list(wanted))
    deps.store.audit(request.user.key, "order", "set", agent=agent, detail=" ".join(wanted))
    dropped = [p.id for p in snap.profiles() if p.id not in wanted]
    text = f"Profiles left out of the order are not used by {agent}: {', '.join(dropped)}." if dropped else ""
    return Reply(title=f"Auth order for {agent}: {' → '.join(wanted)}", text=text,
                 severity=Severity.WARNING if dropped else Severity.OK)


@handles_verb("audit")
def handle_audit(deps: Deps, request: Request, command: Command) -> Reply:
    count_text = command.arg("count") or "10"
    if not count_text.isdigit() or not 0 < int(count_text) <= 200:
        return Reply.error("Bad count", "Give a number of rows from 1 to 200.")
    rows = deps.store.audit_rows(int(count_text))
    fields = [
        Field(dt.datetime.fromtimestamp(r.ts, dt.UTC).strftime("%Y-%m-%d %H:%M:%SZ"),
              " · ".join(x for x in (r.actor, r.action, r.result, r.agent, r.profile_id, r.fingerprint, r.detail) if x))
        for r in rows
    ]
    return Reply(title=f"Audit: last {len(rows)} credential change(s)",
                 sections=[Section("Audit", fields=fields)] if fields else [], text="" if fields else "Nothing yet.")
