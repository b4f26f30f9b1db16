"""`alerts`: where team alerts go, on/off, snoozes; and the Acknowledge / Snooze buttons."""
from __future__ import annotations

import time

from core.access import Role
from core.actions import ActionId
from core.alerts.center import AlertCenter
from core.alerts.incidents import Incident
from core.alerts.outbox import Destination
from core.durations import humanize, parse_duration
from core.grammar import Command
from core.handlers.deps import Deps
from core.registry import handles_action, handles_verb
from core.replies import Field, Reply, Section, Severity
from core.requests import PlaceKind, Request


@handles_verb("alerts")
def handle(deps: Deps, request: Request, command: Command) -> Reply:
    center = deps.alerts
    if center is None:
        return Reply.error("Alerts are not running", "This bot was started without the alert watcher.")
    action = command.arg("action")
    if action == "here":
        if request.place.kind is PlaceKind.DM:
            return Reply.error("Pick a channel", "Team alerts go to a shared channel: run `alerts here` there.")
        center.set_destination(Destination(request.user.platform, request.place.id))
        return Reply(title="Team alerts will be posted here", severity=Severity.OK,
                     text="Cooldowns, disables, recoveries, exhausted providers and expiring tokens; "
                          "one message per incident.")
    if action in ("on", "off"):
        if action == "on" and center.destination() is None:
            return Reply.error("No alert channel", "Run `alerts here` in the channel that should get them.")
        center.set_enabled(action == "on")
        return Reply(title=f"Team alerts {'on' if action == 'on' else 'off'}", severity=Severity.OK)
    if action == "snooze":
        profile, duration = command.arg("target"), command.arg("duration")
        if not profile or not duration:
            return Reply.error("Snooze what?",
                               "Usage: `alerts snooze <profileId> <duration>`, e.g. `alerts snooze anthropic:api 1h`.")
        try:
            seconds = parse_duration(duration)
        except ValueError as exc:
            return Reply.error("Bad duration", str(exc))
        center.snooze_profile(profile, seconds)
        return Reply(title=f"Alerts for {profile} snoozed for {humanize(seconds)}", severity=Severity.OK)
    return show(center)


def show(center: AlertCenter) -> Reply:
    dest = center.destination()
    fields = [Field("Destination", str(dest) if dest else "not set (`alerts here`)"),
              Field("State", "on" if center.enabled() else "off")]
    fields += [Field(f"snoozed {p}", f"{humanize(until - time.time())} left") for p, until in center.snoozes().items()]
    sections = [Section("Team alerts", fields=fields)]
    incidents = center.open_incidents()
    if incidents:
        sections.append(open_incidents_section(incidents))
    return Reply(title="Team alerts", sections=sections)


def open_incidents_section(incidents: list[Incident]) -> Section:
    now = time.time()
    return Section("Open incidents", severity=Severity.WARNING, fields=[
        Field(i.key, f"{i.kind}, open {humanize(now - i.opened_at)}"
              + (f", acknowledged by {i.acked_by}" if i.acked_by else ""))
        for i in incidents])


@handles_action(ActionId.ALERTS_ACK, Role.OPERATOR)
def act_ack(deps: Deps, request: Request, value: str) -> Reply:
    if deps.alerts is None or deps.alerts.acknowledge(value, request.user.label) is None:
        return Reply.error("Unknown incident", "That incident is no longer tracked.")
    return Reply(title=f"Acknowledged by {request.user.label}", severity=Severity.OK)


@handles_action(ActionId.ALERTS_SNOOZE, Role.OPERATOR)
def act_snooze(deps: Deps, request: Request, value: str) -> Reply:
    key, _, seconds = value.rpartition("|")
    if deps.alerts is None or not seconds.isdigit() or deps.alerts.snooze(key, int(seconds)) is None:
        return Reply.error("Unknown incident", "That incident is no longer tracked.")
    return Reply(title=f"Snoozed for {humanize(int(seconds))} by {request.user.label}", severity=Severity.OK)
