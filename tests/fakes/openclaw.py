"""A scripted OpenClaw: the commands the bot runs, answered in-process from OpenClaw's own files.

The bot talks to OpenClaw through a `Runner` (core/gateway/runner.py). `FakeOpenClaw` is one, the
way httpx offers a `MockTransport`: no Node, no 2–9 s per call, so handler and adapter tests run in
seconds. It keeps its state where OpenClaw 2026.9.6 keeps it — `openclaw.json` and the SQLite auth
rows (`agents/<id>/agent/openclaw-agent.sqlite`, `state/openclaw.sqlite`), with the same tables,
`schema_meta` rows and JSON shapes — so the bot's guarded store reader, its digest and every file
check see what they would see on a real gateway. Answers, exit codes and error texts are copied
from the real CLI (observed with 2026.9.6; docs/openclaw-interop.md). `models status --json` is
derived from the rows by the bot's own reader, whose agreement with the real CLI is proven by
tests/gateway/test_authstate_differential.py; that the fake writes the rows and answers OpenClaw
writes and answers is proven by tests/gateway/test_fake_openclaw_contract.py, which runs one
scripted scenario through both.

What it does not do: OpenClaw's retries, its gateway process (`gateway call` answers only what a
test scripted in `probe_results`), plugin loading, and any layout but 2026.9.6's. Tests about
those (the slow path, `secure`, the CLI's environment) stay on the real CLI.
"""
from __future__ import annotations

import json
import os
import shutil
import sqlite3
import stat
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from contextlib import closing
from pathlib import Path
from typing import Any

import json5

from core.durations import parse_duration
from core.gateway.authstate import AuthStateReader, AuthStoreUnreadable
from core.gateway.config import GatewayConfig
from core.gateway.config_writes import split_path
from core.gateway.runner import CliResult

AGENT_STORE = "openclaw-agent.sqlite"  # under agents/<id>/agent/
SHARED_STORE = Path("state") / "openclaw.sqlite"
VERSION = "2026.9.6"
VERSION_TEXT = f"OpenClaw {VERSION} (eb377ac)"
WARN_AFTER_MS = 86_400_000
# The DDL of the tables the bot reads, as OpenClaw 2026.9.6 creates them (`.schema` of a real home).
SCHEMA_META_DDL = """CREATE TABLE schema_meta (
  meta_key TEXT NOT NULL PRIMARY KEY,
  role TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  agent_id TEXT,
  app_version TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT"""
AGENT_DDL = (SCHEMA_META_DDL, """CREATE TABLE auth_profile_store (
  store_key TEXT NOT NULL PRIMARY KEY,
  store_json TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT""", """CREATE TABLE auth_profile_state (
  state_key TEXT NOT NULL PRIMARY KEY,
  state_json TEXT NOT NULL,
  updated_at INTEGER NOT NULL
) STRICT""")
SHARED_DDL = (SCHEMA_META_DDL, """CREATE TABLE config_machine_state (
      state_key TEXT NOT NULL PRIMARY KEY,
      value_json TEXT NOT NULL,
      updated_at_ms INTEGER NOT NULL
    ) STRICT""", """CREATE TABLE agent_databases (
  agent_id TEXT NOT NULL,
  path TEXT NOT NULL,
  schema_version INTEGER NOT NULL,
  last_seen_at INTEGER NOT NULL,
  size_bytes INTEGER,
  PRIMARY KEY (agent_id, path)
) STRICT""")
VALUE_FIELDS = {"token": "token", "api_key": "key"}
REF_FIELDS = {"token": "tokenRef", "api_key": "keyRef"}
MODES = {"auth-profiles.token.token": "token", "auth-profiles.api_key.key": "api_key"}
# What a config write adds (observed on every write of 2026.9.6).
META = {"migrations": {"modelPolicyAllowlist": True, "utilityModelSeparation": True}, "lastTouchedVersion": VERSION}
# What OpenClaw records after one failed turn, per upstream status: kind, reason, window (observed).
FAILURES = {401: ("cooldown", "auth", 30_000), 429: ("cooldown", "rate_limit", 30_000), 400: ("disabled", "billing", 600_000)}
NOISE = "[secrets] gateway secrets.resolve unavailable; resolved command secrets locally.\n"


def now_ms() -> int:
    return int(time.time() * 1000)


def _dumps(doc: Any) -> str:
    return json.dumps(doc, separators=(",", ":"), ensure_ascii=False)


