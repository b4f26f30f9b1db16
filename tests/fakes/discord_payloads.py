"""Raw Discord gateway payloads (INTERACTION_CREATE, MESSAGE_CREATE, GUILD_CREATE) for tests.

They are fed to the real client's connection state (`client._connection.parse_*`), which is
exactly what discord.py does with events read from the gateway websocket.
"""
from __future__ import annotations

import itertools
from typing import Any

from tests.fakes.discord_rest import APP_ID, BOT_USER

GUILD = "5000"
CHANNEL = "5001"
ADMIN_ROLE = "5100"
_ids = itertools.count(700_000)


def user(uid: str, name: str = "member") -> dict:
    return {"id": uid, "username": name, "discriminator": "0", "global_name": name, "avatar": None}


def member(uid: str, roles: list[str] = (), permissions: str = "0") -> dict:
    return {"user": user(uid), "roles": list(roles), "joined_at": "2025-01-01T00:00:00+00:00",
            "deaf": False, "mute": False, "flags": 0, "permissions": permissions}


def guild(bot_can_manage_messages: bool) -> dict:
    bot_role = {"id": "5200", "name": "bot", "permissions": str((1 << 13) if bot_can_manage_messages else 0),
                "position": 1, "color": 0, "hoist": False, "managed": True, "mentionable": False}
    everyone = {"id": GUILD, "name": "@everyone", "permissions": str((1 << 10) | (1 << 11)), "position": 0,
                "color": 0, "hoist": False, "managed": False, "mentionable": False}
    admin = dict(everyone, id=ADMIN_ROLE, name="openclaw-admins", position=2)
    return {"id": GUILD, "name": "ops guild", "owner_id": "1", "roles": [everyone, bot_role, admin],
            "channels": [{"id": CHANNEL, "type": 0, "name": "ops", "position": 0, "permission_overwrites": [],
                          "nsfw": False, "parent_id": None}],
            "members": [dict(member(BOT_USER["id"], ["5200"]), user=BOT_USER)], "member_count": 2,
            "emojis": [], "stickers": [], "features": [], "verification_level": 0, "default_message_notifications": 0,
            "explicit_content_filter": 0, "mfa_level": 0, "premium_tier": 0, "preferred_locale": "en-US",
            "system_channel_flags": 0, "nsfw_level": 0, "large": False, "unavailable": False}


def _base(kind: int, who: dict | None, data: dict, in_guild: bool = True) -> dict:
    n = next(_ids)
    payload: dict[str, Any] = {"id": str(n), "application_id": APP_ID, "type": kind, "token": f"itok-{n}",
                               "version": 1, "data": data, "locale": "en-US", "entitlements": [],
                               "authorizing_integration_owners": {}, "app_permissions": "0",
                               "attachment_size_limit": 10_485_760}
    if in_guild:
        payload |= {"guild_id": GUILD, "channel_id": CHANNEL, "guild_locale": "en-US", "member": who, "context": 0,
                    "channel": {"id": CHANNEL, "type": 0, "guild_id": GUILD, "name": "ops", "position": 0,
                                "permission_overwrites": [], "nsfw": False, "parent_id": None}}
    else:
        payload |= {"channel_id": "6000", "user": who["user"], "context": 1,
                    "channel": {"id": "6000", "type": 1, "recipients": [who["user"]]}}
    return payload


def slash(who: dict, verb: str, focused: str | None = None, in_guild: bool = True, **options: Any) -> dict:
    """`/openclaw <verb> name:value …`; with `focused`, an autocomplete request for that option;
    `in_guild=False`: typed in the bot's DM (a global command, so no guild id)."""
    opts = []
    for name, value in options.items():
        kind = 5 if isinstance(value, bool) else 3
        opt = {"type": kind, "name": name.replace("_", "-"), "value": value}
        if name == focused:
            opt["focused"] = True
        opts.append(opt)
    data = {"id": "4400", "name": "openclaw", "type": 1, "options": [{"type": 1, "name": verb, "options": opts}]}
    if in_guild:
        data["guild_id"] = GUILD
    return _base(4 if focused else 2, who, data, in_guild)


def button(who: dict, custom_id: str, components: list[dict], in_guild: bool = True) -> dict:
    """A press on `custom_id` in a message the bot sent with `components` (as Discord echoes them)."""
    message = {"id": "7777", "channel_id": CHANNEL, "author": BOT_USER, "type": 0, "content": "", "embeds": [],
               "components": components, "attachments": [], "mentions": [], "mention_roles": [], "pinned": False,
               "mention_everyone": False, "tts": False, "timestamp": "2026-01-01T00:00:00+00:00",
               "edited_timestamp": None, "flags": 64}
    payload = _base(3, who, {"custom_id": custom_id, "component_type": 2}, in_guild)
    payload["message"] = dict(message, channel_id=payload["channel_id"])
    return payload


def modal_submit(who: dict, shown: dict, value: str) -> dict:
    """Answer the modal the bot sent (`shown` is the captured callback's `data`) with `value`."""
    def fill(components: list[dict]) -> list[dict]:
        out = []
        for c in components:
            if c["type"] == 1:
                out.append({"type": 1, "components": fill(c["components"])})
            elif c["type"] == 18:
                out.append({"type": 18, "component": fill([c["component"]])[0]})
            else:
                out.append({"type": c["type"], "custom_id": c["custom_id"], "value": value})
        return out
    return _base(5, who, {"custom_id": shown["custom_id"], "components": fill(shown["components"])})


def message(who: dict, content: str, in_guild: bool = True) -> dict:
    payload = {"id": str(next(_ids)), "channel_id": CHANNEL if in_guild else "6000", "author": who["user"],
               "content": content, "type": 0, "embeds": [], "attachments": [], "mentions": [], "mention_roles": [],
               "pinned": False, "mention_everyone": False, "tts": False, "timestamp": "2026-01-01T00:00:00+00:00",
               "edited_timestamp": None, "flags": 0, "components": []}
    if in_guild:
        payload |= {"guild_id": GUILD, "member": {k: v for k, v in who.items() if k != "user"}}
    return payload
