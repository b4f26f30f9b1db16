"""The fake Slack refuses what Slack refuses, through the real slack_sdk clients: a test passing
against a more lenient fake would prove nothing about the real service."""
from __future__ import annotations

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.webhook import WebhookClient

from tests.fakes.slack import BOT_TOKEN, RESPONSE_URL_USES, FakeSlack


@pytest.mark.parametrize("token, error", [(None, "not_authed"), ("xoxb-never-issued", "invalid_auth")])
def test_web_api_calls_need_a_token_slack_issued(fake_slack: FakeSlack, token: str | None, error: str) -> None:
    with pytest.raises(SlackApiError) as refused:
        WebClient(token=token, base_url=fake_slack.api_url).chat_postMessage(channel="C1", text="hi")
    assert refused.value.response["error"] == error
    assert fake_slack.messages == {}
    assert WebClient(token=BOT_TOKEN, base_url=fake_slack.api_url).chat_postMessage(channel="C1", text="hi")["ok"]


def test_a_response_url_takes_five_posts(fake_slack: FakeSlack) -> None:
    hook = WebhookClient(fake_slack.response_url())
    answers = [hook.send(text=f"post {n}").status_code for n in range(RESPONSE_URL_USES + 1)]
    assert answers == [200] * RESPONSE_URL_USES + [404]
    assert WebhookClient(fake_slack.url + "/respond/never-issued").send(text="x").status_code == 404
