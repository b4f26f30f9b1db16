"""Acceptance for `secure`: plaintext credentials of a real OpenClaw home move into the vault.

Homes are prepared the way the provider guide and OpenClaw's own CLI do it (an `env.vars` key,
`models auth paste-token`, `models auth paste-api-key` on a second agent), once per module, and
copied per test.
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
from pathlib import Path

import pytest

from core.gateway.authstate import locate, read_profiles
from core.requests import Place, PlaceKind, Request, User
from tests.harness import BASE_CONFIG, BotHarness, copy_home, make_bot, prepare_home, run_oc

TOKEN = "sk-ant-oat01-" + "SecureTok3n_" * 8
OPS_KEY = "sk-ant-api03-" + "SecureOpsK3y-" * 8
ENV_KEY = "sk-ant-api03-" + "SecureEnvK3y-" * 8
OLD_KEY = "sk-ant-api03-" + "SecureOldK3y-" * 8
SECRETS = (TOKEN, OPS_KEY, ENV_KEY)
# One worker runs this module, so the homes below (three CLI calls for the guide's) are built once,
# not once on each worker that happens to take one of its tests.
pytestmark = pytest.mark.xdist_group("secure")


def _with_env(env_block: str) -> str:
    return BASE_CONFIG.rstrip().removesuffix("}") + f"  env: {env_block},\n}}\n"


@pytest.fixture(scope="module")
def guide_home(oc_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = prepare_home(oc_bin, tmp_path_factory.mktemp("guide") / "home",
                        _with_env(f'{{ vars: {{ ANTHROPIC_API_KEY: "{ENV_KEY}" }} }}'))
    pasted = run_oc(oc_bin, home, "models", "auth", "paste-token", "--provider", "anthropic", "--agent", "main",
                    "--expires-in", "30d", stdin=TOKEN + "\n")
    assert pasted.returncode == 0, pasted.stderr[-1500:]
    # The default id `anthropic:manual` is taken by the token above (same shared store), and
    # paste-api-key refuses to overwrite a profile of another type, so the key gets its own id.
    pasted = run_oc(oc_bin, home, "models", "auth", "paste-api-key", "--provider", "anthropic", "--agent", "ops",
                    "--profile-id", "anthropic:ops", stdin=OPS_KEY + "\n")
    assert pasted.returncode == 0, pasted.stderr[-1500:]
    return home


@pytest.fixture(scope="module")
def legacy_home(oc_bin: str, tmp_path_factory: pytest.TempPathFactory) -> Path:
    home = tmp_path_factory.mktemp("legacy") / "home"
    (home / ".openclaw").mkdir(parents=True, mode=0o700)
    (home / ".openclaw" / "openclaw.json").write_text(_with_env(f'{{ ANTHROPIC_API_KEY: "{OLD_KEY}" }}'))
    return home


@pytest.fixture
def secure_bot(request: pytest.FixtureRequest, oc_bin: str, tmp_path: Path):
    src: Path = request.getfixturevalue(request.param)
    harness = make_bot(oc_bin, copy_home(src, tmp_path / "home"), tmp_path / "chatops")
    yield harness
    harness.parts.store.close()


def dump(doc: object) -> str:
    return json.dumps(doc, ensure_ascii=False)


AUTH_STORES = ("agents/*/agent/openclaw-agent.sqlite", "state/openclaw.sqlite")


def snapshot(state_dir: Path) -> dict[str, str]:
    """Every file OpenClaw keeps, byte for byte, except SQLite files: OpenClaw's own read-only
    `secrets audit` rewrites bookkeeping pages there, so its auth stores are compared by their
    profiles, and a store that cannot be read fails the test rather than dropping out of it."""
    out: dict[str, str] = {}
    for path in sorted(state_dir.rglob("*")):
        if not path.is_file() or ".sqlite" in path.name:
            continue
        out[str(path.relative_to(state_dir))] = hashlib.sha256(path.read_bytes()).hexdigest()
    stores = sorted(p for pattern in AUTH_STORES for p in state_dir.glob(pattern))
    assert stores, "no auth store found: the layout changed, this comparison would prove nothing"
    for path in stores:
        out[str(path.relative_to(state_dir))] = dump(read_profiles(locate(state_dir, str(path))))
    return out


def openclaw_view(bot: BotHarness) -> dict[str, object]:
    """What OpenClaw itself reports about credentials (status, which lists every profile with its
    type, source and expiry, and its audit), with the countdowns that change by the second left
    out. The test's word for "changed nothing" must not rest on this project's own store reader
    alone. (`models auth list` would add nothing status does not show, at twice its cost.)"""
    def steady(node: object) -> object:
        if isinstance(node, dict):
            return {k: steady(v) for k, v in node.items() if k != "remainingMs"}
        return [steady(v) for v in node] if isinstance(node, list) else node

    view: dict[str, object] = {"secrets audit": bot.oc_json("secrets", "audit", "--json")}
    for agent in ("main", "ops"):
        view[f"models status {agent}"] = steady(bot.oc_json("models", "status", "--json", "--agent", agent))
    return view


def profile_ids(bot: BotHarness, agent: str) -> set[str]:
    """The profiles OpenClaw lists for the agent (its own and those it reads through), from
    `models status`: the same list as `models auth list`, at half the cost of that command."""
    doc = bot.oc_json("models", "status", "--json", "--agent", agent)
    return {label.split("=", 1)[0] for p in doc["auth"]["providers"] for label in p["profiles"]["labels"]}


def admin_request(bot: BotHarness) -> Request:
    return Request(User("console", "tester", "tester"), Place(PlaceKind.CONSOLE, "console"), "")


@pytest.mark.parametrize("secure_bot", ["guide_home"], indirect=True)
def test_listing_without_confirmation_changes_nothing(secure_bot: BotHarness, caplog: pytest.LogCaptureFixture):
    bot = secure_bot
    caplog.set_level(logging.DEBUG)
    before, seen_by_openclaw = snapshot(bot.state_dir), openclaw_view(bot)
    listing = bot.console("secure --all")[-1]
    assert listing["title"].startswith("3 plaintext credential(s)"), listing
    text = dump(listing)
    for where in ("env.vars.ANTHROPIC_API_KEY", "agent main · profile anthropic:manual", "agent ops · profile anthropic:ops"):
        assert where in text
    for secret in SECRETS:
        assert secret not in text and secret not in caplog.text
        assert secret[-4:] in text  # named by fingerprint
    [button] = listing["actions"]
    assert button["id"] == "secure.confirm" and button["value"] and not any(s in button["value"] for s in SECRETS)
    # Not pressing the button (or running without --yes) leaves every file byte-identical.
    assert snapshot(bot.state_dir) == before
    assert bot.parts.vault.versions() == []
    # Somebody else cannot press it.
    other = Request(User("slack", "U-OTHER", "other"), Place(PlaceKind.DM, "D1"), "")
    assert bot.chatops.act(other, "secure.confirm", button["value"]).failed
    assert snapshot(bot.state_dir) == before
    assert openclaw_view(bot) == seen_by_openclaw
    status = bot.console("status")[-1]
    assert "plaintext credentials: 3" in dump(status)


@pytest.mark.parametrize("secure_bot", ["guide_home"], indirect=True)
def test_failed_plan_keeps_credentials_and_the_confirmed_rerun_secures_the_gateway(secure_bot: BotHarness,
                                                                                   caplog: pytest.LogCaptureFixture):
    bot = secure_bot
    caplog.set_level(logging.DEBUG)
    ids_before = {agent: profile_ids(bot, agent) for agent in ("main", "ops")}
    expiry_before = _expiry(bot, "main", "anthropic:manual")
    config_before = (bot.state_dir / "openclaw.json").read_bytes()

    # 1. The plan fails (the resolver path is not executable): nothing moves, nothing is lost.
    gateway = bot.chatops.gateway
    good = gateway.provider
    gateway.provider = dataclasses.replace(good, command=str(bot.state_dir / "no-such-resolver"))
    failed = bot.console("secure --all --yes")[-1]
    gateway.provider = good
    assert failed["failed"] and failed["title"] == "Nothing was moved", failed
    assert (bot.state_dir / "openclaw.json").read_bytes() == config_before
    audit = bot.oc_json("secrets", "audit", "--allow-exec", "--json")
    assert audit["summary"]["plaintextCount"] == 2  # both profiles still hold their working values
    assert bot.parts.vault.versions() == []  # the vault versions written for the failed plan are gone

    # 2. A re-run, confirmed by the button, finishes the job.
    listing = bot.console("secure --all")[-1]
    reply = bot.chatops.act(admin_request(bot), "secure.confirm", listing["actions"][0]["value"]).to_dict()
    assert reply["title"] == "Gateway secured: no plaintext credentials left", dump(reply)[:3000]
    assert "before 3, after 0" in reply["context"]
    audit = bot.oc_json("secrets", "audit", "--allow-exec", "--json")
    assert audit["status"] == "clean" and audit["summary"]["plaintextCount"] == 0, audit
    assert audit["summary"]["shadowedRefCount"] == 0 and audit["summary"]["unresolvedRefCount"] == 0
    config = json.loads((bot.state_dir / "openclaw.json").read_text())
    assert "apiKey" not in dump(config.get("models", {})) and not config.get("env", {}).get("vars")
    # Every profile id is still there; the env key became the vault-backed profile anthropic:env.
    ids_after = {agent: profile_ids(bot, agent) for agent in ("main", "ops")}
    for agent in ("main", "ops"):
        assert ids_after[agent] - {"anthropic:env"} == ids_before[agent], agent
    assert "anthropic:env" in ids_after["main"]
    # The token pasted into OpenClaw's shared store had an expiry: the vault keeps it, and the reply
    # says OpenClaw no longer shows it (see docs/secure.md).
    token = bot.parts.vault.current("anthropic/main/anthropic:manual")
    assert token is not None and token.expires_at == expiry_before
    text = dump(reply)
    assert "no longer shows its expiry" in text
    # No byte of any secret is left except in OpenClaw's rotating config backups, which the reply names.
    for secret in SECRETS:
        hits = bot.leaks(secret)
        assert all(Path(h).name.startswith("openclaw.json.bak") for h in hits), (secret[-4:], hits)
        assert all(h in text for h in hits)
        assert secret not in text and secret not in caplog.text
    rows = [r for r in bot.parts.store.audit_rows(50) if r.action == "secure" and r.result == "moved"]
    assert len(rows) == 3 and all(r.fingerprint.startswith("…") for r in rows)
    assert not any(s in repr(rows) for s in SECRETS)
    plans = list((bot.parts.settings.chatops_dir / "plans").glob("*.json"))
    assert plans and not any(s.encode() in p.read_bytes() for p in plans for s in SECRETS)
    assert "plaintext credentials" not in dump(bot.console("status")[-1])


@pytest.mark.parametrize("secure_bot", ["legacy_home"], indirect=True)
def test_the_guides_retired_env_shape_is_repaired_and_moved(secure_bot: BotHarness):
    bot = secure_bot
    listing = bot.console("secure")[-1]
    assert "LEGACY_ENV" in dump(listing) and OLD_KEY not in dump(listing)
    reply = bot.console("secure --all --yes")[-1]
    assert reply["title"] == "Gateway secured: no plaintext credentials left", dump(reply)[:3000]
    audit = bot.oc_json("secrets", "audit", "--allow-exec", "--json")
    assert audit["status"] == "clean" and audit["summary"]["plaintextCount"] == 0, audit
    assert bot.oc("config", "validate").returncode == 0
    hits = bot.leaks(OLD_KEY)
    assert all(Path(h).name.startswith("openclaw.json.bak") and h in dump(reply) for h in hits), hits
    assert "anthropic:env" in profile_ids(bot, "main")


def _expiry(bot: BotHarness, agent: str, profile_id: str) -> int:
    doc = bot.oc_json("models", "status", "--json", "--agent", agent)
    return next(p["expiresAt"] for p in doc["auth"]["oauth"]["profiles"] if p["profileId"] == profile_id)
