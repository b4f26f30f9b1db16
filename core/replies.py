"""The platform-neutral reply document every handler returns.

Adapters render it: Block Kit on Slack, embeds on Discord, plain text or JSON lines on the console.
Keeping it a plain data structure means a handler is tested once, and a new platform is only a
renderer.
"""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum
from typing import Any

__all__ = ["Action", "Field", "Prompt", "Reply", "Section", "Severity", "Visibility"]


class Severity(str, Enum):
    """Worst state a reply or section speaks of; renderers map it to colour or emoji."""

    OK = "ok"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"

    @property
    def rank(self) -> int:
        return ["ok", "info", "warning", "error"].index(self.value)

    @staticmethod
    def worst(values: list[Severity], default: Severity = None) -> Severity:  # type: ignore[assignment]
        present = list(values) or [default or Severity.OK]
        return max(present, key=lambda s: s.rank)


class Visibility(str, Enum):
    EPHEMERAL = "ephemeral"  # only the requester sees it (personal data, errors, admin output)
    IN_CHANNEL = "in_channel"


@dataclass
class Field:
    label: str
    value: str


@dataclass
class Section:
    title: str
    text: str = ""
    fields: list[Field] = field(default_factory=list)
    severity: Severity = Severity.INFO


@dataclass
class Action:
    """A button. `id` names what core does when it is pressed (a `core.actions.ActionId`)."""

    id: str
    label: str
    value: str = ""
    style: str = ""  # "", "primary" or "danger"


@dataclass
class Prompt:
    """The reply asks the same user for more input in the same private place.

    kind "secret": the next input is a credential (console reads it without echo; chat adapters
    offer a modal or take the next DM message). kind "choice": one of `options`.
    """

    kind: str
    session_id: str
    label: str
    options: list[str] = field(default_factory=list)


@dataclass
class Reply:
    title: str
    text: str = ""
    sections: list[Section] = field(default_factory=list)
    severity: Severity = Severity.INFO
    visibility: Visibility = Visibility.EPHEMERAL
    actions: list[Action] = field(default_factory=list)
    context: str = ""
    prompt: Prompt | None = None
    # A reply meant for the requester's DM (the onboarding flow moves out of a channel).
    direct: Reply | None = None
    # The platform user id whose DM gets `direct` when it is not the requester (a "Rotate now" button
    # pressed in a channel opens the flow for the admin who onboarded the profile).
    direct_user: str = ""
    # True when the command itself failed (bad input, refused, gateway down): console exit codes.
    failed: bool = False
    # The message that triggered this reply carried a credential in a shared place: adapters
    # delete it where the platform allows (Discord with Manage Messages).
    burned: bool = False
    # Machine-readable failure class for scripts and tests: "parse", "denied", "gateway", "vault",
    # "rejected", "session", "burned", "internal", or "" for other refusals.
    code: str = ""

    @classmethod
    def error(cls, title: str, text: str = "", *, hint: str = "", code: str = "") -> Reply:
        """A one-line failure the user can act on; always ephemeral."""
        body = text if not hint else f"{text}\n{hint}".strip()
        return cls(title=title, text=body, severity=Severity.ERROR, failed=True, code=code)

    def to_dict(self) -> dict[str, Any]:
        def clean(value: Any) -> Any:
            if isinstance(value, Enum):
                return value.value
            if isinstance(value, dict):
                return {k: clean(v) for k, v in value.items()}
            if isinstance(value, list):
                return [clean(v) for v in value]
            return value

        data: dict[str, Any] = clean(asdict(self))
        return data

    def plain_text(self, *, actions: bool = True) -> str:
        """A readable rendering used by the console adapter and as chat fallback text.

        `actions=False` leaves out the button labels where nothing can be clicked (the console
        asks its questions as prompts instead)."""
        lines = [self.title]
        if self.text:
            lines.append(self.text)
        for section in self.sections:
            lines.append("")
            lines.append(f"[{section.severity.value}] {section.title}")
            if section.text:
                lines.extend("  " + line for line in section.text.splitlines())
            for f in section.fields:
                lines.append(f"  {f.label}: {f.value}")
        if self.actions and actions:
            lines.append("")
            lines.append("Actions: " + ", ".join(a.label for a in self.actions))
        if self.context:
            lines.append(self.context)
        return "\n".join(lines)
