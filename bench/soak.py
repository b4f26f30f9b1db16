"""`python -m bench soak`: the proof suites at the scale the product promises, outside the test suite.

CI runs samples (60 fuzz examples per property, about 70 kill -9s). The soak runs the *same* tests
(no copies) with their counts raised through `PROOF_<NAME>` (tests/security/scale.py):
- at least 1,000 kill -9s of a writer during vault and config writes, plus rounds of the whole
  credential write against the real OpenClaw CLI killed at each step with housekeeping running;
- 100,000 fuzzed command lines through the grammar, 100,000 signed Slack payloads through Bolt,
  100,000 requests to the signed Slack HTTP endpoint;
- 1,000 interactions through discord.py's CommandTree.
It records what really ran (hypothesis' own example counts, the crash tests' kill counts) and any
failure in its own section of bench/RESULTS.md, leaving the benchmark table alone.
`--scale` (or SOAK_SCALE) shrinks every count to try the command; the section says so.
"""
from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import machine

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).with_name("RESULTS.md")
START, END = "<!-- soak: start (written by `python -m bench soak`) -->", "<!-- soak: end -->"
BUDGET_S = 3600
LANES = (("Slack payloads through Bolt", "grammar"),
         ("signed Slack HTTP endpoint", "Discord CommandTree", "kill -9 during vault and gateway writes"))


@dataclass(frozen=True)
class Suite:
    name: str
    tests: tuple[str, ...]
    counts: dict[str, int]  # PROOF_<NAME> → full-scale value
    unit: str  # what one hypothesis example is, for the table
    per_example: int = 1  # units per hypothesis example


# Two lanes run side by side (one per core); each suite is one pytest process on one core, with the
# OpenClaw CLI calls of the crash suite on top. Lanes are balanced by the time their suites took.
SUITES = (
    Suite("grammar", ("tests/security/test_fuzz.py::test_command_grammar",), {"FUZZ_EXAMPLES": 100_000},
          "fuzzed command lines"),
    Suite("Slack payloads through Bolt", ("tests/security/test_fuzz.py::test_slack_payloads_through_bolt",),
          {"FUZZ_EXAMPLES": 100_000}, "fuzzed payloads"),
    Suite("signed Slack HTTP endpoint", ("tests/adapters/slack/test_http_server.py::test_any_request_gets_an_http_answer",),
          {"SLACK_HTTP_EXAMPLES": 100_000}, "fuzzed requests"),
    Suite("Discord CommandTree", ("tests/security/test_fuzz_discord.py",), {"DISCORD_INTERACTIONS": 1_000},
          "interactions", per_example=15),
    Suite("kill -9 during vault and gateway writes", ("tests/security/test_crash_safety.py",),
          {"CRASH_KILLS": 1_000, "CRASH_WRITES": 1_000, "WRITE_KILL_ROUNDS": 3}, "kills"),
)


@dataclass
class Outcome:
    suite: Suite
    seconds: float
    exit_code: int
    examples: dict[str, int] = field(default_factory=dict)  # test → hypothesis passing examples
    reports: list[dict] = field(default_factory=list)  # what the crash tests recorded
    failures: list[str] = field(default_factory=list)


def scaled(counts: dict[str, int], scale: float) -> dict[str, str]:
    """scale 0 gives the smallest run (every count 1): its time is the suite's fixed cost."""
    return {f"PROOF_{name}": str(max(1, round(value * scale))) for name, value in counts.items()}


def run_lanes(scale: float, python: str, quiet: bool = False) -> list[Outcome]:
    """Each lane's suites one after another, the lanes at the same time."""
    by_name = {suite.name: suite for suite in SUITES}

    def lane(names: tuple[str, ...]) -> list[Outcome]:
        done = []
        for name in names:
            outcome = run_suite(by_name[name], scale, python)
            if not quiet:
                print("\n".join(rows([outcome])[2:]), flush=True)
            done.append(outcome)
        return done

    with ThreadPoolExecutor(max_workers=len(LANES)) as pool:
        results = list(pool.map(lane, LANES))
    order = [suite.name for suite in SUITES]
    return sorted((o for lane_outcomes in results for o in lane_outcomes), key=lambda o: order.index(o.suite.name))


def estimate_full(outcomes: list[Outcome], fixed: list[Outcome], scale: float) -> float:
    """Full-scale wall time: per suite, its fixed cost plus the scaled part extrapolated; the
    slower lane decides."""
    fixed_s = {o.suite.name: o.seconds for o in fixed}
    per_suite = {o.suite.name: fixed_s[o.suite.name] + max(0.0, o.seconds - fixed_s[o.suite.name]) / scale
                 for o in outcomes}
    return max(sum(per_suite[name] for name in names) for names in LANES)


