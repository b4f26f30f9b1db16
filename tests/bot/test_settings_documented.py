"""Every setting the code reads is documented where users look: `.env.example` names each one."""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SETTING = re.compile(r"[\"'](OPENCLAW_CHATOPS_[A-Z0-9_]+|SLACK_[A-Z0-9_]+|DISCORD_[A-Z0-9_]+)[\"']")


def test_every_setting_the_code_reads_is_in_env_example():
    read = {m.group(1) for package in ("bot", "adapters", "core") for path in (ROOT / package).rglob("*.py")
            for m in SETTING.finditer(path.read_text())}
    assert "OPENCLAW_CHATOPS_FLEET_HOSTS" in read  # the scan sees the settings modules
    example = (ROOT / ".env.example").read_text()
    assert sorted(name for name in read if name not in example) == []
