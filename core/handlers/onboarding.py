"""`onboard` and `paste-token`: move an admin to a private place, take the secret, store it.

An onboarding session belongs to one user, one agent and one method, and expires (10 min by
default). The secret is accepted only from that user, only in a private place (DM, modal, console
prompt), and only while the session is open. A rejected paste keeps the session open for a retry.

Only the user's own request opens their session, so nobody else can redirect or cancel a paste
(a DM paste goes to the user's one open session); someone else's request is an offer the user
accepts with a button (see rotation.act_rotate). The prompt and the result name agent and profile.
"""
from __future__ import annotations

import secrets
import time
from dataclasses import replace

from core.access import Role
from core.actions import ActionId
from core.durations import parse_duration
from core.grammar import VERB_BY_NAME, Command, GrammarError, parse
from core.handlers.burned import burned, screen_command
from core.handlers.deps import Deps
from core.provider_scope import TOKEN_AUTH_NOTE
from core.registry import handles_action, handles_verb
from core.replies import Action, Field, Prompt, Reply, Section, Severity
from core.requests import PlaceKind, Request
from core.secrets.credentials import Credential, CredentialRejected, Kind, classify, find_embedded
from core.secrets.writer import DEFAULT_PROFILE, CredentialWriteFailed
from core.store import Session


@handles_verb("onboard")
def handle_onboard(deps: Deps, request: Request, command: Command) -> Reply:
    method = command.arg("method")
    return _start(deps, request, command, Kind.parse(method) if method else None)


@handles_verb("paste-token")
def handle_paste_token(deps: Deps, request: Request, command: Command) -> Reply:
    return _start(deps, request, command, Kind.SETUP_TOKEN)


def _start(deps: Deps, request: Request, command: Command, kind: Kind | None) -> Reply:
    agent = deps.gateway.require_agent(command.arg("agent"))
    expires_in = command.flag("expires-in")
    if isinstance(expires_in, str):
        try:
            parse_duration(expires_in)
        except ValueError as exc:
            return Reply.error("Cannot start onboarding", str(exc))
        if kind is Kind.API_KEY:
            return Reply.error("Cannot start onboarding", "`--expires-in` applies to setup-tokens only.")
    profile_id = command.flag("profile-id")
    if isinstance(profile_id, str) and (":" not in profile_id or " " in profile_id):
        return Reply.error("Cannot start onboarding", f"Profile ids look like `anthropic:<name>`; got `{profile_id}`.")
    return open_intake(deps, request, agent, kind, profile_id if isinstance(profile_id, str) else None,
                       expires_in if isinstance(expires_in, str) else None)


def open_intake(deps: Deps, request: Request, agent: str, kind: Kind | None, profile_id: str | None,
                expires_in: str | None, purpose: str = "onboard") -> Reply:
    """Open the requester's private intake session and return its first step, moved to a DM when
    the request came from a channel. Rotation uses the same session and rules; `purpose` only
    changes the wording and the audit action. It replaces only the requester's own open session,
    and says so, so a paste meant for that one is not taken for this one unnoticed."""
    now = time.time()
    session = Session(
        id=secrets.token_urlsafe(12), user_key=request.user.key, agent=agent,
        method=kind.value if kind else None, profile_id=profile_id,
        options={"expires_in": expires_in, "purpose": purpose},
        created_at=now, expires_at=now + deps.options.session_ttl_s, state="open",
    )
    earlier = deps.store.open_session_for(request.user.key)
    deps.store.open_session(session)
    # From a channel the first step is moved to the requester's DM; elsewhere it is shown in place.
    private = _next_step(deps, session, request.place.kind if request.place.kind.private else PlaceKind.DM)
    if earlier is not None and not earlier.expired(now):
        private.context = (f"This closes your earlier open session ({describe_target(earlier)}); "
                           "nothing was pasted into it. " + private.context)
    if request.place.kind.private:
        return private
    return Reply(
        title="Check your direct messages",
        text=f"Credentials are only taken in private: I sent you a DM to continue ({purpose}, agent `{agent}`). "
             "Never paste a credential in this channel.",
        direct=private,
    )


def target_profile(session: Session) -> str:
    """The profile a session's paste will be stored as; "" while the credential type is not chosen."""
    return session.profile_id or (DEFAULT_PROFILE[Kind(session.method)] if session.method else "")


def describe_target(session: Session) -> str:
    """"agent `ops`, profile `anthropic:ops`": what a session's paste will be stored as."""
    profile = target_profile(session)
    return f"agent `{session.agent}`, profile `{profile}`" if profile else f"agent `{session.agent}`"


