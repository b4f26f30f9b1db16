"""Embeds stay inside Discord's limits by paging, and no profile is dropped."""
from __future__ import annotations

from adapters.discord import render
from core.replies import Field, Reply, Section, Severity


def test_a_large_status_is_paged_within_discord_limits():
    sections = [Section(f"Agent a{n}", "model x", [Field(f"anthropic:p{i}", "ok · " + "x" * 300) for i in range(30)],
                        Severity.WARNING if n % 2 else Severity.OK) for n in range(12)]
    pages = render.pages(Reply("OpenClaw auth status", sections=sections, context="snapshot 1 s old"))
    fields = [f.name for page in pages for e in page for f in e.fields]
    assert len(fields) == 12 * 30
    for page in pages:
        assert len(page) <= 10 and sum(len(e) for e in page) <= 6000
        assert all(len(e.fields) <= 25 for e in page)
    embeds = [e for page in pages for e in page]
    assert embeds[0].colour.value == 0x2ECC71 and embeds[1].title == "Agent a0 (continued)"
    assert embeds[-1].footer.text == "snapshot 1 s old"
