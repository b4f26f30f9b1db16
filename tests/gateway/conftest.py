"""Fixtures shared by the gateway tests: auth states OpenClaw made, built once per session."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.gateway import authstates
from tests.harness import once_per_binary


@pytest.fixture(scope="session")
def states(oc_bin: str, prepared_home: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """See tests/gateway/authstates.py. Tests using it belong to xdist group "authstate", so one
    worker builds them."""
    return once_per_binary("authstates", oc_bin,
                           lambda: authstates.build(oc_bin, prepared_home, tmp_path_factory.mktemp("authstates")))
