"""Looking for a secret wherever it could have landed, in every form it could take there.

One definition of "found" for every test: the raw bytes, URL-encoded (both quoting styles, and
the `%2D` a form encoder may use for "-"), and base64 at each of the three alignments a larger
blob could put it in.
"""
from __future__ import annotations

import base64
import urllib.parse
from pathlib import Path


def forms(secret: str) -> set[bytes]:
    raw = secret.encode()
    out = {raw, urllib.parse.quote(secret, safe="").encode(), urllib.parse.quote_plus(secret).encode(),
           secret.replace("-", "%2D").encode()}
    for pad in range(3):  # base64 of the secret wherever it sits in a larger blob
        enc = base64.b64encode(b"x" * pad + raw)
        out.add(enc[4 * ((pad + 2) // 3) if pad else 0:][:-4])
    return out


def found_in(secret: str, blob: bytes) -> bool:
    return any(f in blob for f in forms(secret))


def files_under(*roots: Path) -> dict[str, bytes]:
    """Every regular file under `roots` (symlinks skipped: they point into another root)."""
    return {str(p): p.read_bytes() for r in roots if Path(r).exists()
            for p in Path(r).rglob("*") if p.is_file() and not p.is_symlink()}


def files_holding(secret: str, *roots: Path) -> list[str]:
    return sorted(name for name, data in files_under(*roots).items() if found_in(secret, data))


def openclaw_logs() -> bytes:
    """OpenClaw's own file logs (it writes them under /tmp/openclaw whatever its home is)."""
    where = Path("/tmp/openclaw")
    return b"".join(p.read_bytes() for p in where.glob("*.log")) if where.is_dir() else b""
