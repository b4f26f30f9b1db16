"""Session-wide fixtures: the OpenClaw CLI and a prepared home, copied per test; markers by need.

`oc_bin` is the real CLI unless a test is marked `any_runner`: such a test runs twice, against the
real CLI and against the scripted OpenClaw (tests/fakes/openclaw.py). Every test that reaches the
real CLI gets the `cli` marker, so `scripts/test --fast` (`-m "not cli"`) needs no Node.

Order: `slow` tests first, then the other real-CLI tests, then the rest (milliseconds each). Two
xdist workers take tests in this order, so the long ones start early and the short ones fill the
end, instead of one worker finishing minutes before the other.
"""
from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import BotHarness, copy_home, fake_binary, make_bot, once_per_binary, openclaw_bin, prepare_home

TESTS = Path(__file__).resolve().parent
# Whole directories that need the real CLI whatever their fixtures say (processes, the quick start).
CLI_DIRS = ("e2e",)


@pytest.fixture(scope="session")
def oc_bin(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    if getattr(request, "param", "cli") == "fake":
        return fake_binary(tmp_path_factory.mktemp("scripted-openclaw"))
    return openclaw_bin()


@pytest.fixture(scope="session")
def prepared_home(oc_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return once_per_binary("prepared", oc_bin, lambda: prepare_home(oc_bin, tmp_path_factory.mktemp("prepared") / "home"))


@pytest.fixture
def bot(oc_bin: str, prepared_home: Path, tmp_path: Path) -> BotHarness:
    """A bot wired to a private copy of the prepared OpenClaw home (console user = admin)."""
    home = copy_home(prepared_home, tmp_path / "home")
    harness = make_bot(oc_bin, home, tmp_path / "chatops")
    yield harness
    harness.parts.store.close()


def pytest_configure(config: pytest.Config) -> None:
    # OpenClaw writes its file log to /tmp/openclaw; keep each run's logs apart for leak sweeps.
    os.environ.setdefault("NO_COLOR", "1")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "oc_bin" in metafunc.fixturenames and metafunc.definition.get_closest_marker("any_runner"):
        metafunc.parametrize("oc_bin", ["fake", "cli"], indirect=True, scope="session")


@pytest.hookimpl(wrapper=True, tryfirst=True)  # marks before `-m` deselects by them; sorts after the rest
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> Iterator[None]:
    for item in items:
        rel = Path(str(item.path)).resolve().relative_to(TESTS)
        if rel.parts[0] in CLI_DIRS:
            item.add_marker(pytest.mark.cli)
        elif "oc_bin" in getattr(item, "fixturenames", ()):
            callspec = getattr(item, "callspec", None)
            if callspec is None or callspec.params.get("oc_bin", "cli") == "cli":
                item.add_marker(pytest.mark.cli)
    yield
    items.sort(key=lambda item: 0 if item.get_closest_marker("slow") else 1 if item.get_closest_marker("cli") else 2)
