"""How many examples, writes and kills the proof suites run.

CI runs small samples; `python -m bench soak` runs the same tests at the scale the product
promises by setting `PROOF_<NAME>` in their environment (bench/soak.py lists the names).
"""
from __future__ import annotations

import json
import os


def count(name: str, ci: int) -> int:
    value = os.environ.get(f"PROOF_{name}", "")
    return max(1, int(value)) if value else ci


def report(suite: str, **counts: int) -> None:
    """Append what a run really did to the soak's report file (PROOF_REPORT), when one is set."""
    path = os.environ.get("PROOF_REPORT")
    if path:
        with open(path, "a", encoding="utf-8") as out:
            out.write(json.dumps({"suite": suite, **counts}) + "\n")
