"""Team alerts on the console: each alert operation is printed, so the alert engine can be used
(and tested) without any chat platform. With `json_mode`, one JSON object per line:
`{"alert": "post"|"update"|"follow_up", "ref": "…", "reply": {…}}`."""
from __future__ import annotations

import itertools
import json
import threading
from typing import IO

from core.replies import Reply


class ConsoleNotifier:
    min_interval_s = 0.0

    def __init__(self, stream: IO[str], *, json_mode: bool = False):
        self.stream = stream
        self.json_mode = json_mode
        self._ids = itertools.count(1)
        self._lock = threading.Lock()

    def _emit(self, op: str, ref: str, reply: Reply) -> None:
        with self._lock:
            if self.json_mode:
                self.stream.write(json.dumps({"alert": op, "ref": ref, "reply": reply.to_dict()},
                                             ensure_ascii=False) + "\n")
            else:
                marker = {"post": "alert", "update": "alert updated", "follow_up": "alert ↳"}[op]
                self.stream.write(f"[{marker} #{ref}] {reply.plain_text()}\n")
            self.stream.flush()

    def post(self, channel: str, reply: Reply) -> str:
        ref = str(next(self._ids))
        self._emit("post", ref, reply)
        return ref

    def update(self, channel: str, ref: str, reply: Reply) -> None:
        self._emit("update", ref, reply)

    def follow_up(self, channel: str, ref: str, reply: Reply) -> None:
        self._emit("follow_up", ref, reply)
