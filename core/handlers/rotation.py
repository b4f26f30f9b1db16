"""`rotate`, `rollback` and the alert's "Rotate now" button.

OpenClaw has no rotate command: replacing a setup-token means pasting a new one over the old, in
plaintext, with the gateway briefly holding whatever the paste left. Here a rotation is the
onboarding intake (same private session, same rules) aimed at an existing profile: the new secret
becomes a new vault version and one `secrets apply` plan re-points the profile, so the gateway
holds either the old working ref or the new one, never a gap. The version it replaced stays in the
vault for the rollback window, so `rollback` is a plan pointing back at the old ref.
"""
from __future__ import annotations

from core.access import Role
from core.actions import ActionId
from core.durations import parse_duration
from core.gateway.plans import Plan, ProfileTarget
from core.gateway.runner import GatewayError
from core.grammar import Command
from core.handlers.deps import Deps
from core.handlers.onboarding import open_intake
from core.registry import handles_action, handles_verb
from core.replies import Action, Field, Reply, Section, Severity
from core.requests import Request, User
from core.secrets.credentials import Kind
from core.secrets.retention import previous_version
from core.secrets.writer import record_id

KIND_OF_TYPE = {"token": Kind.SETUP_TOKEN, "api_key": Kind.API_KEY}
ONBOARDING_ACTIONS = ("onboard", "rotate")


@handles_verb("rotate")
def handle_rotate(deps: Deps, request: Request, command: Command) -> Reply:
    agent = deps.gateway.require_agent(command.arg("agent"))
    expires_in = command.flag("expires-in")
    kind = _rotatable(deps, agent, command.arg("profile") or "", expires_in if isinstance(expires_in, str) else None)
    if isinstance(kind, Reply):
        return kind
    return open_intake(deps, request, agent, kind, command.arg("profile"),
                       expires_in if isinstance(expires_in, str) else None, purpose="rotate")


def _rotatable(deps: Deps, agent: str, profile_id: str, expires_in: str | None) -> Kind | Reply:
    """The kind a replacement must have, or the reason this profile cannot be rotated here."""
    snap = deps.gateway.status(agent, fresh=True)
    profile = snap.profile(profile_id)
    if profile is None:
        return Reply.error("No such profile", f"Agent `{agent}` has no profile `{profile_id}`. "
                           f"It has: {', '.join(p.id for p in snap.profiles()) or 'none'}.")
    if not profile.local:
        owner = deps.gateway.agents()[0]
        return Reply.error("Inherited profile", f"`{profile_id}` belongs to agent `{owner}`; rotate it there.",
                           hint=f"`rotate {profile_id} {owner}`")
    kind = KIND_OF_TYPE.get(profile.type)
    if kind is None:
        return Reply.error("Cannot rotate",
                           f"`{profile_id}` is a {profile.type} profile; only setup-tokens and API keys rotate here.")
    if expires_in:
        try:
            parse_duration(expires_in)
        except ValueError as exc:
            return Reply.error("Cannot rotate", str(exc))
        if kind is Kind.API_KEY:
            return Reply.error("Cannot rotate", "`--expires-in` applies to setup-tokens only.")
    return kind


@handles_verb("rollback")
def handle_rollback(deps: Deps, request: Request, command: Command) -> Reply:
    agent = deps.gateway.require_agent(command.arg("agent"))
    profile_id = command.arg("profile") or ""
    rid = record_id(agent, profile_id)
    # Held from choosing the version to making it current: housekeeping cannot purge it in between.
    with deps.vault.credential_write():
        current = deps.vault.current(rid)
        if current is None:
            return Reply.error("Nothing to roll back", f"`{profile_id}` of agent `{agent}` is not in this bot's vault.")
        previous = previous_version(deps.vault, rid, deps.housekeeping.rollback_window_s)
        if previous is None:
            return Reply.error("Nothing to roll back",
                               f"`{profile_id}` has no earlier version inside the rollback window "
                               f"(v{current.version} is current).")
        kind = Kind(previous.kind)
        plan = Plan(deps.gateway.provider, [ProfileTarget(agent, profile_id, kind.openclaw_mode, previous.ref)])
        try:
            deps.gateway.apply_plan(plan)
        except GatewayError as exc:
            deps.store.audit(request.user.key, "rollback", "failed", agent=agent, profile_id=profile_id,
                            fingerprint=previous.fingerprint, detail=str(exc)[:300])
            return Reply.error("Not rolled back",
                               "The gateway did not accept the previous credential; "
                               f"it still uses v{current.version}. {exc}",
                               code="gateway")
        deps.vault.set_current(rid, previous.version)
    verified, detail = deps.writer.verify(agent, profile_id, previous.ref)
    deps.store.audit(request.user.key, "rollback", "rolled-back", agent=agent, profile_id=profile_id,
                    fingerprint=previous.fingerprint, detail=f"v{current.version} → v{previous.version}")
    return Reply(
        title=f"{profile_id} of agent {agent} rolled back to v{previous.version}",
        sections=[Section("Rolled back", fields=[
            Field("Now", f"v{previous.version} {previous.fingerprint}"),
            Field("Was", f"v{current.version} {current.fingerprint}"),
            Field("Gateway check", detail)], severity=Severity.OK if verified else Severity.WARNING)],
        severity=Severity.OK if verified else Severity.WARNING)


