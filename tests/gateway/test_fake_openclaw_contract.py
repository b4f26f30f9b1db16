"""The scripted OpenClaw (tests/fakes/openclaw.py) against the real CLI: the same script, the same
files, the same answers where the bot reads them.

The session's auth states (tests/gateway/authstates.py: writes through the bot's own writer, a
paste-token with an expiry, order set, the shared store, 401 and billing turns) are built a second
time with the scripted OpenClaw, and compared state by state: the stores that hold auth rows, their
tables and `schema_meta`, every profile and usage row (times as windows, not instants), and
`openclaw.json`. Then the same commands go to both on copies of those states: `--version`, `models
status` (the fields `parse_status` reads), `order get`, `secrets audit`, a config batch and a logout
through the bot's `Gateway`, and the errors the bot shows. When this fails after an OpenClaw
upgrade, the fast tier is testing against the wrong OpenClaw: fix the fake first.
"""
from __future__ import annotations

import json
import re
import sqlite3
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import json5
import pytest

from core.gateway.runner import CliResult
from core.gateway.status import now_ms, parse_status
from tests.gateway import authstates
from tests.harness import copy_home, fake_binary, make_bot, prepare_home, run_oc

pytestmark = pytest.mark.xdist_group("authstate")
URL = re.compile(r"http://127\.0\.0\.1:\d+")
TIMES = ("Until", "lastFailureAt", "lastUsed", "lastProbeAt")
READ_TABLES = ("schema_meta", "auth_profile_store", "auth_profile_state", "config_machine_state")  # what the bot reads


@pytest.fixture(scope="module")
def scripted(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, dict[str, Path]]:
    root = tmp_path_factory.mktemp("scripted-states")
    binary = fake_binary(root)
    prepared = prepare_home(binary, root / "prepared")
    return binary, authstates.build(binary, prepared, root)


def _stores(home: Path) -> dict[str, dict[str, Any]]:
    """The auth stores under the home: their layout and auth rows, times turned into windows."""
    out: dict[str, dict[str, Any]] = {}
    state = home / ".openclaw"
    for path in sorted([*state.glob("agents/*/agent/openclaw-agent.sqlite"), state / "state" / "openclaw.sqlite"]):
        with closing(sqlite3.connect(f"{path.as_uri()}?mode=ro", uri=True)) as db:
            tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")} & set(READ_TABLES)
            layout = {t: [r[1] for r in db.execute(f"PRAGMA table_info({t})")] for t in sorted(tables)}
            meta = db.execute("SELECT role, schema_version, app_version FROM schema_meta "
                              "WHERE meta_key='primary'").fetchone()
            if "config_machine_state" in tables:
                rows = dict(db.execute("SELECT state_key, value_json FROM config_machine_state "
                                       "WHERE state_key LIKE 'auth%'").fetchall())
                stamp = dict(db.execute("SELECT state_key, updated_at_ms FROM config_machine_state").fetchall())
                store, state = rows.get("authProfiles.store"), rows.get("authProfiles.state")
                at = stamp.get("authProfiles.store")
                extra = sorted(rows)
            else:
                row = db.execute("SELECT store_json, updated_at FROM auth_profile_store "
                                 "WHERE store_key='primary'").fetchone()
                store, at = (row or (None, None))
                state = (db.execute("SELECT state_json FROM auth_profile_state "
                                    "WHERE state_key='primary'").fetchone() or [None])[0]
                extra = []
        out[str(path.relative_to(home / ".openclaw"))] = {
            "layout": layout, "meta": meta, "keys": extra,
            "profiles": _profiles(json.loads(store), at) if store else None,
            "state": _state(json.loads(state)) if state else None}
    return out


def _profiles(doc: dict[str, Any], written_at: int) -> dict[str, Any]:
    out = {}
    for pid, cred in doc["profiles"].items():
        cred = dict(cred)
        if "expires" in cred:  # days from the write, to a tenth
            cred["expires"] = round((cred["expires"] - written_at) / 86_400_000, 1)
        out[pid] = cred
    return {"version": doc.get("version"), "profiles": out}


def _state(doc: dict[str, Any]) -> dict[str, Any]:
    usage = {}
    for pid, stats in (doc.get("usageStats") or {}).items():
        failed = stats.get("lastFailureAt")
        usage[pid] = {k: (v - failed if k.endswith("Until") and failed else "t") if k.endswith(TIMES) else v
                      for k, v in stats.items()}
    return {**doc, "usageStats": usage} if "usageStats" in doc else doc


def _config(home: Path) -> Any:
    doc = json5.loads((home / ".openclaw" / "openclaw.json").read_text())
    for provider in ((doc.get("secrets") or {}).get("providers") or {}).values():
        provider["command"] = Path(provider["command"]).name
    return json.loads(URL.sub("<anthropic>", json.dumps(doc)))


