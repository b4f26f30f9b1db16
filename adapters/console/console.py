"""Console adapter: one command per line, the same grammar as Slack and Discord.

Interactive (stdin is a terminal): a prompt, and secrets are read without echo. Scripted (stdin is
a pipe): when a reply asks for a secret or a choice, the next stdin line is the answer. Replies go
to stdout as text, or with `--json` as one `Reply` document per line so scripts assert on structure.
The console user is the gateway host's operator and holds the admin role.

On a terminal, work still running after 0.7 s shows its current step on one status line, rewritten
in place (`\r`) and cleared before the answer; scripts and `--json` get nothing but the answers.
"""
from __future__ import annotations

import getpass
import json
import shutil
import sys
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import IO

from core.actions import ActionId
from core.chatops import ChatOps
from core.progress import Progress
from core.replies import Reply
from core.requests import Place, PlaceKind, Request, User


class Console:
    def __init__(self, chatops: ChatOps, *, stdin: IO[str] | None = None, stdout: IO[str] | None = None,
                 json_mode: bool = False, interactive: bool | None = None, user: str | None = None,
                 read_secret: Callable[[str], str] | None = None):
        self.chatops = chatops
        self.stdin = stdin or sys.stdin
        self.stdout = stdout or sys.stdout
        self.json_mode = json_mode
        self.interactive = self.stdin.isatty() if interactive is None else interactive
        self.user = User("console", user or getpass.getuser(), user or getpass.getuser())
        self.place = Place(PlaceKind.CONSOLE, "console")
        self.read_secret = read_secret or getpass.getpass
        self.parse_failures = 0

    def request(self, text: str) -> Request:
        return Request(self.user, self.place, text)

    def working(self, run: Callable[[Request], Reply], text: str = "") -> Reply:
        """`run(request)`, with a status line while it is slow when a person is watching."""
        if self.json_mode or not self.interactive:
            return run(self.request(text))
        line = StatusLine(self.stdout)
        progress = Progress(line.show)
        request = replace(self.request(text), progress=progress)
        try:
            return progress.run(lambda: run(request))
        finally:
            line.clear()

    def emit(self, reply: Reply) -> None:
        if self.json_mode:
            self.stdout.write(json.dumps(reply.to_dict(), ensure_ascii=False) + "\n")
        else:
            self.stdout.write(reply.plain_text(actions=False) + "\n\n")
        self.stdout.flush()

    def _read_line(self, prompt: str) -> str | None:
        if self.interactive:
            try:
                return input(prompt)
            except EOFError:
                return None
        line = self.stdin.readline()
        return None if line == "" else line.rstrip("\n")

    def run_line(self, line: str) -> None:
        reply = self.working(self.chatops.handle, line)
        while True:
            if reply.code == "parse":
                self.parse_failures += 1
            reply = reply.direct or reply  # the console is already private
            self.emit(reply)
            if reply.prompt is None:
                return
            prompt = reply.prompt
            if prompt.kind == "secret":
                answer = (self.read_secret(f"{prompt.label} (input hidden): ") if self.interactive
                          else self._read_line(""))
                if answer is None:
                    return
                reply = self.working(partial(self.chatops.submit_secret, session_id=prompt.session_id, text=answer))
                if reply.failed and reply.code == "rejected":
                    self.emit(reply)  # scripted runs do not loop on a bad paste
                    return
            else:
                answer = self._read_line(f"{prompt.label} [{'/'.join(prompt.options)}]: ")
                if answer is None:
                    return
                reply = self.chatops.act(self.request(""), ActionId.ONBOARD_METHOD,
                                         f"{prompt.session_id}:{answer.strip()}")

    def run(self) -> int:
        """Read until EOF; exit status 2 when any line could not be parsed, else 0."""
        while True:
            line = self._read_line("openclaw> ")
            if line is None:
                return 2 if self.parse_failures else 0
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            if line in ("exit", "quit"):
                return 2 if self.parse_failures else 0
            self.run_line(line)


class StatusLine:
    """One terminal line showing the current step, rewritten in place and erased when done."""

    CLEAR = "\r\x1b[K"  # back to column 0, erase to the end of the line

    def __init__(self, out: IO[str]) -> None:
        self.out = out
        self.used = False

    def show(self, text: str) -> None:
        width = shutil.get_terminal_size().columns - 1
        last = text.splitlines()[-1]
        self.out.write(self.CLEAR + (last if len(last) <= width else last[: width - 1] + "…"))
        self.out.flush()
        self.used = True

    def clear(self) -> None:
        if self.used:
            self.out.write(self.CLEAR)
            self.out.flush()
