"""Find plaintext model-provider credentials in an existing OpenClaw gateway and move them into the vault.

Why it is built this way (docs/secure.md has the observations behind each step):
- `openclaw secrets audit` finds plaintext auth-profile values and provider `apiKey`s, but not a key in
  `env.vars`, and it is blinded by the guide's retired `env: { KEY: … }` shape; the bot scans both.
- Values are read from `openclaw.json` (JSON5) or, for profiles, from OpenClaw's auth store through a
  guarded read-only connection (`core.gateway.authstate`): no command reveals them.
- Everything moves in ONE `secrets apply` plan, so OpenClaw either re-points every credential or none.
  Plaintext is removed only afterwards (`config unset`), once the plan proved each ref resolves.
- A profile in the shared store (`state/openclaw.sqlite`) cannot be a plan target: plans write agent
  stores. The plan re-points it in the default agent's store (same id, which takes precedence) and
  carries a transient provider-level `apiKey` target, which makes OpenClaw scrub plaintext anthropic
  values from every store; the bot unsets that `apiKey` right after, so no provider key is left
  shadowing the profiles.
- The env key becomes profile `anthropic:env` of the default agent (other agents read it through),
  never a provider-level `apiKey`, which would shadow every profile (REF_SHADOWED).
- A re-run reuses vault versions whose fingerprint matches, so it completes whatever a failure left.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from core.errors import ChatSafeError
from core.gateway.authstate import AuthStoreUnreadable, StoreLocation, check_version, locate, read_profiles, read_value
from core.gateway.client import AuditReport, Gateway
from core.gateway.plans import Plan, ProfileTarget
from core.gateway.runner import GatewayError
from core.progress import SILENT, ProgressSink
from core.secrets.credentials import CredentialRejected, Kind, classify, fingerprint
from core.secrets.vault import Vault, VersionInfo
from core.secrets.writer import record_id
from core.store import Store

__all__ = [
    "PLAINTEXT_COUNT_KEY", "Finding", "MigrationFailed", "Outcome", "Survey", "cached_plaintext_count", "migrate",
    "survey",
]

ENV_PROFILE_ID = "anthropic:env"
PROVIDER_RECORD = "anthropic/provider"
PLAINTEXT_COUNT_KEY = "secure.plaintext_count"


class MigrationFailed(ChatSafeError):
    """The gateway kept the credentials it had; the message is safe to show."""

    title = "Nothing was moved"
    code = "gateway"


@dataclass(frozen=True)
class Finding:
    """One credential problem, described without its value."""

    code: str  # PLAINTEXT_FOUND | REF_SHADOWED | ENV_PLAINTEXT | LEGACY_ENV | REF_UNRESOLVED
    where: str  # e.g. "agent ops · profile anthropic:ops" or "openclaw.json env.vars.ANTHROPIC_API_KEY"
    path: str  # audit jsonPath or config path
    file: str = ""
    agent: str | None = None
    profile_id: str | None = None
    fingerprint: str = ""
    note: str = ""

    @property
    def movable(self) -> bool:
        return self.code in ("PLAINTEXT_FOUND", "ENV_PLAINTEXT", "LEGACY_ENV")


@dataclass
class Survey:
    findings: list[Finding]
    audit: AuditReport | None

    @property
    def movable(self) -> list[Finding]:
        return [f for f in self.findings if f.movable]

    @property
    def plaintext_count(self) -> int:
        return len(self.movable)

    def key(self) -> list[str]:
        """What the admin was shown, to check on confirmation that it is still what moves."""
        return sorted(f"{f.code}|{f.where}|{f.fingerprint}" for f in self.movable)


@dataclass
class _Item:
    finding: Finding
    kind: Kind
    agent: str | None  # None for a provider-level apiKey
    profile_id: str | None
    record: str
    value: str = field(repr=False)
    store: StoreLocation | None = None
    expires_at: int | None = None

    @property
    def fingerprint(self) -> str:
        return fingerprint(self.value)


@dataclass
class Outcome:
    moved: list[tuple[Finding, str]]  # (finding, fingerprint)
    skipped: list[tuple[Finding, str]]  # (finding, reason)
    before: int
    after: Survey
    backups: list[str]
    residue: list[str]
    warnings: list[str]


# -- discovery --------------------------------------------------------------------------------
def survey(gateway: Gateway, agent: str | None = None, *, with_fingerprints: bool = True) -> Survey:
    """Every plaintext or shadowed model-provider credential, from the audit and the bot's own scan."""
    config = gateway.config()
    default = config.agents()[0]
    findings: list[Finding] = []
    global_scope = agent is None or agent == default
    if global_scope:
        for path in config.plaintext_env_keys():
            legacy = not path.startswith("env.vars.")
            value = _config_value(config.data, path)
            findings.append(Finding(
                "LEGACY_ENV" if legacy else "ENV_PLAINTEXT", f"openclaw.json {path}", path, str(config.path),
                fingerprint=fingerprint(value) if value and with_fingerprints else "",
                note="retired config shape: OpenClaw reports the config invalid" if legacy
                else "not flagged by `secrets audit`"))
    try:
        report: AuditReport | None = gateway.audit()
    except GatewayError as exc:
        if not any(f.code == "LEGACY_ENV" for f in findings):
            raise
        # The retired `env` shape makes OpenClaw call the whole config invalid: the audit is blind.
        report = None
        findings.append(Finding("REF_UNRESOLVED", "openclaw.json", "<root>", str(config.path),
                                note=f"`secrets audit` cannot read an invalid config ({exc}); "
                                     "`secure --yes` repairs it first"))
    version_checked = False
    for raw in (report.findings if report else ()):
        code = str(raw.get("code", ""))
        json_path = str(raw.get("jsonPath", ""))
        file = str(raw.get("file", ""))
        profile_id = raw.get("profileId")
        if code == "REF_UNRESOLVED" and json_path in ("", "<root>"):
            findings.append(Finding(code, "openclaw.json", json_path, file, note=str(raw.get("message", ""))[:200]))
            continue
        if code not in ("PLAINTEXT_FOUND", "REF_SHADOWED"):
            continue
        if profile_id:
            try:
                location = locate(gateway.runner.state_dir, file)
            except AuthStoreUnreadable as exc:
                findings.append(Finding(code, f"profile {profile_id}", json_path, file, profile_id=str(profile_id),
                                        note=str(exc)))
                continue
            owner = location.agent or default
            if agent is not None and owner != agent:
                continue
            fp, note = "", "shared auth store" if location.kind == "shared" else ""
            if code == "PLAINTEXT_FOUND" and with_fingerprints:
                try:
                    if not version_checked:
                        check_version(gateway.version())
                        version_checked = True
                    fp = fingerprint(read_value(location, str(profile_id))[1])
                except AuthStoreUnreadable as exc:
                    note = str(exc)
            findings.append(Finding(code, f"agent {owner} · profile {profile_id}", json_path, file, owner,
                                    str(profile_id), fp, note))
        elif json_path.startswith("models.providers.") and global_scope:
            value = _config_value(config.data, json_path) if code == "PLAINTEXT_FOUND" else None
            findings.append(Finding(code, f"openclaw.json {json_path}", json_path, file,
                                    fingerprint=fingerprint(value) if value and with_fingerprints else "",
                                    note=str(raw.get("message", ""))[:200] if code == "REF_SHADOWED" else ""))
    return Survey(findings, report)


