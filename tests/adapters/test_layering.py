"""The packages depend one way: `bot/` wires core and the adapters, adapters use core only, and
core uses neither. Read from the source (every import statement, in functions and `TYPE_CHECKING`
blocks too), so a cycle shows up here before it shows up at start-up."""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Core also stays free of the transports: the fleet's NATS plumbing is bot/fleet's (core/fleet
# decides, bot/fleet carries), so core's tests and the single-gateway bot never need a broker.
FORBIDDEN = {"adapters": ("bot", "nats"), "core": ("bot", "adapters", "nats", "slack_bolt", "slack_sdk", "discord")}


def imported_modules(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), str(path))):
        if isinstance(node, ast.Import):
            names |= {alias.name for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
    return names


def offending(package: str) -> list[str]:
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for name in sorted(imported_modules(path)):
            if name.split(".")[0] in FORBIDDEN[package]:
                found.append(f"{path.relative_to(ROOT)} imports {name}")
    return found


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_a_package_imports_nothing_from_the_layers_above_it(package: str) -> None:
    assert offending(package) == []


def test_the_check_sees_every_kind_of_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("import bot.app\nfrom typing import TYPE_CHECKING\nif TYPE_CHECKING:\n"
                      "    from bot.settings import Settings\n\ndef f():\n    from bot import launch\n")
    assert imported_modules(module) >= {"bot.app", "bot.settings", "bot"}
