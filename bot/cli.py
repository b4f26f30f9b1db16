"""`openclaw-chatops` entry points: run | console | hub | host | resolve | vault | service.

`run` starts the chat adapters whose tokens are set; with none it falls back to the console, so
the same command works on a fresh machine. `--sandbox` makes a project-local OpenClaw home (with
the pinned OpenClaw from `scripts/install-openclaw.sh`) so nobody's real gateway is touched.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from bot.health import HEALTH_FILE, Health
from bot.settings import PROJECT_ROOT, Settings
from core.adapter import ConfigError
from core.secrets import key_rotation
from core.secrets.vault import Vault
from core.secrets.vault_keys import KEY_ENV, PREVIOUS_KEYS_ENV, VaultError, key_source

SANDBOX_CONFIG = """// openclaw-chatops sandbox: a throwaway OpenClaw home for trying the bot
{
  agents: {
    defaults: { model: { primary: "anthropic/claude-opus-4-6" } },
    ownership: "explicit",
    entries: { main: {}, ops: {} },
  },
}
"""


def sandbox_env(root: Path) -> dict[str, str]:
    """Create (once) a sandbox OpenClaw home and return the settings that point at it."""
    state = root / ".openclaw"
    if not (state / "openclaw.json").exists():
        state.mkdir(parents=True, exist_ok=True, mode=0o700)
        (state / "openclaw.json").write_text(SANDBOX_CONFIG)
    env = {"OPENCLAW_STATE_DIR": str(state)}
    if not os.environ.get("OPENCLAW_BIN"):
        launcher = subprocess.run(["bash", str(PROJECT_ROOT / "scripts" / "install-openclaw.sh")],
                                  check=True, capture_output=True, text=True,
                                  stdin=subprocess.DEVNULL).stdout.strip().splitlines()[-1]
        env["OPENCLAW_BIN"] = launcher
    return env


def load_settings(args: argparse.Namespace) -> Settings:
    env = dict(os.environ)
    if getattr(args, "sandbox", False):
        env.update(sandbox_env(Path(args.sandbox_dir).resolve()))
    env_file = getattr(args, "env_file", None)
    return Settings.load(env, env_file=Path(env_file) if env_file else None)


def run_console(parts, json_mode: bool) -> int:
    """The console adapter, with team alerts printed to the same terminal."""
    parts.watcher.start()
    try:
        return console(parts, json_mode)
    finally:
        parts.watcher.stop()


def console(parts, json_mode: bool) -> int:
    from adapters.console import Console
    from adapters.console.notifier import ConsoleNotifier

    parts.add_notifier("console", ConsoleNotifier(sys.stdout, json_mode=json_mode))
    return Console(parts.chatops, json_mode=json_mode).run()


def start_health(parts):
    """The health file `service status` reads, written while `run` runs."""
    health = Health(parts.settings.chatops_dir / HEALTH_FILE, parts.gateway, parts.watcher)
    parts.health = health
    health.start()
    return health


def cmd_console(args: argparse.Namespace) -> int:
    from bot.app import build

    return run_console(build(load_settings(args)), args.json)


def cmd_run(args: argparse.Namespace) -> int:
    from bot.app import build
    from bot.launch import chat_adapters

    settings = load_settings(args)
    parts = build(settings)
    adapters = chat_adapters(settings.raw)
    health = start_health(parts)
    try:
        if not adapters:
            print("No chat tokens set (SLACK_BOT_TOKEN / DISCORD_BOT_TOKEN): starting the console adapter.",
                  file=sys.stderr)
            return run_console(parts, args.json)
        parts.watcher.start()
        return adapters(parts)
    finally:
        health.stop()


def cmd_hub(args: argparse.Namespace) -> int:
    """`hub`: the chat side of a fleet (docs/fleet.md); `hub enroll` makes and shows its signing key."""
    from bot.fleet.settings import FleetSettings

    settings = load_settings(args)
    fleet = FleetSettings.load(settings)
    if args.action == "enroll":
        from core.fleet.keys import HubKeys, encode_public

        keys = HubKeys.load_or_create(fleet.hub_key_file)
        print(f"Hub signing key in {fleet.hub_key_file} (fingerprint {keys.fingerprint}).\n"
              f"On every host, set:\n  OPENCLAW_CHATOPS_FLEET_HUB_KEY={encode_public(keys.public_bytes())}")
        return 0
    if args.action == "nats-config":
        from bot.fleet.broker_setup import write_broker_files

        if not args.host:
            print("hub nats-config: name the hosts, e.g. `--host prod --host staging`.", file=sys.stderr)
            return 2
        try:
            written = write_broker_files(Path(args.dir), args.host, listen_host=args.listen, port=args.port,
                                         store_dir=Path(args.store_dir).resolve(), subjects=fleet.subjects)
        except ValueError as exc:
            print(f"hub nats-config: {exc}", file=sys.stderr)
            return 2
        print(f"Broker config: {written[0]} (bcrypt hashes only). Start it with `nats-server -c {written[0]}`.\n"
              "Each member's credentials, to copy into its settings (and nowhere else):")
        for path in written[1:]:
            print(f"  {path}")
        return 0
    from bot.fleet.hub_process import build_hub
    from bot.launch import chat_adapters

    parts = build_hub(settings, fleet)
    adapters = chat_adapters(settings.raw)
    parts.start()
    health = Health(settings.chatops_dir / HEALTH_FILE, None, None, broker=lambda: parts.link.connected,
                    hosts=parts.host_states)
    parts.health = health
    health.start()
    try:
        if not adapters:
            print("No chat tokens set (SLACK_BOT_TOKEN / DISCORD_BOT_TOKEN): starting the console adapter.",
                  file=sys.stderr)
            return console(parts, args.json)
        return adapters(parts)
    finally:
        health.stop()
        parts.stop()


def cmd_host(args: argparse.Namespace) -> int:
    """`host --name NAME`: one gateway's side of a fleet; `host enroll` makes and shows its key."""
    import threading

    from bot.fleet.settings import FleetSettings

    settings = load_settings(args)
    fleet = FleetSettings.load(settings)
    if args.action == "enroll":
        from core.fleet.keys import HostKeys

        keys = HostKeys.load_or_create(fleet.host_key_file)
        print(f"Host key in {fleet.host_key_file}, fingerprint {keys.fingerprint}.\n"
              f"On the hub, add this host to OPENCLAW_CHATOPS_FLEET_HOSTS:\n  {args.name}={keys.fingerprint}")
        return 0
    from bot.fleet.host_process import build_host

    parts = build_host(settings, fleet, args.name)
    parts.start()
    health = Health(settings.chatops_dir / HEALTH_FILE, parts.parts.gateway, parts.parts.watcher,
                    broker=lambda: parts.link.connected)
    health.start()
    print(f"Host {args.name} serving {settings.state_dir} for the hub over {fleet.nats_url}.", file=sys.stderr)
    try:
        threading.Event().wait()
    finally:
        health.stop()
        parts.stop()
    return 0


