"""A credential where it must not be: posted in a shared channel, or typed as a command argument.

Both are checked before anything is parsed, so a token is never echoed back in an error. One in a
shared channel is burned (whoever can read the channel may have it): refused, audited by its
fingerprint, and, when configured, announced in the alert channel.
"""
from __future__ import annotations

from core.alerts.render import burned_notice_reply
from core.handlers.deps import Deps
from core.replies import Reply, Severity
from core.requests import PlaceKind, Request
from core.secrets.credentials import CREDENTIAL_PREFIX, find_embedded


def screen_command(deps: Deps, request: Request) -> Reply | None:
    """The refusal for a command line that holds (part of) a credential; None when it holds none."""
    found = find_embedded(request.text)
    if found:
        if request.place.kind is PlaceKind.CHANNEL:
            return burned(deps, request, found)
        return Reply.error(
            "Not stored", "Credentials are never taken as command arguments (they end up in history).",
            hint="Run `paste-token` or `onboard` and paste it when asked.")
    if CREDENTIAL_PREFIX in request.text.lower():
        # Too short or broken up to be a whole credential, but it may be most of one (a wrapped
        # or cut paste): the parse errors quote the words they reject, so do not parse.
        return Reply.error(
            "Cannot read that command", "Part of it looks like an Anthropic credential (`sk-ant-…`), so "
            "it is not run and not shown back. Credentials are never taken as command arguments.",
            hint="Run `paste-token` or `onboard` and paste it when asked.", code="parse")
    return None


def burned(deps: Deps, request: Request, fingerprints: list[str]) -> Reply:
    for fp in fingerprints:
        deps.store.audit(request.user.key, "secret_in_channel", "refused", fingerprint=fp,
                         detail=f"place {request.place.id or 'unknown'}")
    if deps.options.burned_notice and deps.alerts is not None and fingerprints:
        dest = deps.alerts.destination()
        deps.alerts.post_note(burned_notice_reply(
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
