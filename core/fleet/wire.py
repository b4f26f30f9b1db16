"""What crosses the broker between hub and host: requests, replies and sessions as plain JSON.

The reply document (`core.replies.Reply`) is already plain data, so a host answers with exactly
what its handlers returned and the hub renders it like a local one. Nothing here may carry a
credential: a pasted secret travels only inside a sealed message (`core.fleet.sealing`).
"""
from __future__ import annotations

from typing import Any

from core.access import HUB_ROLE_MARK, Role
from core.replies import Action, Field, Prompt, Reply, Section, Severity, Visibility
from core.requests import Place, PlaceKind, Request, User
from core.store import Session

__all__ = ["ROLE_MARK", "WireError", "asserted_user", "reply_from_dict", "request_from_dict", "request_to_dict",
           "session_from_dict", "session_to_dict"]

# A host trusts the role the hub decided (only the hub may publish on a host's command subject);
# it travels as a marker group no Slack group id (`S…`) or Discord role id (digits) can look like.
ROLE_MARK = HUB_ROLE_MARK


class WireError(ValueError):
    """A message that is not in the shape this side expects (another release, or garbage)."""


def request_to_dict(request: Request, role: Role) -> dict[str, Any]:
    """The request as a host needs it: who (with the hub's verdict on their role), where, what."""
    user = request.user
    return {"user": {"platform": user.platform, "id": user.id, "name": user.name},
            "role": role.label, "place": {"kind": request.place.kind.value, "id": request.place.id},
            "text": request.text}


def asserted_user(user: User, role: Role) -> User:
    """The user with their platform groups replaced by the hub's role marker."""
    return User(user.platform, user.id, user.name, frozenset({ROLE_MARK + role.label}))


def request_from_dict(data: Any, **extra: Any) -> Request:
    try:
        user = data["user"]
        role = Role.parse(str(data["role"]))
        place = Place(PlaceKind(data["place"]["kind"]), str(data["place"]["id"]))
        who = asserted_user(User(str(user["platform"]), str(user["id"]), str(user.get("name", ""))), role)
        return Request(who, place, str(data["text"]), **extra)
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"unreadable request: {exc}") from None


def reply_from_dict(data: Any) -> Reply:
    """The inverse of `Reply.to_dict`; WireError when `data` is not a reply."""
    try:
        return Reply(
            title=str(data["title"]), text=str(data.get("text", "")),
            sections=[Section(str(s["title"]), str(s.get("text", "")),
                              [Field(str(f["label"]), str(f["value"])) for f in s.get("fields", [])],
                              Severity(s.get("severity", "info"))) for s in data.get("sections", [])],
            severity=Severity(data.get("severity", "info")),
            visibility=Visibility(data.get("visibility", "ephemeral")),
            actions=[Action(str(a["id"]), str(a["label"]), str(a.get("value", "")), str(a.get("style", "")))
                     for a in data.get("actions", [])],
            context=str(data.get("context", "")),
            prompt=Prompt(str(p["kind"]), str(p["session_id"]), str(p["label"]), [str(o) for o in p.get("options", [])])
            if (p := data.get("prompt")) else None,
            direct=reply_from_dict(data["direct"]) if data.get("direct") else None,
            direct_user=str(data.get("direct_user", "")), failed=bool(data.get("failed", False)),
            burned=bool(data.get("burned", False)), code=str(data.get("code", "")),
        )
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise WireError(f"unreadable reply: {exc}") from None


def session_to_dict(session: Session) -> dict[str, Any]:
    return {"id": session.id, "user_key": session.user_key, "agent": session.agent, "method": session.method,
            "profile_id": session.profile_id, "options": session.options, "created_at": session.created_at,
            "expires_at": session.expires_at, "state": session.state}


def session_from_dict(data: Any) -> Session:
    try:
        return Session(str(data["id"]), str(data["user_key"]), str(data["agent"]),
                       None if data["method"] is None else str(data["method"]),
                       None if data["profile_id"] is None else str(data["profile_id"]), dict(data["options"]),
                       float(data["created_at"]), float(data["expires_at"]), str(data["state"]))
    except (KeyError, TypeError, ValueError) as exc:
        raise WireError(f"unreadable session: {exc}") from None
