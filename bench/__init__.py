"""Benchmarks against the anchors in docs/benchmarks.md: `python -m bench` runs them all."""
