"""Incident → Reply: the one message per incident, as it stands now."""
from __future__ import annotations

import time

from core.actions import ActionId
from core.alerts.incidents import Incident
from core.durations import humanize
from core.replies import Action, Field, Reply, Section, Severity, Visibility
from core.store import AuditRow

__all__ = ["burned_notice_reply", "credential_note", "incident_reply", "note_reply"]

CHANGE_ACTIONS = {"onboard": "onboarded", "remove": "removed", "rotate": "rotated", "rollback": "rolled back",
                  "secure": "secured", "purge": "purged (rollback window over)"}
CHANGE_RESULTS = ("stored", "removed", "stored-unverified", "rotated", "rolled-back", "moved", "purged")
ERROR_KINDS = ("provider_exhausted", "disabled", "expired", "gateway_unreachable", "host_unreachable")

TITLES = {
    "cooldown": "Profile in cooldown",
    "disabled": "Profile disabled",
    "provider_exhausted": "No available auth profile",
    "expiring": "Token expiring",
    "expired": "Token expired",
    "gateway_unreachable": "Gateway unreachable",
    "stuck_cooldown": "Cooldown outlived its until",
    "failover_kind": "Failover onto another kind of credential",
    "host_unreachable": "Host unreachable",
}


def incident_reply(incident: Incident, now: float | None = None) -> Reply:
    now = time.time() if now is None else now
    d = incident.detail
    kind = incident.kind
    what = f"{TITLES.get(kind, kind)} — {_subject(incident)}"
    if incident.state == "resolved":
        took = humanize((incident.resolved_at or now) - incident.opened_at)
        title = f"✅ Resolved: {what} (after {took})"
        severity = Severity.OK
    else:
        title = f"{'⛔' if kind in ERROR_KINDS else '⚠️'} {what}"
        severity = Severity.ERROR if kind in ERROR_KINDS else Severity.WARNING
    fields: list[Field] = []
    if d.get("host"):
        fields.append(Field("Host", d["host"]))
    if d.get("last_seen"):
        seen = time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime(d["last_seen"]))
        fields.append(Field("Last seen", f"{humanize(max(0, now - d['last_seen']))} ago ({seen})"))
    if "until" in d and incident.state == "open":
        fields.append(Field("Time left", humanize(max(0, d["until"] / 1000 - now))))
    if d.get("reason"):
        fields.append(Field("Reason", d["reason"] + (f" / {d['classification']}" if d.get("classification") else "")))
    if d.get("agents"):
        fields.append(Field("Agents affected", ", ".join(d["agents"])))
    if d.get("profiles"):
        fields.append(Field("Profiles down", ", ".join(d["profiles"])))
    if d.get("expires_at"):
        left = d["expires_at"] / 1000 - now
        fields.append(Field("Expires", f"in {humanize(left)}" if left > 0 else f"{humanize(-left)} ago"))
    if d.get("message"):
        fields.append(Field("Error", d["message"]))
    if incident.acked_by:
        fields.append(Field("Acknowledged by", incident.acked_by))
    if incident.snoozed(now):
        fields.append(Field("Snoozed", f"{humanize(incident.snoozed_until - now)} left (no thread notes until then)"))
    text = d.get("hint", "")
    if kind == "provider_exhausted" and incident.state == "open":
        text = (f"Agent {d.get('agent')} fails with \"No available auth profile\" until a profile recovers. "
                f"Add another {d.get('provider')} profile (`/openclaw onboard {d.get('agent')}`) or wait.")
    if kind in ("expiring", "expired") and incident.state == "open":
        on_host = f" --host {d['host']}" if d.get("host") else ""
        text = (f"Press Rotate now (or run `/openclaw rotate {d.get('profile')} {d.get('owner')}{on_host}`) "
                "and paste a fresh `claude setup-token`.")
    if kind == "host_unreachable" and incident.state == "open":
        text = (f"The hub has no heartbeat from host {d.get('host')}: its status is unknown and its alerts "
                "arrive when it is back.")
    actions = []
    if incident.state == "open":
        actions = [Action(ActionId.ALERTS_ACK, "Acknowledge", incident.short_id, "primary"),
                   Action(ActionId.ALERTS_SNOOZE, "Snooze 1 h", f"{incident.short_id}|3600"),
                   Action(ActionId.ALERTS_SNOOZE, "Snooze 24 h", f"{incident.short_id}|86400"),
                   Action(ActionId.STATUS_ALL, "Show status")]
        if kind in ("expiring", "expired") and d.get("owner") and d.get("profile"):
            # A host's incident: the hub routes `host|value` to that host's rotation flow.
            value = f"{d['owner']}|{d['profile']}"
            actions.insert(0, Action(ActionId.ROTATION_START, "Rotate now",
                                     f"{d['host']}|{value}" if d.get("host") else value, "primary"))
    opened = time.strftime('%Y-%m-%d %H:%M:%SZ', time.gmtime(incident.opened_at))
    return Reply(title=title, text=text,
                 sections=[Section("Details", fields=fields, severity=severity)] if fields else [],
                 severity=severity, visibility=Visibility.IN_CHANNEL, actions=actions,
                 context=f"incident {incident.key} · opened {opened}")


def _subject(incident: Incident) -> str:
    """What the title names: the subject, with a fleet host's `@host ` prefix spelled out."""
    host = incident.detail.get("host")
    if not host:
        return incident.subject
    if incident.kind in ("host_unreachable", "gateway_unreachable"):
        return f"host {host}"
    return f"{incident.subject.removeprefix(f'@{host} ')} on host {host}"


def credential_note(row: AuditRow, host: str = "") -> str | None:
    """The alert channel's one-line note for an audit row that changed a credential (None for
    any other row); `host` names the fleet host the change happened on."""
    verb = CHANGE_ACTIONS.get(row.action)
    if not verb or row.result not in CHANGE_RESULTS:
        return None
    where = f" on host {host}" if host else ""
    return (f"🔑 Credential {verb}: {row.profile_id} on agent {row.agent}{where} by {row.actor} "
            f"({row.fingerprint or 'no fingerprint'})")


def note_reply(text: str, severity: Severity = Severity.INFO) -> Reply:
    return Reply(title=text, severity=severity, visibility=Visibility.IN_CHANNEL)


def burned_notice_reply(platform: str, user_id: str, place_id: str, fingerprints: list[str], *,
                        mentions: bool) -> Reply:
    """The team's copy of a burned-credential warning: who, where, which (fingerprint only), and
    that it must be revoked. `mentions` when the alert channel is on the poster's platform (Slack
    and Discord both read `<@user>` and `<#channel>`); otherwise plain ids."""
    who = f"<@{user_id}>" if mentions else f"{platform} user {user_id}"
    where = (f"<#{place_id}>" if mentions else f"{platform} channel {place_id}") if place_id else "a shared channel"
    return Reply(
        title="🔥 A credential was posted in a shared channel",
        text=(f"{who} posted a credential in {where}. It was not stored, but everyone there has seen it: "
              "revoke it and issue a new one (the Anthropic Console for an API key, `claude setup-token` "
              "for a setup-token)."),
        sections=[Section("Details", fields=[Field("Fingerprint", ", ".join(fingerprints)),
                                             Field("Posted by", f"{platform}:{user_id}")], severity=Severity.WARNING)],
        severity=Severity.WARNING, visibility=Visibility.IN_CHANNEL,
    )
