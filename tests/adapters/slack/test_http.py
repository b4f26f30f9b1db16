"""HTTP mode: signatures, the 3 s ack, event retries, 429s, refusals."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from tests.adapters.slack.conftest import (
    ADMIN,
    CHANNEL,
    VIEWER,
    SlackRig,
    block_text,
    dm_messages_with,
    make_rig,
    posts_to,
    serving,
)
from tests.fakes.slack import FakeSlack

pytestmark = pytest.mark.any_runner

TOKEN = "sk-ant-oat01-" + "Q" * 60 + "leak" + "Z" * 20


def test_signature_checked_and_old_requests_refused(rig: SlackRig) -> None:
    bad_status, _ = rig.send("command=%2Fopenclaw&text=help", "application/x-www-form-urlencoded",
                             headers={"X-Slack-Signature": "v0=" + "0" * 64})
    stale_status, _, stale_url = rig.command("help", timestamp=int(time.time()) - 360)
    status, body, response_url = rig.command("help")

    assert (bad_status, stale_status) == (401, 401)
    assert status == 200 and body == b""
    (reply,) = rig.wait_reply(response_url)
    assert reply["response_type"] == "ephemeral"
    assert "onboard" in block_text(reply["blocks"])
    assert rig.replies_at(stale_url) == []


def test_viewer_cannot_onboard(rig: SlackRig) -> None:
    status, _, response_url = rig.command("onboard main", user=VIEWER)

    assert status == 200
    (reply,) = rig.wait_reply(response_url)
    assert reply["response_type"] == "ephemeral"
    assert "Not allowed" in block_text(reply["blocks"])
    assert rig.fake.of("conversations.open") == []


def test_token_in_channel_is_refused_warned_and_audited_once(rig: SlackRig, caplog) -> None:
    caplog.set_level("DEBUG")
    rig.fake.rate_limited["chat.postEphemeral"] = [1]  # the first delivery is throttled

    first, _ = rig.message(f"here you go {TOKEN}", user=VIEWER, event_id="EvPaste")
    retried, _ = rig.message(f"here you go {TOKEN}", user=VIEWER, event_id="EvPaste", retry=1)

    assert (first, retried) == (200, 200)
    calls = rig.fake.wait_for(lambda f: len(f.of("chat.postEphemeral")) >= 2 and f.of("chat.postEphemeral"))
    assert len(calls) == 2  # the 429, then the retry after Retry-After; the redelivered event ran once
    warning = calls[-1].params
    assert warning["user"] == VIEWER and warning["channel"] == CHANNEL
    assert "burned" in block_text(warning["blocks"])
    rows = [r for r in rig.harness.parts.store.audit_rows() if r.action == "secret_in_channel"]
    assert len(rows) == 1 and rows[0].actor == f"slack:{VIEWER}"
    assert TOKEN.encode() not in rig.fake.all_bytes()
    assert TOKEN not in caplog.text


def test_a_token_edited_into_a_channel_message_or_sent_to_a_group_dm_is_flagged(rig: SlackRig) -> None:
    """Slack sends an edit as `message_changed`. A credential the edit adds is as public as one
    posted; an edit that keeps one already flagged, and an edit in a DM, stay quiet. A group DM
    (`mpim`) has other readers: a credential there is burned too."""
    other = TOKEN.replace("leak", "more")
    assert rig.edit(f"oops {TOKEN}", "oops", user=VIEWER, event_id="EvAdd")[0] == 200
    first = rig.fake.wait_for(lambda f: f.of("chat.postEphemeral"))
    rig.edit(f"oops {TOKEN} (fixed typo)", f"oops {TOKEN}", user=VIEWER, event_id="EvKeep")
    rig.edit(TOKEN, "paste below", channel="DADMIN", channel_type="im", event_id="EvDm")
    rig.edit(f"oops {TOKEN} and {other}", f"oops {TOKEN} (fixed typo)", user=VIEWER, event_id="EvMore")

    warnings = rig.fake.wait_for(lambda f: len(f.of("chat.postEphemeral")) >= 2 and f.of("chat.postEphemeral"))
    assert first[0].params["user"] == VIEWER and first[0].params["channel"] == CHANNEL
    assert "burned" in block_text(first[0].params["blocks"])
    rows = [r for r in rig.harness.parts.store.audit_rows() if r.action == "secret_in_channel"]
    assert len(rows) == 2 and rows[0].fingerprint != rows[1].fingerprint  # one per credential, never twice
    time.sleep(0.5)  # the quiet edits had their chance to answer
    assert len(rig.fake.of("chat.postEphemeral")) == len(warnings) == 2
    assert posts_to(rig.fake) == []  # nothing in the DM

    rig.message(f"for you two: {other}", user=VIEWER, channel="GGROUP", channel_type="mpim", event_id="EvGroup")
    group = rig.fake.wait_for(lambda f: [c for c in f.of("chat.postEphemeral") if c.params["channel"] == "GGROUP"])
    assert group[0].params["user"] == VIEWER and "burned" in block_text(group[0].params["blocks"])
    for secret in (TOKEN, other):
        assert rig.harness.leaks(secret) == [] and secret.encode() not in rig.fake.all_bytes()


def test_expired_session_refuses_a_late_dm_paste(rig: SlackRig) -> None:
    status, _, response_url = rig.command("paste-token main")
    assert status == 200
    rig.wait_reply(response_url)
    rig.fake.wait_for(lambda f: posts_to(f))
    store = rig.harness.parts.store
    session = store.open_session_for(f"slack:{ADMIN}")
    store.update_session(session.id, expires_at=time.time() - 1)

    rig.message(TOKEN, channel="DADMIN", channel_type="im", event_id="EvLate")

    late = rig.fake.wait_for(lambda f: dm_messages_with(f, "Session expired"))  # posted, or a working message edited
    assert late[0].channel == "DADMIN"
    assert rig.harness.parts.vault.versions() == []
    assert rig.harness.leaks(TOKEN) == []
    assert TOKEN.encode() not in rig.fake.all_bytes()


def test_a_failure_after_the_ack_still_answers(rig: SlackRig) -> None:
    rig.fake.failing["conversations.open"] = "missing_scope"

    status, _, response_url = rig.command("onboard main")

    assert status == 200
    first, second = rig.wait_reply(response_url, count=2)
    assert "Check your direct messages" in block_text(first["blocks"])
    assert second["response_type"] == "ephemeral"
    assert "missing_scope" in block_text(second["blocks"])


def test_admin_role_through_a_user_group(oc_bin: str, prepared_home: Path, tmp_path: Path, fake_slack: FakeSlack) -> None:
    fake_slack.usergroups = [{"id": "S0SECOPS", "users": ["UGROUPIE"]}]
    parts = make_rig(oc_bin, prepared_home, tmp_path, fake_slack, OPENCLAW_CHATOPS_ADMINS="slack:S0SECOPS")
    with serving(*parts, fake_slack) as rig:
        _, _, allowed_url = rig.command("onboard main", user="UGROUPIE")
        _, _, refused_url = rig.command("onboard main", user=ADMIN)  # no longer listed by id

        assert "Check your direct messages" in block_text(rig.wait_reply(allowed_url)[0]["blocks"])
        assert "Not allowed" in block_text(rig.wait_reply(refused_url)[0]["blocks"])
    assert len(fake_slack.of("usergroups.list")) == 1  # cached between requests
