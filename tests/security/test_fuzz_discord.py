"""Property-based fuzzing (bounded) of Discord interaction payloads through the real discord.py
client and CommandTree: random subcommands and option values (including values outside an
option's declared choices, which a modified client can send) and forged button custom ids. The
`openclaw` binary is absent, so commands that reach the gateway fail fast — itself a path that
must answer clearly. Properties: every interaction is answered, never with the generic
"Something went wrong", and a pasted credential is never echoed."""
from __future__ import annotations

import asyncio
import json

from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from core.grammar import VERBS
from tests.adapters.discord.discord_harness import ADMIN_ID, admin, running, viewer
from tests.fakes import discord_payloads as p
from tests.harness import make_bot
from tests.security.scale import count

CANARY = "sk-ant-api03-" + "DiscordFuzzCanary_" * 5
VALUES = st.one_of(st.text(max_size=20), st.sampled_from(["main", "ops", "nosuch", "365d", "long", "1h", "snooze",
                                                          "anthropic:api", "-1", "999999", CANARY]))
# Verbs whose first response is a modal or a prompt (no CLI before answering) and verbs answered
# after a defer: both kinds are fuzzed; options come from the one grammar table.
OPTIONS = {v.name: [a.name for a in v.args] + [f.name for f in v.flags if f.value] for v in VERBS}
INTERACTION = st.one_of(
    st.tuples(st.just("slash"), st.sampled_from(sorted(OPTIONS)), st.dictionaries(st.text(max_size=1), VALUES, max_size=3),
              st.booleans()),
    st.tuples(st.just("button"), st.text(max_size=40), st.just({}), st.booleans()),
)


def payload_of(kind: str, name: str, raw: dict, as_admin: bool) -> dict:
    who = admin() if as_admin else viewer()
    if kind == "button":
        return p.button(who, name, [])
    payload = p.slash(who, name)
    names = OPTIONS[name]
    payload["data"]["options"][0]["options"] = [
        {"type": 3, "name": names[i % len(names)], "value": value} for i, value in enumerate(raw.values())] if names else []
    return payload


def answered(payload: dict):
    def done(r) -> bool:
        if payload["token"] not in r.path:
            return False
        if r.path.endswith("/callback"):
            return (r.json or {}).get("type") in (4, 7, 9)  # a message, an update or a modal: final
        if r.method == "PATCH" and r.path.endswith("@original"):
            return True  # a deferred answer, edited in place
        return r.method == "POST" and r.path.startswith("/webhooks/")  # a private follow-up after a public defer
    return done


# Each example is a batch of 15 interactions on one logged-in client (60 in CI, PROOF_DISCORD_INTERACTIONS
# in the soak); shrinking such a batch takes minutes, so a failure is reported as generated.
@settings(max_examples=max(1, -(-count("DISCORD_INTERACTIONS", 60) // 15)), deadline=None, phases=[Phase.generate], suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(batch=st.lists(INTERACTION, min_size=15, max_size=15))
def test_discord_interactions(tmp_path_factory, batch):
    tmp = tmp_path_factory.mktemp("dfuzz")
    home = tmp / "home"
    (home / ".openclaw").mkdir(parents=True)
    (home / ".openclaw" / "openclaw.json").write_text("{ agents: { entries: { main: {}, ops: {} } } }")
    bot = make_bot(str(tmp / "gone" / "openclaw"), home, tmp / "chatops", DISCORD_BOT_TOKEN="fake-bot-token",
                   DISCORD_GUILD_ID=p.GUILD, OPENCLAW_CHATOPS_ADMINS=f"discord:{ADMIN_ID}")

    async def scenario():
        async with running(bot) as rig:
            for kind, name, raw, as_admin in batch:
                payload = payload_of(kind, name, raw, as_admin)
                try:
                    final = await asyncio.wait_for(rig.interact(payload, answered(payload)), 30)
                except TimeoutError:
                    raise AssertionError(f"unanswered: {kind} {name!r} {raw!r}") from None
                text = json.dumps(final.json)
                assert "Something went wrong" not in text, (kind, name, raw, text)
                assert CANARY not in text
            return [r.json for r in rig.fake.requests]

    try:
        sent = asyncio.run(scenario())
    finally:
        bot.parts.store.close()
    assert CANARY not in json.dumps(sent)
