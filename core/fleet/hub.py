"""`FleetDispatcher`: the hub's `ChatOps`. Same surface for the adapters; the work goes to hosts.

The hub keeps what belongs to the chat side: the grammar, the role check (it knows the platform's
groups), the secret screening, team alerts and their buttons, `help` and the audit mirror. Every
other command is asked of a gateway host over the broker (`HostLink`) and the host's reply is
rendered here like a local one:

- `status`/`doctor` without a host ask every host at once, each within the read timeout (2 s),
  and show a section per host; a host that did not answer is shown with when it was last seen.
- `--host NAME` or `@NAME` targets one host. A command that changes a gateway, with more than one
  host and none named, asks which host (a button per host) instead of guessing.
- Buttons on a host's reply carry `host|value`, so a press goes back to the host that made it;
  an onboarding session's id does too, so a paste in a DM or modal reaches that host.
- A pasted credential is sealed to the host's pinned key (`core.fleet.sealing`) before it leaves
  this process, and nothing here writes it anywhere.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from dataclasses import replace
from typing import Any, Protocol, cast

from core.access import Policy
from core.actions import ActionId
from core.alerts.center import AlertCenter
from core.chatops import ChatOps
from core.durations import humanize
from core.errors import ChatSafeError
from core.fleet.keys import HubKeys
from core.fleet.roster import Roster
from core.fleet.sealing import Binding, seal
from core.fleet.targeting import split_target
from core.fleet.wire import WireError, reply_from_dict, request_to_dict, session_from_dict
from core.grammar import GrammarError, parse
from core.handlers.alerts import open_incidents_section
from core.handlers.burned import burned, screen_command
from core.handlers.deps import Deps, Options
from core.handlers.onboarding import target_profile
from core.progress import SILENT, ProgressSink
from core.registry import REGISTRY
from core.replies import Action, Reply, Section, Severity, Visibility
from core.requests import Request
from core.secrets.credentials import find_embedded
from core.store import Session, Store

__all__ = ["BrokerDown", "FleetDispatcher", "HostLink", "HostUnavailable", "hub_deps"]

log = logging.getLogger(__name__)

FANOUT_VERBS = frozenset({"status", "doctor"})  # read-only: every host is asked when none is named
HUB_VERBS = frozenset({"help", "alerts", "audit"})  # answered here: they need no gateway
HUB_ACTIONS = frozenset({ActionId.ALERTS_ACK, ActionId.ALERTS_SNOOZE})  # incidents live at the hub
SEP = "|"  # `host|value` on buttons and session ids; host names cannot hold it
SEAL_TTL_S = 120.0  # a sealed credential is good for this long: enough for a slow broker, not for a replay later


class HostUnavailable(ChatSafeError):
    title = "Host not answering"
    code = "host"


class BrokerDown(ChatSafeError):
    title = "Message broker unreachable"
    code = "broker"


class NotOnTheHub:
    """Stands in for the gateway, vault, writer and housekeeping in the hub's `Deps`: the hub has
    none of them. The verbs the hub answers itself never touch them; if a future one did, its
    user would read this instead of a traceback."""

    def __init__(self, what: str) -> None:
        self._what = what

    def __getattr__(self, name: str) -> Any:
        raise HostUnavailable(f"The {self._what} lives on the gateway hosts, not on this hub: "
                              "run the command with `--host NAME`.")


def hub_deps(store: Store, policy: Policy, alerts: AlertCenter, options: Options) -> Deps:
    """The services of the hub's own verbs (`help`, `alerts`, `audit`) and of secret screening."""
    return Deps(cast(Any, NotOnTheHub("gateway")), cast(Any, NotOnTheHub("vault")), store, policy,
                cast(Any, NotOnTheHub("credential writer")), cast(Any, NotOnTheHub("vault")),
                options=options, alerts=alerts)


class HostLink(Protocol):
    """How the hub asks a host (the NATS link in bot/fleet; anything that answers the same ops)."""

    def ask(self, host: str, op: Mapping[str, Any], *, timeout: float,
            progress: ProgressSink = SILENT) -> dict[str, Any]:
        """The host's answer; raises HostUnavailable (no answer in time, nobody listening) or
        BrokerDown (the hub is not connected to the broker)."""
        ...

    def ask_each(self, hosts: list[str], op: Mapping[str, Any], *,
                 timeout: float) -> dict[str, dict[str, Any] | ChatSafeError]:
        """Ask several hosts at once; each gets `timeout`, none waits for another."""
        ...


