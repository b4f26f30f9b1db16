"""`ChatOps`: the one entry point adapters call.

- `handle(request)`: a command line (`status ops --all`).
- `act(request, action, value)`: a button press (`onboard.method`, `status.all`, …).
- `submit_secret(request, session_id, text)`: a pasted credential from a DM, modal or console.
- `inspect_message(request)`: any other message the bot sees; catches credentials pasted in
  shared channels and routes DM text to the open onboarding session or the command parser.

Secrets are checked for *before* anything is parsed, so a token typed as a command argument is
never echoed back in an error.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Callable

from core.access import Policy, Role
from core.alerts.center import AlertCenter
from core.alerts.render import burned_notice_reply
from core.secrets.writer import CredentialWriter
from core.secrets.credentials import CREDENTIAL_PREFIX, find_embedded
from core.gateway.client import Gateway
from core.gateway.runner import GatewayError
from core.grammar import Command, GrammarError, parse
from core.handlers import admin, alerts, cache, doctor, help, onboarding, probe, rotation, secure, status
from core.secrets.retention import DEFAULT_ROLLBACK_WINDOW_S, purge_superseded, settle_pending
from core.secure.migration import cached_plaintext_count
from core.secrets.anthropic_check import Prober
from core.replies import Reply, Severity
from core.requests import Directory, PlaceKind, Request, User
from core.store import Session, Store
from core.secrets.vault import Vault, VaultError, VersionInfo, split_ref

log = logging.getLogger(__name__)


@dataclass
class Options:
    session_ttl_s: float = 600.0
    store_unverified: bool = True  # when the probe cannot reach Anthropic, store anyway?
    large_fleet: int = 8  # more agents than this: status summarises healthy ones
    rollback_window_s: float = DEFAULT_ROLLBACK_WINDOW_S  # how long a rotated-out version stays restorable
    burned_notice: bool = False  # also tell the alert channel when a credential is posted in a shared channel


Handler = Callable[["ChatOps", Request, Command], Reply]
HANDLERS: dict[str, Handler] = {
    "status": status.handle,
    "onboard": onboarding.handle_onboard,
    "paste-token": onboarding.handle_paste_token,
    "remove": admin.handle_remove,
    "rotate": rotation.handle_rotate,
    "rollback": rotation.handle_rollback,
    "probe": probe.handle,
    "order": admin.handle_order,
    "audit": admin.handle_audit,
    "secure": secure.handle,
    "alerts": alerts.handle,
    "cache": cache.handle,
    "doctor": doctor.handle,
    "help": help.handle,
}
ActionHandler = Callable[["ChatOps", Request, str], Reply]
# A button is checked against a role like the command it stands for: a channel full of viewers can
# see an alert's buttons, but only operators may acknowledge or snooze it.
ACTIONS: dict[str, tuple[Role, ActionHandler]] = {
    "onboard.method": (Role.ADMIN, onboarding.act_method),
    "onboard.start": (Role.ADMIN, onboarding.act_start),
    "status.all": (Role.VIEWER, status.act_all),
    "secure.confirm": (Role.ADMIN, secure.act_confirm),
    "alerts.ack": (Role.OPERATOR, alerts.act_ack),
    "alerts.snooze": (Role.OPERATOR, alerts.act_snooze),
    # Anyone who may act on an alert may ask for a rotation; the admin is only offered it, and the
    # secret is taken from that admin, in their DM, once they start it (see rotation.act_rotate).
    "rotation.start": (Role.OPERATOR, rotation.act_rotate),
    "rotation.accept": (Role.ADMIN, rotation.act_accept),
}


class ChatOps:
    def __init__(self, gateway: Gateway, vault: Vault, store: Store, policy: Policy, *,
                 prober: Prober | None = None, options: Options | None = None, alerts: AlertCenter | None = None):
        self.gateway = gateway
        self.vault = vault
        self.store = store
        self.policy = policy
        self.prober = prober
        self.options = options or Options()
        self.writer = CredentialWriter(gateway, vault)
        self.alerts = alerts
        self.directories: dict[str, Directory] = {}  # platform → its Directory, set by the adapter
        self.fresh_reads = status.FreshReads()  # spaces `status --fresh` rounds (each runs the CLI per agent)

    # -- entry points --------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        if find_embedded(request.text):
            return self._secret_in_command(request)
        if CREDENTIAL_PREFIX in request.text.lower():
            # Too short or broken up to be a whole credential, but it may be most of one (a wrapped
            # or cut paste): the parse errors below quote the words they reject, so do not parse.
            return Reply.error(
                "Cannot read that command", "Part of it looks like an Anthropic credential (`sk-ant-…`), so "
                "it is not run and not shown back. Credentials are never taken as command arguments.",
                hint="Run `paste-token` or `onboard` and paste it when asked.", code="parse")
        try:
            command = parse(request.text)
        except GrammarError as exc:
            return Reply.error("Cannot read that command", str(exc), code="parse")
        role = self.policy.role_of(request.user)
        if role < command.verb.role:
            return Reply.error(
                "Not allowed", f"`{command.verb.name}` needs the {command.verb.role.label} role; you are {role.label}.",
                code="denied")
        return self._guarded(lambda: HANDLERS[command.verb.name](self, request, command), command.verb.name)

    def act(self, request: Request, action: str, value: str = "") -> Reply:
        entry = ACTIONS.get(action)
        if entry is None:
            return Reply.error("Unknown action", f"This button (`{action}`) is no longer supported.")
        needed, handler = entry
        role = self.policy.role_of(request.user)
        if role < needed:
            return Reply.error("Not allowed", f"This button needs the {needed.label} role; you are {role.label}.",
                               code="denied")
        return self._guarded(lambda: handler(self, request, value), action)

    def submit_secret(self, request: Request, session_id: str | None, text: str) -> Reply:
        return self._guarded(lambda: onboarding.submit_secret(self, request, session_id, text), "secret")

    def precheck_secret(self, request: Request, session_id: str | None, text: str) -> Reply | None:
        """The refusal `submit_secret` would give, without storing anything or calling the gateway,
        so a modal can show a format error in place before it closes; None when it would proceed."""
        return onboarding.precheck_secret(self, request, session_id, text)

    def inspect_message(self, request: Request) -> Reply | None:
        """A plain message (not a slash command). Returns None when the bot should stay quiet."""
        found = find_embedded(request.text)
        if request.place.kind is PlaceKind.CHANNEL:
            return self.burned(request, found) if found else None
        session = self.store.open_session_for(request.user.key)
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
        return self.burned(request, added) if added else None

    # -- helpers -------------------------------------------------------------------------------
    def role_of(self, request: Request) -> Role:
        return self.policy.role_of(request.user)

    def person(self, platform: str, user_id: str) -> User:
        """A user known only by id (an audit row, a role setting), with their groups when the
        platform's directory can tell: a group-granted admin is an admin here too."""
        directory = self.directories.get(platform)
        return directory.user(user_id) if directory else User(platform, user_id)

    def people(self, platform: str, entry_id: str) -> list[str]:
        """The user ids behind one role-setting entry (see `Directory.people`); without a
        directory the entry is taken as a person."""
        directory = self.directories.get(platform)
        return directory.people(entry_id) if directory else [entry_id]

    def vault_info(self, ref: str) -> str:
        """`v2 …abcd sha256:…` for a ref held in this bot's vault, or "" when it is not ours."""
        record, version = split_ref(ref)
        try:
            for info in self.vault.versions(record):
                if version is None and info.current or info.version == version:
                    return f"v{info.version} {info.fingerprint}"
        except VaultError:
            return ""
        return ""

    def purge_versions(self) -> None:
        """Housekeeping, never inside a credential write (any process): finish writes a dead
        writer left pending, then drop rotated-out versions past the rollback window; an audit row
        for each change."""
        with self.vault.quiescent():
            if any(v.pending for v in self.vault.versions()):
                self._settle_pending()
            for info in purge_superseded(self.vault, self.options.rollback_window_s):
                self._audit_version("purge", "purged", info, f"v{info.version} past the rollback window")

    def _settle_pending(self) -> None:
        """Ask OpenClaw which vault refs it holds (a fresh status of every agent, and the config);
        see `core.secrets.retention.settle_pending`. Runs only after a writer died mid-write."""
        refs: set[str] = set()
        complete = True
        try:
            refs |= self.gateway.config().exec_ref_ids(self.gateway.provider.name)
            for snap in self.gateway.statuses(fresh=True).values():
                if isinstance(snap, GatewayError):
                    complete = False
                    continue
                refs |= {p.ref_id for p in snap.profiles() if p.ref_id}
        except GatewayError as exc:
            log.warning("pending vault versions left as they are: the gateway could not be read (%s)", exc)
            return
        made, gone = settle_pending(self.vault, refs, complete)
        for info in made:
            self._audit_version("recover", "made-current", info, f"v{info.version}: OpenClaw points at it; its write was interrupted")
        for info in gone:
            self._audit_version("recover", "discarded", info, f"v{info.version}: an interrupted write OpenClaw never took")

    def _audit_version(self, action: str, result: str, info: VersionInfo, detail: str) -> None:
        self.store.audit("openclaw-chatops", action, result, profile_id=info.record_id.rsplit("/", 1)[-1],
                         agent=info.record_id.split("/")[1] if info.record_id.count("/") >= 2 else "",
                         fingerprint=info.fingerprint, detail=detail)

    def plaintext_summary(self) -> str:
        """"plaintext credentials: N": the env keys `secrets audit` misses (scanned live, cheap) plus the
        audit's own count cached by the last `secure` run (status never runs the audit)."""
        try:
            keys = self.gateway.config().plaintext_env_keys()
        except GatewayError:
            keys = []
        audited = cached_plaintext_count(self.store) or 0
        count = len(keys) + audited
        if not count:
            return ""
        parts = ([", ".join(keys) + " in openclaw.json"] if keys else []) + ([f"{audited} in auth stores (last audit)"] if audited else [])
        return f"plaintext credentials: {count} ({'; '.join(parts)}). Run `secure` to move them into the vault."

    def _guarded(self, run: Callable[[], Reply], what: str) -> Reply:
        """Every failure becomes a clear reply; a traceback never reaches chat."""
        try:
            return run()
        except (GatewayError, VaultError) as exc:
            gateway = isinstance(exc, GatewayError)
            return Reply.error("Gateway problem" if gateway else "Vault problem", str(exc),
                               code="gateway" if gateway else "vault")
        except Exception:  # noqa: BLE001 - the user must get an answer; the log keeps the detail
            log.exception("handler %s failed", what)
            return Reply.error("Something went wrong", f"`{what}` failed unexpectedly; the bot log has the details.",
                               code="internal")

    def _secret_in_command(self, request: Request) -> Reply:
        if request.place.kind is PlaceKind.CHANNEL:
            return self.burned(request, find_embedded(request.text))
        return Reply.error(
            "Not stored", "Credentials are never taken as command arguments (they end up in history).",
            hint="Run `paste-token` or `onboard` and paste it when asked.")

    def burned(self, request: Request, fingerprints: list[str]) -> Reply:
        for fp in fingerprints:
            self.store.audit(request.user.key, "secret_in_channel", "refused", fingerprint=fp,
                             detail=f"place {request.place.id or 'unknown'}")
        if self.options.burned_notice and self.alerts is not None and fingerprints:
            dest = self.alerts.destination()
            self.alerts.post_note(burned_notice_reply(
                request.user.platform, request.user.id, request.place.id, fingerprints,
                mentions=dest is not None and dest.platform == request.user.platform))
        return Reply(
            title="A credential was posted in a shared channel",
            text=("It was not stored. Treat it as burned: channel history, notifications, search and "
                  "exports may already hold it. Revoke it and issue a new one (`claude setup-token` "
                  "for a setup-token, the Anthropic Console for an API key), then use `/openclaw "
                  "onboard` so the bot takes it in a DM.\nFingerprint: " + ", ".join(fingerprints)),
            severity=Severity.ERROR, failed=True, burned=True, code="burned",
        )

    # -- what chat adapters ask besides a command, a button or a message -------------------------
    # A platform's own rules raise a few questions before or beside a command: a secure form is
    # labelled before anything slow runs, a session is checked before moving it to a DM,
    # autocomplete must answer in time. These methods answer them, so an adapter holds this object
    # and never the store or the gateway behind it.
    def register_directory(self, platform: str, directory: Directory) -> None:
        """How an adapter tells core who is in which group on its platform (`core.requests.Directory`)."""
        self.directories[platform] = directory

    def onboarding_session(self, session_id: str) -> Session | None:
        """The onboarding session a button or form names (a local read, no gateway call), or None."""
        return self.store.session(session_id)

    def agent_names(self) -> list[str]:
        """The gateway's agents, from openclaw.json (never a CLI call); [] when it cannot be read."""
        try:
            return self.gateway.agents()
        except GatewayError:
            return []

    def profile_ids(self, agent: str | None = None) -> list[str]:
        """The profile ids in the cached status of `agent` (of every agent when None), sorted.
        Never a CLI call: autocomplete must answer within Discord's 3 s."""
        agents = [agent] if agent else self.agent_names()
        return sorted({p.id for a in agents if (snap := self.gateway.cached(a)) for p in snap.profiles()})


def _looks_like_command(text: str) -> bool:
    words = text.strip().split()
    return bool(words) and words[0].lstrip("/").lower() in {"openclaw", *HANDLERS, "cancel"}
