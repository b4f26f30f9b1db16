"""Secret-leak sweep: one canary per intake path, then a search of everything the bot could have
written or sent.

Paths: console paste, Slack DM paste, Slack modal, Slack channel paste, failed validation (console
and Slack modal), gateway failure, Discord modal. Most canaries are pasted the way people paste:
wrapped over lines, with a zero-width character or a space inside (the intake accepts those). What
is searched for is exactly the text the bot was given, a truncated paste included, and every
24-character slice of it, in every form `tests.leaks` knows (plain, URL- and JSON-escaped, base64
at each alignment, with line breaks and zero-width characters taken out): the captured log
records, OpenClaw's own logs, every request the fake Slack or fake Discord received (bodies,
headers, paths), and every file under the OpenClaw home, the bot's directory and the test's temp
dir (state.db, config, auth stores, plans, `.bak` and temp files). Only the vault may hold a stored
canary, and only as ciphertext (it is read back through the vault to prove it is there).

The sweep itself is proven able to fail: with a deliberately leaking bot (it logs each rejected
paste, in several disguises), the rejected-paste paths must be reported.
"""
from __future__ import annotations

import asyncio
import base64
import hashlib
import json
import logging
import urllib.parse
from collections.abc import Callable
from pathlib import Path

import pytest

from core.handlers import onboarding
from core.secrets.credentials import CredentialRejected
from core.secrets.writer import record_id
from tests.adapters.discord.discord_harness import discord_bot, role_admin, running  # noqa: F401 (fixture)
from tests.adapters.slack.conftest import buttons, dm_messages_with, make_rig, posts_to, serving
from tests.fakes import discord_payloads as p
from tests.fakes.slack import FakeSlack
from tests.harness import make_bot
from tests.leaks import files_under, found_in, openclaw_log_sizes, openclaw_logs, plain

pytestmark = pytest.mark.any_runner


def canary(path: str) -> str:
    """108 characters like a real setup-token; no two canaries share a 24-character slice."""
    body = f"Leak{path}_" + hashlib.sha256(path.encode()).hexdigest() + hashlib.sha256(path[::-1].encode()).hexdigest()
    return "sk-ant-oat01-" + body[:95]


def wrapped(secret: str) -> str:
    """As a terminal 40 columns wide would hand it over."""
    return "\n".join(secret[i:i + 40] for i in range(0, len(secret), 40))


def zero_width(secret: str) -> str:
    """With the zero-width space a rich-text editor leaves, early in the body."""
    return secret[:15] + "\u200b" + secret[15:]


@pytest.fixture
def logs_before() -> dict[str, int]:
    """Where OpenClaw's file logs ended when the test started: the sweep reads what came after."""
    return openclaw_log_sizes()


def sweep(secrets: dict[str, str], roots: list[Path], sent: dict[str, bytes], caplog: pytest.LogCaptureFixture,
          vault: Path, logs_before: dict[str, int]) -> dict[str, list[str]]:
    """Where each canary was found, the vault excepted."""
    blobs = {**{name: data for name, data in files_under(*roots).items() if Path(name) != vault}, **sent,
             "caplog": caplog.text.encode(), "/tmp/openclaw logs": openclaw_logs(since=logs_before)}
    return {path: [name for name, data in blobs.items() if found_in(secret, data)] for path, secret in secrets.items()}


def open_slack_modal(rig, fake: FakeSlack) -> dict:
    """`onboard main`, the setup-token button, the paste button: the secret modal's view."""
    rig.command("onboard main")
    choice = fake.wait_for(lambda f: next((labelled for c in posts_to(f) if "Claude setup-token" in (
        labelled := {b["text"]["text"]: b for b in buttons(c.params["blocks"])})), None))
    _, _, method_url = rig.click(choice["Claude setup-token"])
    (paste,) = [b for b in buttons(rig.wait_reply(method_url)[0]["blocks"]) if b["action_id"].startswith("onboard.paste/")]
    rig.click(paste)
    (opened,) = fake.wait_for(lambda f: f.of("views.open"))
    view = opened.params["view"]
    return json.loads(view) if isinstance(view, str) else view


def labels(data: dict) -> dict[str, str]:
    return {b["label"]: b["custom_id"] for row in data["components"] for b in row["components"]}


