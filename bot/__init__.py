"""Wiring, settings and command-line entry points of openclaw-chatops."""