@pytest.mark.parametrize("name", ["base", "turns", "ordered", "placeholder", "shared"])
def test_the_same_script_leaves_the_same_files(states, scripted, name):
    real, fake = states[name], scripted[1][name]
    assert _stores(fake) == _stores(real)
    assert _config(fake) == _config(real)


def _status_seen(doc: dict[str, Any], home: Path) -> Any:
    """What the bot takes from `models status --json` (parse_status), paths made relative."""
    snap = parse_status(doc, "main", now_ms())
    auth = doc["auth"]
    return {
        "agent": doc.get("agentId"), "model": snap.default_model, "fallbacks": snap.fallbacks,
        "store": str(Path(snap.store_path).relative_to(home / ".openclaw")),
        "providers": [(p.provider, p.effective_order, [(x.id, x.type, x.source, x.ref_id, x.status, bool(x.expires_at))
                                                      for x in p.profiles]) for p in snap.providers],
        "unusable": [(u["profileId"], u.get("provider"), u["kind"], u["reason"], u["recoveryHint"])
                     for u in auth["unusableProfiles"]],
        "missing": snap.missing_providers, "warn": snap.warn_after_ms,
    }


def _answer(binary: str, home: Path, *args: str, stdin: str | None = None) -> tuple[int, Any]:
    done = run_oc(binary, home, *args, stdin=stdin)
    result = CliResult(list(args), done.returncode, done.stdout, done.stderr, 0.0)
    if done.returncode:
        return done.returncode, result.error_message()
    return 0, result.json() if "--json" in args else done.stdout.strip()


QUESTIONS: list[tuple[str, tuple[str, ...], str | None]] = [
    ("base", ("--version",), None),
    ("base", ("models", "status", "--json", "--agent", "main"), None),
    ("turns", ("models", "status", "--json", "--agent", "ops"), None),
    ("ordered", ("models", "auth", "order", "get", "--agent", "main", "--provider", "anthropic", "--json"), None),
    ("base", ("secrets", "audit", "--allow-exec", "--json"), None),
    ("placeholder", ("secrets", "audit", "--allow-exec", "--json"), None),
    ("base", ("models", "status", "--json", "--agent", "nope"), None),
    ("base", ("models", "auth", "paste-token", "--provider", "anthropic", "--agent", "main"), "sk-ant-oat01-short\n"),
    ("base", ("models", "auth", "logout", "anthropic:nope", "--agent", "ops", "--yes"), None),
]


def _normal(answer: tuple[int, Any], home: Path) -> Any:
    code, doc = answer
    if isinstance(doc, dict) and "auth" in doc:
        return code, _status_seen(doc, home)
    if isinstance(doc, dict) and "findings" in doc:
        return code, (doc["status"], doc["summary"], sorted((f["code"], Path(f["file"]).name, f["jsonPath"])
                                                            for f in doc["findings"]))
    return code, json.loads(json.dumps(doc).replace(str(home), "<home>"))


def test_the_same_commands_get_the_same_answers(oc_bin, states, scripted, tmp_path):
    binary, homes = scripted

    def ask(kind: str, i: int) -> Any:
        name, args, stdin = QUESTIONS[i]
        source = (states if kind == "real" else homes)[name]
        home = copy_home(source, tmp_path / f"{kind}-{i}")
        return _normal(_answer(oc_bin if kind == "real" else binary, home, *args, stdin=stdin), home)

    with ThreadPoolExecutor(max_workers=2) as pool:
        real = list(pool.map(lambda i: ask("real", i), range(len(QUESTIONS))))
    fake = [ask("fake", i) for i in range(len(QUESTIONS))]
    for question, want, got in zip(QUESTIONS, real, fake, strict=True):
        assert got == want, question


def test_the_gateways_writes_land_the_same(oc_bin, states, scripted, tmp_path):
    """A cache batch (`config set --batch-json`) and removing ops's own profile (`logout`)."""
    binary, homes = scripted
    seen = {}
    for kind, source, exe in (("real", states["base"], oc_bin), ("fake", homes["base"], binary)):
        home = copy_home(source, tmp_path / kind)
        gateway = make_bot(exe, home, tmp_path / f"{kind}-chatops").parts.gateway
        gateway.config_set({'agents.defaults.models["anthropic/claude-opus-4-6"].params.cacheRetention': "long",
                            'agents.defaults.models["anthropic/claude-opus-4-6"].params.anthropicBeta':
                                ["extended-cache-ttl-2025-04-11"]})
        gateway.logout("ops", "anthropic:ops")
        seen[kind] = (_stores(home), _config(home), gateway.order("main"))
    assert seen["fake"] == seen["real"]