async def open_discord_modal(rig, who: dict):
    """`/openclaw onboard main`, the setup-token button, "Paste securely": the modal response."""
    start = p.slash(who, "onboard", agent="main")
    asked = await rig.interact(start, rig.callback(start))
    pick = p.button(who, labels(asked.json["data"])["Claude setup-token"], asked.json["data"]["components"])
    shown = await rig.interact(pick, rig.callback(pick))
    paste = p.button(who, labels(shown.json["data"])["Paste securely"], shown.json["data"]["components"])
    return await rig.interact(paste, rig.callback(paste))


def test_no_slack_or_console_path_leaks_the_canary(oc_bin: str, prepared_home: Path, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture, logs_before: dict[str, int]):
    caplog.set_level(logging.DEBUG)
    fake = FakeSlack()
    harness, slack = make_rig(oc_bin, prepared_home, tmp_path, fake)
    secrets = {"Console": canary("Console"), "SlackDm": wrapped(canary("SlackDm")),
               "SlackModal": zero_width(canary("SlackModal")), "Channel": zero_width(canary("Channel")),
               "Invalid": canary("Invalid")[:60], "InvalidModal": wrapped(canary("InvalidModal")[:45]),
               "GatewayDown": canary("GatewayDown")[:50] + " " + canary("GatewayDown")[50:]}  # as the bot gets them
    with serving(harness, slack, fake) as rig:
        assert not harness.console("paste-token main", secrets["Console"])[-1]["failed"]
        harness.console("paste-token main", secrets["Invalid"])  # truncated: refused by validation
        rig.message(f"oops {secrets['Channel']}", user="UOTHER", event_id="EvLeak")
        fake.wait_for(lambda f: f.of("chat.postEphemeral"))

        rig.command("paste-token ops")
        fake.wait_for(lambda f: posts_to(f))
        rig.message(secrets["SlackDm"], channel="DADMIN", channel_type="im", event_id="EvDm")
        fake.wait_for(lambda f: dm_messages_with(f, "stored for agent ops"), timeout=120)

        view = open_slack_modal(rig, fake)
        status, answer = rig.submit_modal(view, secrets["InvalidModal"])
        assert status == 200 and answer["response_action"] == "errors"
        status, answer = rig.submit_modal(view, secrets["SlackModal"])
        assert status == 200 and answer["response_action"] == "update"
        fake.wait_for(lambda f: dm_messages_with(f, "stored for agent main"), timeout=120)
    down = make_bot(str(tmp_path / "gone" / "openclaw"), harness.home, tmp_path / "chatops")
    assert down.console("paste-token main", secrets["GatewayDown"])[-1]["failed"]
    down.parts.store.close()

    vault = harness.parts.settings.vault_path
    report = sweep(secrets, [harness.home, harness.parts.settings.chatops_dir, tmp_path],
                   {"fake Slack": fake.all_bytes()}, caplog, vault, logs_before)
    fake.close()
    assert report == {p: [] for p in secrets}, report
    stored = harness.parts.vault
    assert stored.get(record_id("ops", "anthropic:default")) == plain(secrets["SlackDm"])
    assert stored.get(record_id("main", "anthropic:default")) == plain(secrets["SlackModal"])  # replaced the console one
    assert not found_in(secrets["SlackModal"], vault.read_bytes())  # ciphertext only


async def refused_discord_paste(rig, who: dict, text: str):
    """A truncated paste into a fresh Discord secret form: refused in place as too short."""
    modal = await open_discord_modal(rig, who)
    refused = p.modal_submit(who, modal.json["data"], text)
    answer = await rig.interact(refused, rig.original_edit(refused))
    assert "too short" in json.dumps(answer.json)
    return answer


def test_the_discord_modal_leaks_nothing(discord_bot, tmp_path: Path, caplog: pytest.LogCaptureFixture,
                                         logs_before: dict[str, int]):
    caplog.set_level(logging.DEBUG)
    secrets = {"DiscordModal": wrapped(canary("DiscordModal")).replace("\n", "\r\n"),
               "DiscordInvalid": canary("DiscordInvalid")[:40]}
    who = role_admin()

    async def scenario():
        async with running(discord_bot) as rig:
            answer = await refused_discord_paste(rig, who, secrets["DiscordInvalid"])
            again = p.button(who, labels(answer.json)["Paste again"], answer.json["components"])
            modal = await rig.interact(again, rig.callback(again))  # a new form: one form, one submission
            submit = p.modal_submit(who, modal.json["data"], secrets["DiscordModal"])
            await rig.interact(submit, rig.original_edit(submit))
            return b"\n".join(r.raw for r in rig.fake.requests)

    sent = asyncio.run(scenario())
    vault = discord_bot.parts.settings.vault_path
    report = sweep(secrets, [discord_bot.home, discord_bot.parts.settings.chatops_dir, tmp_path],
                   {"fake Discord": sent}, caplog, vault, logs_before)
    assert report == {p: [] for p in secrets}, report
    assert discord_bot.parts.vault.get(record_id("main", "anthropic:default")) == plain(secrets["DiscordModal"])


