"""The answer to a hub's "Which host?" button when it reaches a bot that serves one gateway.

A hub (`core.fleet.hub`) answers the button itself: it reruns the command on the host picked. A
press can still reach a single-gateway bot when a team moved back from a hub to one `run`
process while old messages kept their buttons; it then gets a plain answer, not "unknown button".
"""
from __future__ import annotations

from core.access import Role
from core.actions import ActionId
from core.handlers.deps import Deps
from core.registry import handles_action
from core.replies import Reply
from core.requests import Request


@handles_action(ActionId.FLEET_HOST, Role.VIEWER)
def act_pick_host(deps: Deps, request: Request, value: str) -> Reply:
    command = value.partition("|")[2] or "the command"
    return Reply.error("One gateway here", f"This bot serves a single gateway, so there is no host to pick: "
                       f"run `{command}` again.")
