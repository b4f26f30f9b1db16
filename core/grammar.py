"""The one command grammar every platform speaks: `/openclaw <verb> [args] [--flags]`.

Declared once as data (`VERBS`) so that Slack help, Discord options and console help are derived
from the same table and cannot drift apart.
"""
from __future__ import annotations

import difflib
import shlex
from dataclasses import dataclass, field

from core.access import Role
from core.errors import ChatSafeError


class GrammarError(ChatSafeError, ValueError):
    """A command line that cannot be parsed; the message says how to fix it."""

    title = "Cannot read that command"
    code = "parse"


@dataclass(frozen=True)
class Arg:
    name: str
    help: str
    required: bool = False
    choices: tuple[str, ...] = ()
    many: bool = False  # takes the rest of the positionals


@dataclass(frozen=True)
class Flag:
    name: str
    help: str
    value: str = ""  # metavar; empty for a boolean switch


@dataclass(frozen=True)
class Verb:
    name: str
    summary: str
    role: Role
    args: tuple[Arg, ...] = ()
    flags: tuple[Flag, ...] = ()

    def usage(self) -> str:
        parts = [self.name]
        for a in self.args:
            label = "|".join(a.choices) if a.choices else a.name
            label += " ..." if a.many else ""
            parts.append(f"<{label}>" if a.required else f"[{label}]")
        parts.extend(f"[--{f.name}{' ' + f.value if f.value else ''}]" for f in self.flags)
        return " ".join(parts)


RETENTIONS = ("none", "short", "long", "5m", "1h")
METHODS = ("api-key", "setup-token")

VERBS: tuple[Verb, ...] = (
    Verb("status", "Every agent's auth profiles: health, expiry, cooldowns with time left.", Role.VIEWER,
         (Arg("agent", "Only this agent"),),
         (Flag("all", "Show every agent in full, even in a large fleet"), Flag("private", "Reply only to me"),
          Flag("fresh", "Ask the gateway now instead of using the snapshot (operators; once per 30 s)"))),
    Verb("onboard", "Add an Anthropic API key or Claude setup-token to an agent (in a DM).", Role.ADMIN,
         (Arg("agent", "Agent to onboard (default: the default agent)"),
          Arg("method", "Credential type", choices=METHODS)),
         (Flag("profile-id", "Auth profile id", "ID"), Flag("expires-in", "Token lifetime, e.g. 365d", "DURATION"))),
    Verb("paste-token", "Paste a Claude setup-token for an agent (in a DM).", Role.ADMIN,
         (Arg("agent", "Agent (default: the default agent)"),),
         (Flag("profile-id", "Auth profile id", "ID"), Flag("expires-in", "Token lifetime, e.g. 365d", "DURATION"))),
    Verb("remove", "Remove an auth profile and its vault record.", Role.ADMIN,
         (Arg("profile", "Profile id, e.g. anthropic:default", required=True), Arg("agent", "Agent that owns it"))),
    Verb("rotate",
         "Replace a profile's credential with a new one of the same type (in a DM); the old one is kept for rollback.",
         Role.ADMIN,
         (Arg("profile", "Profile id, e.g. anthropic:default", required=True), Arg("agent", "Agent that owns it")),
         (Flag("expires-in", "New token lifetime (default: keep the current expiry)", "DURATION"),)),
    Verb("rollback",
         "Point a profile back at the credential it had before the last rotation (inside the rollback window).",
         Role.ADMIN, (Arg("profile", "Profile id", required=True), Arg("agent", "Agent that owns it"))),
    Verb("probe", "Live check of profiles through the gateway: sends a tiny request, so it spends tokens.", Role.ADMIN,
         (Arg("agent", "Agent (default: the default agent)"), Arg("profile", "Only this profile"))),
    Verb("order", "Show or set an agent's auth profile order.", Role.ADMIN,
         (Arg("agent", "Agent"), Arg("profiles", "Profile ids in priority order", many=True)),
         (Flag("clear", "Remove the agent's order override"),)),
    Verb("cache", "Show or set prompt caching (cacheRetention) for a model.", Role.OPERATOR,
         (Arg("model", "Model, e.g. anthropic/claude-opus-4-6 (default: the default model)"),
          Arg("retention", "none | short | long (legacy 5m | 1h)", choices=RETENTIONS)),
         (Flag("agent", "Override for one agent only", "AGENT"),)),
    Verb("alerts", "Show or set where team alerts go; turn them on or off; snooze a profile.", Role.OPERATOR,
         (Arg("action", "here | on | off | snooze", choices=("here", "on", "off", "snooze")),
          Arg("target", "Profile id to snooze"), Arg("duration", "How long, e.g. 1h"))),
    Verb("secure", "Find plaintext credentials in the gateway and move them into the vault.", Role.ADMIN,
         (Arg("agent", "Only this agent (default: the whole gateway)"),),
         (Flag("all", "The whole gateway"), Flag("yes", "Move them now (the console's confirmation)"))),
    Verb("audit", "Recent credential changes: who, when, what, fingerprint.", Role.ADMIN,
         (Arg("count", "How many rows (default 10)"),)),
    Verb("doctor", "Troubleshoot auth with the live state of an agent.", Role.VIEWER,
         (Arg("agent", "Agent (default: all)"),)),
    Verb("help", "This help.", Role.NOBODY, (Arg("verb", "A command to explain"),)),
)
VERB_BY_NAME = {v.name: v for v in VERBS}
ALIASES = {"paste": "paste-token", "pastetoken": "paste-token", "rm": "remove", "?": "help", "models": "status"}
PREFIXES = ("/openclaw", "openclaw")


