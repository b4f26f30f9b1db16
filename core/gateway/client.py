"""The `Gateway` facade: every read and write the bot does against OpenClaw.

Status comes from OpenClaw's own auth rows, read read-only by `authstate` (a few SQL reads per
agent, milliseconds), because `models status --json` costs ~3 s of CPU per agent and every plain
turn rewrites the files it reads. When the release or layout is not one the reader was checked
against, status falls back to the CLI (the "slow path"), says why on the snapshot, and caches the
CLI's answer while the files OpenClaw writes keep their size and mtime. Remaining cooldown time is
always recomputed from `until`, so a snapshot still counts down.
"""
from __future__ import annotations

import contextlib
import json
import os
import tempfile
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from core.fsutil import file_lock
from core.gateway.authstate import AuthStateReader, AuthStoreUnreadable
from core.gateway.config import GatewayConfig
from core.gateway.config_writes import retry_conflicts, set_surviving
from core.gateway.plans import ExecProvider, Plan
from core.gateway.runner import GatewayError, Runner
from core.gateway.status import AgentStatus, now_ms, parse_status

# A setup-token-shaped value that is not a secret. OpenClaw can only set a profile's `expires`
# through `models auth paste-token --expires-in`, which stores what it is given in plaintext; the
# bot gives it this placeholder and swaps in the SecretRef with a plan right after.
PLACEHOLDER_TOKEN = "sk-ant-oat01-" + ("openclaw-chatops-placeholder-not-a-credential-" * 2).rstrip("-")


class UnknownAgent(GatewayError):
    pass


@dataclass(frozen=True)
class AuditReport:
    status: str
    plaintext_count: int
    unresolved_count: int
    shadowed_count: int
    findings: tuple[dict[str, Any], ...] = field(default_factory=tuple)

    @property
    def clean(self) -> bool:
        return self.status == "clean" and self.plaintext_count == 0 and self.unresolved_count == 0


