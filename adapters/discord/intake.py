"""What a person asks the bot on Discord, taken to core: slash commands (and their autocomplete),
buttons, the secure paste form and DMs.

Before the first response only cheap things run (parsing, reading openclaw.json, opening a
session); everything else runs after a defer, within the rules in adapters/discord/delivery.py.
"""
from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from adapters.discord import render
from adapters.discord.commands import command_line
from adapters.discord.delivery import Claims, call, deliver, fail, shown_in, view_kw, work
from adapters.discord.members import OUTSIDER_REFUSAL, Members
from adapters.discord.requests import place_of, user_of
from core.actions import ActionId
from core.chatops import ChatOps
from core.grammar import Verb
from core.handlers.onboarding import describe_target
from core.replies import Action, Severity
from core.requests import Place, PlaceKind, Request

# Verbs whose first response is a modal (a modal cannot follow a defer).
SECRET_VERBS = frozenset({"onboard", "paste-token"})
PASTE = ActionId.ONBOARD_PASTE  # core's "Paste securely" button: opens the modal


class SecretModal(discord.ui.Modal):
    """The secure paste form: only the bot sees what is typed here."""

    def __init__(self, intake: Intake, session_id: str, label: str, timeout_s: float) -> None:
        super().__init__(title="Paste credential for OpenClaw", timeout=timeout_s)
        self.intake = intake
        self.session_id = session_id
        self.secret: discord.ui.TextInput[SecretModal] = discord.ui.TextInput(
            style=discord.TextStyle.long, min_length=1, max_length=4000,
            placeholder="sk-ant-oat01-… or sk-ant-api03-…")
        self.add_item(discord.ui.Label(text=render._cut(label, 45) or "Credential", component=self.secret))

    async def on_submit(self, interaction: discord.Interaction) -> None:
        self.intake.claims.claim(interaction)
        # The write (vault, secrets plan, gateway check) takes ~10 s: defer first, privately.
        await interaction.response.defer(ephemeral=True, thinking=True)
        request = Request(user_of(interaction.user), Place(PlaceKind.MODAL, str(interaction.channel_id or "")), "")
        reply = await work(self.intake.chatops.submit_secret, request, self.session_id, self.secret.value,
                           show=shown_in(interaction))
        if reply.failed and reply.code == "rejected":  # the session is still open: offer another try
            reply.actions.append(Action(PASTE, "Paste again", self.session_id, "primary"))
        await deliver(interaction, reply, ephemeral=True)

    # discord.py's own Modal.on_error drops BaseView's `item` argument; this matches Modal's
    async def on_error(self, interaction: discord.Interaction, error: Exception, /) -> None:  # type: ignore[override]
        await fail(interaction, error, "secret form")


class Intake:
    def __init__(self, chatops: ChatOps, members: Members, claims: Claims) -> None:
        self.chatops = chatops
        self.members = members
        self.claims = claims

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
            await self.open_onboarding(interaction, text)
            return
        # Public only for verbs that offer --private and were not asked for it (status).
        ephemeral = not any(f.name == "private" for f in verb.flags) or bool(values.get("private"))
        await interaction.response.defer(ephemeral=ephemeral, thinking=True)
        reply = await work(self.chatops.handle, self.request(interaction, text), show=shown_in(interaction))
        await deliver(interaction, reply, ephemeral=ephemeral)

    async def open_onboarding(self, interaction: discord.Interaction, text: str) -> None:
        """Open the onboarding session (cheap: openclaw.json and SQLite only), then answer with the
        modal when the credential type is known, or with the type buttons when it is not."""
        reply = await call(self.chatops.handle, self.private_view(interaction, text))
        if reply.prompt and reply.prompt.kind == "secret":
            await interaction.response.send_modal(self.modal(reply.prompt.session_id, reply.prompt.label))
            return
        await interaction.response.send_message(embeds=render.reply_embeds(reply), ephemeral=True,
                                                **view_kw(reply))

    def modal(self, session_id: str, label: str) -> SecretModal:
        return SecretModal(self, session_id, label, self.chatops.options.session_ttl_s)

    # -- autocomplete (never a CLI call: openclaw.json and the cached snapshot only) ------------
    async def complete_agents(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        agents = self.chatops.agent_names()
        return [app_commands.Choice(name=a, value=a) for a in agents if current.lower() in a.lower()][:25]

    async def complete_profiles(self, interaction: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        ids = self.chatops.profile_ids(getattr(interaction.namespace, "agent", None))
        head, _, last = current.rpartition(" ")  # `order` takes several ids: complete the last one
        values = [f"{head} {i}".strip() for i in ids if last.lower() in i.lower()]
        return [app_commands.Choice(name=v[:100], value=v[:100]) for v in values][:25]

    # -- buttons -------------------------------------------------------------------------------
    async def press(self, interaction: discord.Interaction, action: str, value: str) -> None:
        """A button of a reply (render.ActionButton), routed by its custom id."""
        self.claims.claim(interaction)  # answered below, however long core takes
        if interaction.guild_id is None and await self.members.dm_roles(interaction.user) is None:
            await interaction.response.send_message(OUTSIDER_REFUSAL, ephemeral=True)
            return
        if action == PASTE:  # must be the first response: a modal cannot follow a defer
            session = self.chatops.onboarding_session(value)
            label = f"{session.method} for agent {session.agent}" if session and session.method else "Credential"
            await interaction.response.send_modal(self.modal(value, label))
        elif action == ActionId.ONBOARD_DM:
            await self.move_to_dm(interaction, value)
        elif action == ActionId.ONBOARD_METHOD:  # cheap: updates the session, then shows the paste buttons
            reply = await call(self.chatops.act, self.private_view(interaction, ""), action, value)
            await interaction.response.edit_message(content=None, embeds=render.reply_embeds(reply),
                                                    **view_kw(reply))
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
            reply = await work(self.chatops.act, self.request(interaction, ""), action, value,
                               show=shown_in(interaction))
            await deliver(interaction, reply, ephemeral=True)

    async def move_to_dm(self, interaction: discord.Interaction, session_id: str) -> None:
        session = self.chatops.onboarding_session(session_id)
        if session is None or session.state != "open":
            await interaction.response.send_message(
                "That onboarding session is closed; start again with `/openclaw onboard`.", ephemeral=True)
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

    # -- DMs -----------------------------------------------------------------------------------
    async def read_dm(self, message: discord.Message) -> None:
        """A DM: the open onboarding session takes it as the credential, else it is a command.
        Someone outside the served guilds gets one line and nothing else (see `Members.dm_roles`)."""
        roles = await self.members.dm_roles(message.author)
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

        reply = await work(self.chatops.inspect_message, request, show=show)
        if reply is None:
            if working:
                await working[0].delete()
            return
        pages = render.pages(reply)
        if working:  # the working message becomes the answer's first page
            await working[0].edit(content=render.content(reply), embeds=pages.pop(0))
        for embeds in pages:
            await message.channel.send(content=render.content(reply), embeds=embeds)
