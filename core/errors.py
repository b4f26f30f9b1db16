"""The one exception base for failures whose message may be shown in chat.

A handler that cannot finish raises; the dispatcher's guard (`core.chatops`) turns a `ChatSafeError`
into an error reply with the exception's own `title` and `code`, and every other exception into
"Something went wrong" plus a log entry. So a message reaches chat only when its class promised,
where it was raised, that it names no secret and says what to do; a bug's message never does.
"""
from __future__ import annotations

__all__ = ["ChatSafeError"]


class ChatSafeError(Exception):
    """`str()` names no secret and is worded for the person who asked. Subclasses set the reply's
    title and machine-readable `code` (what tests and adapters key on)."""

    title = "Cannot do that"
    code = "error"
