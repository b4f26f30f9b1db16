"""`python -m bench [name ...]`: run the benchmarks, print a table, write bench/RESULTS.md.

`python -m bench soak` is separate: the proof suites at full scale (bench/soak.py), in their own
section of RESULTS.md, which a benchmark run keeps. A run of some benchmarks (`python -m bench
fleet`) replaces only their rows and keeps every other row, with a line saying when its rows were
measured and under what load.

Every benchmark bounds itself (counts and timeouts) and cleans up its loopback servers. They run
one after another so they do not compete for the cores they measure.
"""
from __future__ import annotations

import argparse
import datetime as dt
import importlib
import os
import sys
import time
import traceback
from pathlib import Path

from bench.common import Figure, machine

BENCHES = ("ack_latency", "status_latency", "alert_latency", "watcher_cost", "resolver", "busy_gateway", "fleet")
RESULTS = Path(__file__).with_name("RESULTS.md")


def table(figures: list[Figure]) -> list[str]:
    rows = ["| benchmark | figure | value | target | ratio to target | met | note |", "|---|---|---|---|---|---|---|"]
    for f in figures:
        rows.append(f"| {f.bench} | {f.name} | {f.value:.2f} {f.unit} | {f.target} | {f.ratio:.2f} | "
                    f"{'yes' if f.met else '**no**'} | {f.note} |")
    return rows


def merged(previous: str, figures: list[Figure], command: str, when: str) -> list[str]:
    """The previous results with the rows of `figures`' benchmarks replaced (in place; appended if
    new) and a line saying how those rows were measured; every other row is kept as it was."""
    from bench.soak import kept_section

    text = previous.replace(kept_section(), "").rstrip("\n")
    text = text.split("\n\nBenchmarks that failed to run:", 1)[0]  # that run's failures, not this one's
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith("| benchmark |"))
    head, rows = lines[:start], lines[start + 2:]
    labels = list(dict.fromkeys(f.bench for f in figures))
    fresh = table(figures)[2:]
    kept: list[str] = []
    for row in rows:
        label = row.split("|")[1].strip() if row.startswith("|") else ""
        if label in labels:
            kept.extend(fresh)
            fresh = []
        elif row.strip():
            kept.append(row)
    marks = tuple(f"Rows `{label}`" for label in labels)
    head = [line for line in head if not line.startswith(marks)]
    while head and not head[-1].strip():
        head.pop()
    said = [f"Rows {', '.join(f'`{label}`' for label in labels)}: `{command}` on {when}.", ""] if labels else []
    return [*head, "", *said, *lines[start:start + 2], *kept, *fresh]


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["soak"]:
        from bench import soak

        return soak.main(argv[1:])
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", choices=[[], *BENCHES], help="default: all")
    parser.add_argument("--note", default="", help="a line for RESULTS.md (e.g. that the machine was shared)")
    parser.add_argument("--no-write", action="store_true", help="print only; leave RESULTS.md alone")
    parser.add_argument("--quick", action="store_true", help="smallest parameters, to prove the benchmarks run; implies --no-write")
    args = parser.parse_args(argv)
    if args.quick:
        os.environ["BENCH_QUICK"] = "1"
        args.no_write = True
    host = machine()
    started = dt.datetime.now(dt.UTC)
    figures: list[Figure] = []
    failures: list[str] = []
    for name in args.names or BENCHES:
        t0 = time.monotonic()
        print(f"== {name} …", flush=True)
        try:
            got = importlib.import_module(f"bench.{name}").run()
        except Exception:  # noqa: BLE001 - one broken benchmark must not hide the others
            failures.append(f"{name}: {traceback.format_exc().strip().splitlines()[-1]}")
            print(traceback.format_exc(), file=sys.stderr)
            continue
        figures.extend(got)
        print("\n".join(table(got)[2:]), f"\n   ({time.monotonic() - t0:.0f} s)", flush=True)
    command = " ".join([".venv/bin/python -m bench", *args.names])
    partial = bool(args.names) and set(args.names) != set(BENCHES) and RESULTS.exists()
    if partial:
        lines = merged(RESULTS.read_text(), figures, command,
                       f"{started:%Y-%m-%d %H:%M} UTC, load average at start {host['load average at start']}"
                       + (f"; {args.note}" if args.note else ""))
    else:
        lines = ["# Benchmark results", "", f"Run `{command}` on {started:%Y-%m-%d %H:%M} UTC.", ""]
        lines += [f"- {k}: {v}" for k, v in host.items()]
        if args.note:
            lines += ["", args.note]
        lines += ["", *table(figures)]
    if failures:
        lines += ["", "Benchmarks that failed to run:", *[f"- {f}" for f in failures]]
    print("\n" + "\n".join(table(figures)))
    if not args.no_write:
        from bench.soak import kept_section

        RESULTS.write_text("\n".join([*lines, "", kept_section()]).rstrip("\n") + "\n")
        print(f"\nwrote {RESULTS}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
