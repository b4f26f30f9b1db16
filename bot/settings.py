"""Settings from the environment and an optional `.env` file; every name is in `.env.example`.

The environment wins over `.env`, so a service manager can override a file left on the host.
"""
from __future__ import annotations

import os
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from core.access import Policy, Role
from core.adapter import ConfigError

PROJECT_ROOT = Path(__file__).resolve().parent.parent


class SettingsError(ConfigError):
    """A bot setting that cannot be used (the adapters raise `ConfigError` for theirs)."""


def read_env_file(path: Path) -> dict[str, str]:
    """KEY=value lines; `#` comments; optional quotes. No interpolation (keeps it predictable)."""
    values: dict[str, str] = {}
    if not path.is_file():
        return values
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        key, sep, value = line.removeprefix("export ").partition("=")
        if not sep or not key.strip().isidentifier():
            raise SettingsError(f"{path}:{number}: expected KEY=value")
        value = value.strip()
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
            value = value[1:-1]
        values[key.strip()] = value
    return values


def _ids(text: str) -> frozenset[str]:
    return frozenset(part.strip() for part in text.replace(";", ",").split(",") if part.strip())


def default_openclaw_bin(env: dict[str, str]) -> str:
    """OPENCLAW_BIN, else `openclaw` on PATH, else the project's pinned install."""
    if env.get("OPENCLAW_BIN"):
        return env["OPENCLAW_BIN"]
    found = shutil.which("openclaw")
    if found:
        return found
    cached = sorted((PROJECT_ROOT / ".cache").glob("openclaw-*/bin/openclaw"))
    return str(cached[-1]) if cached else "openclaw"


def float_setting(env: dict[str, str], name: str, default: float) -> float:
    try:
        value = float(env.get(name, default))
    except ValueError as exc:
        raise SettingsError(f"{name} must be a number of seconds") from exc
    if value <= 0:
        raise SettingsError(f"{name} must be positive")
    return value


def _bool(env: dict[str, str], name: str, default: bool) -> bool:
    value = env.get(name)
    if value is None or value == "":
        return default
    if value.lower() in ("1", "true", "yes", "on"):
        return True
    if value.lower() in ("0", "false", "no", "off"):
        return False
    raise SettingsError(f"{name} must be true or false")


@dataclass(frozen=True)
class Settings:
    openclaw_bin: str
    state_dir: Path
    chatops_dir: Path
    vault_key: str | None
    vault_previous_keys: str | None
    vault_key_file: Path
    cli_timeout_s: float
    snapshot_max_age_s: float
    session_ttl_s: float
    policy: Policy
    probe: bool
    anthropic_base_url: str
    store_unverified: bool
    resolver_provider: str
    log_level: str
    watch_poll_s: float
    watch_interval_s: float
    watch_resync_s: float
    expiry_lead_s: float
    unreachable_after: int
    flap_window_s: float
    rollback_window_s: float
    burned_notice: bool
    raw: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def vault_path(self) -> Path:
        return self.chatops_dir / "vault.json"

    @property
    def state_db(self) -> Path:
        return self.chatops_dir / "state.db"

    @property
    def resolver_path(self) -> Path:
        return self.chatops_dir / "resolve"

    def get(self, name: str, default: str = "") -> str:
        """A raw setting, as the merged environment holds it."""
        return self.raw.get(name, default)

    @classmethod
    def load(cls, env: dict[str, str] | None = None, env_file: Path | None = None) -> Settings:
        merged = read_env_file(env_file if env_file is not None else Path.cwd() / ".env")
        merged.update(os.environ if env is None else env)
        state_dir = Path(merged.get("OPENCLAW_STATE_DIR") or Path.home() / ".openclaw").expanduser()
        chatops_dir = Path(merged.get("OPENCLAW_CHATOPS_DIR") or state_dir / "chatops").expanduser()
        try:
            default_role = Role.parse(merged.get("OPENCLAW_CHATOPS_DEFAULT_ROLE", "viewer"))
        except ValueError as exc:
            raise SettingsError(f"OPENCLAW_CHATOPS_DEFAULT_ROLE: {exc}") from exc
        provider = merged.get("OPENCLAW_CHATOPS_RESOLVER_PROVIDER", "openclaw_chatops")
        return cls(
            openclaw_bin=default_openclaw_bin(merged),
            state_dir=state_dir,
            chatops_dir=chatops_dir,
            vault_key=merged.get("OPENCLAW_CHATOPS_VAULT_KEY") or None,
            vault_previous_keys=merged.get("OPENCLAW_CHATOPS_VAULT_PREVIOUS_KEYS") or None,
            vault_key_file=Path(merged.get("OPENCLAW_CHATOPS_VAULT_KEY_FILE")
                                or chatops_dir / "vault.key").expanduser(),
            cli_timeout_s=float_setting(merged, "OPENCLAW_CHATOPS_CLI_TIMEOUT", 60.0),
            snapshot_max_age_s=float_setting(merged, "OPENCLAW_CHATOPS_SNAPSHOT_MAX_AGE", 300.0),
            session_ttl_s=float_setting(merged, "OPENCLAW_CHATOPS_SESSION_TTL", 600.0),
            policy=Policy(
                admins=_ids(merged.get("OPENCLAW_CHATOPS_ADMINS", "")),
                operators=_ids(merged.get("OPENCLAW_CHATOPS_OPERATORS", "")),
                viewers=_ids(merged.get("OPENCLAW_CHATOPS_VIEWERS", "")),
                default_role=default_role,
            ),
            probe=_bool(merged, "OPENCLAW_CHATOPS_PROBE", False),
            anthropic_base_url=merged.get("OPENCLAW_CHATOPS_ANTHROPIC_BASE_URL", "https://api.anthropic.com"),
            store_unverified=_bool(merged, "OPENCLAW_CHATOPS_STORE_UNVERIFIED", True),
            resolver_provider=provider,
            log_level=merged.get("OPENCLAW_CHATOPS_LOG_LEVEL", "INFO").upper(),
            watch_poll_s=float_setting(merged, "OPENCLAW_CHATOPS_WATCH_POLL", 1.0),
            watch_interval_s=float_setting(merged, "OPENCLAW_CHATOPS_WATCH_INTERVAL", 15.0),
            watch_resync_s=float_setting(merged, "OPENCLAW_CHATOPS_WATCH_RESYNC", 3600.0),
            expiry_lead_s=float_setting(merged, "OPENCLAW_CHATOPS_EXPIRY_LEAD", 7 * 86400.0),
            unreachable_after=int(float_setting(merged, "OPENCLAW_CHATOPS_UNREACHABLE_AFTER", 3)),
            flap_window_s=float_setting(merged, "OPENCLAW_CHATOPS_FLAP_WINDOW", 600.0),
            rollback_window_s=float_setting(merged, "OPENCLAW_CHATOPS_ROLLBACK_WINDOW", 7 * 86400.0),
            burned_notice=_bool(merged, "OPENCLAW_CHATOPS_BURNED_NOTICE", False),
            raw=dict(merged),
        )
