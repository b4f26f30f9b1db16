"""The Discord client: slash commands, buttons, the secret modal, DMs and guild message scanning.

Every gateway call (2–9 s of `openclaw` CLI) runs in a worker thread after the interaction was
deferred, because Discord drops an interaction that is not answered within 3 s. The only things
done before the first response are cheap: parsing, reading openclaw.json, opening a session.
Work still running after 0.7 s shows its steps in the deferred reply (or, for a DM, in a message of
the bot's), edited in place as it moves on and then by the answer (core.progress).
"""
from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import Any, Awaitable, Callable

import discord
from discord import app_commands

from adapters.discord import endpoints, render
from adapters.discord.commands import build_group, command_line
from adapters.discord.config import DiscordConfig
from adapters.discord.directory import GuildDirectory
from adapters.discord.notifier import DiscordNotifier
from adapters.discord.sync import sync_commands
from core.adapter import AdapterParts
from core.grammar import Verb
from core.handlers.onboarding import DM_ACTION, describe_target
from core.progress import Progress
from core.replies import Action, Reply, Severity, Visibility
from core.requests import Place, PlaceKind, Request, User

log = logging.getLogger(__name__)

# Verbs whose first response is a modal (a modal cannot follow a defer).
SECRET_VERBS = frozenset({"onboard", "paste-token"})
PASTE = "onboard.paste"  # core's "Paste securely" button: opens the modal