def cmd_service(args: argparse.Namespace) -> int:
    from bot.service import Layout, Service, ServiceError

    run_args = ("hub",) if args.hub else ("host", "--name", args.host) if args.host else ("run",)
    service = Service(load_settings(args), Layout.detect(dict(os.environ)), dict(os.environ), run_args=run_args)
    try:
        if args.action == "logs":
            argv = service.logs_command()
            os.execvp(argv[0], argv)  # follows until Ctrl-C, like running it by hand
        return {"install": service.install, "uninstall": service.uninstall, "status": service.status}[args.action]()
    except (ServiceError, OSError) as exc:
        print(f"service: {exc}", file=sys.stderr)
        return 1


def cmd_resolve(args: argparse.Namespace) -> int:
    from bot import resolve

    return resolve.main(args.rest)


def cmd_vault(args: argparse.Namespace) -> int:
    settings = load_settings(args)
    try:
        if args.action == "init":
            key_source(settings.vault_key, settings.vault_previous_keys, settings.vault_key_file, create=True)
            print(f"vault key ready at {settings.vault_key_file}" if not settings.vault_key
                  else "vault key from environment")
            return 0
        vault = Vault(settings.vault_path,
                      key_source(settings.vault_key, settings.vault_previous_keys, settings.vault_key_file,
                                 create=False))
        if args.action == "list":
            for v in vault.versions():
                state = "current" if v.current else "pending" if v.pending else ""
                print(f"{v.ref}\t{v.kind}\t{v.fingerprint}\t{state}\tkey {v.key_id}")
            return 0
        return rotate_key(settings, vault, args)
    except (VaultError, OSError) as exc:
        # An OSError (a full disk) cannot lose the key either: see core/secrets/key_rotation.py.
        print(f"vault: {exc}", file=sys.stderr)
        return 1


