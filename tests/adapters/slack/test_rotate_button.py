"""An expiring-token alert's Rotate now button, pressed by an operator in the team channel, offers
the rotation in the DM of the admin who onboarded the profile; the admin starts it with a button
there, and until then nothing of theirs changes (real Bolt, fake Slack)."""
from __future__ import annotations

import time
from pathlib import Path

import pytest

from core.secrets.credentials import classify, fingerprint
from core.secrets.writer import record_id
from tests.adapters.slack.conftest import (
    ADMIN,
    CHANNEL,
    SlackRig,
    block_text,
    buttons,
    dm_messages_with,
    make_rig,
    serving,
)
from tests.adapters.slack.test_alerts import alerts_here, publish, slack_notifier
from tests.fakes.slack import FakeSlack

pytestmark = pytest.mark.any_runner

ONBOARDER = "UONBOARDER"
OPERATOR = "UOPS"
TOKEN = "sk-ant-oat01-" + "ButtonTok3n_" * 8
OPS_TOKEN = "sk-ant-oat01-" + "OpsPasteT0k_" * 8


def onboarded_and_expiring(rig: SlackRig) -> dict:
    """ONBOARDER stores a token expiring in 2 days; the expiry alert lands in the team channel.
    Returns its Rotate now button."""
    ops = rig.harness.chatops
    assert ops.writer.write("main", "anthropic:default", classify(TOKEN), actor=f"slack:{ONBOARDER}", expires_in="2d").verified
    ops.store.audit(f"slack:{ONBOARDER}", "onboard", "stored", agent="main", profile_id="anthropic:default")
    center = alerts_here(rig)
    slack_notifier(rig).min_interval_s = 0.0
    expires_at = int(time.time() * 1000) + 2 * 86_400_000
    publish(center, {"expiry:main/anthropic:default": {"kind": "expiring", "stage": "lead", "owner": "main",
                                                       "profile": "anthropic:default", "expires_at": expires_at}})
    assert center.outbox.drain()
    post = next(c for c in rig.fake.accepted("chat.postMessage") if c.params["channel"] == CHANNEL)
    return next(b for b in buttons(post.params["blocks"]) if b["text"]["text"] == "Rotate now")


def test_rotate_now_opens_the_flow_in_the_onboarding_admins_dm(oc_bin: str, prepared_home: Path, tmp_path: Path,
                                                                fake_slack: FakeSlack) -> None:
    env = {"OPENCLAW_CHATOPS_ADMINS": f"slack:{ADMIN},slack:{ONBOARDER}", "OPENCLAW_CHATOPS_OPERATORS": f"slack:{OPERATOR}"}
    with serving(*make_rig(oc_bin, prepared_home, tmp_path, fake_slack, **env), fake_slack) as rig:
        ops = rig.harness.chatops
        rotate = onboarded_and_expiring(rig)

        status, _, response_url = rig.click(rotate, user=OPERATOR, channel=CHANNEL)
        assert status == 200
        (answer,) = rig.wait_reply(response_url)
        assert "Rotation of anthropic:default offered" in block_text(answer["blocks"])
        dm = "D" + ONBOARDER.lstrip("U")
        fake_slack.wait_for(lambda f: any(c.params.get("channel") == dm for c in f.accepted("chat.postMessage")))
        opened = [c.params["users"] for c in fake_slack.of("conversations.open")]
        assert ONBOARDER in opened and OPERATOR not in opened
        offer = next(c for c in fake_slack.accepted("chat.postMessage") if c.params["channel"] == dm)
        assert "anthropic:default" in block_text(offer.params["blocks"]) and "main" in block_text(offer.params["blocks"])
        assert ops.store.open_session_for(f"slack:{ONBOARDER}") is None  # offered, not started
        assert ops.store.open_session_for(f"slack:{OPERATOR}") is None

        (start,) = [b for b in buttons(offer.params["blocks"]) if b["text"]["text"] == "Start rotation"]
        _, _, start_url = rig.click(start, user=ONBOARDER, channel=dm)
        (prompt,) = rig.wait_reply(start_url)
        assert "Rotating `anthropic:default`" in block_text(prompt["blocks"])
        assert "agent main, profile anthropic:default" in block_text(prompt["blocks"])
        session = ops.store.open_session_for(f"slack:{ONBOARDER}")
        assert session is not None and session.options["purpose"] == "rotate" and session.profile_id == "anthropic:default"

        # The onboarding admin is no longer an admin: the next press goes to an admin who still is.
        ops.policy = type(ops.policy)(admins=frozenset({f"slack:{ADMIN}"}), operators=frozenset({f"slack:{OPERATOR}"}))
        _, _, again_url = rig.click(rotate, user=OPERATOR, channel=CHANNEL)
        rig.wait_reply(again_url)
        fake_slack.wait_for(lambda f: any(c.params.get("channel") == "D" + ADMIN.lstrip("U") for c in f.accepted("chat.postMessage")))
        assert ops.store.open_session_for(f"slack:{ADMIN}") is None
        assert TOKEN not in str([c.params for c in fake_slack.calls])


