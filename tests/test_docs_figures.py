"""README and docs quote no measured figure of their own: every one is in bench/RESULTS.md.

`python -m bench` writes bench/RESULTS.md with the condition of each figure in its row. A figure
typed into the docs by hand goes stale at the next run, and two such figures once disagreed with
each other and with the run (docs/slack.md and docs/benchmarks.md each gave their own gap to the
same floor). So every performance figure in README.md and docs/*.md (a number with ms, µs, ×, s/h,
% of a core or seconds of CPU) must be one that RESULTS.md holds. Exempt: code blocks, a
"Design history" section (measurements of replaced designs, labelled as such), and the settings
in SETTINGS, which are configuration rather than measurements. Reads files only: no bench run.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "RESULTS.md"
UNIT = r"ms|µs|×|s/h|% of a core|s of CPU|CPU s|s CPU|s wall"
FIGURE = re.compile(rf"(?<![\w.,])(\d[\d,.]*(?:\s*[–-]\s*\d[\d,.]*)?)\s?({UNIT})(?!\w)")
SETTINGS = {"20 ms": "QUIET in adapters/slack/http_server.py: the pause that ends a burst"}


def figures(text: str) -> list[str]:
    """Each performance figure as `<number> <unit>`, in order of appearance."""
    return [re.sub(r"\s+", "", number) + " " + unit for number, unit in FIGURE.findall(text)]


def prose(text: str) -> str:
    """The text a reader takes as claims: without code blocks and "Design history" sections."""
    text = re.sub(r"^```.*?^```", "", text, flags=re.S | re.M)
    return re.sub(r"^## Design history.*?(?=^## |\Z)", "", text, flags=re.S | re.M)


def stray(doc: str, results: str) -> list[str]:
    known = set(figures(results))
    return [f for f in figures(prose(doc)) if f not in known and f not in SETTINGS]


def docs() -> list[Path]:
    return [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def test_docs_quote_only_figures_from_results() -> None:
    results = RESULTS.read_text()
    found = {str(p.relative_to(ROOT)): stray(p.read_text(), results) for p in docs()}
    assert not {p: f for p, f in found.items() if f}, (
        f"figures not in bench/RESULTS.md: {found}; quote the row of RESULTS.md instead")


def test_a_hand_written_figure_is_caught() -> None:
    results = ("| ack | p99 ack | 33.23 ms | ≤ 50 ms | 1.50 | yes | median gap to the floor: 0.4 ms |\n"
               "| watcher | CPU per hour, 10 agents, idle gateway | 24.49 s/h | ≤ 72 s/h (2 % of a core) | 2.94 | yes |")
    old_slack = ("A burst of 200 commands is answered with a p99 of 33–70 ms on 2 cores, within a few ms of a "
                 "server that only answers a constant and never more than 33 ms above it.")
    assert stray(old_slack, results) == ["33–70 ms", "33 ms"]
    assert stray("the median gap to the floor is about 10 ms", results) == ["10 ms"]
    assert stray("With 10 agents that costs under 1 % of a core.", results) == ["1 % of a core"]
    assert stray("a speed-up of 2,535× over the CLI", results) == ["2,535 ×"]
    assert stray("p99 ≤ 50 ms; the gap was 0.4 ms; ≤ 2 % of a core; 20 ms pause", results) == []
    assert stray("## Design history\nthen 190–230 ms\n## Next\nnow 7 ms", results) == ["7 ms"]
    assert stray("```\n$ bench\n12 ms\n```\n", results) == []