def rotate_key(settings: Settings, vault: Vault, args: argparse.Namespace) -> int:
    """`vault rotate-key`; the procedures and why they are ordered so are in core/secrets/key_rotation.py."""
    if not settings.vault_key:
        if args.new_key_file:
            print(f"vault: the key lives in {settings.vault_key_file}; run `vault rotate-key` without --new-key-file.",
                  file=sys.stderr)
            return 2
        done = key_rotation.rotate_key_file(settings.vault_path, settings.vault_key_file)
        what = "Finished an interrupted rotation" if done.resumed else "Rotated the vault key"
        print(f"{what}: {done.reencrypted} version(s) re-encrypted under key {done.new_id}, now the only key in "
              f"{settings.vault_key_file} (retired: {', '.join(done.retired_ids) or 'none'}).")
        return 0
    if args.new_key_file and args.finish:
        print("vault: --new-key-file and --finish are two steps; run them one after the other.", file=sys.stderr)
        return 2
    if args.new_key_file:
        kid = key_rotation.stage_env_key(Path(args.new_key_file))
        print(f"New vault key {kid} written to {args.new_key_file} (0600); the vault is unchanged.\n"
              f"Next, in the service environment of the gateway and of the bot:\n"
              f"  {KEY_ENV}=<the key in {args.new_key_file}>\n"
              f"  {PREVIOUS_KEYS_ENV}=<the current key>\n"
              f"restart the gateway and the bot, then run `openclaw-chatops vault rotate-key --finish`.")
        return 0
    if args.finish:
        done = key_rotation.finish(vault)
        print(f"{done.reencrypted} version(s) re-encrypted under key {done.new_id}; no record needs "
              f"{', '.join(done.retired_ids) or 'an older key'} any more. "
              f"Remove {PREVIOUS_KEYS_ENV} at the next restart.")
        return 0
    print(f"vault: the key comes from {KEY_ENV}, which this command cannot change. Run "
          f"`vault rotate-key --new-key-file PATH` (README, Security model: key rotation).", file=sys.stderr)
    return 2


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="openclaw-chatops", description="Run OpenClaw credentials from chat.")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, func, text in (("run", cmd_run, "run the bot (console when no chat tokens are set)"),
                             ("console", cmd_console, "the bot in this terminal (or scripted from stdin)")):
        p = sub.add_parser(name, help=text)
        p.add_argument("--json", action="store_true", help="console: one JSON reply document per line")
        p.add_argument("--sandbox", action="store_true", help="use a project-local OpenClaw home")
        p.add_argument("--sandbox-dir", default=".sandbox", help="where --sandbox keeps its OpenClaw home")
        p.add_argument("--env-file", help="read settings from this file instead of ./.env (the environment still wins)")
        p.set_defaults(func=func)
    p = sub.add_parser("hub", help="many gateways: the chat side, asking gateway hosts over NATS (docs/fleet.md)")
    p.add_argument("action", nargs="?", choices=("run", "enroll", "nats-config"), default="run",
                   help="run (default); enroll: make the hub's signing key and print it for the hosts; "
                        "nats-config: write the broker's config and each member's credentials")
    p.add_argument("--json", action="store_true", help="console: one JSON reply document per line")
    p.add_argument("--host", action="append", default=[], help="nats-config: a host's name (repeat per host)")
    p.add_argument("--dir", default="fleet-broker", help="nats-config: where to write (default ./fleet-broker)")
    p.add_argument("--listen", default="127.0.0.1", help="nats-config: the address the broker listens on")
    p.add_argument("--port", type=int, default=4222, help="nats-config: the broker's port")
    p.add_argument("--store-dir", default="fleet-broker/jetstream", help="nats-config: JetStream's folder")
    p.add_argument("--env-file", help="read settings from this file instead of ./.env (the environment still wins)")
    p.set_defaults(func=cmd_hub)
    p = sub.add_parser("host", help="many gateways: serve this gateway to the hub over NATS (docs/fleet.md)")
    p.add_argument("action", nargs="?", choices=("run", "enroll"), default="run",
                   help="run (default), or enroll: make this host's key and print its fingerprint for the hub")
    p.add_argument("--name", required=True, help="this host's name in chat: lowercase letters, digits, dashes")
    p.add_argument("--sandbox", action="store_true", help="use a project-local OpenClaw home")
    p.add_argument("--sandbox-dir", default=".sandbox", help="where --sandbox keeps its OpenClaw home")
    p.add_argument("--env-file", help="read settings from this file instead of ./.env (the environment still wins)")
    p.set_defaults(func=cmd_host)
    p = sub.add_parser("resolve", help="exec SecretRef resolver (OpenClaw runs this)", add_help=False)
    p.add_argument("rest", nargs=argparse.REMAINDER)
    p.set_defaults(func=cmd_resolve)
    p = sub.add_parser("vault", help="vault key management")
    p.add_argument("action", choices=("init", "list", "rotate-key"))
    p.add_argument("--new-key-file", help="rotate-key with the key in the environment: write a new key to this "
                                          "new file (step 1 of 2; see README)")
    p.add_argument("--finish", action="store_true",
                   help="rotate-key with the key in the environment: re-encrypt "
                        "under the new key once the gateway and bot run with it (step 2)")
    p.add_argument("--sandbox", action="store_true")
    p.add_argument("--sandbox-dir", default=".sandbox")
    p.set_defaults(func=cmd_vault)
    p = sub.add_parser("service", help="run the bot as a user service next to the gateway (systemd / launchd)")
    p.add_argument("action", choices=("install", "uninstall", "status", "logs"))
    p.add_argument("--env-file", help="settings to copy into the service's environment file (default ./.env)")
    role = p.add_mutually_exclusive_group()
    role.add_argument("--hub", action="store_true", help="install: the service runs a fleet's `hub` (docs/fleet.md)")
    role.add_argument("--host", metavar="NAME", help="install: the service runs a fleet's `host --name NAME`")
    p.set_defaults(func=cmd_service)
    args = parser.parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:  # the bot's settings or an adapter's
        print(f"settings: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
