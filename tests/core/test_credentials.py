"""Intake rules: what a paste becomes, and that no rejection ever echoes the value."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.secrets.credentials import CredentialRejected, Kind, classify, find_embedded, fingerprint, normalise, redact

TOKEN = "sk-ant-oat01-" + "Ab3_-" * 16
KEY = "sk-ant-api03-" + "Zx9" * 32


def test_wrapped_paste_is_joined_back_together():
    wrapped = "  " + TOKEN[:40] + "\n" + TOKEN[40:70] + "\r\n\t" + TOKEN[70:] + "  \n"
    assert classify(wrapped).value == TOKEN


def test_quotes_and_backticks_around_a_paste_are_dropped():
    assert normalise(f"`{TOKEN}`") == TOKEN
    assert normalise(f'"{KEY}"') == KEY


def test_kinds_are_told_apart():
    assert classify(TOKEN).kind is Kind.SETUP_TOKEN
    assert classify(KEY).kind is Kind.API_KEY


@pytest.mark.parametrize("text, words", [
    (TOKEN[:60] + "#state123", "code#state"),
    ("sk-ant-sid01-" + "x" * 90, "unknown prefix"),
    ("ghp_" + "x" * 90, "not an Anthropic credential"),
    (TOKEN[:60], "too short"),
    (TOKEN[:-3] + "é", "non-ASCII"),
    (TOKEN[:50] + "!" + TOKEN[50:], "characters a credential cannot have"),
    ("", "Nothing was pasted"),
])
def test_rejections_say_what_is_wrong_without_the_value(text, words):
    with pytest.raises(CredentialRejected) as err:
        classify(text)
    assert words in str(err.value)
    if len(text) > 12:
        assert text[13:25] not in str(err.value)


def test_a_key_where_a_token_was_asked_for_is_refused():
    with pytest.raises(CredentialRejected, match="API key, but a Claude setup-token was asked for"):
        classify(KEY, expected=Kind.SETUP_TOKEN)


def test_openclaw_length_rule_80_characters():
    assert classify("sk-ant-oat01-" + "a" * 67).kind is Kind.SETUP_TOKEN  # exactly 80
    with pytest.raises(CredentialRejected):
        classify("sk-ant-oat01-" + "a" * 66)


def test_fingerprint_shows_last_four_and_hash_prefix_only():
    fp = fingerprint(TOKEN)
    assert fp.startswith("…" + TOKEN[-4:]) and "sha256:" in fp
    assert TOKEN[:-4] not in fp


def test_credentials_inside_messages_are_found_even_when_wrapped():
    message = f"here is the key: {TOKEN[:30]}\n{TOKEN[30:]} thanks"
    assert find_embedded(message) == [fingerprint(TOKEN)]
    assert find_embedded("nothing here sk-ant- at all") == []


def test_credential_str_never_shows_the_value():
    cred = classify(TOKEN)
    assert TOKEN not in str(cred) and TOKEN not in repr(cred)


@settings(max_examples=300, deadline=None)
@given(st.text(min_size=0, max_size=200))
def test_any_paste_is_a_credential_or_a_clear_rejection(text):
    try:
        cred = classify(text)
    except CredentialRejected as exc:
        message = str(exc)
        assert message and "\n" not in message
        compact = "".join(text.split())
        if len(compact) >= 16:
            assert compact not in message
    else:
        assert cred.value.startswith(("sk-ant-oat01-", "sk-ant-api03-"))


SPREAD = [
    TOKEN[:20] + "\u200b" + TOKEN[20:],  # zero-width inside the first 16 characters of the body
    TOKEN[:16] + " " + TOKEN[16:],  # a space there
    TOKEN[:14] + "\u2060\ufeff" + TOKEN[14:],
    TOKEN[:40] + "\n" + TOKEN[40:],
    TOKEN[:40] + " \r\n " + TOKEN[40:80] + "\u200c" + TOKEN[80:],
    KEY[:15] + "  " + KEY[15:],
]


@pytest.mark.parametrize("paste", SPREAD)
def test_what_the_intake_accepts_is_found_in_a_message(paste):
    """Detection joins a paste exactly as the intake does: what a DM would store is never missed
    in a channel, and it is named by the same fingerprint."""
    stored = classify(paste).value
    assert find_embedded(f"see {paste}\n\nthanks") == [fingerprint(stored)]


def test_words_after_a_whole_credential_are_not_part_of_it():
    assert find_embedded(f"{TOKEN} {KEY} and more words") == sorted([fingerprint(TOKEN), fingerprint(KEY)])
    assert find_embedded(f"{TOKEN}\n\n{KEY}") == sorted([fingerprint(TOKEN), fingerprint(KEY)])
    assert find_embedded("the prefix sk-ant-oat01- starts every setup token, and api03 keys") == []


@given(st.sampled_from([TOKEN, KEY]), st.lists(st.tuples(st.integers(13, 59), st.sampled_from(
    [" ", "\n", "\r\n", "\t", "\u200b", "\u200c", "\u200d", "\u2060", "\ufeff", "\u00a0"])), max_size=4))
@settings(max_examples=200, deadline=None)
def test_any_spread_paste_the_intake_accepts_is_found(value, cuts):
    """Line breaks and invisible characters anywhere; spaces where what precedes them is still too
    short to be a whole credential (after that, a space ends it: words follow a token)."""
    paste = value
    for at, gap in sorted(cuts, reverse=True):
        paste = paste[:at] + gap + paste[at:]
    stored = classify(paste).value
    assert stored == value
    assert find_embedded(f"oops: {paste}") == [fingerprint(value)]
    assert redact(f"oops: {paste}", "[r]") == "oops: [r]"


def test_redaction_looks_through_escaped_gaps():
    import json
    import urllib.parse
    for paste in SPREAD + [TOKEN]:
        for logged in (json.dumps({"text": paste}), json.dumps({"text": paste}, ensure_ascii=False),
                       json.dumps(json.dumps({"text": paste})), urllib.parse.urlencode({"payload": json.dumps({"t": paste})}),
                       urllib.parse.quote(paste), paste.replace("-", "%2D")):
            clean = redact(logged, "[r]")
            assert "[r]" in clean
            body = normalise(paste)[13:]
            assert not any(body[i:i + 8] in clean for i in range(len(body) - 8)), clean