@dataclass
class Command:
    verb: Verb
    args: dict[str, str | list[str] | None] = field(default_factory=dict)
    flags: dict[str, str | bool] = field(default_factory=dict)

    def arg(self, name: str) -> str | None:
        value = self.args.get(name)
        return value if isinstance(value, str) else None

    def flag(self, name: str) -> str | bool | None:
        return self.flags.get(name)


def suggest(word: str) -> str:
    names = [v.name for v in VERBS] + list(ALIASES)
    close = difflib.get_close_matches(word, names, n=1, cutoff=0.6)
    if close:
        return f" Did you mean `{ALIASES.get(close[0], close[0])}`?"
    return " Try `help`."


def tokenize(text: str) -> list[str]:
    try:
        words = shlex.split(text.strip())
    except ValueError as exc:
        raise GrammarError(f"Could not read that command ({exc}); check the quotes.") from exc
    if words and words[0].lower() in PREFIXES:
        words = words[1:]
    return words


def parse(text: str) -> Command:
    words = tokenize(text)
    if not words:
        return Command(VERB_BY_NAME["help"])
    name = words[0].lower()
    name = ALIASES.get(name, name)
    verb = VERB_BY_NAME.get(name)
    if verb is None:
        raise GrammarError(f"Unknown command `{words[0]}`.{suggest(words[0].lower())}")
    flags: dict[str, str | bool] = {}
    positionals: list[str] = []
    known = {f.name: f for f in verb.flags}
    rest = words[1:]
    i = 0
    while i < len(rest):
        word = rest[i]
        if word.startswith("--") and len(word) > 2:
            key, _, inline = word[2:].partition("=")
            spec = known.get(key)
            if spec is None:
                hint = difflib.get_close_matches(key, list(known), n=1)
                extra = f" Did you mean `--{hint[0]}`?" if hint else \
                    f" `{verb.name}` takes: " + (", ".join(f"--{f}" for f in known) or "no flags") + "."
                raise GrammarError(f"Unknown option `--{key}` for `{verb.name}`.{extra}")
            if spec.value:
                if inline:
                    flags[key] = inline
                elif i + 1 < len(rest) and not rest[i + 1].startswith("--"):
                    flags[key] = rest[i + 1]
                    i += 1
                else:
                    raise GrammarError(f"`--{key}` needs a value ({spec.value}).")
            else:
                flags[key] = True
        else:
            positionals.append(word)
        i += 1
    return Command(verb, _bind(verb, positionals), flags)


def _bind(verb: Verb, positionals: list[str]) -> dict[str, str | list[str] | None]:
    args: dict[str, str | list[str] | None] = {a.name: None for a in verb.args}
    specs = list(verb.args)
    # A trailing choice argument may be given without the optional ones before it
    # (`cache long`, `onboard api-key`): bind choice words to their argument first.
    for spec in specs:
        if spec.choices:
            for word in positionals:
                if word.lower() in spec.choices:
                    args[spec.name] = word.lower()
                    positionals = [w for w in positionals if w is not word]
                    break
    # OpenClaw agent ids are [a-z0-9_-] and profile ids are `provider:name`, so a first word with a
    # colon is a profile: `order anthropic:a anthropic:b` and `probe anthropic:api` use the default agent.
    if (specs and specs[0].name == "agent" and not specs[0].required and positionals and ":" in positionals[0]
            and any(spec.name in ("profile", "profiles") for spec in specs)):
        specs = specs[1:]
    for spec in specs:
        if args[spec.name] is not None:
            continue
        if spec.many:
            args[spec.name] = positionals
            positionals = []
        elif positionals:
            if spec.choices:
                raise GrammarError(
                    f"`{positionals[0]}` is not a valid {spec.name} for `{verb.name}`: "
                    f"use one of {', '.join(spec.choices)}.")
            args[spec.name] = positionals.pop(0)
        elif spec.required:
            raise GrammarError(f"`{verb.name}` needs <{spec.name}>. Usage: {verb.usage()}")
    if positionals:
        raise GrammarError(f"Too many arguments for `{verb.name}`: {' '.join(positionals)}. Usage: {verb.usage()}")
    return args