def run_suite(suite: Suite, scale: float, python: str) -> Outcome:
    with tempfile.TemporaryDirectory(prefix="soak-") as tmp:
        report = Path(tmp) / "report.jsonl"
        env = dict(os.environ, **scaled(suite.counts, scale), PROOF_REPORT=str(report))
        started = time.monotonic()
        proc = subprocess.run([python, "-m", "pytest", "-n", "0", "-q", "-p", "no:cacheprovider",
                               "--hypothesis-show-statistics", "-o", "addopts=", *suite.tests],
                              cwd=ROOT, env=env, capture_output=True, text=True)
        outcome = Outcome(suite, time.monotonic() - started, proc.returncode)
        if report.exists():
            outcome.reports = [json.loads(line) for line in report.read_text().splitlines() if line.strip()]
    outcome.examples = hypothesis_counts(proc.stdout)
    # pytest's summary lines name the test; captured log lines also start with "ERROR", so they
    # are only the fallback when no test is named.
    outcome.failures = [line for line in proc.stdout.splitlines() if re.match(r"(FAILED|ERROR) \S+::", line)]
    if proc.returncode and not outcome.failures:
        outcome.failures = [(proc.stdout.strip().splitlines() or proc.stderr.strip().splitlines() or ["no output"])[-1]]
    return outcome


def hypothesis_counts(stdout: str) -> dict[str, int]:
    """Passing examples per test from `--hypothesis-show-statistics` (all phases)."""
    counts: dict[str, int] = {}
    test = ""
    for line in stdout.splitlines():
        header = re.match(r"^(\S+::\S+):$", line.strip())
        if header:
            test = header.group(1)
        found = re.search(r"(\d+) passing\b", line)
        if found and test:
            counts[test] = counts.get(test, 0) + int(found.group(1))
    return counts


def rows(outcomes: list[Outcome]) -> list[str]:
    out = ["| suite | ran | result | time |", "|---|---|---|---|"]
    for o in outcomes:
        ran = [f"{n * o.suite.per_example:,} {o.suite.unit} ({t.split('::')[-1]})" for t, n in o.examples.items()]
        ran += [", ".join(f"{k.replace('_', ' ')} {v:,}" for k, v in r.items() if k != "suite") + f" ({r['suite']})"
                for r in o.reports]
        result = "passed" if o.exit_code == 0 else "**failed**: " + "; ".join(o.failures)[:400]
        out.append(f"| {o.suite.name} | {'<br>'.join(ran) or '—'} | {result} | {o.seconds / 60:.1f} min |")
    return out


def section(outcomes: list[Outcome], scale: float, elapsed: float, started: dt.datetime, estimate: float,
            host: dict[str, str]) -> str:
    full = scale >= 1
    lines = [START, "## Soak: the proof suites at full scale", "",
             f"`python -m bench soak{'' if full else f' --scale {scale:g}'}` on {started:%Y-%m-%d %H:%M} UTC: "
             f"{elapsed / 60:.1f} min in all, two lanes of suites side by side (budget {BUDGET_S // 60} min at full "
             "scale).", ""]
    if not full:
        lines += [f"**Reduced run** (every count × {scale:g}): this proves the command works, not the product's "
                  f"promise. Estimated full-scale time: about {estimate / 60:.0f} min (each suite's fixed cost, "
                  "measured by a run with every count at 1, plus its scaled part extrapolated linearly; on the "
                  "load average below).", ""]
    # The load at the end too: a soak is long, and what else ran meanwhile shows only there.
    lines += [f"- {k}: {v}" for k, v in host.items()]
    lines += [f"- load average at the end: {machine()['load average at start']}"]
    lines += ["", *rows(outcomes), "", END]
    return "\n".join(lines)


def write_section(text: str) -> None:
    """Replace the soak section of RESULTS.md (or append one), keeping everything else."""
    current = RESULTS.read_text() if RESULTS.exists() else "# Benchmark results\n"
    pattern = re.compile(re.escape(START) + r".*?" + re.escape(END), re.S)
    updated = pattern.sub(lambda _: text, current) if pattern.search(current) else current.rstrip("\n") + "\n\n" + text
    RESULTS.write_text(updated.rstrip("\n") + "\n")


def kept_section() -> str:
    """The last soak section, for `python -m bench` to carry over when it rewrites RESULTS.md."""
    current = RESULTS.read_text() if RESULTS.exists() else ""
    found = re.search(re.escape(START) + r".*?" + re.escape(END), current, re.S)
    return found.group(0) if found else ""


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench soak", description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=float(os.environ.get("SOAK_SCALE", "1")),
                        help="multiply every count (default 1, or SOAK_SCALE): try the command with e.g. 0.02")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    args = parser.parse_args(argv)
    if not 0 < args.scale <= 1:
        parser.error("--scale must be in (0, 1]")
    started = dt.datetime.now(dt.UTC)
    host = machine()
    fixed: list[Outcome] = []
    if args.scale < 1:
        print("== fixed costs: every suite with every count at 1 …", flush=True)
        fixed = run_lanes(0, sys.executable, quiet=True)
    t0 = time.monotonic()
    for suite in SUITES:
        print(f"== {suite.name}: {', '.join(f'{k}={v}' for k, v in scaled(suite.counts, args.scale).items())}",
              flush=True)
    outcomes = run_lanes(args.scale, sys.executable)
    elapsed = time.monotonic() - t0
    estimate = estimate_full(outcomes, fixed, args.scale) if fixed else elapsed
    text = section(outcomes, args.scale, elapsed, started, estimate, host)
    print("\n" + text)
    if not args.no_write:
        write_section(text)
        print(f"\nwrote the soak section of {RESULTS}")
    return 0 if all(o.exit_code == 0 for o in outcomes) else 1