class FleetDispatcher(ChatOps):
    def __init__(self, deps: Deps, roster: Roster, link: HostLink, hub_keys: HubKeys, *,
                 read_timeout_s: float = 2.0, write_timeout_s: float = 300.0) -> None:
        super().__init__(deps)
        self.roster = roster
        self.link = link
        self.hub_keys = hub_keys
        self.read_timeout_s = read_timeout_s
        self.write_timeout_s = write_timeout_s

    # -- commands ------------------------------------------------------------------------------
    def handle(self, request: Request) -> Reply:
        refusal = screen_command(self.deps, request)  # a credential in a command never leaves the hub
        if refusal:
            return refusal
        try:
            host, text = split_target(request.text)
        except ValueError as exc:
            return Reply.error("Cannot read that command", str(exc), code="parse")
        here = replace(request, text=text)
        try:
            command = parse(text)
        except GrammarError:
            return super().handle(here)  # the grammar's own error reply
        if command.verb.name in HUB_VERBS:
            reply = super().handle(here)
            if command.verb.name == "help" and not reply.failed:
                reply.context = " · ".join(x for x in (reply.context, self._hosts_hint()) if x)
            return reply
        denied = self._denied(request, command.verb.role, f"`{command.verb.name}` needs")
        if denied:
            return denied
        hosts = self.roster.names()
        if host is not None:
            if host not in hosts:
                return Reply.error("Unknown host", f"No host `{host}` is enrolled with this hub.",
                                   hint=f"Hosts: {', '.join(hosts) or 'none yet'}.", code="parse")
            return self._on(host, here)
        if command.verb.name in FANOUT_VERBS and len(hosts) > 1:
            return self._everywhere(here, show_all=bool(command.flag("all")))
        if len(hosts) == 1:
            return self._on(hosts[0], here)
        if not hosts:
            return Reply.error("No hosts", "No gateway host is enrolled with this hub yet.",
                               hint="See docs/fleet.md, Adding a host.")
        return self._which_host(command.verb.name, text, hosts)

    def act(self, request: Request, action: str, value: str = "") -> Reply:
        if action in HUB_ACTIONS:
            return super().act(request, action, value)
        host, sep, rest = value.partition(SEP)
        if action == ActionId.FLEET_HOST and sep:
            return self.handle(replace(request, text=f"{rest} --host {host}"))
        entry = REGISTRY.actions.get(action)
        if entry is None:
            return super().act(request, action, value)  # the registry's "no longer supported"
        if not sep or host not in self.roster.hosts:
            if action == ActionId.STATUS_ALL:  # an alert's "Show status": every host
                return self.handle(replace(request, text="status --all"))
            return Reply.error("Which host?", "This button does not say which gateway host it is for.",
                               hint="Run the command again with `--host NAME`.")
        denied = self._denied(request, entry.role, "This button needs")
        if denied:
            return denied
        op = {"op": "act", "request": self._wire(request), "action": str(action), "value": rest}
        return self._guarded(lambda: self._answered(host, op, request), str(action))

    # -- pasted credentials --------------------------------------------------------------------
    def submit_secret(self, request: Request, session_id: str | None, text: str) -> Reply:
        return self._secret("secret", request, session_id, text) or Reply.error("Not stored", "No answer.")

    def precheck_secret(self, request: Request, session_id: str | None, text: str) -> Reply | None:
        return self._secret("precheck", request, session_id, text)

    def _secret(self, op: str, request: Request, session_id: str | None, text: str) -> Reply | None:
        if not request.place.kind.private:
            return burned(self.deps, request, find_embedded(text) or ["(unrecognised)"])
        ref = session_id or self._open_session_id(request)
        host, sep, sid = (ref or "").partition(SEP)
        if not sep or host not in self.roster.hosts:
            return Reply.error("No onboarding session", "There is no onboarding session of yours open.",
                               hint="Start one with `onboard` or `paste-token`.", code="session")
        return self._guarded(lambda: self._send_sealed(op, host, sid, request, text), "secret")

    def _send_sealed(self, op: str, host: str, sid: str, request: Request, text: str) -> Reply | None:
        session = self._host_session(host, sid)
        if session is None:
            return Reply.error("No onboarding session", "That onboarding session is not open on host "
                               f"`{host}`.", hint="Start one with `onboard`.", code="session")
        if not session.method:
            return Reply.error("Choose a credential type first", "Pick API key or setup-token, then paste.")
        binding = Binding(host, session.agent, target_profile(session), sid, time.time() + SEAL_TTL_S)
        sealed = seal(text, binding, self._public_key(host), self.hub_keys)
        # The request's text is the pasted message itself: only the sealed copy may cross.
        message = {"op": op, "request": self._wire(replace(request, text="")), "session_id": sid, "sealed": sealed}
        answer = self.link.ask(host, message, timeout=self.write_timeout_s, progress=request.progress)
        if op == "precheck" and answer.get("ok") and answer.get("reply") is None:
            return None
        reply = self._reply(host, answer)
        if op == "secret" and not reply.failed:
            self.deps.store.update_session(f"{host}{SEP}{sid}", state="done")
        return reply

    def _public_key(self, host: str) -> bytes:
        """The host's key as its heartbeats announced it (checked against the pin); asked for when
        the hub has not heard one yet (just started)."""
        state = self.roster.hosts[host]
        if state.public_key is None:
            self.roster.heard(host, self.link.ask(host, {"op": "hello"}, timeout=self.read_timeout_s))
        if state.public_key is None:
            raise HostUnavailable(f"Host `{host}` has not shown the key it was enrolled with; nothing was sent.")
        return state.public_key

    # -- what adapters ask besides commands -----------------------------------------------------
    def onboarding_session(self, session_id: str) -> Session | None:
        host, sep, sid = session_id.partition(SEP)
        if not sep or host not in self.roster.hosts:
            return None
        try:
            session = self._host_session(host, sid)
        except ChatSafeError:
            return None
        return replace(session, id=session_id) if session else None

    def agent_names(self) -> list[str]:
        return sorted({a for h in self.roster.hosts.values() for a in h.agents})

    def profile_ids(self, agent: str | None = None) -> list[str]:
        return sorted({p for h in self.roster.hosts.values() for a, ps in h.agents.items()
                       if agent in (None, a) for p in ps})

    # -- asking hosts ----------------------------------------------------------------------------
    def _wire(self, request: Request) -> dict[str, Any]:
        """The request for a host, with the hub's verdict on the role. A text that holds a
        credential never goes out in clear (commands are screened before this; this is the floor)."""
        if find_embedded(request.text):
            request = replace(request, text="")
        return request_to_dict(request, self.deps.policy.role_of(request.user))

    def _on(self, host: str, request: Request) -> Reply:
        op = {"op": "handle", "request": self._wire(request)}
        return self._guarded(lambda: self._answered(host, op, request), request.text.split(" ", 1)[0] or "command")

    def _answered(self, host: str, op: Mapping[str, Any], request: Request) -> Reply:
        answer = self.link.ask(host, op, timeout=self.write_timeout_s, progress=request.progress)
        reply = self._reply(host, answer)
        self._mirror_sessions(host, reply, request)
        return reply

    def _reply(self, host: str, answer: Mapping[str, Any]) -> Reply:
        """The host's reply, with its buttons and sessions pointing back at it."""
        if not answer.get("ok"):
            reason = str(answer.get("error", "no reason given"))[:300]
            raise HostUnavailable(f"Host `{host}` could not run that: {reason}")
        try:
            reply = reply_from_dict(answer.get("reply"))
        except WireError as exc:
            raise HostUnavailable(f"Host `{host}` answered in a form this hub cannot read ({exc}).") from None
        return self._tagged(host, reply)

    def _tagged(self, host: str, reply: Reply) -> Reply:
        for action in reply.actions:
            if action.id not in HUB_ACTIONS:
                action.value = f"{host}{SEP}{action.value}"
        if reply.prompt is not None:
            reply.prompt.session_id = f"{host}{SEP}{reply.prompt.session_id}"
        if reply.direct is not None:
            self._tagged(host, reply.direct)
        if len(self.roster.hosts) > 1:
            reply.context = " · ".join(x for x in (reply.context, f"host `{host}`") if x)
        return reply

    def _host_session(self, host: str, sid: str) -> Session | None:
        answer = self.link.ask(host, {"op": "session", "session_id": sid}, timeout=self.read_timeout_s)
        if not answer.get("ok"):
            raise HostUnavailable(f"Host `{host}` could not look up the session: {answer.get('error', '')}"[:300])
        try:
            return session_from_dict(answer["session"]) if answer.get("session") else None
        except WireError as exc:
            raise HostUnavailable(f"Host `{host}` answered in a form this hub cannot read ({exc}).") from None

    def _mirror_sessions(self, host: str, reply: Reply, request: Request) -> None:
        """Remember the session a host's reply opened for this user, so their next DM message (the
        paste) goes to that host. The hub's copy holds what the host's does: who, which agent and
        profile, never a credential."""
        prompt = reply.prompt or (reply.direct.prompt if reply.direct else None)
        if prompt is None:
            return
        _, _, sid = prompt.session_id.partition(SEP)
        session = self._host_session(host, sid)
        if session is None or session.user_key != request.user.key:
            return
        ref = f"{host}{SEP}{sid}"
        if self.deps.store.session(ref) is None:
            self.deps.store.open_session(replace(session, id=ref))
        else:
            self.deps.store.update_session(ref, method=session.method, state=session.state)

    def _open_session_id(self, request: Request) -> str | None:
        session = self.deps.store.open_session_for(request.user.key)
        return session.id if session else None

    # -- several hosts -----------------------------------------------------------------------------
    def _everywhere(self, request: Request, *, show_all: bool) -> Reply:
        hosts = self.roster.names()
        op = {"op": "handle", "request": self._wire(request)}
        request.progress.step(f"Asking {len(hosts)} gateway hosts")  # shown only if they are slow to answer
        try:
            answers = self.link.ask_each(hosts, op, timeout=self.read_timeout_s)
        except ChatSafeError as exc:
            return Reply.error(exc.title, str(exc), code=exc.code)
        sections: list[Section] = []
        visible = True
        for host in hosts:
            answer = answers.get(host) or HostUnavailable("no answer")
            try:
                if isinstance(answer, ChatSafeError):
                    raise answer
                reply = self._reply(host, answer)
            except ChatSafeError as exc:
                sections.append(Section(f"{host}: not answering", f"{exc}\n{self._last_seen(host)}",
                                        severity=Severity.ERROR))
                continue
            visible = visible and reply.visibility is Visibility.IN_CHANNEL
            sections.extend(_host_sections(host, reply, show_all))
        incidents = self.deps.alerts.open_incidents() if self.deps.alerts is not None else []
        if incidents:
            sections.append(open_incidents_section(incidents))
        severity = Severity.worst([s.severity for s in sections])
        verb = request.text.split(" ", 1)[0]
        return Reply(
            title=f"OpenClaw {verb} — {len(hosts)} gateway hosts"
                  + ("" if severity in (Severity.OK, Severity.INFO) else " — needs attention"),
            sections=sections, severity=severity,
            visibility=Visibility.IN_CHANNEL if visible and verb == "status" else Visibility.EPHEMERAL,
            context=f"`{verb} --host NAME` (or `@NAME`) for one host's detail",
            actions=[] if show_all else [Action(ActionId.STATUS_ALL, "Show all")] if verb == "status" else [],
        )

    def _hosts_hint(self) -> str:
        names = self.roster.names()
        return (f"This hub serves {len(names)} gateway host(s): {', '.join(names) or 'none yet'}. Add `--host NAME` "
                "(or `@NAME`) to run a command on one; `status` and `doctor` without it ask them all.")

    def _last_seen(self, host: str) -> str:
        state = self.roster.hosts[host]
        if not state.last_seen:
            return "Not heard from since the hub started."
        return f"Last seen {humanize(time.time() - state.last_seen)} ago."

    def _which_host(self, verb: str, text: str, hosts: list[str]) -> Reply:
        return Reply(
            title="Which host?",
            text=f"`{verb}` changes one gateway, and this hub has {len(hosts)}. Pick one, or run it again "
                 f"with `--host NAME`.",
            actions=[Action(ActionId.FLEET_HOST, name, f"{name}{SEP}{text}") for name in hosts],
            failed=True, code="host-needed",
        )


def _host_sections(host: str, reply: Reply, show_all: bool) -> list[Section]:
    """One host's part of a fleet-wide answer: a line when all is well (unless `--all`), its own
    sections, titled with the host, otherwise."""
    healthy = not reply.failed and reply.severity in (Severity.OK, Severity.INFO)
    if healthy and not show_all:
        agents = sum(1 for s in reply.sections if s.title.startswith("Agent "))
        what = f"{agents} agent(s), all healthy" if agents else reply.title
        return [Section(f"{host}", what, severity=Severity.OK)]
    if reply.failed:
        return [Section(f"{host}: {reply.title}", reply.text, severity=Severity.ERROR)]
    return [replace(s, title=f"{host} · {s.title}") for s in reply.sections]