class Refused(Exception):
    """A command OpenClaw refuses: rc 1 with this text (as `--json` commands print it on stdout)."""


def prepare(home: Path, config: str) -> Path:
    """What a fresh home holds after OpenClaw read it once: the config as written and the shared
    state database (`models status` creates it; agent databases come with the first write)."""
    state = home / ".openclaw"
    state.mkdir(parents=True, mode=0o700)
    (state / "openclaw.json").write_text(config)
    FakeOpenClaw(state)._shared().close()
    return home


class FakeOpenClaw:
    """A `Runner` for one state directory. `probe_results` scripts `gateway call models.probe`;
    `calls` lists every command line run (tests count CLI calls the way a wrapper script does)."""

    def __init__(self, state_dir: Path, *, timeout: float = 60.0, resolver_env: Mapping[str, str] | None = None,
                 call_log: Path | None = None):
        self.state_dir = Path(state_dir)
        self.timeout = timeout
        self.resolver_env = dict(resolver_env or {})
        self.call_log = call_log
        self.calls: list[tuple[str, ...]] = []
        self.probe_results: list[dict[str, Any]] | None = None

    # -- the Runner protocol -------------------------------------------------------------------
    def run(self, *args: str, stdin: str | None = None, timeout: float | None = None,
            check: bool = True) -> CliResult:
        started = time.monotonic()
        self.calls.append(args)
        if self.call_log is not None:
            with open(self.call_log, "a") as log:
                log.write(" ".join(args[:2]) + "\n")
        try:
            out, err = self._dispatch(list(args), stdin)
            code = 0
        except Refused as exc:
            code, out, err = 1, "", f"{NOISE}{exc}\n"
            if "--json" in args:
                out = _dumps({"ok": False, "error": {"type": "cli_error", "message": str(exc)}}) + "\n"
        result = CliResult(list(args), code, out, err, time.monotonic() - started)
        return result.checked() if check else result

    def json(self, *args: str, stdin: str | None = None, timeout: float | None = None) -> Any:
        return self.run(*args, stdin=stdin, timeout=timeout).json()

    def completed(self, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
        """The answer as `subprocess.run` gives it, for tests that call the CLI themselves."""
        result = self.run(*args, stdin=stdin, check=False)
        return subprocess.CompletedProcess(["openclaw", *args], result.returncode, result.stdout, result.stderr)

    # -- dispatch ------------------------------------------------------------------------------
    def _dispatch(self, args: list[str], stdin: str | None) -> tuple[str, str]:
        words = [a for a in args if not a.startswith("-")][:3]
        if args[:1] == ["--version"]:
            return VERSION_TEXT + "\n", ""
        head = tuple(words[:2])
        if head == ("models", "status"):
            return self._status(args), NOISE
        if head == ("models", "auth"):
            verb = words[2] if len(words) > 2 else ""
            handler = {"paste-token": self._paste, "paste-api-key": self._paste, "logout": self._logout,
                       "order": self._order, "list": self._list}.get(verb)
            if handler:
                return handler(args, stdin), NOISE
        if head == ("secrets", "apply"):
            return self._apply(args), NOISE
        if head == ("secrets", "audit"):
            return self._audit(args), NOISE
        if words[:1] == ["config"]:
            return self._config(args), ""
        if words[:1] == ["doctor"] and "--fix" in args:
            return self._doctor(), ""
        if head == ("gateway", "call") and "models.probe" in args:
            if self.probe_results is None:
                raise Refused("gateway closed (1006): no gateway is running for this state directory")
            return _dumps({"results": self.probe_results}) + "\n", ""
        if words[:1] == ["agent"] and "--local" in args:
            return self._turn(args), NOISE
        raise Refused(f"the scripted OpenClaw does not know `{' '.join(words)}`")

    @staticmethod
    def _flag(args: list[str], name: str, default: str | None = None) -> str | None:
        return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else default

    # -- config --------------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.state_dir / "openclaw.json"

    def _load_config(self) -> dict[str, Any]:
        return json5.loads(self.config_path.read_text())

    def _agents(self) -> list[str]:
        return GatewayConfig.load(self.config_path).agents()

    def _agent(self, args: list[str], *, write: bool = False) -> str:
        agents = self._agents()
        agent = self._flag(args, "--agent")
        if agent is None:
            if write and len(agents) > 1:
                raise Refused("Multiple agents are configured, but the model command has no explicit owner. "
                              "Pass --agent <id>.")
            return agents[0]
        if agent not in agents:
            raise Refused(f'Unknown agent id "{agent}". Use "openclaw agents list" to see configured agents.')
        return agent

    def _write_config(self, doc: dict[str, Any]) -> None:
        """JSON (comments stripped), `meta` stamped, the previous text rotated into `.bak…`."""
        doc = {k: v for k, v in doc.items() if k != "meta"} | {"meta": {**(doc.get("meta") or {}), **META}}
        baks = [self.state_dir / "openclaw.json.bak", *(self.state_dir / f"openclaw.json.bak.{i}" for i in range(1, 5))]
        for older, newer in zip(reversed(baks), reversed(baks[:-1]), strict=False):
            if newer.exists():
                os.replace(newer, older)
        shutil.copy2(self.config_path, baks[0])
        fd, tmp = tempfile.mkstemp(dir=self.state_dir, prefix=".openclaw.json.")
        with os.fdopen(fd, "w") as handle:
            handle.write(json.dumps(doc, indent=2, ensure_ascii=False) + "\n")
        os.chmod(tmp, 0o600)
        os.replace(tmp, self.config_path)

    def _config(self, args: list[str]) -> str:
        words = [a for a in args if not a.startswith("--")]
        verb = words[1] if len(words) > 1 else ""
        doc = self._load_config()
        if verb == "get":
            value = _lookup(doc, words[2])
            if value is _MISSING:
                raise Refused(f"Config path not found: {words[2]}")
            return json.dumps(value, indent=2) + "\n"
        if verb == "validate":
            return _dumps({"valid": True, "path": str(self.config_path), "issues": [], "warnings": []}) + "\n"
        if verb == "set":
            batch = self._flag(args, "--batch-json")
            pairs = [(e["path"], e["value"]) for e in json.loads(batch)] if batch else [(words[2], _parse_value(words[3]))]
            for path, value in pairs:
                _assign(doc, split_path(path), value)
            self._check_env(doc)
            self._write_config(doc)
            return ""
        if verb == "unset":
            self._check_env(doc)
            segments = split_path(words[2])
            parent = _lookup(doc, segments[:-1])
            if not isinstance(parent, dict) or segments[-1] not in parent:
                raise Refused(f"Config path not found: {words[2]}")
            del parent[segments[-1]]
            self._write_config(doc)
            return ""
        raise Refused(f"the scripted OpenClaw does not know `config {verb}`")

    @staticmethod
    def _check_env(doc: dict[str, Any]) -> None:
        """The retired `env: { KEY: … }` shape makes every write refuse (observed)."""
        env = doc.get("env")
        if isinstance(env, dict) and any(k != "vars" for k in env):
            raise Refused("Config invalid: env: Unrecognized key. Final layout aliases were retired. Run openclaw doctor --fix.")

    def _doctor(self) -> str:
        doc = self._load_config()
        env = doc.get("env")
        if isinstance(env, dict) and any(k != "vars" for k in env):
            doc["env"] = {"vars": {**(env.get("vars") or {}), **{k: v for k, v in env.items() if k != "vars"}}}
            self._write_config(doc)
        return "Doctor complete.\n"

    # -- the SQLite stores -----------------------------------------------------------------------
    def _connect(self, path: Path, ddl: tuple[str, ...], role: str, schema: int, agent: str | None) -> sqlite3.Connection:
        fresh = not path.exists()
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        db = sqlite3.connect(path, timeout=10, isolation_level=None)
        if fresh:
            db.execute("PRAGMA journal_mode=WAL")
            for statement in ddl:
                db.execute(statement)
            db.execute("INSERT INTO schema_meta VALUES ('primary', ?, ?, ?, ?, ?, ?)",
                       (role, schema, agent, VERSION, now_ms(), now_ms()))
            os.chmod(path, 0o600)
        return db

    def _shared(self) -> sqlite3.Connection:
        return self._connect(self.state_dir / SHARED_STORE, SHARED_DDL, "global", 18, None)

    def _agent_db(self, agent: str) -> sqlite3.Connection:
        path = self.state_dir / "agents" / agent / "agent" / AGENT_STORE
        fresh = not path.exists()
        db = self._connect(path, AGENT_DDL, "agent", 23, agent)
        if fresh:
            shared = self._shared()
            shared.execute("INSERT OR REPLACE INTO agent_databases VALUES (?, ?, 23, ?, ?)",
                           (agent, str(path.relative_to(self.state_dir)), now_ms(), 4096))
            shared.close()
        return db

    def _rows(self, where: str) -> tuple[dict[str, Any], dict[str, Any]]:
        """(store document, state document) of an agent's database or of "shared"."""
        if where == "shared":
            db = self._shared()
            rows = dict(db.execute("SELECT state_key, value_json FROM config_machine_state").fetchall())
            store, state = rows.get("authProfiles.store"), rows.get("authProfiles.state")
        elif not (self.state_dir / "agents" / where / "agent" / AGENT_STORE).exists():  # reads create nothing
            return {"version": 1, "profiles": {}}, {}
        else:
            db = self._agent_db(where)
            store = (db.execute("SELECT store_json FROM auth_profile_store WHERE store_key='primary'").fetchone() or [None])[0]
            state = (db.execute("SELECT state_json FROM auth_profile_state WHERE state_key='primary'").fetchone() or [None])[0]
        db.close()
        return (json.loads(store) if store else {"version": 1, "profiles": {}}), (json.loads(state) if state else {})

    def _save(self, where: str, store: dict[str, Any] | None = None, state: dict[str, Any] | None = None) -> Path:
        at = now_ms()
        if where == "shared":
            db = self._shared()
            if store is not None:
                db.execute("INSERT OR REPLACE INTO config_machine_state VALUES ('auth.sharedStore', ?, ?)",
                           (_dumps({"location": "state-db"}), at))
                db.execute("INSERT OR REPLACE INTO config_machine_state VALUES ('authProfiles.store', ?, ?)", (_dumps(store), at))
            if state is not None:
                db.execute("INSERT OR REPLACE INTO config_machine_state VALUES ('authProfiles.state', ?, ?)", (_dumps(state), at))
            path = self.state_dir / SHARED_STORE
        else:
            db = self._agent_db(where)
            if store is not None:
                db.execute("INSERT OR REPLACE INTO auth_profile_store VALUES ('primary', ?, ?)", (_dumps(store), at))
            if state is not None:
                db.execute("INSERT OR REPLACE INTO auth_profile_state VALUES ('primary', ?, ?)", (_dumps(state), at))
            path = self.state_dir / "agents" / where / "agent" / AGENT_STORE
        db.close()
        return path

    def _holder(self, agent: str, profile_id: str) -> str | None:
        """Which store OpenClaw changes for `profile_id` as seen by `agent` (read-through order)."""
        default = self._agents()[0]
        for where in dict.fromkeys((agent, default, "shared")):
            if profile_id in self._rows(where)[0].get("profiles", {}):
                return where
        return None

    def _has_store(self, agent: str) -> bool:
        path = self.state_dir / "agents" / agent / "agent" / AGENT_STORE
        if not path.exists():
            return False
        with closing(sqlite3.connect(path)) as db:
            return db.execute("SELECT 1 FROM auth_profile_store WHERE store_key='primary'").fetchone() is not None

    # -- models ----------------------------------------------------------------------------------
    def _status(self, args: list[str]) -> str:
        """`models status --json`, derived from the rows by the bot's reader (see the module doc)."""
        agent = self._agent(args)
        config = GatewayConfig.load(self.config_path)
        try:
            view = AuthStateReader(self.state_dir).view(agent, config)
        except AuthStoreUnreadable as exc:
            raise Refused(f"the scripted OpenClaw reads only the layout it writes ({exc})") from exc
        now = now_ms()
        snap = view.snapshot(now)
        live = {u.profile_id: u for u in view.unusable(now)}

        def label(pid: str) -> str:
            u = live.get(pid)
            if u is None:
                return view.label(pid, now)
            left = f"{max(1, round((u.until - now) / 60_000))}m"
            return view.label(pid, now) + (f" [disabled:{u.reason} {left}]" if u.kind == "disabled" else f" [cooldown {left}]")

        providers, oauth_profiles, oauth_providers = [], [], []
        for prov in snap.providers:
            ids = [p.id for p in prov.profiles]
            kinds = [p.type for p in prov.profiles]
            effective = {"kind": "profiles", "detail": self._shown(Path(snap.store_path))}
            providers.append({"provider": prov.provider, "effective": effective,
                              "profiles": {"count": len(ids), "oauth": kinds.count("oauth"), "token": kinds.count("token"),
                                           "apiKey": kinds.count("api_key"), "labels": [label(i) for i in ids]}})
            entries = []
            for p in prov.profiles:
                entry: dict[str, Any] = {"profileId": p.id, "provider": p.provider, "type": p.type, "status": p.status,
                                         "source": "store", "label": p.id}
                if p.expires_at:
                    entry |= {"expiresAt": p.expires_at, "remainingMs": p.expires_at - now}
                entries.append(entry)
            oauth_profiles.extend(entries)
            by_id = {e["profileId"]: e for e in entries}
            oauth_providers.append({"provider": prov.provider, "status": "ok", "profiles": entries,
                                    "effectiveProfiles": [by_id[i] for i in prov.effective_order if i in by_id]})
        unusable = []
        for u in view.unusable(now):
            entry = {"profileId": u.profile_id, "provider": u.provider, "kind": u.kind, "reason": u.reason,
                     "recoveryHint": u.recovery_hint, "until": u.until, "remainingMs": u.until - now}
            unusable.append({k: v for k, v in entry.items() if v != "" or k != "provider"})
        doc: dict[str, Any] = {
            "configPath": str(self.config_path), "agentDir": str(self.state_dir / "agents" / agent / "agent"),
            "defaultModel": snap.default_model, "resolvedDefault": snap.default_model, "fallbacks": list(snap.fallbacks),
            "imageModel": None, "imageFallbacks": [], "aliases": {}, "allowed": [],
            "auth": {"storePath": str(snap.store_path), "shellEnvFallback": {"enabled": False, "appliedKeys": []},
                     "missingProvidersInUse": self._missing(snap, now), "providers": providers,
                     "unusableProfiles": unusable,
                     "oauth": {"warnAfterMs": WARN_AFTER_MS, "profiles": oauth_profiles, "providers": oauth_providers}}}
        if "--agent" in args:
            doc = {"agentId": agent, **doc}
        return json.dumps(doc, indent=2) + "\n"

    @staticmethod
    def _missing(snap: Any, now: int) -> list[str]:
        """`missingProvidersInUse` as the CLI counts it: a provider in use with no profile it can
        vouch for. Status does not run exec resolvers, so an exec-ref API key does not count, nor
        does an expired token or a profile in cooldown (the bot's reader is more lenient, on purpose)."""
        down = {u.profile_id for u in snap.live_unusable(now)}
        in_use = {m.split("/", 1)[0] for m in (snap.default_model, *snap.fallbacks) if "/" in m}
        missing = set(snap.missing_providers)
        for prov in snap.providers:
            if prov.provider in in_use and not any(
                    p.id not in down and p.status != "expired" and not (p.type == "api_key" and p.ref_id)
                    for p in prov.profiles):
                missing.add(prov.provider)
        return sorted(missing)

    def _shown(self, path: Path) -> str:
        """A path as the CLI prints it for people: under the home, with `~`."""
        home = self.state_dir.parent
        return f"~/{path.relative_to(home)}" if self.state_dir.name == ".openclaw" and path.is_relative_to(home) else str(path)

    def _paste(self, args: list[str], stdin: str | None) -> str:
        """`paste-token` checks the token's shape and stores it in plaintext (with `expires` from
        `--expires-in`); `paste-api-key` takes anything. Both add `auth.profiles`."""
        agent = self._agent(args, write=True)
        provider = self._flag(args, "--provider", "anthropic") or "anthropic"
        value = "".join((stdin or "").split())
        if "paste-token" in args:
            mode, profile_id = "token", self._flag(args, "--profile-id", f"{provider}:manual")
            if not value.startswith("sk-ant-oat01-"):
                raise Refused("Expected token starting with ***-")
            if len(value) < 80:
                raise Refused("Token looks too short; paste the full setup-token")
            cred: dict[str, Any] = {"type": "token", "provider": provider, "token": value}
            expires_in = self._flag(args, "--expires-in")
            if expires_in:
                cred["expires"] = now_ms() + int(parse_duration(expires_in) * 1000)
        else:
            mode, profile_id = "api_key", self._flag(args, "--profile-id", f"{provider}:manual")
            cred = {"type": "api_key", "provider": provider, "key": value}
        assert profile_id is not None
        where = agent if self._has_store(agent) or agent != self._agents()[0] else "shared"
        store, _ = self._rows(where)
        store.setdefault("profiles", {})[profile_id] = cred
        self._save(where, store=store)
        doc = self._load_config()
        doc.setdefault("auth", {}).setdefault("profiles", {})[profile_id] = {"provider": provider, "mode": mode}
        self._write_config(doc)
        return (f"Saved auth profile {profile_id} ({provider}/{mode}).\n"
                "Warning: Model auth changes were saved, but the local Gateway could not refresh them.\n")

    def _logout(self, args: list[str], stdin: str | None) -> str:
        agent = self._agent(args, write=True)
        words = [a for a in args if not a.startswith("-")]
        profile_id = words[3]
        where = self._holder(agent, profile_id)
        if where is None:
            raise Refused(f'Auth profile "{profile_id}" not found for agent "{agent}". '
                          f"Run openclaw models auth list --agent {agent} to see saved profile ids.")
        store, state = self._rows(where)
        cred = store["profiles"].pop(profile_id)
        for key in ("usageStats",):
            (state.get(key) or {}).pop(profile_id, None)
        self._save(where, store=store, state=state if state else None)
        doc = self._load_config()
        profiles = (doc.get("auth") or {}).get("profiles") or {}
        if profile_id in profiles:
            del profiles[profile_id]
            self._write_config(doc)
        return f"Removed auth profile: {profile_id} ({cred.get('provider')}/{cred.get('type')})\n"

    def _order(self, args: list[str], stdin: str | None) -> str:
        words = [a for a in args if not a.startswith("-")]
        verb = words[3] if len(words) > 3 else ""
        agent = self._agent(args, write=verb != "get")
        provider = self._flag(args, "--provider", "anthropic") or "anthropic"
        path = self.state_dir / "agents" / agent / "agent" / AGENT_STORE
        _, state = self._rows(agent)
        if verb == "get":
            return json.dumps({"agentId": agent, "agentDir": str(path.parent), "provider": provider,
                               "authStatePath": self._shown(path), "order": (state.get("order") or {}).get(provider)},
                              indent=2) + "\n"
        state = state or {"version": 1}
        order = dict(state.get("order") or {})
        if verb == "set":
            skip = {provider, agent}
            order[provider] = [w for w in words[4:] if w not in skip]
            line = f"Auth order for {provider} ({agent}): {', '.join(order[provider])}\n"
        elif verb == "clear":
            order.pop(provider, None)
            line = f"Cleared auth order override for {provider} ({agent}).\n"
        else:
            raise Refused(f"the scripted OpenClaw does not know `models auth order {verb}`")
        if order:
            state["order"] = order
        else:
            state.pop("order", None)
        self._save(agent, state=state)
        return line

    def _list(self, args: list[str], stdin: str | None) -> str:
        agent = self._agent(args)
        view = AuthStateReader(self.state_dir).view(agent, GatewayConfig.load(self.config_path))
        path = self.state_dir / "agents" / agent / "agent"
        profiles = [{"id": pid, "provider": c.get("provider"), "type": c.get("type"), "label": pid}
                    for pid, c in view.merged.profiles.items()]
        return json.dumps({"agentId": agent, "agentDir": str(path), "authStatePath": str(path / AGENT_STORE),
                           "provider": None, "profiles": profiles}, indent=2) + "\n"

    # -- secrets ---------------------------------------------------------------------------------
    def _resolve(self, provider: dict[str, Any], name: str, ids: list[str]) -> dict[str, str]:
        """Run the exec resolver as OpenClaw does: its checks on the command, only
        `passEnv` plus LC_CTYPE in its environment, its own directory as cwd."""
        command = str(provider.get("command", ""))
        path = Path(command)
        if path.is_symlink():
            raise Refused(f"secrets.providers.{name}.command must not be a symlink: {command}")
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            raise Refused(f"secrets.providers.{name}.command is not a file: {command}") from exc
        if mode & (stat.S_IWGRP | stat.S_IWOTH):
            raise Refused(f"secrets.providers.{name}.command permissions are too open: {command}")
        source = {**os.environ, **self.resolver_env}
        env = {k: source[k] for k in provider.get("passEnv") or () if k in source} | {"LC_CTYPE": "C.UTF-8"}
        out = subprocess.run([command, *provider.get("args", [])], input=_dumps({"protocolVersion": 1, "provider": name, "ids": ids}),
                             capture_output=True, text=True, env=env, cwd=path.parent, timeout=provider.get("timeoutMs", 5000) / 1000)
        try:
            answer = json.loads(out.stdout)
        except ValueError as exc:
            raise Refused(f'Exec provider "{name}" returned invalid JSON.') from exc
        values = answer.get("values") or {}
        for ref_id in ids:
            if ref_id not in values:
                code = ((answer.get("errors") or {}).get(ref_id) or {}).get("code")
                raise Refused(f'Exec provider "{name}" failed for id "{ref_id}"' + (f" ({code})." if code else "."))
        return values

    def _apply(self, args: list[str]) -> str:
        """`secrets apply --from plan.json --allow-exec --json` (observed shapes)."""
        plan = json.loads(Path(self._flag(args, "--from") or "").read_text())
        upserts = plan.get("providerUpserts") or {}
        if "--allow-exec" not in args and any(p.get("source") == "exec" for p in upserts.values()):
            raise Refused("Plan contains exec SecretRefs/providers. Re-run with --allow-exec.")
        for target in plan.get("targets") or []:  # preflight: every ref must resolve, or nothing is written
            ref = target["ref"]
            self._resolve(upserts.get(ref["provider"]) or self._load_config()["secrets"]["providers"][ref["provider"]],
                          ref["provider"], [ref["id"]])
        if "--dry-run" in args:
            return _dumps({"mode": "dry-run", "changed": False}) + "\n"
        changed: list[str] = []
        doc = self._load_config()
        for name, body in upserts.items():
            doc.setdefault("secrets", {}).setdefault("providers", {})[name] = body
        for target in plan.get("targets") or []:
            if target["type"] == "models.providers.apiKey":
                doc.setdefault("models", {}).setdefault("providers", {}).setdefault(target["providerId"], {})["apiKey"] = target["ref"]
                continue
            mode = MODES[target["type"]]
            agent, profile_id = target["agentId"], target["pathSegments"][1]
            store, _ = self._rows(agent)
            old = store.setdefault("profiles", {}).get(profile_id) or {}
            cred = {"type": mode, "provider": target.get("authProfileProvider", "anthropic"),
                    **{k: v for k, v in old.items() if k not in ("type", "provider", VALUE_FIELDS[mode], REF_FIELDS[mode])},
                    REF_FIELDS[mode]: target["ref"]}
            store["profiles"][profile_id] = cred
            changed.append(str(self._save(agent, store=store)))
        self._write_config(doc)
        changed.append(str(self.config_path))
        return _dumps({"mode": "write", "changed": True, "changedFiles": list(dict.fromkeys(changed)),
                       "checks": {"resolvability": True, "resolvabilityComplete": True},
                       "refsChecked": len(plan.get("targets") or []), "skippedExecRefs": 0, "warningCount": 0,
                       "warnings": []}) + "\n"

    def _audit(self, args: list[str]) -> str:
        """`secrets audit --json`: plaintext in the stores and unresolvable exec refs."""
        findings: list[dict[str, Any]] = []
        scanned: list[str] = [str(self.config_path)]
        providers = (self._load_config().get("secrets") or {}).get("providers") or {}
        refs = 0
        stores = [("shared", self.state_dir / SHARED_STORE)] + [
            (p.parent.parent.name, p) for p in sorted(self.state_dir.glob(f"agents/*/agent/{AGENT_STORE}"))]
        for where, path in stores:
            profiles = self._rows(where)[0].get("profiles") or {}
            if where != "shared" or profiles:
                scanned.append(str(path))
            for pid, cred in profiles.items():
                kind = cred.get("type")
                if cred.get(VALUE_FIELDS.get(kind, "")):
                    findings.append({"code": "PLAINTEXT_FOUND", "severity": "warn", "file": str(path),
                                     "jsonPath": f"profiles.{pid}.{VALUE_FIELDS[kind]}",
                                     "message": "Auth profile credential is stored as plaintext.",
                                     "provider": cred.get("provider"), "profileId": pid})
                ref = cred.get(REF_FIELDS.get(kind, ""))
                if isinstance(ref, dict) and ref.get("source") == "exec":
                    refs += 1
                    if "--allow-exec" in args:
                        try:
                            self._resolve(providers.get(ref.get("provider")) or {}, str(ref.get("provider")), [ref["id"]])
                        except Refused as exc:
                            findings.append({"code": "REF_UNRESOLVED", "severity": "error", "file": str(path),
                                             "jsonPath": f"profiles.{pid}.{REF_FIELDS[kind]}", "message": str(exc),
                                             "provider": cred.get("provider"), "profileId": pid})
        count = {code: sum(f["code"] == code for f in findings) for code in ("PLAINTEXT_FOUND", "REF_UNRESOLVED")}
        return json.dumps({"version": 1, "status": "findings" if findings else "clean",
                           "resolution": {"refsChecked": refs if "--allow-exec" in args else 0,
                                          "skippedExecRefs": 0 if "--allow-exec" in args else refs,
                                          "resolvabilityComplete": "--allow-exec" in args},
                           "filesScanned": scanned,
                           "summary": {"plaintextCount": count["PLAINTEXT_FOUND"], "unresolvedRefCount": count["REF_UNRESOLVED"],
                                       "shadowedRefCount": 0, "storeResidueCount": 0, "legacyResidueCount": 0},
                           "findings": findings}, indent=2) + "\n"

    # -- one turn --------------------------------------------------------------------------------
    def _turn(self, args: list[str]) -> str:
        """`agent --local --message …`: one request per profile in effective order (no same-profile
        retries), to `models.providers.anthropic.baseUrl`; a failure is recorded as OpenClaw
        records it after its retries, on the store holding the profile."""
        agent = self._agent(args)
        config = GatewayConfig.load(self.config_path)
        base = ((self._load_config().get("models") or {}).get("providers") or {}).get("anthropic", {}).get("baseUrl")
        view = AuthStateReader(self.state_dir).view(agent, config)
        now = now_ms()
        order = [p for p in view.effective_order("anthropic", now) if not view.in_cooldown(p, now)]
        providers = (self._load_config().get("secrets") or {}).get("providers") or {}
        last = "No available auth profile for anthropic."
        for pid in order[:2]:  # the first profile, then one rotation
            cred = view.merged.profiles[pid]
            kind = cred["type"]
            secret = cred.get(VALUE_FIELDS[kind])
            ref = cred.get(REF_FIELDS[kind])
            if not secret and isinstance(ref, dict):
                secret = self._resolve(providers.get(ref["provider"]) or {}, ref["provider"], [ref["id"]])[ref["id"]]
            headers = {"content-type": "application/json", "anthropic-version": "2023-06-01"}
            headers |= {"authorization": f"Bearer {secret}"} if kind == "token" else {"x-api-key": str(secret)}
            body = _dumps({"model": "claude-opus-4-6", "max_tokens": 64, "stream": False,
                           "messages": [{"role": "user", "content": "hi"}]}).encode()
            try:
                with urllib.request.urlopen(urllib.request.Request(f"{base}/v1/messages", body, headers), timeout=30):
                    self._record(agent, pid, None)
                    return _dumps({"ok": True, "payloads": [{"text": "ok"}]}) + "\n"
            except urllib.error.HTTPError as exc:
                self._record(agent, pid, exc.code)
                last = f"⚠️ Agent failed: HTTP {exc.code} from anthropic"
        raise Refused(last)

    def _record(self, agent: str, profile_id: str, status: int | None) -> None:
        where = self._holder(agent, profile_id) or agent
        _, state = self._rows(where)
        state = state or {"version": 1}
        stats = state.setdefault("usageStats", {}).setdefault(profile_id, {})
        at = now_ms()
        if status is None or status not in FAILURES:
            stats.update(lastUsed=at, errorCount=0)
            state.setdefault("lastGood", {})["anthropic"] = profile_id
        else:
            kind, reason, window = FAILURES[status]
            stats.update({f"{kind}Until": at + window, f"{kind}Reason": reason,
                          "errorCount": int(stats.get("errorCount") or 0) + 1,
                          "failureCounts": {**(stats.get("failureCounts") or {}),
                                            reason: int((stats.get("failureCounts") or {}).get(reason, 0)) + 1},
                          "lastFailureAt": at})
            if reason == "rate_limit":  # a 429 cools the model it hit; a 401 the whole profile
                stats["cooldownModel"] = "claude-opus-4-6"
        self._save(where, state=state)


_MISSING = object()


def _lookup(doc: Any, path: str | list[str]) -> Any:
    for segment in split_path(path) if isinstance(path, str) else path:
        if not isinstance(doc, dict) or segment not in doc:
            return _MISSING
        doc = doc[segment]
    return doc


def _assign(doc: dict[str, Any], segments: list[str], value: Any) -> None:
    for segment in segments[:-1]:
        doc = doc.setdefault(segment, {})
    doc[segments[-1]] = value


def _parse_value(text: str) -> Any:
    """`config set PATH VALUE`: JSON5 when it parses, else the raw string (as the CLI does)."""
    try:
        return json5.loads(text)
    except ValueError:
        return text
