"""What crosses the broker: a host reads the hub's requests as the hub meant them, and the hub
reads a host's reply as the host's handler made it; a host trusts the hub's role and nothing else."""
from __future__ import annotations

import pytest

from core.access import HubAssertedPolicy, Policy, Role
from core.fleet.targeting import split_target
from core.fleet.wire import WireError, asserted_user, reply_from_dict, request_from_dict, request_to_dict
from core.replies import Action, Field, Prompt, Reply, Section, Severity, Visibility
from core.requests import Place, PlaceKind, Request, User


def test_a_reply_survives_the_trip_whole():
    reply = Reply(title="t", text="x", sections=[Section("s", "body", [Field("a", "b")], Severity.WARNING)],
                  severity=Severity.ERROR, visibility=Visibility.IN_CHANNEL,
                  actions=[Action("status.all", "Show all", "v", "primary")], context="c",
                  prompt=Prompt("choice", "sid", "pick", ["a", "b"]),
                  direct=Reply(title="dm", prompt=Prompt("secret", "sid2", "token")), direct_user="U1",
                  failed=True, burned=True, code="burned")
    assert reply_from_dict(reply.to_dict()) == reply


@pytest.mark.parametrize("data", [None, 3, "x", {}, {"title": "t", "sections": [{"fields": 1}]},
                                  {"title": "t", "severity": "purple"}, {"title": "t", "prompt": {"kind": "secret"}}])
def test_a_reply_in_another_shape_is_a_clear_error(data):
    with pytest.raises(WireError, match="unreadable reply"):
        reply_from_dict(data)


def test_the_host_takes_the_role_the_hub_decided_and_nothing_else():
    slack = User("slack", "U1", "ann", frozenset({"S123"}))
    request = Request(slack, Place(PlaceKind.DM, "D1"), "status ops")
    seen = request_from_dict(request_to_dict(request, Role.OPERATOR))
    host_policy = HubAssertedPolicy(default_role=Role.NOBODY)
    assert seen.user.key == "slack:U1" and seen.text == "status ops" and seen.place == request.place
    assert host_policy.role_of(seen.user) is Role.OPERATOR
    assert "S123" not in seen.user.groups  # the platform's groups stay at the hub
    assert host_policy.role_of(slack) is Role.NOBODY  # no verdict from the hub: no role
    assert host_policy.role_of(asserted_user(slack, Role.ADMIN)) is Role.ADMIN
    # The marker means nothing to a single-gateway bot's policy: it is not a group anyone is in.
    assert Policy(default_role=Role.VIEWER).role_of(asserted_user(slack, Role.ADMIN)) is Role.VIEWER


@pytest.mark.parametrize("data", [{}, {"user": {"platform": "slack", "id": "U"}, "role": "root",
                                       "place": {"kind": "dm", "id": ""}, "text": "x"},
                                  {"user": 1, "role": "admin", "place": {}, "text": ""}])
def test_a_request_in_another_shape_is_a_clear_error(data):
    with pytest.raises(WireError, match="unreadable request"):
        request_from_dict(data)


@pytest.mark.parametrize("text, host, rest", [
    ("status", None, "status"),
    ("status ops --host prod", "prod", "status ops"),
    ("status --host=prod ops", "prod", "status ops"),
    ("@staging onboard ops", "staging", "onboard ops"),
    ("onboard ops @Staging", "staging", "onboard ops"),
])
def test_a_host_is_named_with_host_or_at(text, host, rest):
    assert split_target(text) == (host, rest)


@pytest.mark.parametrize("text, message", [("status --host", "needs a host name"),
                                           ("status @a --host b", "One host per command")])
def test_a_host_named_badly_is_a_clear_error(text, message):
    with pytest.raises(ValueError, match=message):
        split_target(text)
