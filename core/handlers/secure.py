"""`secure`: list the gateway's plaintext credentials and, after a second explicit yes, move them
into the vault (core.secure.migration does the moving).

The confirmation is deliberate friction: the move rewrites OpenClaw's config and auth stores. On chat
it is a button whose value is a short-lived confirmation id kept in the Store (never a secret), bound
to the admin who asked and to the exact list they saw; on the console it is `--yes`.
"""
from __future__ import annotations

import secrets
import time

from core.access import Role
from core.actions import ActionId
from core.grammar import Command
from core.handlers.deps import Deps
from core.registry import handles_action, handles_verb
from core.replies import Action, Field, Reply, Section, Severity
from core.requests import Request
from core.secure.migration import PLAINTEXT_COUNT_KEY, MigrationFailed, Outcome, Survey, migrate, survey

CONFIRM_TTL_S = 600.0
CONFIRM_PREFIX = "secure.confirm."


@handles_verb("secure")
def handle(deps: Deps, request: Request, command: Command) -> Reply:
    agent = None if command.flag("all") else command.arg("agent")
    if agent is not None:
        agent = deps.gateway.require_agent(agent)
    if command.flag("yes"):
        return _run(deps, request, agent, expected=None)
    request.progress.step("Looking for plaintext credentials (`openclaw secrets audit`)")
    found = survey(deps.gateway, agent)
    if found.audit is not None and agent is None:
        deps.store.put(PLAINTEXT_COUNT_KEY, found.audit.plaintext_count)
    reply = _listing(found, agent)
    if not found.movable:
        return reply
    confirm_id = secrets.token_urlsafe(12)
    deps.store.put(CONFIRM_PREFIX + confirm_id, {"user": request.user.key, "agent": agent,
                                                "expires_at": time.time() + CONFIRM_TTL_S, "key": found.key()})
    reply.actions = [Action(ActionId.SECURE_CONFIRM, f"Move {len(found.movable)} into the vault", confirm_id, "danger")]
    reply.text += ("\nNothing changes until you confirm: press the button (valid 10 minutes), "
                   f"or on the console run `secure {agent or '--all'} --yes`.")
    return reply


@handles_action(ActionId.SECURE_CONFIRM, Role.ADMIN)
def act_confirm(deps: Deps, request: Request, value: str) -> Reply:
    if deps.policy.role_of(request.user) < Role.ADMIN:
        return Reply.error("Not allowed", "Moving credentials needs the admin role.", code="denied")
    key = CONFIRM_PREFIX + value
    pending = deps.store.get(key)
    if not isinstance(pending, dict) or pending.get("user") != request.user.key:
        return Reply.error("Confirmation not found", "This confirmation is unknown, used, or someone else's.",
                           hint="Run `secure` again.", code="session")
    deps.store.put(key, None)  # one use only, pressed twice or not
    if time.time() > float(pending.get("expires_at", 0)):
        return Reply.error("Confirmation expired", "Nothing was changed.", hint="Run `secure` again.", code="session")
    return _run(deps, request, pending.get("agent"), expected=list(pending.get("key") or []))


def _run(deps: Deps, request: Request, agent: str | None, expected: list[str] | None) -> Reply:
    try:
        outcome = migrate(deps.gateway, deps.vault, deps.store, actor=request.user.key, agent=agent, expected=expected,
                          progress=request.progress)
    except MigrationFailed as exc:
        deps.store.audit(request.user.key, "secure", "failed", agent=agent or "", detail=str(exc)[:300])
        return Reply.error("Nothing was moved", str(exc), hint="Fix the cause and run `secure` again.", code="gateway")
    return _result(outcome)


def _listing(found: Survey, agent: str | None) -> Reply:
    fields = [Field(f.code, " · ".join(x for x in (f.where, f.fingerprint, f.note) if x)) for f in found.findings]
    scope = f"agent {agent}" if agent else "the gateway"
    if not found.findings:
        return Reply(title=f"No plaintext credentials in {scope}", severity=Severity.OK,
                     text="`openclaw secrets audit` is clean and openclaw.json holds no credential in `env`.")
    return Reply(title=f"{found.plaintext_count} plaintext credential(s) in {scope}",
                 text="Values are never shown; each is named by its fingerprint.",
                 sections=[Section("Findings", fields=fields, severity=Severity.WARNING)], severity=Severity.WARNING)


def _result(outcome: Outcome) -> Reply:
    after = outcome.after.plaintext_count
    sections = []
    if outcome.moved:
        sections.append(Section("Moved into the vault", severity=Severity.OK,
                                fields=[Field(f.where, fp) for f, fp in outcome.moved]))
    if outcome.skipped:
        sections.append(Section("Left in place", severity=Severity.WARNING,
                                fields=[Field(f.where, reason) for f, reason in outcome.skipped]))
    if outcome.backups:
        sections.append(Section(
            "Old copies in OpenClaw's config backups", severity=Severity.WARNING,
            text="These rotating backups still hold the old values; delete them once the gateway works:\n"
                 + "\n".join(outcome.backups)))
    if outcome.residue:
        sections.append(Section("Plaintext still found", severity=Severity.ERROR, text="\n".join(outcome.residue)))
    if outcome.warnings:
        sections.append(Section("Notes", "\n".join(outcome.warnings), severity=Severity.WARNING))
    clean = after == 0 and not outcome.residue
    audit = outcome.after.audit
    context = f"plaintext before {outcome.before}, after {after}" + (
        f" · audit {audit.status}, plaintextCount {audit.plaintext_count}" if audit else "")
    return Reply(title="Gateway secured: no plaintext credentials left" if clean
                 else f"{after} plaintext credential(s) remain",
                 sections=sections, severity=Severity.OK if clean else Severity.WARNING, context=context,
                 failed=not clean and not outcome.moved)
