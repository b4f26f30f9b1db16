"""`ChatOps`: the one entry point adapters call, and the dispatcher behind it.

- `handle(request)`: a command line (`status ops --all`).
- `act(request, action, value)`: a button press (`onboard.method`, `status.all`, …).
- `submit_secret(request, session_id, text)`: a pasted credential from a DM, modal or console.
- `inspect_message(request)`: any other message the bot sees; catches credentials pasted in
  shared channels and routes DM text to the open onboarding session or the command parser.

It does three things only: find the handler (`core.registry`, filled by the handler modules it
imports), check the asker's role against the one the verb or button declared, and turn every
failure into a reply (a `ChatSafeError` shows its own message; anything else is logged). Handlers
get the services as `Deps`, never this object. Secrets are checked for *before* anything is
parsed, so a token typed as a command argument is never echoed back in an error.
"""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from core.access import Policy, Role
from core.errors import ChatSafeError
from core.gateway.client import Gateway
from core.gateway.runner import GatewayError
from core.grammar import VERB_BY_NAME, GrammarError, parse
from core.handlers import (  # noqa: F401 - imported for their registrations: each declares its verbs and buttons
    admin,
    alerts,
    cache,
    doctor,
    fleet_pick,
    help,
    onboarding,
    probe,
    rotation,
    secure,
    status,
)
from core.handlers.burned import burned, screen_command
from core.handlers.deps import Deps, Options
from core.registry import REGISTRY
from core.replies import Reply
from core.requests import Directories, Directory, PlaceKind, Request
from core.secrets.credentials import find_embedded
from core.secrets.vault import Vault
from core.secrets.writer import CredentialWriter
from core.store import Session, Store

__all__ = ["ChatOps"]

log = logging.getLogger(__name__)
T = TypeVar("T")


