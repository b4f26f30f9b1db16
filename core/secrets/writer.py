"""Putting a credential into the vault and pointing OpenClaw at it, in an order that loses nothing.

1. The secret becomes a new, not-yet-current (pending) vault version (`record#vN`). Until step 4
   the write holds the vault's `credential_write` lock, so housekeeping cannot purge it; a writer
   killed in between leaves it pending, and housekeeping settles it by what OpenClaw points at.
2. One `secrets apply` plan points the profile at that version. If it fails, the new version is
   deleted and the gateway keeps whatever it had (an old ref still resolves: old versions stay).
3. For a setup-token with a lifetime, OpenClaw can only record `expires` through
   `models auth paste-token --expires-in`; the bot pastes a non-secret placeholder with the expiry
   and re-applies the same plan at once, which swaps the ref back in and keeps `expires`.
4. The new version becomes current and OpenClaw's store is read back (the guarded read-only
   reader, milliseconds; `models status` only on a release the reader does not know): the profile
   must now be an exec ref to exactly this version.
"""
from __future__ import annotations

import time
from dataclasses import dataclass

from core.durations import parse_duration
from core.errors import ChatSafeError
from core.gateway.client import Gateway
from core.gateway.plans import Plan, ProfileTarget
from core.gateway.runner import GatewayError
from core.progress import SILENT, ProgressSink
from core.secrets.credentials import Credential, Kind
from core.secrets.vault import Vault, VersionInfo

__all__ = ["DEFAULT_PROFILE", "CredentialWriteFailed", "CredentialWriter", "WriteResult", "record_id"]

DEFAULT_PROFILE = {Kind.SETUP_TOKEN: "anthropic:default", Kind.API_KEY: "anthropic:api"}


def record_id(agent: str, profile_id: str, provider: str = "anthropic") -> str:
    return f"{provider}/{agent}/{profile_id}"


@dataclass(frozen=True)
class WriteResult:
    version: VersionInfo
    verified: bool
    detail: str
    warnings: tuple[str, ...] = ()


class CredentialWriteFailed(ChatSafeError):
    """The gateway was left on its previous credential; the message is safe to show."""

    title = "Not stored"
    code = "gateway"


class CredentialWriter:
    def __init__(self, gateway: Gateway, vault: Vault):
        self.gateway = gateway
        self.vault = vault

    def write(self, agent: str, profile_id: str, credential: Credential, *, actor: str,
              expires_in: str | None = None, progress: ProgressSink = SILENT) -> WriteResult:
        """Each step is reported to `progress`: the gateway calls take seconds each."""
        expires_at = None
        if expires_in:
            expires_at = int(time.time() + parse_duration(expires_in)) * 1000
        rid = record_id(agent, profile_id)
        warnings: list[str] = []
        with self.vault.credential_write():  # housekeeping waits: the new version is pending until set_current
            version = self.vault.put(rid, credential.value, kind=credential.kind.value, created_by=actor,
                                     expires_at=expires_at, make_current=False)
            target = ProfileTarget(agent, profile_id, credential.kind.openclaw_mode, version.ref)
            plan = Plan(self.gateway.provider, [target])
            progress.step(f"Encrypted into the vault (v{version.version}); the gateway is applying the reference")
            try:
                self.gateway.apply_plan(plan)
            except GatewayError as exc:
                self.vault.delete(rid, version.version)
                raise CredentialWriteFailed(
                    f"The gateway did not accept the new credential; nothing changed. {exc}") from exc
            if credential.kind is Kind.SETUP_TOKEN and expires_in:
                progress.step(f"Recording the expiry ({expires_in}) in OpenClaw")
                warnings.extend(self._apply_expiry(agent, profile_id, expires_in, plan))
            self.vault.set_current(rid, version.version)
        current = self.vault.current(rid) or version
        progress.step(f"Checking that the gateway now lists {profile_id} as a vault reference")
        verified, detail = self.verify(agent, profile_id, current.ref)
        return WriteResult(current, verified, detail, tuple(warnings))

    def _apply_expiry(self, agent: str, profile_id: str, expires_in: str, plan: Plan) -> list[str]:
        try:
            self.gateway.set_token_expiry(agent, profile_id, expires_in)
        except GatewayError as exc:
            return [f"Stored without an expiry in OpenClaw ({exc}); the vault keeps the expiry."]
        last: GatewayError | None = None
        for _ in range(3):  # the profile holds the placeholder until this succeeds
            try:
                self.gateway.apply_plan(plan)
                return []
            except GatewayError as exc:
                last = exc
        raise CredentialWriteFailed(
            f"The expiry was set but the credential reference could not be re-applied ({last}). "
            f"Profile {profile_id} of agent {agent} holds a placeholder: run the command again."
        )

    def verify(self, agent: str, profile_id: str, ref: str) -> tuple[bool, str]:
        """Read back (fresh) whether the profile now points at `ref`."""
        try:
            snap = self.gateway.status(agent, fresh=True)
        except GatewayError as exc:
            return False, f"stored, but the gateway check failed: {exc}"
        profile = snap.profile(profile_id)
        if profile is None:
            return False, f"stored, but the gateway does not list {profile_id} for {agent}"
        if profile.ref_id != ref:
            return False, f"stored, but {profile_id} points at {profile.ref_id or profile.source}"
        return True, f"gateway lists {profile_id} as an exec ref to {ref}"
