"""What every benchmark shares: a real OpenClaw home, a bot wired to it, figures and percentiles.

Benchmarks use the same real parts as the tests (the pinned `openclaw` CLI, real Bolt/slack_sdk,
loopback fakes) but live outside the suite: speed is measured here, never asserted there.
"""
from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path

from tests.fakes.slack import Call, FakeSlack
from tests.harness import BASE_CONFIG, BotHarness, make_bot, openclaw_bin, prepare_home


@dataclass(frozen=True)
class Figure:
    """One measured number, its target, and the ratio that says how far inside the target it is.

    `ratio` is target/value for "lower is better" figures (≥ 1 means the target is met), or the
    speed-up over the anchor where the anchor is a competing way of doing the same thing."""

    bench: str
    name: str
    value: float
    unit: str
    target: str
    ratio: float
    met: bool
    note: str = ""


def percentile(samples: list[float], pct: float) -> float:
    """Nearest-rank percentile: with 200 samples p99 is the 198th, a real observed value."""
    ordered = sorted(samples)
    rank = max(1, min(len(ordered), round(pct / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


def median(samples: list[float]) -> float:
    return statistics.median(samples)


def under(bench: str, name: str, value: float, unit: str, limit: float, note: str = "") -> Figure:
    """A lower-is-better figure against a ceiling."""
    return Figure(bench, name, value, unit, f"≤ {limit:g} {unit}", limit / value if value else float("inf"),
                  value <= limit, note)


def quick() -> bool:
    """`python -m bench --quick` (BENCH_QUICK=1): the smallest parameters, to prove a benchmark runs.
    Its figures mean nothing, so that run leaves RESULTS.md alone."""
    return os.environ.get("BENCH_QUICK") == "1"


def workdir(label: str) -> Path:
    return Path(tempfile.mkdtemp(prefix=f"bench-{label}-"))


def home_with(config: str = BASE_CONFIG, label: str = "home") -> tuple[str, Path]:
    """The pinned CLI and a fresh OpenClaw home that OpenClaw has read once."""
    binary = openclaw_bin()
    return binary, prepare_home(binary, workdir(label) / "home", config)


def bot_on(binary: str, home: Path, **env: str) -> BotHarness:
    return make_bot(binary, home, home.parent / "chatops", OPENCLAW_CHATOPS_LOG_LEVEL="WARNING", **env)


def config_with_agents(count: int) -> str:
    entries = ", ".join(["main: {}"] + [f"agent{i}: {{}}" for i in range(1, count)])
    return BASE_CONFIG.replace("entries: { main: {}, ops: {} }", f"entries: {{ {entries} }}")


def machine() -> dict[str, str]:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    ram = ""
    try:
        kb = int(next(ln for ln in Path("/proc/meminfo").read_text().splitlines() if ln.startswith("MemTotal")).split()[1])
        ram = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    return {"nproc": str(os.cpu_count()), "cpu": cpu or platform.processor(), "ram": ram,
            "os": f"{platform.system()} {platform.release()}", "python": platform.python_version(),
            "load average at start": load}


class Arrivals:
    """When each call reached the fake Slack, stamped by a thread that the fake wakes on every call.

    Stamped as they come, not when the benchmark looks: an alert can be posted before the turn's
    process has exited."""

    def __init__(self, fake: FakeSlack) -> None:
        self.fake = fake
        self.times: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="bench-arrivals", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        def more(f: FakeSlack) -> int:
            return len(f.calls) if len(f.calls) > len(self.times) else 0

        while not self._stop.is_set():
            try:
                count = self.fake.wait_for(more, timeout=0.5)
            except AssertionError:  # nothing new within the timeout
                continue
            now = time.time()
            self.times.extend([now] * (count - len(self.times)))

    def stamped(self) -> list[tuple[Call, float]]:
        """Every call stamped so far, with when it arrived."""
        n = len(self.times)
        return list(zip(self.fake.calls[:n], self.times[:n], strict=True))

    def posted(self, key: str, deadline: float) -> float | None:
        """Arrival of the first `chat.postMessage` that names `key`; None if none came by `deadline`."""
        while True:
            for call, at in self.stamped():
                if call.method == "chat.postMessage" and key in json.dumps(call.params):
                    return at
            if time.monotonic() >= deadline:
                return None
            time.sleep(0.05)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(2)
