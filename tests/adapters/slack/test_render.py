"""Block Kit rendering stays inside Slack's limits however large the reply."""
from __future__ import annotations

from adapters.slack import render
from core.replies import Action, Field, Reply, Section, Severity


def fleet(agents: int, profiles: int, *, summary: bool = False) -> Reply:
    sections = [Section(f"Agent a{n}", "model anthropic/claude-opus-4-6\n" + "x" * 3500,
                        [Field(f"anthropic:p{i}", "cooldown (rate_limit), 4m left — " + "y" * 2500) for i in range(profiles)],
                        severity=Severity.WARNING) for n in range(agents)]
    actions = [Action("status.all", "Show all")] if summary else []
    return Reply("OpenClaw auth status — " + "needs attention " * 20, sections=sections, actions=actions,
                 context="snapshot 12s old · many agent(s)")


def assert_within_limits(message: dict) -> None:
    blocks = message["blocks"]
    assert 0 < len(blocks) <= render.MAX_BLOCKS
    for block in blocks:
        if block["type"] == "header":
            assert len(block["text"]["text"]) <= render.MAX_HEADER
        if block["type"] == "section":
            assert len(block.get("text", {}).get("text", "")) <= render.MAX_SECTION_TEXT
            assert len(block.get("fields", [])) <= render.MAX_FIELDS
            assert all(len(f["text"]) <= render.MAX_FIELD_TEXT for f in block.get("fields", []))
        if block["type"] == "actions":
            ids = [e["action_id"] for e in block["elements"]]
            assert len(ids) == len(set(ids))


def test_a_full_fleet_is_split_across_messages_without_losing_a_profile() -> None:
    reply = fleet(agents=12, profiles=23)

    messages = render.messages(reply)

    assert len(messages) > 1
    for message in messages:
        assert_within_limits(message)
    fields = [f["text"] for m in messages for b in m["blocks"] for f in b.get("fields", [])]
    assert len(fields) == 12 * 23
    assert messages[-1]["blocks"][-1]["type"] == "context"


def test_a_summary_stays_one_message_with_show_all() -> None:
    messages = render.messages(fleet(agents=30, profiles=3, summary=True))

    (message,) = messages
    assert_within_limits(message)
    (show_all,) = [e for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]]
    assert render.action_id_of(show_all["action_id"]) == "status.all"
    assert "press Show all" in message["blocks"][-2]["elements"][0]["text"]


def test_buttons_map_back_to_core_actions() -> None:
    reply = Reply("Onboard", actions=[Action("onboard.method", "API key", "s:api-key", "primary"),
                                      Action("onboard.method", "Setup-token", "s:setup-token")])
    (message,) = render.messages(reply)
    elements = message["blocks"][-1]["elements"]
    assert [render.action_id_of(e["action_id"]) for e in elements] == ["onboard.method"] * 2
    assert elements[0]["style"] == "primary" and "style" not in elements[1]
