"""`status` and `doctor` on a gateway whose agents run another provider's model.

With no model configured, OpenClaw 2026.9.6 runs `openai/gpt-6-astra` and reports `openai` in
`missingProvidersInUse`. The bot onboards Anthropic credentials only, so it must not send the user
to `onboard` for OpenAI, must show OpenAI profiles read-only with OpenClaw's own command, and must
stop saying "needs attention" once what it can act on (an Anthropic profile) is in place.
"""
from __future__ import annotations

from pathlib import Path

import pytest

from core.secrets.credentials import classify
from tests.harness import BotHarness, copy_home, make_bot, prepare_home

pytestmark = pytest.mark.any_runner


NO_MODEL_CONFIG = """// no model configured: OpenClaw picks its own default (another provider's)
{
  agents: { ownership: "explicit", entries: { main: {}, ops: {} } },
}
"""
API_KEY = "sk-ant-api03-" + "OtherProv1der" * 7
TOKEN = "sk-ant-oat01-" + "OtherProvT0ken_" * 6
OPENAI_KEY = "sk-proj-" + "OpenAIreadonly" * 4


@pytest.fixture(scope="session")
def other_provider_home(oc_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    return prepare_home(oc_bin, tmp_path_factory.mktemp("other-provider") / "home", NO_MODEL_CONFIG)


@pytest.fixture
def bot(oc_bin: str, other_provider_home: Path, tmp_path: Path) -> BotHarness:
    harness = make_bot(oc_bin, copy_home(other_provider_home, tmp_path / "home"), tmp_path / "chatops")
    yield harness
    harness.parts.store.close()


def section(reply: dict, agent: str) -> dict:
    return next(s for s in reply["sections"] if s["title"] == f"Agent {agent}")


def test_status_on_a_gateway_whose_default_model_is_not_anthropic(bot: BotHarness):
    truth = bot.oc_json("models", "status", "--json", "--agent", "ops")
    assert not truth["resolvedDefault"].startswith("anthropic/")
    other = truth["auth"]["missingProvidersInUse"][0]
    assert other != "anthropic"

    [before] = bot.console("status ops")
    ops = section(before, "ops")
    assert f"No credentials for {other}" in ops["text"]
    assert f"`openclaw models auth paste-api-key --provider {other} --agent ops`" in ops["text"]
    assert "onboards Anthropic credentials only" in ops["text"]
    assert f"No credentials for {other}: run `onboard" not in ops["text"]
    assert "needs attention" in before["title"]  # nothing usable yet, and the bot can add Anthropic

    written = bot.chatops.writer.write("ops", "anthropic:api", classify(API_KEY), actor="test")
    assert written.verified, written.detail
    [after] = bot.console("status ops")
    ops = section(after, "ops")
    assert "needs attention" not in after["title"], after
    assert after["severity"] in ("ok", "info")
    assert any(f["label"] == "anthropic:api" and f["value"].startswith("ok") for f in ops["fields"])
    assert f"No credentials for {other}" in ops["text"]  # still said, no longer counted

    [doctor] = bot.console("doctor ops")
    titles = {s["title"]: s for s in doctor["sections"]}
    gap = titles[f'ops: "No API key found for provider {other}"']
    assert gap["severity"] == "info" and "openclaw models auth paste-api-key" in gap["text"]
    assert 'ops: "No API key found for provider anthropic"' not in titles
    assert doctor["severity"] == "info"

    # A profile of the other provider, added the way the reply says, is shown read-only.
    pasted = bot.oc("models", "auth", "paste-api-key", "--provider", other, "--agent", "ops", stdin=OPENAI_KEY + "\n")
    assert pasted.returncode == 0, pasted.stderr[-1000:]
    [listed] = bot.console("status ops --fresh")
    fields = {f["label"]: f["value"] for f in section(listed, "ops")["fields"]}
    theirs = [v for k, v in fields.items() if k.startswith(f"{other}:")]
    assert theirs and all("read-only (managed with OpenClaw)" in v for v in theirs)
    assert "read-only" not in fields["anthropic:api"]
    assert "needs attention" not in listed["title"]
    assert OPENAI_KEY not in str(listed) and API_KEY not in str(after)


def test_doctor_and_the_method_choice_say_token_auth_can_expire_and_be_revoked(bot: BotHarness):
    written = bot.chatops.writer.write("main", "anthropic:default", classify(TOKEN), actor="test")
    assert written.verified, written.detail
    [doctor] = bot.console("doctor main")
    note = next(s for s in doctor["sections"] if s["title"] == "main: setup-token only")
    assert "can expire and can be revoked" in note["text"] and "API key is recommended" in note["text"]
    assert "fully supported" in note["text"]

    [choice] = bot.console("onboard main")
    assert "recommended for new setups" in choice["text"] and "can be revoked" in choice["text"]
    assert {a["label"] for a in choice["actions"]} >= {"Anthropic API key", "Claude setup-token"}