def _config_value(data: dict[str, Any], path: str) -> str | None:
    node: Any = data
    for key in path.split("."):
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node if isinstance(node, str) and node else None


# -- migration --------------------------------------------------------------------------------
def migrate(gateway: Gateway, vault: Vault, store: Store, *, actor: str, agent: str | None = None,
            expected: list[str] | None = None, progress: ProgressSink = SILENT) -> Outcome:
    """Move every movable finding into the vault behind exec refs; see the module docstring. Each
    step (and `n / total` within one) is reported to `progress`: the CLI calls take seconds each."""
    progress.step("Listing plaintext credentials (`openclaw secrets audit`)")
    current = survey(gateway, agent)
    if expected is not None and current.key() != sorted(expected):
        raise MigrationFailed("The plaintext credentials changed since they were listed; nothing was moved. "
                              "Run `secure` again to see the current list.")
    before = current.plaintext_count
    warnings: list[str] = []
    if any(f.code == "LEGACY_ENV" for f in current.findings):
        progress.step("Repairing the retired `env` shape (`openclaw doctor --fix`)")
        try:
            gateway.doctor_fix()
        except GatewayError as exc:
            raise MigrationFailed(
                f"`openclaw doctor --fix` could not repair the retired `env` shape; nothing was moved. {exc}") from exc
        current = survey(gateway, agent)
        if any(f.code == "LEGACY_ENV" for f in current.findings):
            raise MigrationFailed(
                "`openclaw doctor --fix` left the retired `env` shape in openclaw.json; nothing was moved.")
        warnings.append("`openclaw doctor --fix` rewrote the retired `env: { KEY }` shape to `env.vars` (it may also "
                        "apply its other recommended repairs).")
    progress.step(f"Reading {len(current.movable)} plaintext credential(s)")
    items, skipped = _read_items(gateway, current)
    if not items:
        return _finish(gateway, store, [], skipped, before, warnings, [], progress)
    default = gateway.agents()[0]
    # Pending versions until set_current: housekeeping waits rather than judge them mid-move.
    with vault.credential_write():
        new_versions: list[VersionInfo] = []
        refs: dict[int, str] = {}
        for index, item in enumerate(items):
            (progress.update if index else progress.step)(f"Encrypting into the vault: {index + 1} / {len(items)}")
            existing = vault.current(item.record)
            if existing is not None and existing.fingerprint == item.fingerprint:
                refs[index] = existing.ref  # a re-run after a failure: the vault already holds it
                continue
            info = vault.put(item.record, item.value, kind=item.kind.value, created_by=actor,
                             expires_at=item.expires_at, make_current=False)
            new_versions.append(info)
            refs[index] = info.ref
        profile_targets = [ProfileTarget(i.agent or default, i.profile_id or "", i.kind.openclaw_mode, refs[n])
                           for n, i in enumerate(items) if i.profile_id]
        provider_refs = [refs[n] for n, i in enumerate(items) if i.profile_id is None]
        shared = any(i.store is not None and i.store.kind == "shared" for i in items)
        transient_provider_key = shared and not provider_refs \
            and not _config_value(gateway.config().data, "models.providers.anthropic.apiKey")
        had_provider_block = isinstance(
            (gateway.config().data.get("models") or {}).get("providers", {}).get("anthropic"), dict)
        if transient_provider_key:
            provider_refs = [next((refs[n] for n, i in enumerate(items) if i.kind is Kind.API_KEY), refs[0])]
        plan = Plan(gateway.provider, profile_targets, provider_key_refs=provider_refs)
        progress.step(f"The gateway is applying the {len(items)} vault reference(s) in one plan")
        try:
            gateway.apply_plan(plan)
        except GatewayError as exc:
            for info in new_versions:
                vault.delete(info.record_id, info.version)
            raise MigrationFailed(f"The gateway did not accept the vault references; nothing was moved and the "
                                  f"credentials it had keep working. {exc}") from exc
        for info in new_versions:
            vault.set_current(info.record_id, info.version)
    # From here every credential resolves through the vault: plaintext may be removed.
    if transient_provider_key:
        _unset(gateway, "models.providers.anthropic.apiKey" if had_provider_block else "models.providers.anthropic",
               warnings)
    for item in items:
        if item.store is not None and item.store.kind == "shared" and item.expires_at:
            # paste-token (the only way to set `expires`) writes the shared store, which the agent
            # store now shadows, so OpenClaw cannot show this expiry any more; the vault keeps it.
            warnings.append(f"{item.profile_id}: OpenClaw no longer shows its expiry (it moved out of the shared "
                            "store); the vault record keeps it.")
    moved: list[tuple[Finding, str]] = []
    unset_total, unset_done = sum(i.finding.code == "ENV_PLAINTEXT" for i in items), 0
    for item in items:
        if item.finding.code == "ENV_PLAINTEXT":
            unset_done += 1
            (progress.update if unset_done > 1 else progress.step)(
                f"Removing plaintext from openclaw.json: {unset_done} / {unset_total}")
            if not _unset(gateway, item.finding.path, warnings):
                continue
        moved.append((item.finding, item.fingerprint))
        store.audit(actor, "secure", "moved", agent=item.agent or "", profile_id=item.profile_id or item.finding.path,
                    fingerprint=item.fingerprint, detail=f"from {item.finding.where}")
    return _finish(gateway, store, moved, skipped, before, warnings, [i.value for i in items], progress)


