"""Credentials: intake rules, the vault and its keys, the write into OpenClaw, retention, the Anthropic check."""
