"""A pasted credential sealed at the hub opens on its host only: once, in time, as bound, signed by
the pinned hub; every other message is refused with a reason and without a secret in the text.

The wire format is spelled out here on its own (`resign`), so a message a hub key signed but whose
binding differs from what was encrypted proves the AES-GCM associated data, not only the signature.
"""
from __future__ import annotations

import base64
import json
import math
import os
import re
import stat
import threading
from pathlib import Path
from typing import Any

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from core.errors import ChatSafeError
from core.fleet.keys import FleetKeyError, HostKeys, HubKeys, decode_public, encode_public, fingerprint
from core.fleet.sealing import MAX_LIFETIME, Binding, ReplayLedger, SealRefused, open_sealed, seal
from core.store import Store
from tests.leaks import found_in

NOW = 1_800_000_000.0
SECRET = "sk-ant-api03-" + "Zq7" * 30 + "-AA"  # the shape of an Anthropic API key, nothing real
FIELDS = ("version", "id", "host", "agent", "profile", "session", "expires_at", "ephemeral_key", "nonce",
          "ciphertext", "signature")


class Fleet:
    """Two hosts (`alpha`, `beta`) with their key files and Stores, and a hub."""

    def __init__(self, root: Path):
        self.root = root
        self.hub = HubKeys.load_or_create(root / "hub" / "hub.key")
        self.keys = {h: HostKeys.load_or_create(root / h / "host.key") for h in ("alpha", "beta")}
        self.stores = {h: Store(root / h / "state.db") for h in self.keys}
        self.ledgers = {h: ReplayLedger(s) for h, s in self.stores.items()}

    def seal(self, host: str = "alpha", *, to: str | None = None, secret: str = SECRET, expires: float = NOW + 120,
             **kw: Any) -> dict[str, Any]:
        binding = Binding(host, "main", "anthropic:default", "sess-1", expires)
        return seal(secret, binding, self.keys[to or host].public_bytes(), self.hub, now=NOW, **kw)

    def open(self, message: object, host: str = "alpha", *, now: float = NOW, hub_public: bytes | None = None,
             ledger: ReplayLedger | None = None) -> tuple[Binding, str]:
        return open_sealed(message, host, self.keys[host], hub_public or self.hub.public_bytes(),
                           ledger or self.ledgers[host], now=now)

    def close(self) -> None:
        for store in self.stores.values():
            store.close()


@pytest.fixture
def fleet(tmp_path: Path) -> Any:
    f = Fleet(tmp_path)
    yield f
    f.close()


def refused(fleet: Fleet, message: object, reason: str, **kw: Any) -> SealRefused:
    with pytest.raises(SealRefused) as caught:
        fleet.open(message, **kw)
    assert caught.value.reason == reason, str(caught.value)
    assert isinstance(caught.value, ChatSafeError)
    assert not found_in(SECRET, str(caught.value).encode())
    return caught.value


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def resign(message: dict[str, Any], hub: HubKeys) -> dict[str, Any]:
    """`message` with a fresh hub signature over its fields as they are now (wire format v1)."""
    body = {k: v for k, v in message.items() if k != "signature"}
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    return {**body, "signature": b64(hub.sign(b"openclaw-chatops sealed secret v1\n" + canonical))}


# -- the round trip -------------------------------------------------------------------------------

def test_round_trip_through_json(fleet: Fleet) -> None:
    message = fleet.seal()
    wire = json.dumps(message).encode()
    assert set(message) == set(FIELDS)
    assert not found_in(SECRET, wire)
    binding, secret = fleet.open(json.loads(wire))
    assert secret == SECRET
    assert binding == Binding("alpha", "main", "anthropic:default", "sess-1", NOW + 120)


def test_the_ciphertext_does_not_tell_an_api_key_from_a_setup_token(fleet: Fleet) -> None:
    """The broker sees the ciphertext's length: every credential is padded to the same block."""
    token = "sk-ant-oat01-" + "Tk9" * 25 + "-BB"
    lengths = {len(unb64(fleet.seal(secret=s)["ciphertext"])) for s in (SECRET, token, "x")}
    assert len(lengths) == 1
    assert fleet.open(fleet.seal(secret=token))[1] == token


def test_each_message_has_its_own_id_key_and_nonce(fleet: Fleet) -> None:
    one, two = fleet.seal(), fleet.seal()
    for field in ("id", "ephemeral_key", "nonce", "ciphertext"):
        assert one[field] != two[field]
    assert fleet.open(one)[1] == fleet.open(two)[1] == SECRET