def _next_step(deps: Deps, session: Session, shown_in: PlaceKind) -> Reply:
    """The session's next step, worded for the place it is shown in: "as your next message here"
    only where a typed message reaches the bot privately (a DM, the console); elsewhere the form or
    a DM are the only ways offered."""
    minutes = max(1, round((session.expires_at - time.time()) / 60))
    if session.method is None:
        return Reply(
            title=f"Onboard agent {session.agent}",
            text="Which credential will you add?\n• Anthropic API key (sk-ant-api03-…, usage-based billing; "
                 "recommended for new setups)\n"
                 "• Claude setup-token (sk-ant-oat01-…, made by `claude setup-token`, uses your subscription)\n"
                 + TOKEN_AUTH_NOTE,
            actions=[Action(ActionId.ONBOARD_METHOD, "Anthropic API key", f"{session.id}:api-key", "primary"),
                     Action(ActionId.ONBOARD_METHOD, "Claude setup-token", f"{session.id}:setup-token")],
            prompt=Prompt("choice", session.id, "api-key or setup-token", ["api-key", "setup-token"]),
            context=f"This session expires in {minutes} min.",
        )
    kind = Kind(session.method)
    profile = session.profile_id or DEFAULT_PROFILE[kind]
    actions = [Action(ActionId.ONBOARD_PASTE, "Paste securely", session.id, "primary")]
    if shown_in.takes_messages:
        where = "Paste it in the secure form (button), or as your next message here."
    else:
        where = "Paste it in the secure form (button), or continue in a DM with me. Never type it in this channel."
        actions.append(Action(ActionId.ONBOARD_DM, "Paste in a DM instead", session.id))
    how = "Run `claude setup-token` on any machine and copy the token it prints." if kind is Kind.SETUP_TOKEN \
        else "Create a key in the Anthropic Console."
    if session.options.get("purpose") == "rotate":
        how = (f"Rotating `{profile}`: paste its replacement. "
               f"The current one keeps working until the new one is in place. {how}")
    return Reply(
        title=f"Paste the {kind.label} for agent {session.agent}, profile {profile}",
        text=f"{how}\n{where}\nIt will be stored encrypted as profile `{profile}`; the gateway only gets a reference.",
        actions=actions,
        prompt=Prompt("secret", session.id, kind.label),
        context=f"This session expires in {minutes} min.",
    )


@handles_action(ActionId.ONBOARD_METHOD, Role.ADMIN)
def act_method(deps: Deps, request: Request, value: str) -> Reply:
    session_id, _, method = value.partition(":")
    session = _own_open_session(deps, request, session_id)
    if isinstance(session, Reply):
        return session
    try:
        kind = Kind.parse(method)
    except ValueError as exc:
        return Reply.error("Unknown credential type", str(exc))
    deps.store.update_session(session.id, method=kind.value)
    return _next_step(deps, replace(session, method=kind.value), request.place.kind)


STARTS = {"onboard": handle_onboard, "paste-token": handle_paste_token}  # what doctor's button may run


# The button runs a verb as if typed, so it needs the role that verb needs (both are admin verbs).
@handles_action(ActionId.ONBOARD_START, max(VERB_BY_NAME[name].role for name in STARTS))
def act_start(deps: Deps, request: Request, value: str) -> Reply:
    """doctor's "Onboard <agent>" button: start the flow as if the command had been typed."""
    try:  # the value comes back from the chat platform: a forged one must get a refusal, not a traceback
        command = parse(value)
    except GrammarError:
        command = None
    if command is None or command.verb.name not in STARTS:
        return Reply.error("Unknown action", "That button does not start onboarding.")
    typed = replace(request, text=value)
    return screen_command(deps, typed) or STARTS[command.verb.name](deps, typed, command)


def _own_open_session(deps: Deps, request: Request, session_id: str | None) -> Session | Reply:
    """The caller's open, unexpired session, or the refusal that says why there is none."""
    session = deps.store.session(session_id) if session_id else deps.store.open_session_for(request.user.key)
    if session is None or session.user_key != request.user.key:
        return Reply.error("No onboarding session", "There is no onboarding session of yours open.",
                           hint="Start one with `onboard` or `paste-token`.", code="session")
    if session.state != "open":
        return Reply.error("Session closed", "That onboarding session is already finished or was replaced.",
                           hint="Start a new one with `onboard`.", code="session")
    if session.expired():
        deps.store.update_session(session.id, state="expired")
        return Reply.error("Session expired", "That onboarding session expired; nothing was stored.",
                           hint="Start a new one with `onboard` and paste within 10 minutes.", code="session")
    return session


