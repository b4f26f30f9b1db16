"""Render a core `Reply` as Slack Block Kit, within Slack's limits.

Slack rejects a whole message (`invalid_blocks`) when one limit is crossed, so the renderer
enforces them rather than hoping replies stay small: 50 blocks per message, 3000 characters of
section text, 2000 per field, 10 fields per section, 150 for a header, 75 for a button label.
Long content is split into more blocks or more messages; it is cut (with a visible mark) only
where a single value is longer than Slack allows.
"""
from __future__ import annotations

from typing import Any

from core.actions import ActionId
from core.replies import Action, Reply, Section, Severity

MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_FALLBACK_TEXT = 3000
# Modal titles, submit and close labels are capped at 24 characters by Slack.
MAX_MODAL_TITLE = 24

SECRET_CALLBACK = "openclaw.secret"  # the credential modal
SECRET_BLOCK = "secret"
SECRET_INPUT = "value"
SHOW_ALL = ActionId.STATUS_ALL  # the core action that re-renders status without the summary
ICON = {Severity.OK: ":white_check_mark:", Severity.INFO: ":information_source:",
        Severity.WARNING: ":warning:", Severity.ERROR: ":x:"}

Block = dict[str, Any]
Message = dict[str, Any]


def clip(text: str, limit: int) -> str:
    """Cut to `limit` characters with a visible ellipsis; Slack would refuse the whole message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chunks(text: str, limit: int) -> list[str]:
    """Split on line breaks where possible so a long section reads as consecutive sections."""
    parts: list[str] = []
    current = ""
    for line in text.splitlines() or [""]:
        while len(line) > limit:
            if current:
                parts.append(current)
                current = ""
            parts.append(line[:limit])
            line = line[limit:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            parts.append(current)
            current = line
        else:
            current = candidate
    if current or not parts:
        parts.append(current)
    return parts


def _mrkdwn(text: str) -> dict[str, str]:
    return {"type": "mrkdwn", "text": text}


def section_blocks(section: Section) -> list[Block]:
    """One Reply section: a titled text block, then the fields in groups of ten."""
    heading = f"{ICON[section.severity]} *{section.title}*"
    body = f"{heading}\n{section.text}" if section.text else heading
    blocks: list[Block] = [{"type": "section", "text": _mrkdwn(part)} for part in chunks(body, MAX_SECTION_TEXT)]
    fields = [_mrkdwn(clip(f"*{f.label}*\n{f.value}", MAX_FIELD_TEXT)) for f in section.fields]
    for start in range(0, len(fields), MAX_FIELDS):
        group = fields[start:start + MAX_FIELDS]
        if start == 0 and len(blocks) == 1 and len(blocks[0]["text"]["text"]) <= MAX_SECTION_TEXT:
            blocks[0]["fields"] = group
        else:
            blocks.append({"type": "section", "fields": group})
    return blocks


def button(action: Action, index: int) -> Block:
    """`action_id` must be unique inside a block, so the core action id gets the button's index."""
    element: Block = {"type": "button", "text": {"type": "plain_text", "text": clip(action.label, MAX_BUTTON_TEXT)},
                      "action_id": f"{action.id}/{index}", "value": action.value or "-"}
    if action.style in ("primary", "danger"):
        element["style"] = action.style
    return element


def action_id_of(slack_action_id: str) -> str:
    """The core action behind a rendered button (`onboard.method/1` → `onboard.method`)."""
    return slack_action_id.rsplit("/", 1)[0]


def _head(reply: Reply) -> list[Block]:
    blocks: list[Block] = [{"type": "header", "text": {"type": "plain_text", "text": clip(reply.title, MAX_HEADER)}}]
    if reply.text:
        text = reply.text if reply.severity in (Severity.OK, Severity.INFO) else f"{ICON[reply.severity]} {reply.text}"
        blocks.extend({"type": "section", "text": _mrkdwn(part)} for part in chunks(text, MAX_SECTION_TEXT))
    return blocks


def _tail(reply: Reply, actions: list[Action], note: str = "") -> list[Block]:
    blocks: list[Block] = []
    context = " · ".join(p for p in (reply.context, note) if p)
    if context:
        blocks.append({"type": "context", "elements": [_mrkdwn(clip(context, MAX_SECTION_TEXT))]})
    for start in range(0, len(actions), 25):  # an actions block holds at most 25 elements
        blocks.append({"type": "actions",
                       "elements": [button(a, i) for i, a in enumerate(actions[start:start + 25], start)]})
    return blocks


def fallback_text(reply: Reply) -> str:
    """The notification and screen-reader text; never longer than needed."""
    return clip(f"{reply.title}: {reply.text}" if reply.text else reply.title, MAX_FALLBACK_TEXT)


def messages(reply: Reply) -> list[Message]:
    """One or more messages of at most 50 blocks each.

    A summarised status (it carries the "Show all" action) is cut to one message with a note, so
    the channel gets one compact post and the button asks for the rest. Anything else is split
    into consecutive messages, because dropping part of an audit or a status-all would hide data.
    """
    body = _head(reply)
    for section in reply.sections:
        body.extend(section_blocks(section))
    tail = _tail(reply, reply.actions)
    if len(body) + len(tail) <= MAX_BLOCKS:
        return [{"text": fallback_text(reply), "blocks": body + tail}]
    if any(a.id == SHOW_ALL for a in reply.actions):
        probe = _tail(reply, reply.actions, note="x")
        keep = MAX_BLOCKS - len(probe)
        hidden = len(body) - keep
        tail = _tail(reply, reply.actions, note=f"{hidden} more block(s) not shown: press Show all")
        return [{"text": fallback_text(reply), "blocks": body[:keep] + tail}]
    room = MAX_BLOCKS - len(tail)
    pages = [body[i:i + MAX_BLOCKS] for i in range(0, len(body), MAX_BLOCKS)]
    if len(pages[-1]) > room:
        pages.append([])
    pages[-1] = pages[-1] + tail
    total = len(pages)
    return [{"text": fallback_text(reply) + (f" ({n}/{total})" if n > 1 else ""), "blocks": page}
            for n, page in enumerate(pages, 1)]


def secret_modal(session_id: str, label: str) -> dict[str, Any]:
    """The modal that takes a credential. Only the session id travels in `private_metadata`."""
    return {
        "type": "modal",
        "callback_id": SECRET_CALLBACK,
        "private_metadata": session_id,
        "title": {"type": "plain_text", "text": clip("OpenClaw credential", MAX_MODAL_TITLE)},
        "submit": {"type": "plain_text", "text": "Store"},
        "close": {"type": "plain_text", "text": "Cancel"},
        "blocks": [
            {"type": "input", "block_id": SECRET_BLOCK, "label": {"type": "plain_text", "text": clip(label, 2000)},
             "element": {"type": "plain_text_input", "action_id": SECRET_INPUT, "multiline": True,
                         "placeholder": {"type": "plain_text", "text": "sk-ant-…"}}},
            {"type": "context", "elements": [_mrkdwn(
                "Only the bot sees this form. The value is encrypted into the gateway host's vault; "
                "the gateway gets a reference, and chat only ever shows a fingerprint.")]},
        ],
    }


def progress_modal(text: str) -> dict[str, Any]:
    """What the modal turns into once the paste passed the local checks and storing has begun."""
    return {
        "type": "modal",
        "title": {"type": "plain_text", "text": clip("OpenClaw credential", MAX_MODAL_TITLE)},
        "close": {"type": "plain_text", "text": "Close"},
        "blocks": [{"type": "section", "text": _mrkdwn(clip(text, MAX_SECTION_TEXT))}],
    }
