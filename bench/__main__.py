"""`python -m bench [name ...]`: run the benchmarks, print a table, write bench/RESULTS.md.

`python -m bench soak` is separate: the proof suites at full scale (bench/soak.py), in their own
section of RESULTS.md, which a benchmark run keeps.

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

BENCHES = ("ack_latency", "status_latency", "alert_latency", "watcher_cost", "resolver", "busy_gateway")
RESULTS = Path(__file__).with_name("RESULTS.md")


def table(figures: list[Figure]) -> list[str]:
    rows = ["| benchmark | figure | value | target | ratio to target | met | note |", "|---|---|---|---|---|---|---|"]
    for f in figures:
        rows.append(f"| {f.bench} | {f.name} | {f.value:.2f} {f.unit} | {f.target} | {f.ratio:.2f} | "
                    f"{'yes' if f.met else '**no**'} | {f.note} |")
    return rows


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
    lines = ["# Benchmark results", "",
             f"Run `{' '.join(['.venv/bin/python -m bench', *args.names])}` on {started:%Y-%m-%d %H:%M} UTC.", ""]
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
