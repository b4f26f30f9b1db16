"""The one-time plaintext migration's read: which store an audit finding names, and its one value.

No OpenClaw command reveals a stored value, so moving a pasted credential into the vault must read
it once, through the same guarded read-only reader status uses.
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from core.gateway.authstate.guard import AuthStoreUnreadable
from core.gateway.authstate.rows import AGENT_STORE, SHARED_STORE, read_agent_store, read_shared_store
from core.gateway.authstate.shapes import VALUE_FIELDS, Credential

__all__ = ["StoreLocation", "locate", "read_profiles", "read_value"]


@dataclass(frozen=True)
class StoreLocation:
    path: Path
    kind: str  # "agent" | "shared"
    agent: str | None  # the owning agent for an agent store; None for the shared store


def locate(state_dir: Path, file: str) -> StoreLocation:
    """Which known store an audit finding's `file` is, refusing anything else."""
    root = Path(state_dir).resolve()
    path = Path(file).resolve()
    try:
        rel = path.relative_to(root)
    except ValueError as exc:
        raise AuthStoreUnreadable(f"{file} is outside OpenClaw's state directory.") from exc
    if rel == SHARED_STORE:
        return StoreLocation(path, "shared", None)
    parts = rel.parts
    if len(parts) == 4 and parts[0] == "agents" and parts[2] == "agent" and parts[3] == AGENT_STORE:
        return StoreLocation(path, "agent", parts[1])
    raise AuthStoreUnreadable(f"{rel} is not an auth-profile store this bot knows.")


def read_profiles(location: StoreLocation) -> dict[str, Credential]:
    """The `profiles` object of one store, through the guarded read-only reader."""
    reader = read_shared_store if location.kind == "shared" else read_agent_store
    return reader(location.path).profiles


def read_value(location: StoreLocation, profile_id: str) -> tuple[str, str]:
    """(mode, plaintext value) of one profile; raises when it is absent or not plaintext."""
    profile = read_profiles(location).get(profile_id)
    if not isinstance(profile, dict):
        raise AuthStoreUnreadable(f"Profile {profile_id} is no longer in {location.path.name}.")
    mode = profile.get("type")
    key = VALUE_FIELDS.get(mode) if isinstance(mode, str) else None
    value = profile.get(key) if key else None
    if not isinstance(value, str) or not value:
        raise AuthStoreUnreadable(f"Profile {profile_id} in {location.path.name} holds no plaintext {key or 'value'}.")
    return str(mode), value
