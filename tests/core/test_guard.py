"""The dispatcher's error guard: an error that promised a chat-safe message (`ChatSafeError`) is
shown with its own title and code; any other failure is "Something went wrong" and the log.

The bot is the real one (`make_bot`) on a stand-in `openclaw` script, so no Node runs. The
handlers that raise are registered for the test in place of `help`'s, the way a real handler would
fail; the guard under test is the real dispatcher's.
"""
from __future__ import annotations

import logging
import stat
from pathlib import Path

import pytest

from core.errors import ChatSafeError
from core.grammar import VERB_BY_NAME
from core.registry import REGISTRY, CommandEntry
from core.requests import Place, PlaceKind, Request, User
from tests.harness import make_bot

SECRET = "sk-ant-api03-" + "Q" * 93


class QuotaExceeded(ChatSafeError):
    title = "Over quota"
    code = "quota"


@pytest.fixture
def bot(tmp_path: Path):
    state = tmp_path / "home" / ".openclaw"
    state.mkdir(parents=True)
    (state / "openclaw.json").write_text("{ agents: { entries: { main: {} } } }")
    cli = tmp_path / "openclaw"
    cli.write_text("#!/bin/sh\necho 'boom' >&2; exit 1\n")
    cli.chmod(cli.stat().st_mode | stat.S_IEXEC)
    return make_bot(str(cli), tmp_path / "home", tmp_path / "chatops")


def ask(bot, text: str):
    return bot.chatops.handle(Request(User("console", "tester"), Place(PlaceKind.CONSOLE), text))


def raising(exc: Exception):
    def handler(deps, request, command):
        raise exc
    return CommandEntry(VERB_BY_NAME["help"], handler)


def test_gateway_and_vault_errors_keep_their_titles_and_codes(bot):
    reply = ask(bot, "remove anthropic:api main")  # the failing CLI raises a GatewayError
    assert (reply.title, reply.code, reply.failed) == ("Gateway problem", "gateway", True)
    assert reply.text == "`openclaw models status` failed: boom"  # the CLI's own words, not a traceback


def test_any_chat_safe_error_is_shown_with_its_own_title(bot, monkeypatch):
    monkeypatch.setitem(REGISTRY.commands, "help", raising(QuotaExceeded("Wait an hour, then try again.")))
    reply = ask(bot, "help")
    assert (reply.title, reply.text, reply.code) == ("Over quota", "Wait an hour, then try again.", "quota")


def test_any_other_error_stays_in_the_log(bot, monkeypatch, caplog):
    monkeypatch.setitem(REGISTRY.commands, "help", raising(RuntimeError(f"bug with {SECRET} in it")))
    with caplog.at_level(logging.ERROR, logger="core.chatops"):
        reply = ask(bot, "help")
    assert (reply.title, reply.code) == ("Something went wrong", "internal")
    assert SECRET not in str(reply.to_dict()) and "bug" not in reply.text
    assert any(r.exc_info for r in caplog.records)