class Gateway:
    def __init__(self, runner: Runner, provider: ExecProvider, *, plan_dir: Path,
                 max_age_s: float = 300.0, workers: int = 2):
        self.runner = runner
        self.provider = provider
        self.plan_dir = Path(plan_dir)
        self.max_age_s = max_age_s
        self._workers = workers
        self._cache: dict[str, tuple[tuple[Any, ...], AgentStatus]] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._guard = threading.Lock()
        self._config: tuple[tuple[Any, ...], GatewayConfig] | None = None
        self.reader = AuthStateReader(runner.state_dir)

    # -- config ------------------------------------------------------------------------------
    @property
    def config_path(self) -> Path:
        return self.runner.state_dir / "openclaw.json"

    @property
    def write_lock(self) -> Path:
        """Serialises the bot's own writes to OpenClaw (kept in the bot's directory, not OpenClaw's)."""
        return self.plan_dir / "gateway-writes"

    def config(self) -> GatewayConfig:
        """The parsed config, re-read only when the file's size or mtime changed: json5 parses in
        pure Python (milliseconds), and one status reply asks for the config several times."""
        try:
            st = self.config_path.stat()
            stamp: tuple[Any, ...] = (st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            stamp = ()
        cached = self._config
        if cached is not None and cached[0] == stamp:
            return cached[1]
        config = GatewayConfig.load(self.config_path)
        self._config = (stamp, config)
        return config

    def agents(self) -> list[str]:
        return self.config().agents()

    def require_agent(self, agent: str | None) -> str:
        known = self.agents()
        agent = agent or known[0]
        if agent not in known:
            raise UnknownAgent(f"Unknown agent {agent!r}. Configured agents: {', '.join(known)}.")
        return agent

    # -- status ------------------------------------------------------------------------------
    def signature(self) -> tuple[Any, ...]:
        """Size and mtime of every file OpenClaw changes when auth state changes.

        SQLite's `-shm` files are left out: readers touch them, so `models status` itself would
        otherwise look like a change."""
        root = self.runner.state_dir
        paths = [root / "openclaw.json"]
        for pattern in ("agents/*/agent/*.sqlite", "agents/*/agent/*.sqlite-wal", "state/openclaw.sqlite",
                        "state/openclaw.sqlite-wal"):
            paths.extend(sorted(root.glob(pattern)))
        sig = []
        for path in paths:
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            sig.append((str(path), st.st_size, st.st_mtime_ns))
        return tuple(sig)

    def _lock_for(self, agent: str) -> threading.Lock:
        with self._guard:
            return self._locks.setdefault(agent, threading.Lock())

    def read_state(self, agent: str) -> AgentStatus:
        """The agent's status from the store reader; raises AuthStoreUnreadable when it cannot."""
        return self.reader.view(agent, self.config()).snapshot(now_ms())

    def auth_digest(self) -> tuple[Any, ...]:
        """What every agent's auth state *means* (profiles, refs, expiry, cooldowns, counts, order)
        and the config's auth section: equal digests, nothing to tell. A plain successful turn only
        changes `lastUsed` and row timestamps, which are left out. On the slow path this is the
        files' size/mtime signature instead."""
        config = self.config()
        try:
            views = tuple(v.meaning() for v in self.reader.views(config.agents(), config).values())
        except AuthStoreUnreadable:
            return ("files", self.signature())
        auth = json.dumps(config._get("auth") or {}, sort_keys=True, default=str)
        models = tuple((a, config.default_model(a)) for a in config.agents())
        return ("rows", views, auth, models,
                json.dumps(config._get("models", "providers") or {}, sort_keys=True, default=str))

    def cached(self, agent: str) -> AgentStatus | None:
        """A snapshot faithful to the files on disk without a CLI call (the reader's, or a CLI
        snapshot whose files are unchanged), else None."""
        try:
            return self.read_state(agent)
        except AuthStoreUnreadable:
            return self._cached_cli(agent)

    def status(self, agent: str, *, fresh: bool = False) -> AgentStatus:
        """The reader's view; the CLI only when the reader does not know this release or layout."""
        agent = self.require_agent(agent)
        try:
            return self.read_state(agent)
        except AuthStoreUnreadable as exc:
            slow_reason = str(exc)
        if not fresh and (snap := self._cached_cli(agent)):
            return snap
        with self._lock_for(agent):  # one CLI call per agent at a time; waiters reuse its result
            if not fresh and (snap := self._cached_cli(agent)):
                return snap
            doc = self.runner.json("models", "status", "--json", "--agent", agent)
            snap = parse_status(doc, agent, now_ms())
            if agent != self.agents()[0]:
                snap = self._mark_inherited(snap)
            snap = replace(snap, slow_path=slow_reason)
            self._cache[agent] = (self.signature(), snap)
            return snap

    def _cached_cli(self, agent: str) -> AgentStatus | None:
        hit = self._cache.get(agent)
        if hit is None:
            return None
        sig, snap = hit
        if time.time() * 1000 - snap.taken_at_ms > self.max_age_s * 1000 or sig != self.signature():
            return None
        return snap

    def _mark_inherited(self, snap: AgentStatus) -> AgentStatus:
        """Mark profiles read through from the default agent's store (OpenClaw's JSON does not say).

        A profile is the agent's own when our ref names the agent, or when the default agent does
        not list it; otherwise it is inherited."""
        main = self.agents()[0]
        main_snap = self._cache.get(main)
        main_ids = {p.id for p in main_snap[1].profiles()} if main_snap else None
        if main_ids is None:
            try:
                main_ids = {p.id for p in self.status(main).profiles()}
            except GatewayError:
                return snap
        local = {p.id for p in snap.profiles() if (p.ref_id and f"/{snap.agent}/" in p.ref_id) or p.id not in main_ids}
        return snap.with_locality(local)

    def statuses(self, agents: list[str] | None = None, *,
                 fresh: bool = False) -> dict[str, AgentStatus | GatewayError]:
        """Status of several agents, refreshed in parallel; a failing agent does not hide the rest."""
        agents = agents or self.agents()
        try:  # the reader: every agent in a few SQL reads, no CLI
            at = now_ms()
            return {a: v.snapshot(at) for a, v in self.reader.views(agents, self.config()).items()}
        except AuthStoreUnreadable:
            pass
        main = self.agents()[0]

        def one(agent: str) -> AgentStatus | GatewayError:
            try:
                return self.status(agent, fresh=fresh)
            except GatewayError as exc:
                return exc

        results: dict[str, AgentStatus | GatewayError] = {}
        if main in agents:  # others compare against main's snapshot for inheritance
            results[main] = one(main)
        rest = [a for a in agents if a != main]
        with ThreadPoolExecutor(max_workers=max(1, self._workers)) as pool:
            for agent, res in zip(rest, pool.map(one, rest), strict=True):
                results[agent] = res
        return {a: results[a] for a in agents}

    @contextlib.contextmanager
    def _writing(self) -> Iterator[None]:
        """Every write to OpenClaw goes through here: one at a time (OpenClaw takes no lock, and
        refuses a write when the file changed since it loaded it), then the snapshot cache is
        dropped, also when the write failed half-way."""
        try:
            with file_lock(self.write_lock):
                yield
        finally:
            self.invalidate()

    def invalidate(self) -> None:
        self._cache.clear()

    # -- credential writes -------------------------------------------------------------------
    def apply_plan(self, plan: Plan) -> dict[str, Any]:
        """Write a plan file (refs only) and apply it; the file is kept for the audit trail."""
        self.plan_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, path = tempfile.mkstemp(prefix="plan-", suffix=".json", dir=self.plan_dir)
        with os.fdopen(fd, "w") as handle:
            json.dump(plan.to_dict(), handle, indent=1)
        with self._writing():
            result: dict[str, Any] = retry_conflicts(
                lambda: self.runner.json("secrets", "apply", "--from", path, "--allow-exec", "--json"))
            return result

    def set_token_expiry(self, agent: str, profile_id: str, expires_in: str) -> None:
        """Give a token profile an `expires` (only paste-token can); the caller re-applies the ref."""
        with self._writing():
            retry_conflicts(lambda: self.runner.run(
                "models", "auth", "paste-token", "--provider", "anthropic", "--profile-id", profile_id,
                "--expires-in", expires_in, "--agent", agent, stdin=PLACEHOLDER_TOKEN + "\n"))

    def audit(self) -> AuditReport:
        doc = self.runner.json("secrets", "audit", "--allow-exec", "--json")
        summary = doc.get("summary") or {}
        return AuditReport(
            status=str(doc.get("status", "unknown")),
            plaintext_count=int(summary.get("plaintextCount", 0)),
            unresolved_count=int(summary.get("unresolvedRefCount", 0)),
            shadowed_count=int(summary.get("shadowedRefCount", 0)),
            findings=tuple(doc.get("findings") or ()),
        )

    def logout(self, agent: str, profile_id: str) -> None:
        with self._writing():
            retry_conflicts(lambda: self.runner.run("models", "auth", "logout", profile_id, "--agent", agent, "--yes"))

    def order(self, agent: str, provider: str = "anthropic") -> list[str] | None:
        doc = self.runner.json("models", "auth", "order", "get", "--agent", agent, "--provider", provider, "--json")
        order = doc.get("order")  # null when the agent has no explicit order
        return None if order is None else [str(profile_id) for profile_id in order]

    def set_order(self, agent: str, profile_ids: list[str], provider: str = "anthropic") -> None:
        args = ("set", "--agent", agent, "--provider", provider, *profile_ids) if profile_ids \
            else ("clear", "--agent", agent, "--provider", provider)
        with self._writing():
            self.runner.run("models", "auth", "order", *args)

    # -- non-secret config writes --------------------------------------------------------------
    def config_set(self, values: dict[str, Any]) -> None:
        """Set config paths in one `openclaw config set --batch-json` call (one backup, one write),
        so OpenClaw's schema, backups and migrations apply. OpenClaw takes no lock on the file, so
        a write refused or undone by a concurrent writer is run again (see config_writes)."""
        def run_set(pending: dict[str, Any]) -> None:
            batch = [{"path": path, "value": value} for path, value in pending.items()]
            self.runner.run("config", "set", "--batch-json", json.dumps(batch))

        with self._writing():
            set_surviving(self.config_path, values, run_set)

    def config_unset(self, path: str) -> None:
        """Remove one config path through `openclaw config unset` (refused on invalid config)."""
        with self._writing():
            retry_conflicts(lambda: self.runner.run("config", "unset", path))

    def doctor_fix(self) -> None:
        """`openclaw doctor --fix`: the only command that repairs a config OpenClaw calls invalid
        (e.g. the retired `env: { KEY: … }` shape, which it rewrites to `env.vars`)."""
        with self._writing():
            self.runner.run("doctor", "--fix", "--non-interactive", "--yes", timeout=max(self.runner.timeout, 120))

    def version(self) -> str:
        return self.runner.run("--version").stdout.strip()