# -- each refusal ---------------------------------------------------------------------------------

def test_tampered_ciphertext_is_refused(fleet: Fleet) -> None:
    message = fleet.seal()
    raw = bytearray(unb64(message["ciphertext"]))
    raw[0] ^= 1
    refused(fleet, {**message, "ciphertext": b64(bytes(raw))}, "signature")
    assert fleet.open(message)[1] == SECRET  # the forgery did not use up the real message's id


@pytest.mark.parametrize("field, value", [
    ("host", "beta"), ("agent", "other"), ("profile", "anthropic:work"), ("session", "sess-2"),
    ("expires_at", NOW + 60), ("id", "another-id-0000000000"), ("nonce", b64(b"\0" * 12)),
    ("ephemeral_key", encode_public(b"\x09" + b"\0" * 31)),
])
def test_changed_field_breaks_the_signature(fleet: Fleet, field: str, value: Any) -> None:
    refused(fleet, {**fleet.seal(), field: value}, "signature")


@pytest.mark.parametrize("field, value", [
    ("agent", "other"), ("profile", "anthropic:work"), ("session", "sess-2"), ("expires_at", NOW + 60),
    ("id", "another-id-0000000000"),
])
def test_binding_is_in_the_encryption_too(fleet: Fleet, field: str, value: Any) -> None:
    """Even a message the hub key signed does not open once its binding differs from what was sealed."""
    refused(fleet, resign({**fleet.seal(), field: value}, fleet.hub), "decrypt")


def test_another_hub_key_is_refused(fleet: Fleet, tmp_path: Path) -> None:
    impostor = HubKeys.load_or_create(tmp_path / "impostor" / "hub.key")
    refused(fleet, seal(SECRET, Binding("alpha", "main", "p", "s", NOW + 60), fleet.keys["alpha"].public_bytes(),
                        impostor, now=NOW), "signature")
    refused(fleet, fleet.seal(), "signature", hub_public=impostor.public_bytes())


def test_message_for_another_host_is_refused(fleet: Fleet) -> None:
    error = refused(fleet, fleet.seal("beta"), "wrong-host")
    assert "beta" in str(error) and "alpha" in str(error)


def test_message_sealed_to_another_hosts_key_does_not_open(fleet: Fleet) -> None:
    message = fleet.seal("alpha", to="beta")
    refused(fleet, message, "decrypt")
    with fleet.ledgers["alpha"].claim(message["id"], message["expires_at"], NOW):
        pass  # a message that did not open is not recorded as used


def test_expired_message_is_refused(fleet: Fleet) -> None:
    message = fleet.seal(expires=NOW + 30)
    refused(fleet, message, "expired", now=NOW + 30)
    assert fleet.open(message, now=NOW + 29.9)[1] == SECRET


def test_far_future_expiry_is_refused_at_both_ends(fleet: Fleet) -> None:
    with pytest.raises(ValueError) as caught:
        fleet.seal(expires=NOW + MAX_LIFETIME + 1)
    assert not found_in(SECRET, str(caught.value).encode())
    with pytest.raises(ValueError):
        fleet.seal(expires=NOW)
    assert fleet.open(fleet.seal(expires=NOW + MAX_LIFETIME))[1] == SECRET
    long_lived = fleet.seal(expires=NOW + 3600, max_lifetime=3600)  # a hub configured otherwise
    refused(fleet, long_lived, "too-far")
    assert fleet.open(long_lived, now=NOW + 3600 - MAX_LIFETIME)[1] == SECRET  # within the cap by then


def test_replay_is_refused_also_after_a_restart(fleet: Fleet) -> None:
    message = fleet.seal()
    fleet.open(message)
    refused(fleet, message, "replayed", now=NOW + 1)
    fleet.stores["alpha"].close()
    fleet.stores["alpha"] = Store(fleet.root / "alpha" / "state.db")  # the host process restarted
    refused(fleet, message, "replayed", now=NOW + 2, ledger=ReplayLedger(fleet.stores["alpha"]))


