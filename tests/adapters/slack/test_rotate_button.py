"""An expiring-token alert's Rotate now button, pressed by an operator in the team channel, opens
the rotation intake in the DM of the admin who onboarded the profile (real Bolt, fake Slack)."""
from __future__ import annotations

import time
from pathlib import Path

from core.credentials import classify
from tests.adapters.slack.conftest import ADMIN, CHANNEL, SlackRig, block_text, buttons, make_rig, serving
from tests.adapters.slack.test_alerts import alerts_here, publish, slack_notifier
from tests.fakes.slack import FakeSlack

ONBOARDER = "UONBOARDER"
OPERATOR = "UOPS"
TOKEN = "sk-ant-oat01-" + "ButtonTok3n_" * 8


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
        assert "Rotation of anthropic:default started" in block_text(answer["blocks"])
        dm = "D" + ONBOARDER.lstrip("U")
        fake_slack.wait_for(lambda f: any(c.params.get("channel") == dm for c in f.accepted("chat.postMessage")))
        opened = [c.params["users"] for c in fake_slack.of("conversations.open")]
        assert ONBOARDER in opened and OPERATOR not in opened
        prompt = next(c for c in fake_slack.accepted("chat.postMessage") if c.params["channel"] == dm)
        assert "Rotating `anthropic:default`" in block_text(prompt.params["blocks"])
        session = ops.store.open_session_for(f"slack:{ONBOARDER}")
        assert session is not None and session.options["purpose"] == "rotate" and session.profile_id == "anthropic:default"
        assert ops.store.open_session_for(f"slack:{OPERATOR}") is None

        # The onboarding admin is no longer an admin: the next press goes to an admin who still is.
        ops.policy = type(ops.policy)(admins=frozenset({f"slack:{ADMIN}"}), operators=frozenset({f"slack:{OPERATOR}"}))
        _, _, again_url = rig.click(rotate, user=OPERATOR, channel=CHANNEL)
        rig.wait_reply(again_url)
        fake_slack.wait_for(lambda f: any(c.params.get("channel") == "D" + ADMIN.lstrip("U") for c in f.accepted("chat.postMessage")))
        assert ops.store.open_session_for(f"slack:{ADMIN}") is not None
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
        ops = rig.harness.chatops
        rig.slack.adapter.directory.ttl_s = 0.0  # memberships read afresh, not cached for 5 minutes
        rotate = onboarded_and_expiring(rig)

        _, _, first_url = rig.click(rotate, user=OPERATOR, channel=CHANNEL)
        assert "Rotation of anthropic:default started" in block_text(rig.wait_reply(first_url)[0]["blocks"])
        fake_slack.wait_for(lambda f: any(c.params.get("channel") == "DONBOARDER" for c in f.accepted("chat.postMessage")))
        assert ops.store.open_session_for(f"slack:{ONBOARDER}") is not None

        fake_slack.usergroups = [{"id": "SADMINS", "users": ["UOTHER"]}]
        _, _, second_url = rig.click(rotate, user=OPERATOR, channel=CHANNEL)
        rig.wait_reply(second_url)
        fake_slack.wait_for(lambda f: any(c.params.get("channel") == "DOTHER" for c in f.accepted("chat.postMessage")))
        assert ops.store.open_session_for("slack:UOTHER") is not None
        opened = [c.params["users"] for c in fake_slack.of("conversations.open")]
        assert opened == [ONBOARDER, "UOTHER"]  # never "SADMINS", never the operator who pressed
