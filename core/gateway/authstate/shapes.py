"""The JSON documents inside the auth rows, checked against the shape 2026.9.x writes.

An unknown profile type, ref shape or `usageStats` field means a layout this bot was not checked
against, so it raises `AuthStateUnsupported` rather than guessing what the field means.
"""
from __future__ import annotations

import json
from typing import Any

from core.gateway.authstate.guard import AuthStateUnsupported

__all__ = [
    "PROFILE_TYPES", "REF_FIELDS", "STATE_KEYS", "USAGE_NUMBERS", "USAGE_STRINGS", "VALUE_FIELDS", "Credential",
    "check_profiles", "check_state", "parse_json",
]

VALUE_FIELDS = {"token": "token", "api_key": "key"}
REF_FIELDS = {"token": "tokenRef", "api_key": "keyRef"}
PROFILE_TYPES = ("api_key", "token", "oauth")
# `ProfileUsageStats` in the release's type declarations; an unknown key means a new layout.
USAGE_NUMBERS = {"lastUsed", "blockedUntil", "cooldownUntil", "disabledUntil", "errorCount", "lastFailureAt",
                 "lastProbeAt"}
USAGE_STRINGS = {"blockedReason", "blockedSource", "blockedModel", "blockedScope", "cooldownReason",
                 "cooldownClassification", "cooldownModel", "disabledReason"}
STATE_KEYS = {"version", "order", "lastGood", "usageStats"}
# One profile's document as stored (`type`, `provider`, the value or its ref, `expires`): may hold
# plaintext, never log it.
Credential = dict[str, Any]


def parse_json(text: Any, name: str, what: str) -> Any:
    try:
        return json.loads(text)
    except (TypeError, ValueError) as exc:
        raise AuthStateUnsupported(f"{name}: {what} is not JSON.") from exc


def check_profiles(doc: Any, name: str) -> dict[str, Credential]:
    """A version 1 store whose every profile has a known type, a provider and a well-formed ref."""
    profiles = doc.get("profiles") if isinstance(doc, dict) else None
    if not isinstance(doc, dict) or doc.get("version") != 1 or not isinstance(profiles, dict):
        raise AuthStateUnsupported(f"{name}: unexpected auth store shape (want version 1 with profiles).")
    for pid, cred in profiles.items():
        if not isinstance(cred, dict) or cred.get("type") not in PROFILE_TYPES \
                or not isinstance(cred.get("provider"), str):
            raise AuthStateUnsupported(f"{name}: profile {pid} is not a shape this bot knows.")
        ref = cred.get(REF_FIELDS.get(cred["type"], ""))
        if ref is not None and not (isinstance(ref, dict) and isinstance(ref.get("source"), str)
                                    and isinstance(ref.get("id"), str)):
            raise AuthStateUnsupported(f"{name}: profile {pid} has a ref of unknown shape.")
    return profiles


def check_state(doc: Any, name: str) -> dict[str, Any]:
    """Known top-level keys, an order of string lists, and only `ProfileUsageStats` fields."""
    if not isinstance(doc, dict) or not set(doc) <= STATE_KEYS:
        raise AuthStateUnsupported(f"{name}: unexpected auth state shape.")
    order, usage = doc.get("order"), doc.get("usageStats")
    if order is not None and not (isinstance(order, dict) and all(
            isinstance(v, list) and all(isinstance(x, str) for x in v) for v in order.values())):
        raise AuthStateUnsupported(f"{name}: auth order of unknown shape.")
    if usage is not None and not isinstance(usage, dict):
        raise AuthStateUnsupported(f"{name}: usageStats of unknown shape.")
    for pid, stats in (usage or {}).items():
        if not isinstance(stats, dict):
            raise AuthStateUnsupported(f"{name}: usageStats.{pid} of unknown shape.")
        for key, value in stats.items():
            ok = (key in USAGE_NUMBERS and isinstance(value, (int, float)) and not isinstance(value, bool)) \
                or (key in USAGE_STRINGS and isinstance(value, str)) \
                or (key == "failureCounts" and isinstance(value, dict))
            if not ok:
                raise AuthStateUnsupported(f"{name}: usageStats field {key} is not one this bot knows.")
    return doc
