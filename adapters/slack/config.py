"""Slack settings, parsed from the raw settings mapping (all listed in `.env.example`).

  SLACK_BOT_TOKEN       xoxb-… (required)
  SLACK_APP_TOKEN       xapp-… with `connections:write`: Socket Mode, the default
  SLACK_SIGNING_SECRET  HTTP mode: requests are verified with it
  SLACK_MODE            socket | http (default: socket when SLACK_APP_TOKEN is set, else http)
  SLACK_COMMAND         the slash command (default /openclaw); must match the app manifest
  SLACK_HTTP_HOST/PORT  where HTTP mode listens (default 127.0.0.1:3000, behind a TLS proxy)
  SLACK_API_URL         Web API base URL (default https://slack.com/api/); tests point it at a
                        loopback fake, the way an httpx transport is swapped
  SLACK_GROUPS_MAX_STALE  seconds group-granted roles survive failing `usergroups.list` calls
                        (default 1800); user ids listed directly are not affected

They live with the adapter, as Discord's do, so a deployment that never uses Slack never parses them.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from adapters.slack.identity import DEFAULT_MAX_STALE_S
from core.adapter import ConfigError

DEFAULT_API_URL = "https://slack.com/api/"


def configured(env: Mapping[str, str]) -> bool:
    """True when a bot token and a way to receive events (app token or signing secret) are set."""
    return bool(env.get("SLACK_BOT_TOKEN")) and bool(env.get("SLACK_APP_TOKEN") or env.get("SLACK_SIGNING_SECRET"))


def mode_of(env: Mapping[str, str]) -> str:
    mode = env.get("SLACK_MODE", "").strip().lower() or ("socket" if env.get("SLACK_APP_TOKEN") else "http")
    if mode not in ("socket", "http"):
        raise ConfigError("SLACK_MODE must be socket or http")
    if mode == "socket" and not env.get("SLACK_APP_TOKEN"):
        raise ConfigError("Socket Mode needs SLACK_APP_TOKEN (xapp-…, scope connections:write)")
    if mode == "http" and not env.get("SLACK_SIGNING_SECRET"):
        raise ConfigError("HTTP mode needs SLACK_SIGNING_SECRET (Basic Information → App Credentials)")
    return mode


def groups_max_stale(env: Mapping[str, str]) -> float:
    """SLACK_GROUPS_MAX_STALE: seconds group-granted roles outlive the last good `usergroups.list`."""
    text = env.get("SLACK_GROUPS_MAX_STALE", "").strip()
    try:
        value = float(text) if text else DEFAULT_MAX_STALE_S
    except ValueError as exc:
        raise ConfigError("SLACK_GROUPS_MAX_STALE must be a number of seconds") from exc
    if not 0 <= value < float("inf"):
        raise ConfigError("SLACK_GROUPS_MAX_STALE must be a number of seconds, 0 or more")
    return value


def http_port(env: Mapping[str, str]) -> int:
    try:
        return int(env.get("SLACK_HTTP_PORT", "3000"))
    except ValueError as exc:
        raise ConfigError("SLACK_HTTP_PORT must be a port number") from exc


@dataclass(frozen=True)
class SlackConfig:
    bot_token: str
    app_token: str
    signing_secret: str
    mode: str  # socket | http
    command: str
    api_url: str
    groups_max_stale_s: float
    http_host: str
    http_port: int | None  # HTTP mode only: a Socket Mode bot never reads SLACK_HTTP_PORT

    @classmethod
    def from_env(cls, env: Mapping[str, str]) -> SlackConfig:
        """The settings the app is built from; `ConfigError` names the first one that cannot be used."""
        mode = mode_of(env)
        return cls(
            bot_token=env.get("SLACK_BOT_TOKEN", ""),
            app_token=env.get("SLACK_APP_TOKEN", ""),
            signing_secret=env.get("SLACK_SIGNING_SECRET", ""),
            mode=mode,
            command=env.get("SLACK_COMMAND", "/openclaw"),
            api_url=env.get("SLACK_API_URL", DEFAULT_API_URL),
            groups_max_stale_s=groups_max_stale(env),
            http_host=env.get("SLACK_HTTP_HOST", "127.0.0.1"),
            http_port=http_port(env) if mode == "http" else None,
        )
