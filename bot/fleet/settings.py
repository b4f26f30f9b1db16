"""The fleet's settings (`OPENCLAW_CHATOPS_NATS_*`, `OPENCLAW_CHATOPS_FLEET_*`), read from the same
merged environment as the bot's own; every name is in `.env.example`."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bot.settings import Settings, SettingsError, float_setting
from core.fleet.roster import parse_pins
from core.fleet.subjects import Subjects

__all__ = ["FleetSettings"]


@dataclass(frozen=True)
class FleetSettings:
    nats_url: str
    nats_user: str
    nats_password: str = field(repr=False)
    subjects: Subjects
    hub_key_file: Path
    host_key_file: Path
    pins: dict[str, str]  # hub: host name -> pinned fingerprint
    hub_public: str  # host: the hub's public signing key, as `hub enroll` printed it
    read_timeout_s: float
    write_timeout_s: float
    silent_after_s: float
    heartbeat_s: float

    @classmethod
    def load(cls, settings: Settings) -> FleetSettings:
        env = settings.raw
        try:
            pins = parse_pins(env.get("OPENCLAW_CHATOPS_FLEET_HOSTS", ""))
        except ValueError as exc:
            raise SettingsError(f"OPENCLAW_CHATOPS_FLEET_HOSTS: {exc}") from exc
        prefix = env.get("OPENCLAW_CHATOPS_FLEET_PREFIX", "chatops")
        if not prefix or any(c in prefix for c in " *>"):
            raise SettingsError("OPENCLAW_CHATOPS_FLEET_PREFIX: a NATS subject prefix without spaces, * or >")
        return cls(
            nats_url=env.get("OPENCLAW_CHATOPS_NATS_URL", "nats://127.0.0.1:4222"),
            nats_user=env.get("OPENCLAW_CHATOPS_NATS_USER", ""),
            nats_password=env.get("OPENCLAW_CHATOPS_NATS_PASSWORD", ""),
            subjects=Subjects(prefix),
            hub_key_file=Path(env.get("OPENCLAW_CHATOPS_FLEET_HUB_KEY_FILE") or settings.chatops_dir / "hub.key"),
            host_key_file=Path(env.get("OPENCLAW_CHATOPS_FLEET_HOST_KEY_FILE") or settings.chatops_dir / "host.key"),
            pins=pins,
            hub_public=env.get("OPENCLAW_CHATOPS_FLEET_HUB_KEY", ""),
            read_timeout_s=float_setting(env, "OPENCLAW_CHATOPS_FLEET_READ_TIMEOUT", 2.0),
            write_timeout_s=float_setting(env, "OPENCLAW_CHATOPS_FLEET_WRITE_TIMEOUT", 300.0),
            silent_after_s=float_setting(env, "OPENCLAW_CHATOPS_FLEET_SILENT_AFTER", 10.0),
            heartbeat_s=float_setting(env, "OPENCLAW_CHATOPS_FLEET_HEARTBEAT", 1.0),
        )
