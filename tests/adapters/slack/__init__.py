"""Slack adapter tests against a loopback fake Slack and the real openclaw CLI."""
