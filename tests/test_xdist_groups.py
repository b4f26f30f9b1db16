"""`--dist loadgroup` (scripts/test) keeps each `xdist_group` on one worker: that is what builds the
auth states of tests/gateway and the fleet rig of tests/fleet once instead of once per worker.

pytest 9 with pytest-xdist 3.8 grouped nothing, silently: xdist writes the group into an
attribute pytest 9 no longer reads, so both workers built both. A tiny suite of one group, run
with the installed pair, must land on a single worker.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

GROUPED = """
import os
from pathlib import Path

import pytest

pytestmark = pytest.mark.xdist_group("one")


@pytest.mark.parametrize("n", range(6))
def test_grouped(n):
    (Path({seen!r}) / str(n)).write_text(os.environ["PYTEST_XDIST_WORKER"])
"""


def test_a_group_runs_on_one_worker(tmp_path: Path):
    seen = tmp_path / "seen"
    seen.mkdir()
    suite = tmp_path / "suite"
    suite.mkdir()
    (suite / "pytest.ini").write_text("[pytest]\n")
    (suite / "test_grouped.py").write_text(GROUPED.format(seen=str(seen)))
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTEST_XDIST", "PYTEST_CURRENT"))}
    done = subprocess.run([sys.executable, "-m", "pytest", "-n", "2", "--dist", "loadgroup", "-q", "-p", "no:cacheprovider"],
                          cwd=suite, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
    workers = {path.name: path.read_text() for path in seen.iterdir()}
    assert len(workers) == 6 and len(set(workers.values())) == 1, workers
