"""Crash-safe file writes and cross-process locks.

Every file the bot owns (vault, key file, resolver wrapper) is replaced atomically: the new bytes go
to a temporary file in the same directory, are fsynced, and are renamed over the old one, then the
directory is fsynced. A crash at any point leaves either the old or the new file, never a torn one.
"""
from __future__ import annotations

import contextlib
import fcntl
import os
import tempfile
from collections.abc import Iterator
from glob import escape as glob_escape
from pathlib import Path

__all__ = ["atomic_write", "discard_stale_temps", "file_lock", "fsync_dir"]

_TEMP_SUFFIX = ".tmp"


def atomic_write(path: Path, data: bytes, mode: int = 0o600) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(prefix=_temp_prefix(path), suffix=_TEMP_SUFFIX, dir=path.parent)
    try:
        os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    fsync_dir(path.parent)


def fsync_dir(directory: Path) -> None:
    """Make a rename or a new file in `directory` survive a power loss, not just a crash."""
    dir_fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)


def discard_stale_temps(path: Path) -> int:
    """Remove the temp files of `path` that a writer killed between write and rename left behind
    (kill -9, power loss); returns how many. They hold bytes that never landed and nothing reads
    them. Call it only with `path`'s `file_lock` held: then no live writer has one open."""
    path = Path(path)
    removed = 0
    for stale in path.parent.glob(f"{glob_escape(_temp_prefix(path))}*{_TEMP_SUFFIX}"):
        with contextlib.suppress(FileNotFoundError):
            stale.unlink()
            removed += 1
    return removed


def _temp_prefix(path: Path) -> str:
    return f".{path.name}."


@contextlib.contextmanager
def file_lock(path: Path, *, shared: bool = False) -> Iterator[None]:
    """Hold an advisory lock on `<path>.lock` (separate file: the target is renamed); exclusive,
    or shared with other shared holders. Not reentrant: flock locks belong to the open file, so
    a second `file_lock` of the same path in one process waits for the first."""
    lock_path = Path(f"{path}.lock")
    lock_path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH if shared else fcntl.LOCK_EX)
        yield
    finally:
        fcntl.flock(fd, fcntl.LOCK_UN)
        os.close(fd)
