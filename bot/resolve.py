"""The exec SecretRef resolver OpenClaw runs to read a credential back from the vault.

Protocol (OpenClaw secrets, exec source): a JSON request on stdin
`{"protocolVersion":1,"provider":"…","ids":["anthropic/main/anthropic:default#v1", …]}`, a JSON
answer on stdout with `values` and per-id `errors`; every requested id is answered.

OpenClaw runs it with a scrubbed environment (no HOME) and the resolver's own directory as working
directory, so the vault and key paths come as arguments. Only the stdlib and `cryptography` are
imported: OpenClaw spawns this once per resolution batch, and start-up time is paid each time.
Nothing secret is ever written to stderr. Every key it is given is tried by key id (the key file's
lines, or OPENCLAW_CHATOPS_VAULT_KEY plus OPENCLAW_CHATOPS_VAULT_PREVIOUS_KEYS), so refs keep
resolving at every step of a key rotation (core/secrets/key_rotation.py).
"""
from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from core.secrets.vault import Vault
from core.secrets.vault_keys import KEY_ENV, PREVIOUS_KEYS_ENV, VaultError, key_source


def answer(request: dict, vault: Vault | None, load_error: str = "") -> dict:
    values: dict[str, str] = {}
    errors: dict[str, dict[str, str]] = {}
    for ref in request.get("ids", []):
        if not isinstance(ref, str):
            continue
        if vault is None:
            errors[ref] = {"code": "VAULT_UNAVAILABLE", "message": load_error}
            continue
        try:
            values[ref] = vault.resolve(ref)
        except KeyError:
            errors[ref] = {"code": "NOT_FOUND"}
        except VaultError as exc:
            errors[ref] = {"code": "VAULT_ERROR", "message": str(exc)}
    out: dict = {"protocolVersion": 1, "values": values}
    if errors:
        out["errors"] = errors
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="openclaw-chatops resolve", description=__doc__.splitlines()[0])
    parser.add_argument("--vault", required=True, type=Path)
    parser.add_argument("--key-file", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        request = json.loads(sys.stdin.read() or "{}")
        if not isinstance(request, dict) or not isinstance(request.get("ids", []), list):
            raise ValueError("not a request object")
    except ValueError as exc:
        print(f"openclaw-chatops resolve: bad request on stdin ({exc})", file=sys.stderr)
        return 2
    vault, error = None, ""
    try:
        keys = key_source(os.environ.get(KEY_ENV), os.environ.get(PREVIOUS_KEYS_ENV), args.key_file, create=False)
        vault = Vault(args.vault, keys)
    except VaultError as exc:
        error = str(exc)
    sys.stdout.write(json.dumps(answer(request, vault, error)))
    sys.stdout.flush()
    return 0


if __name__ == "__main__":
    sys.exit(main())
