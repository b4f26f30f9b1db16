"""Bad input: each case gets a clear one-line error and changes nothing on disk."""
from __future__ import annotations

import hashlib
import json
import time
from pathlib import Path

import pytest

from core.requests import Place, PlaceKind, Request, User
from tests.harness import BotHarness, make_bot

pytestmark = pytest.mark.any_runner

TOKEN = "sk-ant-oat01-" + "BadInputTok" * 8


def tree_digest(*roots: Path) -> dict[str, str]:
    out = {}
    for root in roots:
        for path in sorted(Path(root).rglob("*")):
            if path.is_file() and not path.name.endswith((".lock", "-wal", "-shm", ".db")):
                out[str(path)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@pytest.fixture
def snapshot(bot: BotHarness):
    before = tree_digest(bot.state_dir, bot.parts.settings.chatops_dir)
    yield lambda: tree_digest(bot.state_dir, bot.parts.settings.chatops_dir) == before


@pytest.mark.parametrize("paste, words", [
    (TOKEN[:50], "too short"),
    (TOKEN[:70] + "#" + "s" * 20, "code#state"),
    ("sk-ant-api03-" + "k" * 90, "API key, but a Claude setup-token was asked for"),
    ("hello", "not an Anthropic credential"),
])
def test_malformed_pastes(bot: BotHarness, snapshot, paste: str, words: str):
    replies = bot.console("paste-token main", paste)
    assert replies[-1]["failed"] and replies[-1]["code"] == "rejected"
    assert words in replies[-1]["text"] and paste not in json.dumps(replies)
    assert snapshot() and bot.parts.vault.versions() == []


def test_a_token_in_a_shared_channel_is_refused_flagged_and_audited(bot: BotHarness, snapshot):
    user = User("slack", "U1")
    channel = Place(PlaceKind.CHANNEL, "C1")
    reply = bot.chatops.inspect_message(Request(user, channel, f"here you go {TOKEN}"))
    assert reply.burned and reply.failed and "burned" in reply.text and TOKEN not in reply.plain_text()
    as_command = bot.chatops.handle(Request(user, channel, f"paste-token main {TOKEN}"))
    assert as_command.burned and TOKEN not in as_command.plain_text()
    rows = bot.parts.store.audit_rows()
    assert [r.action for r in rows] == ["secret_in_channel", "secret_in_channel"]
    assert TOKEN not in repr(rows)
    assert snapshot() and bot.parts.vault.versions() == []


def test_a_secret_submitted_from_a_channel_is_refused_even_with_a_session(bot: BotHarness):
    user = User("console", "tester")
    [prompt] = bot.console("paste-token main")
    reply = bot.chatops.submit_secret(Request(user, Place(PlaceKind.CHANNEL, "C1"), ""), prompt["prompt"]["session_id"], TOKEN)
    assert reply.failed and reply.burned and bot.parts.vault.versions() == []


def test_an_expired_session_refuses_a_late_paste(bot: BotHarness, snapshot):
    [prompt] = bot.console("paste-token main")
    session_id = prompt["prompt"]["session_id"]
    bot.parts.store.update_session(session_id, expires_at=time.time() - 1)
    reply = bot.chatops.submit_secret(Request(User("console", "tester"), Place(PlaceKind.CONSOLE), ""), session_id, TOKEN)
    assert reply.failed and reply.code == "session" and "expired" in reply.text
    assert bot.parts.vault.versions() == []


def test_another_users_session_is_not_theirs(bot: BotHarness):
    [prompt] = bot.console("paste-token main")
    reply = bot.chatops.submit_secret(Request(User("slack", "U-other"), Place(PlaceKind.DM), ""),
                                      prompt["prompt"]["session_id"], TOKEN)
    assert reply.failed and reply.code == "session"


def test_unknown_agent(bot: BotHarness, snapshot):
    for line in ("paste-token nosuch", "status nosuch", "onboard nosuch api-key", "doctor nosuch"):
        [reply] = bot.console(line)
        assert reply["failed"] and "Unknown agent 'nosuch'" in reply["text"], reply
    assert snapshot()


def test_wrong_vault_key_and_tampered_vault(oc_bin: str, bot: BotHarness, tmp_path: Path):
    bot.parts.vault.put("anthropic/main/anthropic:x", TOKEN, kind="setup-token", created_by="test")
    wrong = make_bot(oc_bin, bot.home, bot.parts.settings.chatops_dir,
                     OPENCLAW_CHATOPS_VAULT_KEY="A" * 43 + "=")
    before = bot.parts.settings.vault_path.read_bytes()
    replies = wrong.console("paste-token main", "sk-ant-oat01-" + "N" * 90)
    assert replies[-1]["failed"] and replies[-1]["code"] == "vault"
    assert "key does not match" in replies[-1]["text"]
    assert bot.parts.settings.vault_path.read_bytes() == before
    # Tampered: one flipped character in the ciphertext.
    data = json.loads(before)
    entry = data["records"]["anthropic/main/anthropic:x"]["versions"]["1"]
    entry["ciphertext"] = ("B" if entry["ciphertext"][0] != "B" else "C") + entry["ciphertext"][1:]
    bot.parts.settings.vault_path.write_text(json.dumps(data))
    from bot.resolve import answer

    result = answer({"ids": ["anthropic/main/anthropic:x#v1"]}, bot.parts.vault)
    assert result["errors"]["anthropic/main/anthropic:x#v1"]["code"] == "VAULT_ERROR"
    assert "tampered" in result["errors"]["anthropic/main/anthropic:x#v1"]["message"]


def test_json5_config_with_comments_is_read(bot: BotHarness):
    config = bot.state_dir / "openclaw.json"
    assert config.read_text().startswith("//")
    [reply] = bot.console("help")
    assert not reply["failed"]
    assert bot.parts.gateway.agents() == ["main", "ops"]


def test_non_admins_cannot_onboard(oc_bin: str, bot: BotHarness):
    viewer = bot.chatops.handle(Request(User("slack", "U-viewer"), Place(PlaceKind.DM), "onboard main"))
    assert viewer.failed and viewer.code == "denied" and "admin role" in viewer.text


def test_alert_buttons_need_the_operator_role(bot: BotHarness):
    viewer = Request(User("slack", "U-viewer"), Place(PlaceKind.CHANNEL, "C1"), "")
    for action in ("alerts.ack", "alerts.snooze"):
        reply = bot.chatops.act(viewer, action, "iabc|3600")
        assert reply.failed and reply.code == "denied" and "operator role" in reply.text
    assert not bot.chatops.act(viewer, "status.all", "").code == "denied"
