"""The opt-in team notice for a credential posted in a shared channel, through the real Bolt app,
the alert outbox and the Slack notifier, against the fake Slack."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.adapters.slack.conftest import CHANNEL, VIEWER, block_text, make_rig, serving
from tests.adapters.slack.test_alerts import alerts_here
from tests.fakes.slack import FakeSlack

pytestmark = pytest.mark.any_runner

TOKEN = "sk-ant-oat01-" + "TeamNoticeCanary_" * 6
ELSEWHERE = "C0GENERAL"


@pytest.mark.parametrize("opted_in", [True, False])
def test_a_credential_posted_in_a_channel_is_announced_to_the_alert_channel_without_its_value(
        oc_bin: str, prepared_home: Path, tmp_path: Path, fake_slack: FakeSlack, opted_in: bool, caplog) -> None:
    caplog.set_level("DEBUG")
    env = {"OPENCLAW_CHATOPS_BURNED_NOTICE": "true"} if opted_in else {}
    with serving(*make_rig(oc_bin, prepared_home, tmp_path, fake_slack, **env), fake_slack) as rig:
        alerts_here(rig)
        status, _ = rig.message(f"try this one {TOKEN}", user=VIEWER, channel=ELSEWHERE, event_id="EvNotice")
        assert status == 200
        warning = fake_slack.wait_for(lambda f: f.of("chat.postEphemeral"))[0].params
        assert warning["user"] == VIEWER and warning["channel"] == ELSEWHERE  # the poster is told, as before
        fp = rig.harness.parts.store.audit_rows(1)[0].fingerprint
        if opted_in:
            notice = fake_slack.wait_for(lambda f: [c for c in f.of("chat.postMessage")
                                                    if c.params["channel"] == CHANNEL])[0].params
            text = block_text(notice["blocks"])
            assert "A credential was posted in a shared channel" in text
            assert f"<@{VIEWER}>" in text and f"<#{ELSEWHERE}>" in text
            assert fp and fp in text and "revoke it" in text
        else:
            assert rig.harness.parts.alerts.outbox.drain(5)
            assert [c for c in fake_slack.of("chat.postMessage") if c.params["channel"] == CHANNEL] == []
    assert TOKEN.encode() not in fake_slack.all_bytes()
    assert TOKEN not in caplog.text
