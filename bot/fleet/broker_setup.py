"""`openclaw-chatops hub nats-config`: the broker's config and each member's credentials, in one folder.

The config (`nats-server.conf`) holds bcrypt hashes only; each member's password goes to a file
of its own (`credentials/<name>.env`, 0600) holding the two settings that member needs, so an
operator copies one file to one machine and no password is ever printed. Running it again with
another `--host` keeps every existing member's password (it re-hashes them) and adds the new one:
then `nats-server --signal reload` and the fleet carries on.
"""
from __future__ import annotations

from pathlib import Path

from bot.settings import read_env_file
from core.fleet.broker_config import HUB_USER, Credentials, new_credentials, render_config
from core.fleet.subjects import Subjects
from core.fsutil import atomic_write

__all__ = ["write_broker_files"]

USER_SETTING, PASSWORD_SETTING = "OPENCLAW_CHATOPS_NATS_USER", "OPENCLAW_CHATOPS_NATS_PASSWORD"


def write_broker_files(folder: Path, hosts: list[str], *, listen_host: str, port: int, store_dir: Path,
                       subjects: Subjects) -> list[Path]:
    """Write the config and any missing credentials files; the paths written, config first."""
    creds_dir = folder / "credentials"
    creds_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    members = {who: _credentials(creds_dir, who) for who in (HUB_USER, *hosts)}
    config = render_config(listen_host=listen_host, port=port, store_dir=store_dir,
                           hub_password_hash=members[HUB_USER].hashed(),
                           host_password_hashes={h: members[h].hashed() for h in hosts}, subjects=subjects)
    path = folder / "nats-server.conf"
    atomic_write(path, config.encode(), 0o600)
    return [path, *(creds_dir / f"{who}.env" for who in members)]


def _credentials(creds_dir: Path, who: str) -> Credentials:
    """The member's credentials from its file, or new ones written there (0600)."""
    path = creds_dir / f"{who}.env"
    known = read_env_file(path)
    if known.get(PASSWORD_SETTING):
        return Credentials(who, known[PASSWORD_SETTING])
    creds = new_credentials(who)
    text = (f"# broker credentials of {who}: put these into its settings (.env or service environment)\n"
            f"{USER_SETTING}={creds.user}\n{PASSWORD_SETTING}={creds.password}\n")
    atomic_write(path, text.encode(), 0o600)
    return creds