class ChatOps:
    def __init__(self, deps: Deps) -> None:
        self.deps = deps

    # -- entry points --------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        refusal = screen_command(self.deps, request)
        if refusal:
            return refusal
        try:
            command = parse(request.text)
        except GrammarError as exc:
            return _shown(exc)
        denied = self._denied(request, command.verb.role, f"`{command.verb.name}` needs")
        if denied:
            return denied
        run = REGISTRY.commands[command.verb.name].run
        return self._guarded(lambda: run(self.deps, request, command), command.verb.name)

    def act(self, request: Request, action: str, value: str = "") -> Reply:
        # A button is checked against a role like the command it stands for: a channel full of
        # viewers can see an alert's buttons, but only operators may acknowledge or snooze it.
        entry = REGISTRY.actions.get(action)
        if entry is None:
            return Reply.error("Unknown action", f"This button (`{action}`) is no longer supported.")
        denied = self._denied(request, entry.role, "This button needs")
        if denied:
            return denied
        return self._guarded(lambda: entry.run(self.deps, request, value), action)

    def submit_secret(self, request: Request, session_id: str | None, text: str) -> Reply:
        return self._guarded(lambda: onboarding.submit_secret(self.deps, request, session_id, text), "secret")

    def precheck_secret(self, request: Request, session_id: str | None, text: str) -> Reply | None:
        """The refusal `submit_secret` would give, without storing anything or calling the gateway,
        so a modal can show a format error in place before it closes; None when it would proceed."""
        return onboarding.precheck_secret(self.deps, request, session_id, text)

    def inspect_message(self, request: Request) -> Reply | None:
        """A plain message (not a slash command). Returns None when the bot should stay quiet."""
        found = find_embedded(request.text)
        if request.place.kind is PlaceKind.CHANNEL:
            return burned(self.deps, request, found) if found else None
        session = self.deps.store.open_session_for(request.user.key)
        if session is not None and session.method and (found or not _looks_like_command(request.text)):
            return self.submit_secret(request, session.id, request.text)
        if found:
            return Reply.error(
                "Not stored", "No onboarding session is open, so that credential was not stored.",
                hint="Start one with `onboard` or `paste-token`, then paste it again.")
        return self.handle(request)

    def inspect_edit(self, request: Request, previous_text: str) -> Reply | None:
        """An edited message. In a shared channel an edit that adds a credential burns it like a new
        post; one the message already held was flagged when it was posted (`previous_text` "":
        the platform no longer knows the original, so every credential counts as added). Edits in
        a DM are neither commands nor pastes: the open session takes new messages only."""
        if request.place.kind is not PlaceKind.CHANNEL:
            return None
        before = set(find_embedded(previous_text))
        added = [fp for fp in find_embedded(request.text) if fp not in before]
        return burned(self.deps, request, added) if added else None

    # -- the role check and the error guard ----------------------------------------------------
    def _denied(self, request: Request, needed: Role, what: str) -> Reply | None:
        role = self.deps.policy.role_of(request.user)
        if role < needed:
            return Reply.error("Not allowed", f"{what} the {needed.label} role; you are {role.label}.", code="denied")
        return None

    def _guarded(self, run: Callable[[], T], what: str) -> T | Reply:
        """Every failure becomes a clear reply; a traceback never reaches chat."""
        try:
            return run()
        except ChatSafeError as exc:
            return _shown(exc)
        except Exception:  # noqa: BLE001 - the user must get an answer; the log keeps the detail
            log.exception("handler %s failed", what)
            return Reply.error("Something went wrong", f"`{what}` failed unexpectedly; the bot log has the details.",
                               code="internal")

    # -- the services, for the adapters and tests that hold a ChatOps (handlers get `deps`) -----
    @property
    def gateway(self) -> Gateway:
        return self.deps.gateway

    @property
    def vault(self) -> Vault:
        return self.deps.vault

    @property
    def store(self) -> Store:
        return self.deps.store

    @property
    def writer(self) -> CredentialWriter:
        return self.deps.writer

    @property
    def options(self) -> Options:
        return self.deps.options

    @property
    def directories(self) -> Directories:
        return self.deps.directories

    @property
    def policy(self) -> Policy:
        return self.deps.policy

    @policy.setter
    def policy(self, policy: Policy) -> None:  # role settings changed at run time (and in tests)
        self.deps.policy = policy

    # -- what chat adapters ask besides a command, a button or a message -------------------------
    # A platform's own rules raise a few questions before or beside a command: a secure form is
    # labelled before anything slow runs, a session is checked before moving it to a DM,
    # autocomplete must answer in time. These methods answer them, so an adapter holds this object
    # and never the store or the gateway behind it.
    def register_directory(self, platform: str, directory: Directory) -> None:
        """How an adapter tells core who is in which group on its platform (`core.requests.Directory`)."""
        self.deps.directories[platform] = directory

    def onboarding_session(self, session_id: str) -> Session | None:
        """The onboarding session a button or form names (a local read, no gateway call), or None."""
        return self.deps.store.session(session_id)

    def agent_names(self) -> list[str]:
        """The gateway's agents, from openclaw.json (never a CLI call); [] when it cannot be read."""
        try:
            return self.deps.gateway.agents()
        except GatewayError:
            return []

    def profile_ids(self, agent: str | None = None) -> list[str]:
        """The profile ids in the cached status of `agent` (of every agent when None), sorted.
        Never a CLI call: autocomplete must answer within Discord's 3 s."""
        agents = [agent] if agent else self.agent_names()
        return sorted({p.id for a in agents if (snap := self.deps.gateway.cached(a)) for p in snap.profiles()})


def _shown(exc: ChatSafeError) -> Reply:
    return Reply.error(exc.title, str(exc), code=exc.code)


def _looks_like_command(text: str) -> bool:
    words = text.strip().split()
    return bool(words) and words[0].lstrip("/").lower() in {"openclaw", *VERB_BY_NAME, "cancel"}