def test_rotate_now_finds_admins_who_are_admins_through_a_user_group(oc_bin: str, prepared_home: Path,
                                                                    tmp_path: Path, fake_slack: FakeSlack) -> None:
    """Every admin here is one only through the `SADMINS` user group. The onboarder is found
    through the group, and once they leave it, another member of the group is asked: a DM never
    goes to the group's id."""
    fake_slack.usergroups = [{"id": "SADMINS", "users": [ONBOARDER, "UOTHER"]}]
    env = {"OPENCLAW_CHATOPS_ADMINS": "slack:SADMINS",  # ADMIN, an operator here, only sets up the alerts
           "OPENCLAW_CHATOPS_OPERATORS": f"slack:{OPERATOR},slack:{ADMIN}"}
    with serving(*make_rig(oc_bin, prepared_home, tmp_path, fake_slack, **env), fake_slack) as rig:
        rig.slack.adapter.intake.directory.ttl_s = 0.0  # memberships read afresh, not cached for 5 minutes
        rotate = onboarded_and_expiring(rig)

        _, _, first_url = rig.click(rotate, user=OPERATOR, channel=CHANNEL)
        assert "Rotation of anthropic:default offered" in block_text(rig.wait_reply(first_url)[0]["blocks"])
        fake_slack.wait_for(lambda f: any(c.params.get("channel") == "DONBOARDER" for c in f.accepted("chat.postMessage")))

        fake_slack.usergroups = [{"id": "SADMINS", "users": ["UOTHER"]}]
        _, _, second_url = rig.click(rotate, user=OPERATOR, channel=CHANNEL)
        rig.wait_reply(second_url)
        fake_slack.wait_for(lambda f: any(c.params.get("channel") == "DOTHER" for c in f.accepted("chat.postMessage")))
        opened = [c.params["users"] for c in fake_slack.of("conversations.open")]
        assert opened == [ONBOARDER, "UOTHER"]  # never "SADMINS", never the operator who pressed


def test_an_operators_rotate_now_cannot_redirect_an_admins_paste(oc_bin: str, prepared_home: Path, tmp_path: Path,
                                                                 fake_slack: FakeSlack) -> None:
    """The admin is pasting a token for `ops` in their DM when an operator presses Rotate now on
    main's profile: the admin's paste still lands in `ops`, and main's credential is untouched."""
    env = {"OPENCLAW_CHATOPS_ADMINS": f"slack:{ADMIN},slack:{ONBOARDER}", "OPENCLAW_CHATOPS_OPERATORS": f"slack:{OPERATOR}"}
    with serving(*make_rig(oc_bin, prepared_home, tmp_path, fake_slack, **env), fake_slack) as rig:
        ops = rig.harness.chatops
        rotate = onboarded_and_expiring(rig)
        dm = "D" + ONBOARDER.lstrip("U")

        _, _, asked_url = rig.command("paste-token ops --profile-id anthropic:ops", user=ONBOARDER, channel=dm)
        (asked,) = rig.wait_reply(asked_url)
        assert "agent ops, profile anthropic:ops" in block_text(asked["blocks"])

        _, _, pressed_url = rig.click(rotate, user=OPERATOR, channel=CHANNEL)
        rig.wait_reply(pressed_url)
        fake_slack.wait_for(lambda f: any(c.params.get("channel") == dm for c in f.accepted("chat.postMessage")))

        rig.message(OPS_TOKEN, user=ONBOARDER, channel=dm, channel_type="im", event_id="EvPaste")
        done = fake_slack.wait_for(lambda f: dm_messages_with(f, fingerprint(OPS_TOKEN)), timeout=120)
        assert ops.vault.get(record_id("ops", "anthropic:ops")) == OPS_TOKEN
        assert ops.vault.get(record_id("main", "anthropic:default")) == TOKEN
        assert "stored for agent ops, profile anthropic:ops" in block_text(done[0].blocks)
        (row,) = [r for r in ops.store.audit_rows() if r.fingerprint == fingerprint(OPS_TOKEN) and r.result == "stored"]
        assert (row.agent, row.profile_id, row.actor) == ("ops", "anthropic:ops", f"slack:{ONBOARDER}")
        assert OPS_TOKEN not in str([c.params for c in fake_slack.calls])