class HideRawGatewayEvents(logging.Filter):
    """discord.py logs every raw gateway event at DEBUG, modal submissions (with the pasted
    credential) included. Those records are dropped; everything else discord.py logs stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "WebSocket Event" not in str(record.msg)


def guard_logs() -> None:
    logger = logging.getLogger("discord.gateway")
    if not any(isinstance(f, HideRawGatewayEvents) for f in logger.filters):
        logger.addFilter(HideRawGatewayEvents())


def user_of(author: discord.User | discord.Member, extra_roles: frozenset[str] = frozenset()) -> User:
    """Role ids fill `User.groups`, so `discord:<role id>` in the role settings matches members."""
    roles = frozenset(str(r.id) for r in getattr(author, "roles", []) if not r.is_default())
    return User("discord", str(author.id), author.display_name, roles | extra_roles)


def place_of(channel_id: int | None, in_guild: bool) -> Place:
    return Place(PlaceKind.CHANNEL if in_guild else PlaceKind.DM, str(channel_id or ""))


PROGRESS_WAIT_S = 30.0  # one progress edit; a stuck one must not hold the answer forever
UNCLAIMED_AFTER_S = 1.5  # Discord invalidates an interaction not answered within 3 s
# A DM from outside the served guilds is refused without a REST lookup for this long after the last
# one, so a stranger's flood of DMs costs one member lookup a minute.
OUTSIDER_TTL_S = 60.0
OUTSIDER_REFUSAL = "This bot only answers members of the server it serves."


def refusal_for(error: BaseException) -> Reply | None:
    """A clear answer for what discord.py rejects before our handler runs, else None (a real fault).

    A signature mismatch means Discord's copy of the command differs from this bot's (just after an
    upgrade, until the changed tree is synced) or the payload was forged; a transformer error is an
    option value of the wrong type or outside its choices."""
    if isinstance(error, app_commands.CommandSignatureMismatch):
        return Reply.error("This command is out of date",
                           "Discord's copy of `/openclaw` differs from this bot's: it is being updated. Reload "
                           "Discord (Ctrl+R) and try again.", code="parse")
    if isinstance(error, app_commands.TransformerError):
        return Reply.error("That option value is not valid", "Pick a value from the list Discord offers.", code="parse")
    return None


class SecretModal(discord.ui.Modal):
    """The secure paste form: only the bot sees what is typed here."""

    def __init__(self, bot: "ChatOpsClient", session_id: str, label: str, timeout_s: float) -> None:
        super().__init__(title="Paste credential for OpenClaw", timeout=timeout_s)
        self.bot = bot
        self.session_id = session_id
        self.secret = discord.ui.TextInput(style=discord.TextStyle.long, min_length=1, max_length=4000,
                                           placeholder="sk-ant-oat01-… or sk-ant-api03-…")
        self.add_item(discord.ui.Label(text=render._cut(label, 45) or "Credential", component=self.secret))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.bot.claimed[interaction.id] = True
        # The write (vault, secrets plan, gateway check) takes ~10 s: defer first, privately.
        await interaction.response.defer(ephemeral=True, thinking=True)
        request = Request(user_of(interaction.user), Place(PlaceKind.MODAL, str(interaction.channel_id or "")), "")
        reply = await self.bot.work(self.bot.chatops.submit_secret, request, self.session_id, self.secret.value,
                                    show=self.bot.shown_in(interaction))
        if reply.failed and reply.code == "rejected":  # the session is still open: offer another try
            reply.actions.append(Action(PASTE, "Paste again", self.session_id, "primary"))
        await self.bot.deliver(interaction, reply, ephemeral=True)

    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:
        await self.bot.fail(interaction, error, "secret form")


class ChatOpsClient(discord.Client):
    def __init__(self, parts: AdapterParts, config: DiscordConfig, **options: Any) -> None:
        # Interactions a handler of ours took on (popped by the on_interaction safety net).
        self.claimed: dict[int, bool] = {}
        intents = discord.Intents.none()
        intents.guilds = True
        intents.dm_messages = True
        if config.scan_guild_messages:  # privileged: must also be enabled in the Developer Portal
            intents.guild_messages = True
            intents.message_content = True
        super().__init__(intents=intents, application_id=config.application_id, **options)
        guard_logs()
        self.parts = parts
        self.chatops = parts.chatops
        self.config = config
        self.guild = discord.Object(config.guild_id) if config.guild_id else None
        self.tree = app_commands.CommandTree(self)
        self.tree.on_error = self.on_tree_error  # type: ignore[method-assign]
        self.tree.interaction_check = self.admit_command  # type: ignore[method-assign]
        self.outsiders: dict[int, float] = {}  # user id → when the refusal stops being cached
        self.tree.add_command(build_group(self.run_verb, agents=self.complete_agents, profiles=self.complete_profiles,
                                          permissions=config.command_permissions), guild=self.guild)
        self.add_dynamic_items(render.ActionButton)
        self.chatops.register_directory("discord", GuildDirectory(self))

    async def setup_hook(self) -> None:
        if self.config.api_url:  # through a REST proxy: the gateway is the one it names
            await endpoints.use_gateway_of(self.http)
        await sync_commands(self.tree, self.parts.notes, self.guild)
        self.parts.add_notifier("discord", DiscordNotifier(self))  # team alerts, once the loop and login exist

    # -- plumbing ------------------------------------------------------------------------------
    async def call(self, fn: Callable[..., Reply], *args: Any) -> Reply:
        """Run a core entry point off the event loop; a crash becomes a clear reply, never silence."""
        try:
            return await asyncio.to_thread(fn, *args)
        except Exception:  # noqa: BLE001 - the user must get an answer; the log keeps the detail
            log.exception("core call %s failed", getattr(fn, "__name__", fn))
            return Reply.error("Something went wrong", "The bot log has the details.", code="internal")

    async def work(self, fn: Callable[..., Reply], request: Request, *args: Any,
                   show: Callable[[str], Awaitable[Any]]) -> Reply:
        """`fn(request, *args)` off the event loop, its steps shown through `show` once it is slow;
        returns when no step will be shown any more, so the answer replaces the last one."""
        loop = asyncio.get_running_loop()

        def display(text: str) -> None:  # on core's progress thread: wait for Discord's answer
            asyncio.run_coroutine_threadsafe(show(render._cut(text, 2000)), loop).result(PROGRESS_WAIT_S)

        progress = Progress(display)
        request = replace(request, progress=progress)
        return await self.call(progress.run, lambda: fn(request, *args))

    @staticmethod
    def shown_in(interaction: discord.Interaction) -> Callable[[str], Awaitable[Any]]:
        """Progress in a deferred interaction: its "thinking…" response, edited."""
        return lambda text: interaction.edit_original_response(content=text)

    async def deliver(self, interaction: discord.Interaction, reply: Reply, *, ephemeral: bool) -> None:
        """Finish a deferred interaction: the first page edits the original response (ending the
        spinner), further pages are follow-ups with the same visibility. A reply meant for a DM
        (`Reply.direct`) goes to the requester's DM, or to `direct_user`'s when core names another
        admin (a "Rotate now" pressed in a channel).

        A public defer (status) whose answer core marks private (an error, an unknown agent) cannot
        be made private in place: the public placeholder is deleted and the answer follows privately."""
        messages = render.pages(reply)
        view = render.view(reply.actions)
        made_private = not ephemeral and reply.visibility is Visibility.EPHEMERAL
        if made_private:
            await interaction.delete_original_response()
            ephemeral = True
        for number, embeds in enumerate(messages):
            extra: dict[str, Any] = {"view": view} if view and number == len(messages) - 1 else {}
            content = render.content(reply) if number == 0 else None
            if number == 0 and not made_private:
                await interaction.edit_original_response(content=content, embeds=embeds, **extra)
            else:
                await interaction.followup.send(content=content, embeds=embeds, ephemeral=ephemeral, **extra)
        if reply.direct is not None:
            await self.send_direct(interaction, reply)

    async def send_direct(self, interaction: discord.Interaction, reply: Reply) -> None:
        try:
            user = await self.fetch_user(int(reply.direct_user)) if reply.direct_user else interaction.user
            dm = await user.create_dm()
            await dm.send(embeds=render.reply_embeds(reply.direct), **self._view_kw(reply.direct))
        except (discord.Forbidden, discord.NotFound, ValueError):
            await interaction.followup.send(
                "I could not send that DM (privacy settings block DMs from this server, or the user is gone).",
                ephemeral=True)

    async def fail(self, interaction: discord.Interaction, error: BaseException, what: str) -> None:
        reply = refusal_for(error)
        if reply is None:
            log.error("Discord %s failed: %s", what, type(error).__name__, exc_info=error)
            reply = Reply.error("Something went wrong", f"`{what}` failed; the bot log has the details.", code="internal")
        try:
            if interaction.response.is_done():
                await interaction.edit_original_response(content=None, embeds=render.reply_embeds(reply), view=None)
            else:
                await interaction.response.send_message(embeds=render.reply_embeds(reply), ephemeral=True)
        except discord.HTTPException:
            log.warning("could not report the failure of %s to Discord", what)

    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """The safety net: a press or form nothing claimed (a forged custom id, a button from an
        older release, a secret form submitted after a restart: forms live in memory) would leave
        the user with "This interaction failed". Every handler of ours answers or defers within
        milliseconds, so one still unanswered after UNCLAIMED_AFTER_S gets a clear reply in time.
        A press whose custom id no button of ours has cannot be claimed: it is answered at once."""
        if interaction.type not in (discord.InteractionType.component, discord.InteractionType.modal_submit):
            return
        custom_id = str((interaction.data or {}).get("custom_id", ""))
        if interaction.type is discord.InteractionType.modal_submit or render.ActionButton.matches(custom_id):
            await asyncio.sleep(UNCLAIMED_AFTER_S)
            if self.claimed.pop(interaction.id, False) or interaction.response.is_done():
                return
        what = "form" if interaction.type is discord.InteractionType.modal_submit else "button"
        reply = Reply.error(f"This {what} has expired",
                            f"The bot no longer knows this {what} (it restarted, or the {what} is from an older "
                            "version). Nothing was stored; start again with `/openclaw`.", code="session")
        try:
            await interaction.response.send_message(embeds=render.reply_embeds(reply), ephemeral=True)
        except discord.HTTPException:
            log.warning("could not answer an unclaimed %s", what)

    async def on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        await self.fail(interaction, getattr(error, "original", error), "command")

    def request(self, interaction: discord.Interaction, text: str, kind: PlaceKind | None = None) -> Request:
        place = place_of(interaction.channel_id, interaction.guild_id is not None)
        return Request(user_of(interaction.user), Place(kind, place.id) if kind else place, text)

    def private_view(self, interaction: discord.Interaction, text: str) -> Request:
        """A request answered only to its sender: in a DM, the DM; in a guild channel, a private
        view there (MODAL to core: buttons and forms are private, a typed message would not be)."""
        return self.request(interaction, text, PlaceKind.MODAL if interaction.guild_id is not None else None)

    # -- slash commands ------------------------------------------------------------------------
    async def run_verb(self, interaction: discord.Interaction, verb: Verb, values: dict[str, Any]) -> None:
        text = command_line(verb, values)
        if verb.name in SECRET_VERBS:
            await self.start_intake(interaction, text)
            return
        # Public only for verbs that offer --private and were not asked for it (status).
        ephemeral = not any(f.name == "private" for f in verb.flags) or bool(values.get("private"))
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        reply = await self.work(self.chatops.handle, self.request(interaction, text), show=self.shown_in(interaction))
        await self.deliver(interaction, reply, ephemeral=ephemeral)

    async def start_intake(self, interaction: discord.Interaction, text: str) -> None:
        """Open the onboarding session (cheap: openclaw.json and SQLite only), then answer with the
        modal when the credential type is known, or with the type buttons when it is not."""
        reply = await self.call(self.chatops.handle, self.private_view(interaction, text))
        if reply.prompt and reply.prompt.kind == "secret":
            await interaction.response.send_modal(self.modal(reply.prompt.session_id, reply.prompt.label))
            return
        await interaction.response.send_message(embeds=render.reply_embeds(reply), ephemeral=True,
                                                **self._view_kw(reply))

    def modal(self, session_id: str, label: str) -> SecretModal:
        return SecretModal(self, session_id, label, self.chatops.options.session_ttl_s)

    @staticmethod
    def _view_kw(reply: Reply) -> dict[str, Any]:
        view = render.view(reply.actions)
        return {"view": view} if view else {}

    # -- buttons -------------------------------------------------------------------------------
    async def on_action(self, interaction: discord.Interaction, action: str, value: str) -> None:
        self.claimed[interaction.id] = True  # answered below, however long core takes
        if interaction.guild_id is None and await self.dm_roles(interaction.user) is None:
            await interaction.response.send_message(OUTSIDER_REFUSAL, ephemeral=True)
            return
        if action == PASTE:  # must be the first response: a modal cannot follow a defer
            session = self.chatops.onboarding_session(value)
            label = f"{session.method} for agent {session.agent}" if session and session.method else "Credential"
            await interaction.response.send_modal(self.modal(value, label))
        elif action == DM_ACTION:
            await self.move_to_dm(interaction, value)
        elif action == "onboard.method":  # cheap: updates the session, then shows the paste buttons
            reply = await self.call(self.chatops.act, self.private_view(interaction, ""), action, value)
            await interaction.response.edit_message(content=None, embeds=render.reply_embeds(reply),
                                                    **self._view_kw(reply))
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
            reply = await self.work(self.chatops.act, self.request(interaction, ""), action, value,
                                    show=self.shown_in(interaction))
            await self.deliver(interaction, reply, ephemeral=True)

    async def move_to_dm(self, interaction: discord.Interaction, session_id: str) -> None:
        session = self.chatops.onboarding_session(session_id)
        if session is None or session.state != "open":
            await interaction.response.send_message("That onboarding session is closed; start again with `/openclaw onboard`.",
                                                    ephemeral=True)
            return
        try:
            dm = await interaction.user.create_dm()
            await dm.send(embed=discord.Embed(
                title=f"Onboarding {describe_target(session).replace('`', '')}",
                description="Paste the credential as your next message here. It is stored encrypted; "
                            "delete your message afterwards (a bot cannot delete DM messages).",
                colour=render.COLOURS[Severity.INFO]))
        except discord.Forbidden:
            await interaction.response.send_message(
                "I cannot DM you (your privacy settings block DMs from this server). Use **Paste securely** instead.",
                ephemeral=True)
            return
        await interaction.response.send_message("I sent you a DM: paste the credential there.", ephemeral=True)

    # -- autocomplete (never a CLI call: openclaw.json and the cached snapshot only) ------------
    async def complete_agents(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        agents = self.chatops.agent_names()
        return [app_commands.Choice(name=a, value=a) for a in agents if current.lower() in a.lower()][:25]

    async def complete_profiles(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        ids = self.chatops.profile_ids(getattr(interaction.namespace, "agent", None))
        head, _, last = current.rpartition(" ")  # `order` takes several ids: complete the last one
        values = [f"{head} {i}".strip() for i in ids if last.lower() in i.lower()]
        return [app_commands.Choice(name=v[:100], value=v[:100]) for v in values][:25]

    # -- plain messages ------------------------------------------------------------------------
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot:
            return
        if message.guild is None:
            await self.on_direct_message(message)
        elif self.config.scan_guild_messages:
            await self.on_guild_message(message)

    async def on_direct_message(self, message: discord.Message) -> None:
        """A DM: the open onboarding session takes it as the credential, else it is a command.
        Someone outside the served guilds gets one line and nothing else (see `dm_roles`)."""
        roles = await self.dm_roles(message.author)
        if roles is None:
            await message.channel.send(OUTSIDER_REFUSAL)
            return
        request = Request(user_of(message.author, roles), place_of(message.channel.id, False), message.content)
        working: list[discord.Message] = []  # the bot's progress message, once shown

        async def show(text: str) -> None:
            if working:
                await working[0].edit(content=text)
            else:
                working.append(await message.channel.send(content=text))

        reply = await self.work(self.chatops.inspect_message, request, show=show)
        if reply is None:
            if working:
                await working[0].delete()
            return
        pages = render.pages(reply)
        if working:  # the working message becomes the answer's first page
            await working[0].edit(content=render.content(reply), embeds=pages.pop(0))
        for embeds in pages:
            await message.channel.send(content=render.content(reply), embeds=embeds)

    def served_guilds(self) -> list[discord.Guild]:
        """The guilds whose roles count: the configured one, or every guild the bot is in."""
        return [g for g in self.guilds if self.guild is None or g.id == self.guild.id]

    async def roles_in_guilds(self, user_id: int) -> frozenset[str]:
        """Roles of a member no event describes (a DM's author, the admin an audit row names), looked
        up in the served guilds so role-based admins work."""
        return await self.membership(user_id) or frozenset()

    async def membership(self, user_id: int) -> frozenset[str] | None:
        """The user's roles across the served guilds, None when they are a member of none (GET
        /guilds/{guild}/members/{user}: no privileged intent needed). A lookup Discord fails counts
        as not found in that guild: the caller refuses rather than guesses."""
        roles: set[str] = set()
        found = False
        for guild in self.served_guilds():
            member = guild.get_member(user_id)
            if member is None:
                try:
                    member = await guild.fetch_member(user_id)
                except discord.HTTPException:
                    continue
            found = True
            roles |= {str(r.id) for r in member.roles if not r.is_default()}
        return frozenset(roles) if found else None

    async def dm_roles(self, author: discord.User | discord.Member) -> frozenset[str] | None:
        """Who may use the bot from a DM, where Discord applies no server permission: members of a
        served guild and people the role settings list by user id. Returns their roles, or None for
        anyone else (a public bot can be DMed by any Discord user). Only the refusal is cached:
        a role taken away still counts at once."""
        now = time.monotonic()
        if self.outsiders.get(author.id, 0.0) > now:
            return None
        roles = await self.membership(author.id)
        if roles is None and self.chatops.policy.names(user_of(author)):
            roles = frozenset()
        if roles is None:
            self.outsiders = {u: t for u, t in self.outsiders.items() if t > now}
            self.outsiders[author.id] = now + OUTSIDER_TTL_S
        return roles

    async def admit_command(self, interaction: discord.Interaction) -> bool:
        """The command tree's check: a slash command or autocomplete from a DM (a global command is
        offered there) passes the same membership test as a DM message."""
        if interaction.guild_id is not None or await self.dm_roles(interaction.user) is not None:
            return True
        if interaction.type is discord.InteractionType.autocomplete:
            await interaction.response.autocomplete([])
        else:
            await interaction.response.send_message(OUTSIDER_REFUSAL, ephemeral=True)
        return False

    async def on_raw_message_edit(self, payload: discord.RawMessageUpdateEvent) -> None:
        """An edit that adds a credential to a guild message burns it like a new post. The raw
        event fires for every edit; the cached original, when the client still holds it, keeps an
        edit of an already flagged message from being flagged twice."""
        message = payload.message
        if payload.guild_id is None or message.author.bot or not self.config.scan_guild_messages:
            return
        await self.on_guild_message(message, edited_from=payload.cached_message.content if payload.cached_message else "")

    async def on_guild_message(self, message: discord.Message, edited_from: str | None = None) -> None:
        """A credential posted in a guild channel is burned: delete it when allowed, and say so.
        `edited_from` is set for an edit: the text before it, "" when the client no longer has it."""
        request = Request(user_of(message.author), place_of(message.channel.id, True), message.content)
        reply = await (self.call(self.chatops.inspect_message, request) if edited_from is None
                       else self.call(self.chatops.inspect_edit, request, edited_from))
        if reply is None or not reply.burned:
            return
        deleted = False
        if message.channel.permissions_for(message.guild.me).manage_messages:  # type: ignore[union-attr]
            try:
                await message.delete()
                deleted = True
            except discord.HTTPException:
                log.warning("could not delete a message holding a credential in channel %s", message.channel.id)
        reply.text += ("\n\nI deleted the message." if deleted else
                       "\n\nI could not delete the message (I need the Manage Messages permission here): "
                       "delete it yourself now.")
        await message.channel.send(content=message.author.mention, embeds=render.reply_embeds(reply),
                                   allowed_mentions=discord.AllowedMentions(users=[message.author], everyone=False,
                                                                             roles=False))
