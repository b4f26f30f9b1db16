"""Slack adapter wiring: settings in, a Bolt app in Socket Mode or HTTP mode out.

Settings (read through `Settings.get`, all listed in `.env.example`):
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
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from adapters.slack.http_server import EVENTS_PATH, SlackHttpServer
from adapters.slack.identity import DEFAULT_MAX_STALE_S, Directory, group_ids_in
from adapters.slack.listeners import SlackAdapter, retry_handlers
from adapters.slack.logs import library_logger
from adapters.slack.notifier import SlackNotifier, alert_client
from bot.app import Components
from bot.settings import Settings, SettingsError

log = logging.getLogger(__name__)

DEFAULT_API_URL = "https://slack.com/api/"


def configured(settings: Settings) -> bool:
    """True when a bot token and a way to receive events (app token or signing secret) are set."""
    return bool(settings.get("SLACK_BOT_TOKEN")) and bool(
        settings.get("SLACK_APP_TOKEN") or settings.get("SLACK_SIGNING_SECRET"))


def mode_of(settings: Settings) -> str:
    mode = settings.get("SLACK_MODE").strip().lower() or ("socket" if settings.get("SLACK_APP_TOKEN") else "http")
    if mode not in ("socket", "http"):
        raise SettingsError("SLACK_MODE must be socket or http")
    if mode == "socket" and not settings.get("SLACK_APP_TOKEN"):
        raise SettingsError("Socket Mode needs SLACK_APP_TOKEN (xapp-…, scope connections:write)")
    if mode == "http" and not settings.get("SLACK_SIGNING_SECRET"):
        raise SettingsError("HTTP mode needs SLACK_SIGNING_SECRET (Basic Information → App Credentials)")
    return mode


@dataclass
class SlackBot:
    """A ready Bolt app and what it was built from; `serve_*` run it until stopped."""

    app: App
    adapter: SlackAdapter
    client: WebClient
    settings: Settings
    mode: str

    def socket_handler(self) -> SocketModeHandler:
        web = WebClient(token=self.settings.get("SLACK_APP_TOKEN"), base_url=self.client.base_url,
                        retry_handlers=retry_handlers(), logger=self.client.logger)
        return SocketModeHandler(self.app, self.settings.get("SLACK_APP_TOKEN"), logger=self.client.logger,
                                 web_client=web)

    def http_server(self, host: str | None = None, port: int | None = None) -> SlackHttpServer:
        host = host if host is not None else self.settings.get("SLACK_HTTP_HOST", "127.0.0.1")
        try:
            port = port if port is not None else int(self.settings.get("SLACK_HTTP_PORT", "3000"))
        except ValueError as exc:
            raise SettingsError("SLACK_HTTP_PORT must be a port number") from exc
        return SlackHttpServer(self.app, self.settings.get("SLACK_SIGNING_SECRET"), self.adapter.command, host, port)


def groups_max_stale(settings: Settings) -> float:
    """SLACK_GROUPS_MAX_STALE: seconds group-granted roles outlive the last good `usergroups.list`."""
    text = settings.get("SLACK_GROUPS_MAX_STALE", "").strip()
    try:
        value = float(text) if text else DEFAULT_MAX_STALE_S
    except ValueError as exc:
        raise SettingsError("SLACK_GROUPS_MAX_STALE must be a number of seconds") from exc
    if not 0 <= value < float("inf"):
        raise SettingsError("SLACK_GROUPS_MAX_STALE must be a number of seconds, 0 or more")
    return value


def create(parts: Components) -> SlackBot:
    settings = parts.settings
    mode = mode_of(settings)
    wire = library_logger()
    client = WebClient(token=settings.get("SLACK_BOT_TOKEN"), base_url=settings.get("SLACK_API_URL", DEFAULT_API_URL),
                       retry_handlers=retry_handlers(), logger=wire)
    # process_before_response: listeners ack at once and hand the work to the adapter's own pool,
    # so running them in the request thread answers Slack sooner than Bolt's default, which runs
    # them on its pool and polls for the ack every 10 ms.
    app = App(client=client, logger=wire, signing_secret=settings.get("SLACK_SIGNING_SECRET") or None,
              request_verification_enabled=mode == "http", process_before_response=True)
    policy = parts.chatops.policy
    directory = Directory(client, groups_wanted=group_ids_in(policy.admins | policy.operators | policy.viewers),
                          max_stale_s=groups_max_stale(settings))
    parts.chatops.directories["slack"] = directory
    adapter = SlackAdapter(parts.chatops, client, directory, command=settings.get("SLACK_COMMAND", "/openclaw"),
                           wire_logger=wire)
    adapter.register(app)
    parts.add_notifier("slack", SlackNotifier(alert_client(client)))  # team alerts (`alerts here`)
    return SlackBot(app, adapter, client, settings, mode)


def start(parts: Components) -> int:
    """Run until interrupted; returns the process exit status."""
    bot = create(parts)
    if bot.mode == "socket":
        log.info("Slack: Socket Mode, command %s", bot.adapter.command)
        handler = bot.socket_handler()
        if parts.health is not None:
            parts.health.watch("slack", handler.client.is_connected)
        try:
            handler.start()
        except KeyboardInterrupt:
            handler.close()
        return 0
    server = bot.http_server()
    if parts.health is not None:  # HTTP mode: connected means listening
        parts.health.watch("slack", lambda: server.socket.fileno() >= 0)
    log.info("Slack: HTTP mode on %s:%s%s, command %s", *server.server_address, EVENTS_PATH,
             bot.adapter.command)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
