"""The console's status line: shown on a terminal while the gateway works, never in scripts."""
from __future__ import annotations

import io

from adapters.console.console import Console
from tests.harness import BotHarness

CLEAR = "\r\x1b[K"  # the status line: back to column 0, erase the line
TOKEN = "sk-ant-oat01-" + "ConsoleProgress_" * 6


def console(bot: BotHarness, *, interactive: bool, json_mode: bool = False) -> tuple[Console, io.StringIO]:
    out = io.StringIO()
    return Console(bot.chatops, stdin=io.StringIO(""), stdout=out, interactive=interactive, json_mode=json_mode,
                   user="tester", read_secret=lambda prompt: TOKEN), out


def test_a_terminal_sees_the_step_then_the_line_is_cleared_before_the_answer(bot: BotHarness) -> None:
    term, out = console(bot, interactive=True)
    term.run_line("paste-token main")  # prompts, reads the token without echo, stores it
    text = out.getvalue()
    steps = text.split(CLEAR)
    assert len(steps) >= 3, text  # at least one step shown, then cleared
    assert any(s.startswith("⏳ ") for s in steps)
    stored = steps[-1]  # everything after the last clear: the answer alone
    assert "stored for agent main" in stored and "⏳" not in stored
    assert TOKEN not in text


def test_scripts_and_json_get_the_answers_only(bot: BotHarness) -> None:
    for interactive, json_mode in ((False, False), (True, True)):
        script, out = console(bot, interactive=interactive, json_mode=json_mode)
        script.run_line("status --fresh")
        assert "\r" not in out.getvalue() and "⏳" not in out.getvalue()
        assert "OpenClaw auth status" in out.getvalue()
