"""Every button id, named once: the core that puts it on a reply, the registry that routes it, and
the adapters that must treat some of them specially all spell it through these constants, so a
renamed or mistyped id fails at import or in tests/core/test_registry.py, not as a dead button.

An id is a `str` (StrEnum): it travels unchanged in a Slack `action_id` or a Discord `custom_id`
and compares equal to the text the platform sends back.
"""
from __future__ import annotations

from enum import StrEnum

__all__ = ["ActionId", "ADAPTER_ACTIONS"]


class ActionId(StrEnum):
    ONBOARD_METHOD = "onboard.method"  # API key or setup-token, for an open onboarding session
    ONBOARD_START = "onboard.start"  # doctor's "Onboard <agent>": the command as if typed
    ONBOARD_PASTE = "onboard.paste"  # "Paste securely": the adapter opens its secret form
    ONBOARD_DM = "onboard.dm"  # "Paste in a DM instead": the adapter moves the session to a DM
    STATUS_ALL = "status.all"  # status without the large-fleet summary
    SECURE_CONFIRM = "secure.confirm"  # the second yes before plaintext credentials move
    ALERTS_ACK = "alerts.ack"
    ALERTS_SNOOZE = "alerts.snooze"
    ROTATION_START = "rotation.start"  # an alert's "Rotate now"
    ROTATION_ACCEPT = "rotation.accept"  # the admin's "Start rotation" on an offer
    FLEET_HOST = "fleet.host"  # a hub's "Which host?": run the command on the host picked


# Buttons only an adapter can answer (a modal must be the platform's first response; a DM is
# opened by the platform): core puts them on replies but never receives them.
ADAPTER_ACTIONS = frozenset({ActionId.ONBOARD_PASTE, ActionId.ONBOARD_DM})