def _read_items(gateway: Gateway, current: Survey) -> tuple[list[_Item], list[tuple[Finding, str]]]:
    """Read and validate each plaintext value; what cannot be moved safely is skipped with a reason."""
    config = gateway.config()
    default = config.agents()[0]
    items: list[_Item] = []
    skipped: list[tuple[Finding, str]] = []
    version_checked = False
    for finding in current.movable:
        try:
            if finding.profile_id:
                if not version_checked:
                    check_version(gateway.version())
                    version_checked = True
                location = locate(gateway.runner.state_dir, finding.file)
                mode, value = read_value(location, finding.profile_id)
                expected = Kind.SETUP_TOKEN if mode == "token" else Kind.API_KEY
                credential = classify(value, expected)
                expires = read_profiles(location).get(finding.profile_id, {}).get("expires")
                owner = location.agent or default
                items.append(_Item(finding, credential.kind, owner, finding.profile_id,
                                   record_id(owner, finding.profile_id), credential.value, location,
                                   int(expires) if isinstance(expires, (int, float)) else None))
            else:
                configured = _config_value(config.data, finding.path)
                if configured is None:
                    raise CredentialRejected("The value is no longer in openclaw.json.")
                credential = classify(configured)
                if finding.path.startswith("models.providers."):
                    items.append(_Item(finding, credential.kind, None, None, PROVIDER_RECORD, credential.value))
                else:
                    items.append(_Item(finding, credential.kind, default, ENV_PROFILE_ID,
                                       record_id(default, ENV_PROFILE_ID), credential.value))
        except (CredentialRejected, AuthStoreUnreadable) as exc:
            skipped.append((finding, str(exc)))
    return items, skipped


