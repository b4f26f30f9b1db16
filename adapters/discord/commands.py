"""The `/openclaw` command group, derived from `core.grammar.VERBS` (never declared twice).

Each verb becomes a subcommand; each argument and flag becomes a typed option (boolean flags are
booleans, everything else a string), choices come from the grammar, and agent/profile options get
autocomplete. Invoking a subcommand rebuilds the same command line a Slack or console user would
type, so core parses one grammar for every platform.
"""
from __future__ import annotations

import inspect
import shlex
from collections.abc import Awaitable, Callable, Coroutine
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands

from core.grammar import VERBS, Verb

# Option names whose values are agent ids or profile ids: they get autocomplete.
AGENT_OPTIONS = frozenset({"agent"})
PROFILE_OPTIONS = frozenset({"profile", "profile-id", "profiles"})

Run = Callable[[discord.Interaction, Verb, dict[str, Any]], Awaitable[None]]
Complete = Callable[[discord.Interaction, str], Coroutine[Any, Any, list[app_commands.Choice[str]]]]


@dataclass(frozen=True)
class Option:
    """One Discord option: its grammar name, Python parameter name and type."""

    name: str  # as in the grammar and on Discord (`profile-id`)
    help: str
    kind: type  # str or bool
    required: bool = False
    choices: tuple[str, ...] = ()
    positional: bool = True

    @property
    def param(self) -> str:
        return self.name.replace("-", "_")


def options_of(verb: Verb) -> list[Option]:
    opts = [Option(a.name, a.help + (" (space separated)" if a.many else ""), str, a.required, a.choices)
            for a in verb.args]
    opts += [Option(f.name, f.help, str if f.value else bool, positional=False) for f in verb.flags]
    return opts


def command_line(verb: Verb, values: dict[str, Any]) -> str:
    """The grammar text for a subcommand call, e.g. `status ops --private`.

    Values are shell-quoted because core tokenises with shlex; a many-valued argument (`order`'s
    profiles) is split on whitespace back into words.
    """
    words = [verb.name]
    for opt in options_of(verb):
        value = values.get(opt.param)
        if value is None or value is False or value == "":
            continue
        if opt.positional:
            words += [shlex.quote(w) for w in str(value).split()] if any(
                a.many for a in verb.args if a.name == opt.name) else [shlex.quote(str(value))]
        elif opt.kind is bool:
            words.append(f"--{opt.name}")
        else:
            words += [f"--{opt.name}", shlex.quote(str(value))]
    return " ".join(words)


def _callback(verb: Verb, run: Run) -> Callable[..., Coroutine[Any, Any, None]]:
    """A coroutine whose signature is the verb's options: discord.py reads the schema from it."""
    async def callback(interaction: discord.Interaction, **values: Any) -> None:
        await run(interaction, verb, values)

    params = [inspect.Parameter("interaction", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=discord.Interaction)]
    for opt in options_of(verb):
        params.append(inspect.Parameter(
            opt.param, inspect.Parameter.KEYWORD_ONLY,
            annotation=opt.kind if opt.required else opt.kind | None,
            default=inspect.Parameter.empty if opt.required else None))
    callback.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    callback.__name__ = callback.__qualname__ = verb.name.replace("-", "_")
    return callback


def build_group(run: Run, *, agents: Complete, profiles: Complete,
                permissions: discord.Permissions | None) -> app_commands.Group:
    group = app_commands.Group(name="openclaw", description="OpenClaw gateway credentials and auth health",
                               default_permissions=permissions)
    for verb in VERBS:
        func = _callback(verb, run)
        opts = options_of(verb)
        func = app_commands.describe(**{o.param: o.help[:100] for o in opts})(func)
        func = app_commands.rename(**{o.param: o.name for o in opts if o.param != o.name})(func)
        choices = {o.param: [app_commands.Choice(name=c, value=c) for c in o.choices] for o in opts if o.choices}
        if choices:
            func = app_commands.choices(**choices)(func)
        completers = {o.param: agents for o in opts if o.name in AGENT_OPTIONS and not o.choices}
        completers |= {o.param: profiles for o in opts if o.name in PROFILE_OPTIONS}
        if completers:
            func = app_commands.autocomplete(**completers)(func)
        group.add_command(app_commands.Command(name=verb.name, description=verb.summary[:100], callback=func))
    return group
