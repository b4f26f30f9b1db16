"""`openclaw-chatops run` as a whole process against a loopback Discord (`DISCORD_API_URL`): log in,
find the gateway through the REST base, IDENTIFY, sync the commands, answer `/openclaw status`
from the gateway websocket, and keep answering after the socket drops (RESUME replays what the
client missed)."""
from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from adapters.discord.config import DiscordConfig
from bot.settings import Settings
from core.adapter import ConfigError
from tests.adapters.discord.discord_harness import ADMIN_ID, admin, edits_original, is_progress
from tests.fakes import discord_payloads as p
from tests.fakes.discord_rest import Captured, FakeDiscord
from tests.harness import copy_home

BOT_TOKEN = "fake-process-bot-token"


def entry_point() -> list[str]:
    script = Path(sys.executable).parent / "openclaw-chatops"
    return [str(script)] if script.exists() else [sys.executable, "-m", "bot.cli"]


def edited(payload: dict):
    """The edit that answers `payload` (progress edits of slow work come before it)."""
    return lambda r: edits_original(payload, r) and not is_progress(r)


async def before_exit(proc: asyncio.subprocess.Process, log: Path, waiting):
    """What `waiting` returns, or a failure with the bot's output as soon as the bot exits."""
    task, exited = asyncio.ensure_future(waiting), asyncio.ensure_future(proc.wait())
    done, _ = await asyncio.wait({task, exited}, return_when=asyncio.FIRST_COMPLETED)
    if task in done:
        exited.cancel()
        return task.result()
    task.cancel()
    raise AssertionError(f"the bot exited with {proc.returncode}:\n{log.read_text()[-3000:]}")


def agents_in(edit: Captured) -> set[str]:
    return {e["title"] for e in edit.json["embeds"]}


def test_the_bot_process_answers_through_the_gateway_and_survives_a_dropped_socket(oc_bin, prepared_home, tmp_path):
    home = copy_home(prepared_home, tmp_path / "home")
    log = tmp_path / "bot.log"

    async def scenario():
        fake = await FakeDiscord().start()
        fake.guilds = [p.guild(True)]
        env = {"PATH": os.environ.get("PATH", ""), "HOME": str(home), "OPENCLAW_BIN": oc_bin,
               "OPENCLAW_STATE_DIR": str(home / ".openclaw"), "OPENCLAW_CHATOPS_DIR": str(tmp_path / "chatops"),
               "OPENCLAW_CHATOPS_ADMINS": f"discord:{ADMIN_ID}", "DISCORD_BOT_TOKEN": BOT_TOKEN,
               "DISCORD_GUILD_ID": p.GUILD, "DISCORD_API_URL": fake.base, "OPENCLAW_CHATOPS_LOG_LEVEL": "INFO"}
        with log.open("wb") as out:
            proc = await asyncio.create_subprocess_exec(*entry_point(), "run", env=env, cwd=tmp_path,
                                                        stdout=out, stderr=asyncio.subprocess.STDOUT)
        try:
            identify = await before_exit(proc, log, fake.wait_frame(lambda f: f["op"] == 2))
            first = p.slash(admin(), "status")
            await fake.dispatch("INTERACTION_CREATE", first)
            answer = await before_exit(proc, log, fake.wait_for(edited(first)))

            fake.drop()
            second = p.slash(admin(), "status")
            await fake.dispatch("INTERACTION_CREATE", second)  # while no socket is open: replayed on RESUME
            resume = await before_exit(proc, log, fake.wait_frame(lambda f: f["op"] == 6))
            again = await before_exit(proc, log, fake.wait_for(edited(second)))
        finally:
            if proc.returncode is None:
                proc.send_signal(signal.SIGINT)
                try:
                    await asyncio.wait_for(proc.wait(), 30)
                except TimeoutError:
                    proc.kill()
            await fake.stop()
        return fake, identify, answer, resume, again, log.read_text()

    fake, identify, answer, resume, again, output = asyncio.run(scenario())
    assert fake.find("GET", "/gateway/bot"), "the gateway is the one the REST base names"
    assert identify["d"]["token"] == BOT_TOKEN
    assert fake.find("PUT", f"/guilds/{p.GUILD}/commands"), "the command tree was synced to the guild"
    assert any(f["op"] == 1 for f in fake.frames), "the client heartbeats"
    assert agents_in(answer) == {"Agent main", "Agent ops"}
    assert "OpenClaw auth status" in answer.json["content"]
    assert resume["d"]["session_id"] == fake.session_id and resume["d"]["seq"] >= 3  # READY, GUILD_CREATE, 1st
    assert [f["op"] for f in fake.frames].count(2) == 1, "resumed, not identified again"
    assert agents_in(again) == {"Agent main", "Agent ops"}
    defers = [r for r in fake.requests if r.path.endswith("/callback")]
    assert [d.json["type"] for d in defers] == [5, 5]
    assert BOT_TOKEN not in output


@pytest.mark.parametrize("value", ["discord.com/api/v10", "ws://127.0.0.1:1/api/v10"])
def test_a_discord_api_url_that_is_not_http_is_refused_at_start_up(value, tmp_path):
    env = {"HOME": str(tmp_path), "OPENCLAW_CHATOPS_DIR": str(tmp_path), "DISCORD_API_URL": value}
    with pytest.raises(ConfigError, match="DISCORD_API_URL must be an http"):
        DiscordConfig.from_env(Settings.load(env, env_file=Path("/nonexistent")).raw)
