"""`HostService`: a gateway host's answers to the hub, transport-free.

A host runs the same `ChatOps` as a single-gateway bot, with `HubAssertedPolicy`: the hub has
checked the role (it knows the chat platform's groups), and only the hub may publish on this
host's command subject. Ops (`op` in each message):

- `hello`: who this host is — name, public key, fingerprint, agents and their profile ids (the
  same document as a heartbeat).
- `handle` / `act`: a command line or a button press; the answer is the handler's reply document.
- `session`: one onboarding session, for the hub's modal titles and for sealing.
- `secret` / `precheck`: a pasted credential, sealed by the hub to this host's key. It is opened
  here, checked against the session it names, and handed to `submit_secret` as if it had been
  pasted on this host; a refused seal is audited by its reason, never by its content.
"""
from __future__ import annotations

import logging
import time
from collections.abc import Mapping
from typing import Any

from core.chatops import ChatOps
from core.errors import ChatSafeError
from core.fleet.keys import HostKeys, encode_public
from core.fleet.sealing import ReplayLedger, SealRefused, open_sealed
from core.fleet.wire import WireError, request_from_dict, session_to_dict
from core.handlers.onboarding import target_profile
from core.progress import SILENT, ProgressSink
from core.replies import Reply

__all__ = ["HostService"]

log = logging.getLogger(__name__)


class HostService:
    def __init__(self, name: str, chatops: ChatOps, keys: HostKeys, hub_public: bytes, ledger: ReplayLedger, *,
                 version: str = "") -> None:
        self.name = name
        self.chatops = chatops
        self.keys = keys
        self.hub_public = hub_public
        self.ledger = ledger
        self.version = version

    def beat(self) -> dict[str, Any]:
        """The heartbeat document: also the answer to `hello`."""
        return {"host": self.name, "public_key": encode_public(self.keys.public_bytes()),
                "fingerprint": self.keys.fingerprint, "version": self.version, "at": time.time(),
                "agents": {agent: self.chatops.profile_ids(agent) for agent in self.chatops.agent_names()}}

    def answer(self, message: Mapping[str, Any], progress: ProgressSink = SILENT) -> dict[str, Any]:
        """The answer document for one hub message; never raises (a bad message gets `ok: false`)."""
        op = message.get("op")
        try:
            if op == "hello":
                return {"ok": True, **self.beat()}
            if op == "session":
                session = self.chatops.onboarding_session(str(message["session_id"]))
                return {"ok": True, "session": session_to_dict(session) if session else None}
            request = request_from_dict(message["request"], progress=progress)
            if op == "handle":
                return _replied(self.chatops.handle(request))
            if op == "act":
                return _replied(self.chatops.act(request, str(message["action"]), str(message["value"])))
            if op in ("secret", "precheck"):
                return self._sealed(str(op), request, str(message["session_id"]), message["sealed"])
        except (KeyError, TypeError, WireError) as exc:
            log.warning("unreadable %s message from the hub: %s", op, exc)
            return {"ok": False, "error": f"unreadable {op} message"}
        except ChatSafeError as exc:
            return {"ok": False, "error": str(exc)}
        except Exception:  # noqa: BLE001 - the hub must get an answer; the log keeps the detail
            log.exception("answering %s failed", op)
            return {"ok": False, "error": f"`{op}` failed unexpectedly on host {self.name}; its log has the details"}
        return {"ok": False, "error": f"unknown op {str(op)[:40]!r}"}

    def _sealed(self, op: str, request: Any, session_id: str, sealed: Any) -> dict[str, Any]:
        try:
            binding, secret = open_sealed(sealed, self.name, self.keys, self.hub_public, self.ledger)
        except SealRefused as exc:
            self.chatops.store.audit(request.user.key, "sealed_secret", "refused", detail=exc.reason)
            return _replied(Reply.error("Not stored", f"Host `{self.name}` refused the sealed credential: {exc}",
                                        code="sealed"))
        session = self.chatops.onboarding_session(session_id)
        if session is None or (binding.session, binding.agent, binding.profile) != \
                (session.id, session.agent, target_profile(session)):
            self.chatops.store.audit(request.user.key, "sealed_secret", "refused", detail="binding")
            return _replied(Reply.error("Not stored", "The sealed credential was made for another session.",
                                        code="sealed"))
        if op == "precheck":
            refusal = self.chatops.precheck_secret(request, session_id, secret)
            return {"ok": True, "reply": refusal.to_dict() if refusal else None}
        return _replied(self.chatops.submit_secret(request, session_id, secret))


def _replied(reply: Reply) -> dict[str, Any]:
    return {"ok": True, "reply": reply.to_dict()}
