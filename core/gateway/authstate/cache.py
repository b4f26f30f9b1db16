"""`StoreCache`: the kept read-only connections and the parsed rows, re-read only when a file changed."""
from __future__ import annotations

import sqlite3
import threading
import time
from pathlib import Path

from core.gateway.authstate.guard import AuthStoreUnreadable, open_readonly
from core.gateway.authstate.rows import RawStore, Rows

__all__ = ["StoreCache"]

# (inode, size, mtime_ns) of one file: a replaced, grown or rewritten file has another.
FileStamp = tuple[int, int, int]
# The database's and its `-wal`'s (None while there is no WAL file).
Stamp = tuple[FileStamp, FileStamp | None]


def _file_stamp(path: Path) -> FileStamp | None:
    try:
        st = path.stat()
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_size, st.st_mtime_ns


class StoreCache:
    """Parsed rows per database, re-read when its files change and at least every `max_age_s`.

    A commit in WAL mode appends to `-wal` and a checkpoint writes the main file, so an unchanged
    (inode, size, mtime) of both means unchanged rows; `max_age_s` bounds the one blind spot, two
    commits within the file system's timestamp granularity that leave the WAL the same size.

    One read-only connection is kept per store file (inode): a fresh connection must parse the
    whole schema of OpenClaw's database (transcripts live there too) before its first query, about
    2 ms, which on a busy gateway is most of the watcher's cost. A kept connection once reported a
    malformed image across OpenClaw's own maintenance, so any database error drops it and the read
    is retried once on a fresh connection before the error counts."""

    def __init__(self, max_age_s: float = 5.0) -> None:
        self.max_age_s = max_age_s
        self._entries: dict[Path, tuple[Stamp, float, RawStore]] = {}
        self._conns: dict[Path, tuple[int, sqlite3.Connection]] = {}
        self._lock = threading.Lock()

    def _read_kept(self, path: Path, inode: int, rows: Rows) -> RawStore:
        """`rows` on the kept connection for this file, (re)opened when the file was replaced."""
        with self._lock:
            kept = self._conns.pop(path, None)
            if kept is not None and kept[0] == inode:
                try:
                    raw = rows(kept[1], path)
                    self._conns[path] = kept
                    return raw
                except (sqlite3.Error, AuthStoreUnreadable):
                    pass  # dropped below; the read is retried once on a fresh connection
            if kept is not None:
                kept[1].close()
            fresh = (inode, open_readonly(path))
            try:
                raw = rows(fresh[1], path)  # an error here is the store's, not the kept connection's
            except BaseException:
                fresh[1].close()
                raise
            self._conns[path] = fresh
            return raw

    @staticmethod
    def _stamp(path: Path) -> Stamp | None:
        """The database's and its `-wal`'s (None without one); None when the database is gone."""
        main = _file_stamp(path)
        if main is None:
            return None
        return main, _file_stamp(path.with_name(path.name + "-wal"))

    def read(self, path: Path, rows: Rows) -> RawStore:
        path = Path(path)
        stamp = self._stamp(path)
        if stamp is None:
            with self._lock:
                self._entries.pop(path, None)
                gone = self._conns.pop(path, None)
            if gone is not None:
                gone[1].close()
            return RawStore(path, exists=False)
        now = time.monotonic()
        with self._lock:
            hit = self._entries.get(path)
        if hit and hit[0] == stamp and now - hit[1] < self.max_age_s:
            return hit[2]
        raw = self._read_kept(path, stamp[0][0], rows)
        with self._lock:
            self._entries[path] = (stamp, now, raw)
        return raw
