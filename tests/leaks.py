"""Looking for a secret wherever it could have landed, in every form it could take there.

One definition of "found" for every test. What is looked for is not only the whole secret but
every `WINDOW`-character slice of it: a log line that keeps the first 60 characters of a rejected
paste, or the second line of a wrapped one, leaks as much as the whole. Each slice is looked for
raw, URL-encoded (both quoting styles, and the `%2D` a form encoder may use for "-") and as base64
at each of the three alignments a larger blob could put it in; and it is looked for both in the
blob as it is and in the blob with every line break, space and zero-width character removed, also
in their JSON- and percent-escaped spellings (`\\n`, `\\u200b`, `%0A`, `+`, `%E2%80%8B`), so a copy
that was wrapped or spread out on its way is found too.

This is the test oracle, so it is written independently of the product's own redaction rules.
"""
from __future__ import annotations

import base64
import re
import urllib.parse
from pathlib import Path

WINDOW = 24  # shorter slices than this could be chance; longer ones would let a prefix through
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
_GAPS = re.compile(
    rb"\s|\xe2\x80[\x8b-\x8d]|\xe2\x81\xa0|\xef\xbb\xbf|\xc2\xa0"  # raw, UTF-8
    rb"|(?:\\|%5c)+(?:[nrtf]|u(?:200[bcd]|2060|feff|00a0|0020))"  # JSON-escaped (any depth, also in a form)
    rb"|%(?:0[9acd]|20|e2%80%8[bcd]|e2%81%a0|ef%bb%bf|c2%a0)|\+",  # percent-escaped
    re.IGNORECASE)


def plain(given: str) -> str:
    """The secret a paste stands for: without the gaps a wrapped or rich-text paste carries."""
    return "".join(ch for ch in given if not ch.isspace() and ch not in ZERO_WIDTH)


def forms(secret: str) -> set[bytes]:
    raw = secret.encode()
    out = {raw, urllib.parse.quote(secret, safe="").encode(), urllib.parse.quote_plus(secret).encode(),
           secret.replace("-", "%2D").encode(), secret.replace("-", "%2d").encode()}
    for pad in range(3):  # base64 of the secret wherever it sits in a larger blob
        enc = base64.b64encode(b"x" * pad + raw)
        out.add(enc[4 * ((pad + 2) // 3) if pad else 0:][:-4])
    return out


def slices(given: str) -> list[str]:
    """Every WINDOW-character slice of what the bot was given (the whole of it when shorter)."""
    secret = plain(given)
    return [secret[i:i + WINDOW] for i in range(max(1, len(secret) - WINDOW + 1))]


def needles(given: str) -> set[bytes]:
    return {f for piece in slices(given) for f in forms(piece)}


def views(blob: bytes) -> tuple[bytes, bytes]:
    """The blob, and the blob with every gap (raw or escaped) taken out."""
    return blob, _GAPS.sub(b"", blob)


def found_in(given: str, blob: bytes) -> bool:
    """Whether `blob` holds any long-enough slice of `given`, in any form above."""
    wanted = needles(given)
    return any(n in view for view in views(blob) for n in wanted)


def files_under(*roots: Path) -> dict[str, bytes]:
    """Every regular file under `roots` (symlinks skipped: they point into another root)."""
    return {str(p): p.read_bytes() for r in roots if Path(r).exists()
            for p in Path(r).rglob("*") if p.is_file() and not p.is_symlink()}


def files_holding(secret: str, *roots: Path) -> list[str]:
    return sorted(name for name, data in files_under(*roots).items() if found_in(secret, data))


OPENCLAW_LOGS = Path("/tmp/openclaw")


def openclaw_log_sizes() -> dict[str, int]:
    """How far OpenClaw's file logs reach now: `openclaw_logs(since=…)` then reads what came after."""
    return {str(p): p.stat().st_size for p in OPENCLAW_LOGS.glob("*.log")} if OPENCLAW_LOGS.is_dir() else {}


def openclaw_logs(since: dict[str, int] | None = None) -> bytes:
    """OpenClaw's own file logs (it writes them under /tmp/openclaw whatever its home is). With
    `since`, only what was appended after those sizes: a test's secrets can only have been logged
    while it ran, and the whole day's log of a busy host is megabytes to search for every slice."""
    if not OPENCLAW_LOGS.is_dir():
        return b""
    out = []
    for path in OPENCLAW_LOGS.glob("*.log"):
        with path.open("rb") as log:
            log.seek((since or {}).get(str(path), 0))
            out.append(log.read())
    return b"".join(out)
