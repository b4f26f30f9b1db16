"""The grammar, the handler registry, the buttons core builds and the adapters' routing agree.

A command is declared in two places (its Verb in the grammar, its handler's `@handles_verb`) and a
button in three (the `ActionId`, the `Action(...)` that puts it on a reply, the handler's
`@handles_action` or an adapter's branch); these checks are what keeps them one command. Buttons
are found by reading the source (every `Action(...)` call in core and the adapters), so a reply
path no test exercises is covered too. No Node, no CLI.
"""
from __future__ import annotations

import ast
import importlib
import pkgutil
import re
from pathlib import Path

import pytest

import core.chatops  # noqa: F401 - loads the handlers the dispatcher serves
import core.handlers
from core.access import Role
from core.actions import ADAPTER_ACTIONS, ActionId
from core.grammar import VERB_BY_NAME
from core.registry import REGISTRY, Registry

ROOT = Path(__file__).resolve().parents[2]
NAMESPACES = "|".join(sorted({a.value.split(".")[0] for a in ActionId}))
ACTION_LIKE = re.compile(rf"^(?:{NAMESPACES})\.[a-z_]+(?:/|$)")


def sources(package: str) -> dict[Path, ast.Module]:
    return {path: ast.parse(path.read_text(), str(path)) for path in sorted((ROOT / package).rglob("*.py"))}


def action_ids_used(tree: ast.Module) -> set[str]:
    """Every `ActionId.X` the module names, as its value."""
    return {ActionId[node.attr].value for node in ast.walk(tree)
            if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name) and node.value.id == "ActionId"}


def buttons_built(tree: ast.Module) -> list[ast.expr]:
    """The first argument (the id) of every `Action(...)` the module builds."""
    return [node.args[0] for node in ast.walk(tree)
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "Action"
            and node.args]


def test_every_verb_has_exactly_one_handler_and_every_handler_a_verb():
    assert sorted(REGISTRY.commands) == sorted(VERB_BY_NAME)
    for name, entry in REGISTRY.commands.items():
        assert entry.verb is VERB_BY_NAME[name]  # the role checked is the grammar's


def test_registering_twice_or_outside_the_grammar_fails_at_import():
    registry = Registry()
    registry.command("status")(lambda deps, request, command: None)
    with pytest.raises(ValueError, match="already has a handler"):
        registry.command("status")(lambda deps, request, command: None)
    with pytest.raises(ValueError, match="not a verb of the grammar"):
        registry.command("statuz")
    registry.action(ActionId.STATUS_ALL, Role.VIEWER)(lambda deps, request, value: None)
    with pytest.raises(ValueError, match="already has a handler"):
        registry.action(ActionId.STATUS_ALL, Role.VIEWER)(lambda deps, request, value: None)
    with pytest.raises(ValueError, match="answered by the adapters"):
        registry.action(ActionId.ONBOARD_PASTE, Role.ADMIN)


def test_the_dispatcher_loads_every_handler_module():
    """A handler module the dispatcher does not import would register nothing in the running bot."""
    before = ({k: e.run for k, e in REGISTRY.commands.items()}, {k: e.run for k, e in REGISTRY.actions.items()})
    for module in pkgutil.iter_modules(core.handlers.__path__):
        importlib.import_module(f"core.handlers.{module.name}")
    after = ({k: e.run for k, e in REGISTRY.commands.items()}, {k: e.run for k, e in REGISTRY.actions.items()})
    assert after == before


def test_every_action_id_is_answered_once():
    """By a core handler or by the adapters, never both, never neither."""
    registered = set(REGISTRY.actions)
    assert registered.isdisjoint(ADAPTER_ACTIONS)
    assert registered | ADAPTER_ACTIONS == set(ActionId)


def test_every_button_core_builds_is_answered():
    built: set[str] = set()
    for path, tree in {**sources("core"), **sources("adapters")}.items():
        for first in buttons_built(tree):
            where = f"{path.relative_to(ROOT)}:{first.lineno}"
            assert not isinstance(first, ast.Constant), \
                f"{where}: a button id spelled as a string; use core.actions.ActionId"
            if isinstance(first, ast.Attribute) and isinstance(first.value, ast.Name) and first.value.id == "ActionId":
                built.add(ActionId[first.attr].value)
    assert built, "no Action(ActionId...) found: the scan no longer sees how buttons are built"
    unanswered = built - set(REGISTRY.actions) - ADAPTER_ACTIONS
    assert not unanswered


def test_adapters_route_only_known_ids():
    named: set[str] = set()
    for path, tree in sources("adapters").items():
        named |= action_ids_used(tree)
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str):
                assert not ACTION_LIKE.match(node.value), \
                    f"{path.relative_to(ROOT)}:{node.lineno}: action id {node.value!r} spelled as a string"
    assert named <= set(REGISTRY.actions) | ADAPTER_ACTIONS
    # A button only an adapter can answer must be answered by one, or core offers a dead button.
    assert ADAPTER_ACTIONS <= named
