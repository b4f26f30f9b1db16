"""Durations as users type them (`365d`, `12h`, `90m`) and as people read them (`3d 4h`)."""
from __future__ import annotations

import re

__all__ = ["humanize", "parse_duration"]

_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"^\s*(\d{1,6})\s*([smhdw])\s*$", re.IGNORECASE)


def parse_duration(text: str) -> int:
    """Seconds in `text`; raises ValueError with a message that shows the accepted forms."""
    match = _DURATION.match(text or "")
    if not match or int(match.group(1)) == 0:
        raise ValueError(f"`{text}` is not a duration: use a number and a unit, e.g. 30m, 12h, 365d, 2w.")
    return int(match.group(1)) * _UNITS[match.group(2).lower()]


def humanize(seconds: float) -> str:
    """Two most significant units: `45s`, `4m 10s`, `3h 5m`, `364d 23h`."""
    seconds = max(0, int(round(seconds)))
    parts: list[str] = []
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        if seconds >= size or (unit == "s" and not parts):
            parts.append(f"{seconds // size}{unit}")
            seconds %= size
    return " ".join(parts[:2])