def _unset(gateway: Gateway, path: str, warnings: list[str]) -> bool:
    try:
        gateway.config_unset(path)
        return True
    except GatewayError as exc:
        warnings.append(f"`openclaw config unset {path}` failed ({exc}); its vault copy is in use. Run `secure` again.")
        return False


def _finish(gateway: Gateway, store: Store, moved: list[tuple[Finding, str]], skipped: list[tuple[Finding, str]],
            before: int, warnings: list[str], values: list[str], progress: ProgressSink) -> Outcome:
    progress.step("Checking that no plaintext is left (`openclaw secrets audit`)")
    after = survey(gateway, with_fingerprints=False)
    store.put(PLAINTEXT_COUNT_KEY, after.audit.plaintext_count if after.audit else 0)
    backups, residue = find_residue(gateway.runner.state_dir, values)
    return Outcome(moved, skipped, before, after, backups, residue, warnings)


def find_residue(state_dir: Path, values: list[str]) -> tuple[list[str], list[str]]:
    """Files under OpenClaw's state dir that still hold a moved value: (`openclaw.json.bak*`, others).

    Config backups are OpenClaw's rotating copies; the admin deletes them. Anything else is a leak."""
    if not values:
        return [], []
    needles = [v.encode() for v in values]
    backups: list[str] = []
    residue: list[str] = []
    for path in sorted(Path(state_dir).rglob("*")):
        if not path.is_file() or path.is_symlink() or path.stat().st_size > 256 * 1024 * 1024:
            continue
        data = path.read_bytes()
        if any(n in data for n in needles):
            (backups if path.name.startswith("openclaw.json.bak") else residue).append(str(path))
    return backups, residue


def cached_plaintext_count(store: Store) -> int | None:
    """The audit's plaintext count from the last `secure` run (status must not run the audit)."""
    value = store.get(PLAINTEXT_COUNT_KEY)
    return int(value) if isinstance(value, int) else None
