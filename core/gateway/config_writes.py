"""Config writes that survive a concurrent writer of `openclaw.json`.

OpenClaw's `config set` and `secrets apply` read the file, work for a second or two, and write it
back, taking no lock. They compare the file's hash before writing and refuse when it changed
("config changed since last load", "The config file changed while this command was writing"),
so a concurrent writer is not silently overwritten, but the refused side must run again. The bot
does that, and then checks that its own values are in the file (the hash check and the rename are
not one atomic step), setting them again when not, up to `ATTEMPTS` times.
The caller serialises the bot's own writes; OpenClaw's other writers are outside that lock.
"""
from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import json5

from core.gateway.runner import CliFailed

__all__ = ["retry_conflicts", "set_surviving"]

ATTEMPTS = 3
CONFLICTS = ("config changed since last load", "config file changed while this command")
_SEGMENT = re.compile(r'\[\s*("(?:[^"\\]|\\.)*"|\'[^\']*\'|\d+)\s*\]|([^.\[\]]+)')
_MISSING = object()


def is_conflict(exc: CliFailed) -> bool:
    return any(text in str(exc) for text in CONFLICTS)


def split_path(path: str) -> list[str]:
    """`agents.defaults.models["anthropic/x"].params` → its segments."""
    out = []
    for bracket, plain in _SEGMENT.findall(path):
        if plain:
            out.append(plain)
        elif bracket[:1] == '"':
            out.append(json.loads(bracket))
        elif bracket[:1] == "'":
            out.append(bracket[1:-1])
        else:
            out.append(bracket)
    return out


def lookup(doc: Any, path: str) -> Any:
    for seg in split_path(path):
        if not isinstance(doc, dict) or seg not in doc:
            return _MISSING
        doc = doc[seg]
    return doc


def missing(config_path: Path, values: dict[str, Any]) -> dict[str, Any]:
    try:
        doc = json5.loads(Path(config_path).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return dict(values)
    return {p: v for p, v in values.items() if lookup(doc, p) != v}


def retry_conflicts(run: Callable[[], Any]) -> Any:
    """Run an OpenClaw write again when it was refused because another writer got there first."""
    for attempt in range(ATTEMPTS):
        try:
            return run()
        except CliFailed as exc:
            if not is_conflict(exc) or attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")


def set_surviving(config_path: Path, values: dict[str, Any], run_set: Callable[[dict[str, Any]], None]) -> None:
    """Set `values` with `run_set` (one `config set --batch-json`) until all of them are in the file."""
    pending = dict(values)
    for _ in range(ATTEMPTS):
        retry_conflicts(functools.partial(run_set, pending))
        pending = missing(config_path, values)
        if not pending:
            return