def _accept(deps: Deps, request: Request, session_id: str | None,
            text: str) -> tuple[Session, Credential] | Reply:
    """Every check a paste must pass before anything is written; a refusal is a Reply (and a
    rejected format is audited). Cheap: no gateway call, so adapters can run it before their ack."""
    if not request.place.kind.private:
        return burned(deps, request, find_embedded(text) or ["(unrecognised)"])
    session = _own_open_session(deps, request, session_id)
    if isinstance(session, Reply):
        return session
    if session.method is None:
        return Reply.error("Choose a credential type first", "Pick API key or setup-token, then paste.")
    if deps.policy.role_of(request.user) < Role.ADMIN:
        return Reply.error("Not allowed", "Only admins can store credentials.", code="denied")
    try:
        return session, classify(text, expected=Kind(session.method))
    except CredentialRejected as exc:
        deps.store.audit(request.user.key, session.options.get("purpose") or "onboard", "rejected", agent=session.agent,
                        profile_id=session.profile_id or "", detail=str(exc)[:200])
        return Reply.error("Not stored", str(exc), hint="The session is still open: paste again.", code="rejected")


def precheck_secret(deps: Deps, request: Request, session_id: str | None, text: str) -> Reply | None:
    """The refusal a paste would get, or None when it would go on to be stored."""
    accepted = _accept(deps, request, session_id, text)
    return accepted if isinstance(accepted, Reply) else None


def submit_secret(deps: Deps, request: Request, session_id: str | None, text: str) -> Reply:
    accepted = _accept(deps, request, session_id, text)
    if isinstance(accepted, Reply):
        return accepted
    session, credential = accepted
    kind = credential.kind
    action = session.options.get("purpose") or "onboard"
    profile_id = session.profile_id or DEFAULT_PROFILE[kind]
    request.progress.step("Received — encrypting and handing it to the gateway")
    probe_note = ""
    if deps.prober is not None:
        request.progress.step("Checking it with Anthropic (no tokens spent)")
        result = deps.prober.probe(credential)
        if result.outcome == "rejected" or (result.outcome == "unverified" and not deps.options.store_unverified):
            deps.store.audit(request.user.key, action, "rejected", agent=session.agent, profile_id=profile_id,
                            fingerprint=credential.fingerprint, detail=result.detail)
            return Reply.error("Not stored", f"The {kind.label} was {result.detail}.",
                               hint="Check it and paste again; the session is still open.", code="rejected")
        probe_note = result.detail
    try:
        written = deps.writer.write(session.agent, profile_id, credential, actor=request.user.key,
                                   expires_in=session.options.get("expires_in"), progress=request.progress)
    except CredentialWriteFailed as exc:
        deps.store.audit(request.user.key, action, "failed", agent=session.agent, profile_id=profile_id,
                        fingerprint=credential.fingerprint, detail=str(exc)[:300])
        return Reply.error("Not stored", str(exc), hint="The session is still open: try again.", code="gateway")
    deps.store.update_session(session.id, state="done")
    deps.housekeeping.run()
    rotated = action == "rotate"
    ok_result = "rotated" if rotated else "stored"
    deps.store.audit(request.user.key, action, ok_result if written.verified else "stored-unverified",
                    agent=session.agent, profile_id=profile_id, fingerprint=credential.fingerprint,
                    detail=f"{kind.value} v{written.version.version}")
    fields = [Field("Agent", session.agent), Field("Profile", profile_id), Field("Type", kind.label),
              Field("Fingerprint", credential.fingerprint), Field("Vault version", f"v{written.version.version}"),
              Field("Gateway check", written.detail)]
    if session.options.get("expires_in"):
        fields.append(Field("Expires in", str(session.options["expires_in"])))
    if probe_note:
        fields.append(Field("Anthropic check", probe_note))
    notes = list(written.warnings)
    if request.place.kind.value == "dm":
        notes.append("Your pasted message stays in this DM's history and a bot cannot delete it: "
                     "delete it yourself (hover → More actions → Delete).")
    if rotated:
        notes.append(f"The previous version stays restorable with `rollback {profile_id} {session.agent}` "
                     "for the rollback window, then it is purged.")
    return Reply(
        title=f"{kind.label} {'rotated' if rotated else 'stored'} for agent {session.agent}, profile {profile_id}",
        text="\n".join(notes),
        sections=[Section("Stored", fields=fields, severity=Severity.OK if written.verified else Severity.WARNING)],
        severity=Severity.OK if written.verified else Severity.WARNING,
    )
