"""Slack adapter wiring: settings in, a Bolt app in Socket Mode or HTTP mode out.

This module is the adapter as the launcher sees it (`core.adapter.Adapter`): `configured(env)`
and `start(parts)`. The settings it reads are described in adapters/slack/config.py.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass

from slack_bolt import App
from slack_bolt.adapter.socket_mode import SocketModeHandler
from slack_sdk import WebClient

from adapters.slack.config import SlackConfig, configured
from adapters.slack.delivery import retry_handlers
from adapters.slack.http_server import EVENTS_PATH, SlackHttpServer
from adapters.slack.identity import Directory, group_ids_in
from adapters.slack.listeners import SlackAdapter
from adapters.slack.logs import library_logger
from adapters.slack.notifier import SlackNotifier, alert_client
from core.adapter import AdapterParts

__all__ = ["SlackBot", "configured", "create", "name", "start"]

log = logging.getLogger(__name__)

name = "slack"


@dataclass
class SlackBot:
    """A ready Bolt app and what it was built from; `serve_*` run it until stopped."""

    app: App
    adapter: SlackAdapter
    client: WebClient
    config: SlackConfig

    @property
    def mode(self) -> str:
        return self.config.mode

    def socket_handler(self) -> SocketModeHandler:
        web = WebClient(token=self.config.app_token, base_url=self.client.base_url,
                        retry_handlers=retry_handlers(), logger=self.client.logger)
        return SocketModeHandler(self.app, self.config.app_token, logger=self.client.logger, web_client=web)

    def http_server(self, host: str | None = None, port: int | None = None) -> SlackHttpServer:
        host = host if host is not None else self.config.http_host
        port = port if port is not None else self.config.http_port
        return SlackHttpServer(self.app, self.config.signing_secret, self.adapter.command, host, port or 0)


def create(parts: AdapterParts) -> SlackBot:
    config = SlackConfig.from_env(parts.env)
    wire = library_logger()
    client = WebClient(token=config.bot_token, base_url=config.api_url, retry_handlers=retry_handlers(), logger=wire)
    # process_before_response: listeners ack at once and hand the work to the adapter's own pool,
    # so running them in the request thread answers Slack sooner than Bolt's default, which runs
    # them on its pool and polls for the ack every 10 ms.
    app = App(client=client, logger=wire, signing_secret=config.signing_secret or None,
              request_verification_enabled=config.mode == "http", process_before_response=True)
    policy = parts.chatops.policy
    directory = Directory(client, groups_wanted=group_ids_in(policy.admins | policy.operators | policy.viewers),
                          max_stale_s=config.groups_max_stale_s)
    parts.chatops.register_directory("slack", directory)
    adapter = SlackAdapter(parts.chatops, client, directory, command=config.command, wire_logger=wire)
    adapter.register(app)
    parts.add_notifier("slack", SlackNotifier(alert_client(client)))  # team alerts (`alerts here`)
    return SlackBot(app, adapter, client, config)


def start(parts: AdapterParts) -> int:
    """Run until interrupted; returns the process exit status."""
    bot = create(parts)
    if bot.mode == "socket":
        log.info("Slack: Socket Mode, command %s", bot.adapter.command)
        handler = bot.socket_handler()
        parts.watch_connection("slack", handler.client.is_connected)
        try:
            handler.start()
        except KeyboardInterrupt:
            handler.close()
        return 0
    server = bot.http_server()
    parts.watch_connection("slack", server.listening)  # HTTP mode: connected means listening
    log.info("Slack: HTTP mode on %s:%s%s, command %s", *server.server_address, EVENTS_PATH,
             bot.adapter.command)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0
