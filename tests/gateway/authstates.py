"""Auth states OpenClaw itself made, built once per session for the differential and contract tests.

- `base`: main has a setup-token with an expiry (`paste-token --expires-in`) and an API key (exec
  refs), ops has its own key and reads main's through;
- `turns`: the API keys alone; a 401 turn as main cools main's key (ops reads it through), then,
  with `order set` limiting ops to its own key, a billing turn as ops disables that key;
- `ordered`: `models auth order set` on main;
- `placeholder`: a token profile mid-write (the bot's non-secret placeholder, pasted with a 1 s
  expiry by `paste-token --expires-in`, before the ref is re-applied): plaintext, then expired;
- `shared`: `paste-token` on a fresh single-agent home, which writes the shared store.

`build` runs the same script against any `binary` (the real CLI or the scripted OpenClaw). The
branches after `base` work on separate homes, so they run side by side: each CLI call is mostly
Node starting up, and the turns wait on the loopback Anthropic.
"""
from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from core.gateway.client import PLACEHOLDER_TOKEN
from core.secrets.credentials import classify
from tests.fakes.anthropic import FakeAnthropic
from tests.harness import copy_home, make_bot, prepare_home, run_oc

TOKEN = "sk-ant-oat01-" + "DiffT0ken" * 10
MAIN_KEY = "sk-ant-api03-" + "DiffMainK" * 9
OPS_KEY = "sk-ant-api03-" + "DiffOpsK_" * 9
SINGLE_AGENT = '{ agents: { defaults: { model: { primary: "anthropic/claude-opus-4-6" } } } }\n'


def _ok(binary: str, home: Path, *args: str, stdin: str | None = None) -> None:
    result = run_oc(binary, home, *args, stdin=stdin)
    assert result.returncode == 0, (args, result.stdout[-1000:], result.stderr[-1000:])


def _turn(binary: str, home: Path, agent: str) -> None:
    result = run_oc(binary, home, "agent", "--local", "--agent", agent, "--message", "hi", "--json")
    assert result.returncode != 0, "the fake Anthropic answers with an error"


def _placeholder(binary: str, home: Path) -> None:  # what the bot's expiry step pastes
    _ok(binary, home, "models", "auth", "paste-token", "--provider", "anthropic", "--profile-id",
        "anthropic:default", "--expires-in", "1s", "--agent", "main", stdin=PLACEHOLDER_TOKEN + "\n")


def _ordered(binary: str, home: Path) -> None:
    _ok(binary, home, "models", "auth", "order", "set", "--agent", "main", "--provider", "anthropic",
        "anthropic:api", "anthropic:default")


def _shared(binary: str, home: Path) -> None:
    prepare_home(binary, home, SINGLE_AGENT)
    _ok(binary, home, "models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", "anthropic:pasted",
        "--expires-in", "30d", stdin=TOKEN + "\n")


def _turns(binary: str, home: Path) -> None:
    fake = FakeAnthropic(mode="auth").start()
    try:
        _ok(binary, home, "config", "set", "models.providers.anthropic.baseUrl", fake.url)
        _turn(binary, home, "main")
        # ops tries only its own key, so the billing turn cannot reach main's (cooling) key however
        # slow the host is; this is also an order set on a non-default agent
        _ok(binary, home, "models", "auth", "order", "set", "--agent", "ops", "--provider", "anthropic",
            "anthropic:ops")
        fake.mode = "billing"
        _turn(binary, home, "ops")
    finally:
        fake.stop()


def build(binary: str, prepared_home: Path, root: Path) -> dict[str, Path]:
    base = copy_home(prepared_home, root / "base")
    bot = make_bot(binary, base, root / "chatops")  # its vault resolves the refs in every copy
    writer = bot.chatops.writer
    assert writer.write("main", "anthropic:api", classify(MAIN_KEY), actor="t").verified
    assert writer.write("ops", "anthropic:ops", classify(OPS_KEY), actor="t").verified
    homes = {"turns": copy_home(base, root / "turns")}  # API keys only: a 401 turn then takes ~17 s
    with ThreadPoolExecutor(max_workers=2) as pool:
        turns = pool.submit(_turns, binary, homes["turns"])
        assert writer.write("main", "anthropic:default", classify(TOKEN), actor="t", expires_in="30d").verified
        bot.parts.store.close()
        homes |= {"base": base, "placeholder": copy_home(base, root / "placeholder"),
                  "ordered": copy_home(base, root / "ordered"), "shared": root / "shared"}
        branches = [pool.submit(step, binary, homes[name])
                    for name, step in (("placeholder", _placeholder), ("ordered", _ordered), ("shared", _shared))]
        for done in (turns, *branches):
            done.result()
    return homes
