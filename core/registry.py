"""Which function answers which verb or button, declared by the function itself.

A handler registers next to its definition, the way Bolt's `@app.action` and discord.py's
`@tree.command` declare listeners:

    @handles_verb("status")  # the role is the grammar Verb's, declared once
    def handle(deps, request, command): ...

    @handles_action(ActionId.STATUS_ALL, Role.VIEWER)  # a button is checked against a role like a command
    def act_all(deps, request, value): ...

Registering a verb the grammar does not know, or anything twice, fails at import. That a verb
has no handler, or a button core puts on a reply is not registered, is checked in
tests/core/test_registry.py (registration is import-time, so the check needs every handler loaded).
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from core.access import Role
from core.actions import ADAPTER_ACTIONS, ActionId
from core.grammar import VERB_BY_NAME, Command, Verb
from core.handlers.deps import Deps
from core.replies import Reply
from core.requests import Request

__all__ = ["ActionHandler", "CommandHandler", "Registry", "REGISTRY", "handles_action", "handles_verb"]

CommandHandler = Callable[[Deps, Request, Command], Reply]
ActionHandler = Callable[[Deps, Request, str], Reply]
C = TypeVar("C", bound=CommandHandler)
A = TypeVar("A", bound=ActionHandler)


@dataclass(frozen=True)
class CommandEntry:
    verb: Verb
    run: CommandHandler


@dataclass(frozen=True)
class ActionEntry:
    action: ActionId
    role: Role
    run: ActionHandler


class Registry:
    def __init__(self) -> None:
        self.commands: dict[str, CommandEntry] = {}
        self.actions: dict[str, ActionEntry] = {}

    def command(self, name: str) -> Callable[[C], C]:
        verb = VERB_BY_NAME.get(name)
        if verb is None:
            raise ValueError(f"`{name}` is not a verb of the grammar (core.grammar.VERBS)")

        def register(handler: C) -> C:
            if name in self.commands:
                raise ValueError(f"`{name}` already has a handler: {self.commands[name].run.__qualname__}")
            self.commands[name] = CommandEntry(verb, handler)
            return handler
        return register

    def action(self, action_id: ActionId, role: Role) -> Callable[[A], A]:
        if action_id in ADAPTER_ACTIONS:
            raise ValueError(f"`{action_id}` is answered by the adapters, never by core")

        def register(handler: A) -> A:
            if action_id in self.actions:
                raise ValueError(f"`{action_id}` already has a handler: {self.actions[action_id].run.__qualname__}")
            self.actions[action_id] = ActionEntry(action_id, role, handler)
            return handler
        return register


REGISTRY = Registry()  # the one the dispatcher serves; handler modules fill it when imported
handles_verb = REGISTRY.command
handles_action = REGISTRY.action