# Anyone who may act on an alert may ask for a rotation; the admin is only offered it, and the
# secret is taken from that admin, in their DM, once they start it.
@handles_action(ActionId.ROTATION_START, Role.OPERATOR)
def act_rotate(deps: Deps, request: Request, value: str) -> Reply:
    """"Rotate now" on an expiring-token alert. Pressed by an admin who should paste: their own
    intake opens. Pressed by anyone else: the admin who onboarded the profile (or another admin) is
    only *offered* the rotation in their DM, with a button that starts it as their own request.
    Opening a session for them would replace the one they may be pasting into."""
    agent, _, profile_id = value.partition("|")
    kind = _rotatable(deps, agent, profile_id, None)
    if isinstance(kind, Reply):
        return kind
    target = rotation_admin(deps, request.user, agent, profile_id)
    if target is None:
        return Reply.error("No admin to ask",
                           f"Nobody on {request.user.platform} is an admin who could paste the new credential.",
                           hint=f"An admin can start it themselves: `rotate {profile_id} {agent}`.")
    if target.key == request.user.key:
        return open_intake(deps, request, agent, kind, profile_id, None, purpose="rotate")
    offer = Reply(
        title=f"Rotation of {profile_id} (agent {agent}) requested",
        text=f"<@{request.user.id}> asked for the {kind.label} of `{profile_id}` on agent `{agent}` to be replaced. "
             "Nothing has started: press the button when you have the new one, and I will ask for it here. "
             "Any onboarding you have open stays as it is until then.",
        actions=[Action(ActionId.ROTATION_ACCEPT, "Start rotation", value, "primary")],
    )
    return Reply(title=f"Rotation of {profile_id} offered",
                 text=f"I asked <@{target.id}> in a DM to paste the replacement (they onboarded it, or are an admin).",
                 direct=offer, direct_user=target.id)


@handles_action(ActionId.ROTATION_ACCEPT, Role.ADMIN)
def act_accept(deps: Deps, request: Request, value: str) -> Reply:
    """"Start rotation" on an offer: the admin who presses it opens their own rotation intake."""
    agent, _, profile_id = value.partition("|")
    kind = _rotatable(deps, agent, profile_id, None)
    if isinstance(kind, Reply):
        return kind
    return open_intake(deps, request, agent, kind, profile_id, None, purpose="rotate")


def rotation_admin(deps: Deps, presser: User, agent: str, profile_id: str) -> User | None:
    """Who should paste the replacement: the last admin who stored this profile (audit log), if
    they are still an admin on the presser's platform; else the presser if an admin; else the
    first person an admin entry of that platform stands for. Entries may be groups (Slack user
    groups, Discord roles): the platform's directory turns them into people, so a DM never goes
    to a group id."""
    def admin(user: User) -> bool:
        return deps.policy.role_of(user) >= Role.ADMIN

    for row in deps.store.audit_rows(200):
        if row.action in ONBOARDING_ACTIONS and row.agent == agent and row.profile_id == profile_id \
                and row.result in ("stored", "stored-unverified", "rotated"):
            platform, _, user_id = row.actor.partition(":")
            candidate = deps.directories.person(platform, user_id)
            # On a fleet host the hub judges roles: the offer goes out, and "Start rotation" is
            # refused at the hub if they are no longer an admin.
            if platform == presser.platform and (admin(candidate) or deps.policy.judged_elsewhere(candidate)):
                return candidate
            break
    if admin(presser):
        return presser
    for key in sorted(deps.policy.admins):
        platform, _, entry_id = key.partition(":")
        if platform != presser.platform:
            continue
        for user_id in deps.directories.people(platform, entry_id):
            if admin(candidate := deps.directories.person(platform, user_id)):
                return candidate
    return None
