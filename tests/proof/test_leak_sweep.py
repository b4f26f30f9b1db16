"""Secret-leak sweep: one canary per intake path, then a search of everything the bot could have
written or sent.

Paths: console paste, Slack DM paste, Slack modal, Slack channel paste, failed validation (console
and Slack modal), gateway failure, Discord modal. Searched, for every canary in every form
`tests.leaks` knows (plain, URL-encoded, base64 at each alignment): the captured log records,
OpenClaw's own logs, every request the fake Slack or fake Discord received (bodies, headers,
paths), and every file under the OpenClaw home, the bot's directory and the test's temp dir
(state.db, config, auth stores, plans, `.bak` and temp files). Only the vault may hold a stored
canary, and only as ciphertext (it is read back through the vault to prove it is there).
"""
from __future__ import annotations

import asyncio
import json
import logging
from pathlib import Path

import pytest

from core.credential_writer import record_id
from tests.adapters.discord.discord_harness import discord_bot, role_admin, running  # noqa: F401 (fixture)
from tests.adapters.slack.conftest import ADMIN, block_text, buttons, make_rig, posts_to, serving
from tests.fakes import discord_payloads as p
from tests.fakes.slack import FakeSlack
from tests.harness import make_bot
from tests.leaks import files_under, found_in, openclaw_logs

pytestmark = pytest.mark.interop


def canary(path: str) -> str:
    return "sk-ant-oat01-" + f"LeakCanary{path}_" * 6 + "Zq9"


def sweep(secrets: dict[str, str], roots: list[Path], sent: dict[str, bytes], caplog: pytest.LogCaptureFixture,
          vault: Path) -> dict[str, list[str]]:
    """Where each canary was found, the vault excepted."""
    blobs = {**{name: data for name, data in files_under(*roots).items() if Path(name) != vault}, **sent,
             "caplog": caplog.text.encode(), "/tmp/openclaw logs": openclaw_logs()}
    return {path: [name for name, data in blobs.items() if found_in(secret, data)] for path, secret in secrets.items()}


def test_no_slack_or_console_path_leaks_the_canary(oc_bin: str, prepared_home: Path, tmp_path: Path,
                                                    caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    fake = FakeSlack()
    harness, slack = make_rig(oc_bin, prepared_home, tmp_path, fake)
    secrets = {p: canary(p) for p in ("Console", "SlackDm", "SlackModal", "Channel", "Invalid", "InvalidModal",
                                      "GatewayDown")}
    with serving(harness, slack, fake) as rig:
        assert not harness.console("paste-token main", secrets["Console"])[-1]["failed"]
        harness.console("paste-token main", secrets["Invalid"][:60])  # truncated: refused by validation
        rig.message(f"oops {secrets['Channel']}", user="UOTHER", event_id="EvLeak")
        fake.wait_for(lambda f: f.of("chat.postEphemeral"))

        rig.command("paste-token ops")
        fake.wait_for(lambda f: posts_to(f))
        rig.message(secrets["SlackDm"], channel="DADMIN", channel_type="im", event_id="EvDm")
        fake.wait_for(lambda f: [c for c in posts_to(f) if "stored for agent ops" in str(c.params)], timeout=120)

        rig.command("onboard main")
        choice = fake.wait_for(lambda f: next((labelled for c in posts_to(f) if "Claude setup-token" in (
            labelled := {b["text"]["text"]: b for b in buttons(c.params["blocks"])})), None))
        _, _, method_url = rig.click(choice["Claude setup-token"])
        (paste,) = [b for b in buttons(rig.wait_reply(method_url)[0]["blocks"]) if b["action_id"].startswith("onboard.paste/")]
        rig.click(paste)
        (opened,) = fake.wait_for(lambda f: f.of("views.open"))
        view = opened.params["view"]
        view = json.loads(view) if isinstance(view, str) else view
        status, answer = rig.submit_modal(view, secrets["InvalidModal"][:40])
        assert status == 200 and answer["response_action"] == "errors"
        status, answer = rig.submit_modal(view, secrets["SlackModal"])
        assert status == 200 and answer["response_action"] == "update"
        fake.wait_for(lambda f: [c for c in posts_to(f) if "stored for agent main" in str(c.params)], timeout=120)
    down = make_bot(str(tmp_path / "gone" / "openclaw"), harness.home, tmp_path / "chatops")
    assert down.console("paste-token main", secrets["GatewayDown"])[-1]["failed"]
    down.parts.store.close()

    vault = harness.parts.settings.vault_path
    report = sweep(secrets, [harness.home, harness.parts.settings.chatops_dir, tmp_path],
                   {"fake Slack": fake.all_bytes()}, caplog, vault)
    fake.close()
    assert report == {p: [] for p in secrets}, report
    stored = harness.parts.vault
    assert stored.get(record_id("ops", "anthropic:default")) == secrets["SlackDm"]
    assert stored.get(record_id("main", "anthropic:default")) == secrets["SlackModal"]  # replaced the console one
    assert not found_in(secrets["SlackModal"], vault.read_bytes())  # ciphertext only


def test_the_discord_modal_leaks_nothing(discord_bot, tmp_path: Path, caplog: pytest.LogCaptureFixture):
    caplog.set_level(logging.DEBUG)
    secrets = {p: canary(p) for p in ("DiscordModal", "DiscordInvalid")}
    who = role_admin()

    def labels(data: dict) -> dict[str, str]:
        return {b["label"]: b["custom_id"] for row in data["components"] for b in row["components"]}

    async def scenario():
        async with running(discord_bot) as rig:
            start = p.slash(who, "onboard", agent="main")
            asked = await rig.interact(start, rig.callback(start))
            pick = p.button(who, labels(asked.json["data"])["Claude setup-token"], asked.json["data"]["components"])
            shown = await rig.interact(pick, rig.callback(pick))
            paste = p.button(who, labels(shown.json["data"])["Paste securely"], shown.json["data"]["components"])
            modal = await rig.interact(paste, rig.callback(paste))
            refused = p.modal_submit(who, modal.json["data"], secrets["DiscordInvalid"][:40])
            answer = await rig.interact(refused, rig.original_edit(refused))
            assert "too short" in json.dumps(answer.json)
            again = p.button(who, labels(answer.json)["Paste again"], answer.json["components"])
            modal = await rig.interact(again, rig.callback(again))  # a new form: one form, one submission
            submit = p.modal_submit(who, modal.json["data"], secrets["DiscordModal"])
            await rig.interact(submit, rig.original_edit(submit))
            return b"\n".join(r.raw for r in rig.fake.requests)

    sent = asyncio.run(scenario())
    vault = discord_bot.parts.settings.vault_path
    report = sweep(secrets, [discord_bot.home, discord_bot.parts.settings.chatops_dir, tmp_path],
                   {"fake Discord": sent}, caplog, vault)
    assert report == {p: [] for p in secrets}, report
    assert discord_bot.parts.vault.get(record_id("main", "anthropic:default")) == secrets["DiscordModal"]
