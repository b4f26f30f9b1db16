"""Rendering the broker's config: what nats-server accepts, and what is refused before it gets there."""
from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest

from core.fleet.broker_config import hash_password, new_credentials, render_config
from core.fleet.subjects import Subjects
from tests.fakes.nats_broker import server_binary

HASH = hash_password("correct horse", cost=4)


def render(**changes: object) -> str:
    args: dict[str, object] = {"listen_host": "127.0.0.1", "port": 4222, "store_dir": "/var/lib/nats",
                               "hub_password_hash": HASH, "host_password_hashes": {"prod": HASH}}
    return render_config(**{**args, **changes})  # type: ignore[arg-type]


def test_nats_server_accepts_the_rendered_config(tmp_path: Path) -> None:
    conf = tmp_path / "nats.conf"
    conf.write_text(render(subjects=Subjects("ops.eu"), store_dir=tmp_path / "store \"quoted\"",
                           host_password_hashes={"prod": HASH, "staging-2": HASH}))
    checked = subprocess.run([server_binary(), "-t", "-c", str(conf)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert '"ops.eu.host.staging-2.cmd"' in conf.read_text()
    assert '"_INBOX_ops_eu_staging-2.>"' in conf.read_text()


@pytest.mark.parametrize("hosts", [{"hub": HASH}, {"Prod": HASH}, {"a.b": HASH}, {"*": HASH}, {"": HASH}])
def test_a_bad_host_name_is_refused(hosts: dict[str, str]) -> None:
    with pytest.raises(ValueError, match="host name"):
        render(host_password_hashes=hosts)


@pytest.mark.parametrize("prefix", ["chatops.>", "chat ops", "chatops.", ""])
def test_a_prefix_with_wildcards_or_gaps_is_refused(prefix: str) -> None:
    with pytest.raises(ValueError, match="subject prefix"):
        render(subjects=Subjects(prefix))


def test_a_password_where_a_hash_belongs_is_refused_without_showing_it() -> None:
    password = new_credentials("prod").password
    with pytest.raises(ValueError, match="expected a bcrypt hash") as refused:
        render(host_password_hashes={"prod": password})
    assert password not in str(refused.value)


def test_new_credentials_are_random_urlsafe_and_never_printed() -> None:
    made = [new_credentials("prod") for _ in range(3)]
    assert len({c.password for c in made}) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{43,}", c.password) for c in made)  # 32+ random bytes
    assert all(c.password not in f"{c} {c!r}" for c in made)
    with pytest.raises(ValueError, match="host name"):
        new_credentials("Prod")


def test_the_example_in_the_docs_is_what_render_config_writes() -> None:
    doc = (Path(__file__).resolve().parents[2] / "docs" / "fleet.md").read_text()
    example = re.search(r"^```\n(# openclaw-chatops broker.*?)^```", doc, re.S | re.M)
    assert example, "docs/fleet.md lost its rendered example"
    rendered = render(listen_host="0.0.0.0", store_dir="/var/lib/openclaw-chatops/nats",
                      host_password_hashes={"prod": HASH, "staging": HASH})
    any_hash = re.compile(r"\$2b\$\d\d\$[./A-Za-z0-9]{53}")
    assert any_hash.sub("<hash>", example.group(1)) == any_hash.sub("<hash>", rendered)