def test_ledger_forgets_ids_once_they_could_not_pass_anyway(fleet: Fleet) -> None:
    store = fleet.stores["alpha"]
    first = fleet.seal(expires=NOW + 60)
    fleet.open(first)
    later = NOW + 60 + 120  # past expiry and the clock-skew allowance
    second = seal(SECRET, Binding("alpha", "a", "p", "s", later + 60), fleet.keys["alpha"].public_bytes(), fleet.hub,
                  now=later)
    fleet.open(second, now=later)
    assert set(store.get(ReplayLedger.KEY)) == {second["id"]}


def test_concurrent_deliveries_open_once(fleet: Fleet) -> None:
    """Redelivery can hand the same message to two workers, or two host processes, at once."""
    stores = [Store(fleet.root / "alpha" / "state.db") for _ in range(4)]
    try:
        for _ in range(5):
            message = fleet.seal()
            barrier, outcomes = threading.Barrier(len(stores)), []

            def deliver(store: Store, message: dict[str, Any] = message, barrier: threading.Barrier = barrier,
                        outcomes: list[str] = outcomes) -> None:
                barrier.wait()
                try:
                    outcomes.append(fleet.open(message, ledger=ReplayLedger(store))[1])
                except SealRefused as refusal:
                    outcomes.append(refusal.reason)

            threads = [threading.Thread(target=deliver, args=(s,)) for s in stores]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert sorted(outcomes) == sorted([SECRET] + ["replayed"] * (len(stores) - 1))
    finally:
        for store in stores:
            store.close()


MALFORMED: list[tuple[str, Any]] = [
    ("not a dict", lambda m: [m]), ("json text", lambda m: json.dumps(m)), ("none", lambda m: None),
    ("missing field", lambda m: {k: v for k, v in m.items() if k != "nonce"}),
    ("extra field", lambda m: {**m, "note": "x"}), ("int key", lambda m: {**m, 1: "x"}),
    ("version as text", lambda m: {**m, "version": "1"}), ("version as bool", lambda m: {**m, "version": True}),
    ("newer version", lambda m: {**m, "version": 2}), ("huge version", lambda m: {**m, "version": 10 ** 5000}),
    ("expiry as int", lambda m: {**m, "expires_at": int(m["expires_at"])}),
    ("expiry as text", lambda m: {**m, "expires_at": str(m["expires_at"])}),
    ("expiry nan", lambda m: {**m, "expires_at": math.nan}), ("expiry inf", lambda m: {**m, "expires_at": math.inf}),
    ("empty host", lambda m: {**m, "host": ""}), ("host as list", lambda m: {**m, "host": ["alpha"]}),
    ("short key", lambda m: {**m, "ephemeral_key": m["ephemeral_key"][:-2]}),
    ("padded key", lambda m: {**m, "ephemeral_key": m["ephemeral_key"] + "="}),
    ("key with newline", lambda m: {**m, "ephemeral_key": m["ephemeral_key"] + "\n"}),
    ("standard base64", lambda m: {**m, "nonce": base64.b64encode(b"\xff" * 12).decode()}),
    ("short signature", lambda m: {**m, "signature": m["signature"][:40]}),
    ("no ciphertext", lambda m: {**m, "ciphertext": b64(b"\0" * 15)}),
    ("ciphertext as bytes", lambda m: {**m, "ciphertext": unb64(m["ciphertext"])}),
]


@pytest.mark.parametrize("change", [c for _, c in MALFORMED], ids=[n for n, _ in MALFORMED])
def test_malformed_messages_are_refused(fleet: Fleet, change: Any) -> None:
    message = fleet.seal()
    refused(fleet, change(message), "malformed")
    assert fleet.open(message)[1] == SECRET


# -- anything at all is refused cleanly ------------------------------------------------------------

JSONISH = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=60),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)


@pytest.fixture(scope="module")
def shared_fleet(tmp_path_factory: pytest.TempPathFactory) -> Any:
    f = Fleet(tmp_path_factory.mktemp("fleet"))
    yield f
    f.close()


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(FIELDS) | st.text(max_size=12), JSONISH, max_size=12) | JSONISH)
def test_arbitrary_input_only_ever_raises_seal_refused(shared_fleet: Fleet, message: Any) -> None:
    with pytest.raises(SealRefused) as caught:
        shared_fleet.open(message)
    assert caught.value.reason == "malformed"