# -- the sweep can fail ------------------------------------------------------------------------
# A bot that logs each rejected paste, in the disguises a real leak takes: whole, a slice, wrapped,
# spread with zero-width characters, JSON-, URL-, form- or base64-encoded.
DISGUISES: dict[str, Callable[[str], str]] = {
    "verbatim": lambda t: t,
    "tail": lambda t: t[-26:],
    "wrapped": lambda t: t[:20] + "\n" + t[20:],
    "zero-width": lambda t: "\u200b".join(t[i:i + 10] for i in range(0, len(t), 10)),
    "json": lambda t: json.dumps({"text": t[:20] + "\n" + t[20:]}),
    "json-zero-width": lambda t: json.dumps({"text": t[:20] + "\u200b" + t[20:]}),
    "percent": lambda t: urllib.parse.quote(t[:20] + "\n" + t[20:], safe=""),
    "form": lambda t: urllib.parse.urlencode({"payload": json.dumps({"value": t})}),
    "base64": lambda t: base64.b64encode(b"rejected: " + t.encode()).decode(),
}


@pytest.fixture
def leaky(monkeypatch: pytest.MonkeyPatch) -> None:
    """The deliberate leak: every paste the intake refuses is logged, once per disguise."""
    real = onboarding.classify

    def classify(text, expected=None):
        try:
            return real(text, expected)
        except CredentialRejected:
            for name, disguise in DISGUISES.items():
                logging.getLogger(f"leak.{name}").warning("rejected paste: %s", disguise(text))
            raise
    monkeypatch.setattr(onboarding, "classify", classify)


def assert_caught(secrets: dict[str, str], report: dict[str, list[str]], caplog: pytest.LogCaptureFixture) -> None:
    assert {path: "caplog" in where for path, where in report.items()} == {path: True for path in secrets}
    for name in DISGUISES:
        logged = "\n".join(r.getMessage() for r in caplog.records if r.name == f"leak.{name}").encode()
        caught = {path: found_in(secret, logged) for path, secret in secrets.items()}
        assert len(logged) > 0, name
        assert caught == {path: True for path in secrets}, name


def test_the_sweep_catches_rejected_slack_and_console_pastes_that_leak(
        leaky: None, oc_bin: str, prepared_home: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture,
        logs_before: dict[str, int]):
    caplog.set_level(logging.DEBUG)
    fake = FakeSlack()
    harness, slack = make_rig(oc_bin, prepared_home, tmp_path, fake)
    secrets = {"Invalid": canary("Invalid")[:60], "InvalidModal": canary("InvalidModal")[:40]}
    with serving(harness, slack, fake) as rig:
        harness.console("paste-token main", secrets["Invalid"])
        status, answer = rig.submit_modal(open_slack_modal(rig, fake), secrets["InvalidModal"])
        assert status == 200 and answer["response_action"] == "errors"
    report = sweep(secrets, [harness.home, harness.parts.settings.chatops_dir, tmp_path],
                   {"fake Slack": fake.all_bytes()}, caplog, harness.parts.settings.vault_path,
                   logs_before)
    fake.close()
    assert_caught(secrets, report, caplog)


def test_the_sweep_catches_a_rejected_discord_paste_that_leaks(leaky: None, discord_bot, tmp_path: Path,
                                                               caplog: pytest.LogCaptureFixture,
                                                               logs_before: dict[str, int]):
    caplog.set_level(logging.DEBUG)
    secrets = {"DiscordInvalid": canary("DiscordInvalid")[:40]}
    who = role_admin()

    async def scenario():
        async with running(discord_bot) as rig:
            await refused_discord_paste(rig, who, secrets["DiscordInvalid"])
            return b"\n".join(r.raw for r in rig.fake.requests)

    sent = asyncio.run(scenario())
    report = sweep(secrets, [discord_bot.home, discord_bot.parts.settings.chatops_dir, tmp_path],
                   {"fake Discord": sent}, caplog, discord_bot.parts.settings.vault_path,
                   logs_before)
    assert_caught(secrets, report, caplog)
