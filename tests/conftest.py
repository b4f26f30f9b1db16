"""Session-wide fixtures: the real OpenClaw CLI and a prepared home, copied per test."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.harness import BotHarness, copy_home, make_bot, openclaw_bin, prepare_home


@pytest.fixture(scope="session")
def oc_bin() -> str:
    return openclaw_bin()


@pytest.fixture(scope="session")
def prepared_home(oc_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_home(oc_bin, tmp_path_factory.mktemp("prepared") / "home")


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