@settings(max_examples=300, deadline=None)
@given(field=st.sampled_from(FIELDS), value=JSONISH, resigned=st.booleans())
def test_any_one_field_replaced_is_refused(shared_fleet: Fleet, field: str, value: Any, resigned: bool) -> None:
    original = shared_fleet.seal()
    assume(not (type(value) is type(original[field]) and value == original[field]))
    message = {**original, field: value}
    if resigned and field != "signature":
        try:
            message = resign(message, shared_fleet.hub)
        except ValueError:  # an int too long to print: nothing a hub could have signed
            pass
    with pytest.raises(SealRefused) as caught:
        shared_fleet.open(message)
    assert not found_in(SECRET, str(caught.value).encode())


# -- key files and public keys ---------------------------------------------------------------------

@pytest.mark.parametrize("kind", [HostKeys, HubKeys])
def test_key_file_is_private_and_survives_reload(tmp_path: Path, kind: Any) -> None:
    path = tmp_path / "fleet" / "key.pem"
    keys = kind.load_or_create(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700
    again = kind.load_or_create(path)
    assert again.fingerprint == keys.fingerprint and again.public_bytes() == keys.public_bytes()
    assert len(keys.public_bytes()) == 32
    assert [p.name for p in path.parent.iterdir() if not p.name.endswith(".lock")] == ["key.pem"]


def test_sealed_to_a_reloaded_host_key_still_opens(fleet: Fleet) -> None:
    message = fleet.seal()
    fleet.keys["alpha"] = HostKeys.load_or_create(fleet.root / "alpha" / "host.key")
    assert fleet.open(message)[1] == SECRET


@pytest.mark.parametrize("kind, content", [
    (HostKeys, b""), (HostKeys, b"not a key at all\n"), (HubKeys, b"\x00\xff" * 40), ("truncated", None),
    ("other kind", None),
], ids=["empty", "text", "binary", "truncated", "hub key as host key"])
def test_unusable_key_file_gives_a_clear_error(tmp_path: Path, kind: Any, content: bytes | None) -> None:
    path = tmp_path / "key.pem"
    if kind == "truncated":
        HostKeys.load_or_create(path)
        full = path.read_bytes()
        path.write_bytes(full[:len(full) // 2])
        kind, content = HostKeys, full
    elif kind == "other kind":
        HubKeys.load_or_create(path)
        kind, content = HostKeys, path.read_bytes()
    else:
        path.write_bytes(content or b"")
        path.chmod(0o600)
    with pytest.raises(FleetKeyError) as caught:
        kind.load_or_create(path)
    text = str(caught.value)
    assert str(path) in text and "enroll" in text
    body = b"".join(line for line in (content or b"").splitlines() if not line.startswith(b"-----"))
    assert len(body) < 24 or not found_in(body.decode(errors="replace"), text.encode())
    assert path.read_bytes()[:10] == (content or b"")[:10]  # the file was left as it was


def test_key_file_open_to_others_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "host.key"
    HostKeys.load_or_create(path)
    path.chmod(0o644)
    with pytest.raises(FleetKeyError, match="chmod 600"):
        HostKeys.load_or_create(path)


def test_two_processes_starting_together_get_one_key(tmp_path: Path) -> None:
    path = tmp_path / "host.key"
    prints: list[str] = []
    threads = [threading.Thread(target=lambda: prints.append(HostKeys.load_or_create(path).fingerprint))
               for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(set(prints)) == 1 and len(prints) == 6


def test_fingerprint_is_short_readable_and_checkable_by_hand() -> None:
    public = bytes(range(32))
    print_ = fingerprint(public)
    assert re.fullmatch(r"sha256:[0-9a-f]{4}(:[0-9a-f]{4}){7}", print_)
    import hashlib
    assert print_.replace(":", "").removeprefix("sha256") == hashlib.sha256(public).hexdigest()[:32]


def test_public_keys_round_trip_and_bad_values_are_refused() -> None:
    public = os.urandom(32)
    text = encode_public(public)
    assert len(text) == 43 and "=" not in text and decode_public(text) == public
    for bad in ["", text + "=", text[:-1], text + "\n", " " + text, "+" + text[1:], b64(b"x" * 31), b64(b"x" * 33),
                "A" * 42 + "B",  # decodes to the same bytes as "A" * 43: one key, one spelling
                None, 42]:
        with pytest.raises(FleetKeyError, match="CHATOPS_FLEET_HUB_KEY"):
            decode_public(bad, "CHATOPS_FLEET_HUB_KEY")  # type: ignore[arg-type]
    assert decode_public("A" * 43) == b"\0" * 32
