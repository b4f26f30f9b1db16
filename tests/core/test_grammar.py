"""The shared command grammar: parsing, suggestions and per-role help."""
from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core.grammar import VERBS, GrammarError, parse


@pytest.mark.parametrize("line, verb, args, flags", [
    ("/openclaw status", "status", {"agent": None}, {}),
    ("status ops --all --private", "status", {"agent": "ops"}, {"all": True, "private": True}),
    ("paste-token ops --expires-in 365d", "paste-token", {"agent": "ops"}, {"expires-in": "365d"}),
    ("paste-token --expires-in=12h", "paste-token", {"agent": None}, {"expires-in": "12h"}),
    ("onboard main api-key", "onboard", {"agent": "main", "method": "api-key"}, {}),
    ("onboard setup-token", "onboard", {"agent": None, "method": "setup-token"}, {}),
    ("cache anthropic/claude-opus-4-6 long", "cache", {"model": "anthropic/claude-opus-4-6", "retention": "long"}, {}),
    ("cache 1h --agent ops", "cache", {"model": None, "retention": "1h"}, {"agent": "ops"}),
    ('remove "anthropic:default" ops', "remove", {"profile": "anthropic:default", "agent": "ops"}, {}),
    ("order main anthropic:api anthropic:default", "order", {"agent": "main", "profiles": ["anthropic:api", "anthropic:default"]}, {}),
    ("order anthropic:api anthropic:default", "order", {"agent": None, "profiles": ["anthropic:api", "anthropic:default"]}, {}),
    ("probe anthropic:api", "probe", {"agent": None, "profile": "anthropic:api"}, {}),
    ("probe ops anthropic:api", "probe", {"agent": "ops", "profile": "anthropic:api"}, {}),
    ("", "help", {}, {}),
])
def test_lines_parse(line, verb, args, flags):
    command = parse(line)
    assert command.verb.name == verb
    for key, value in args.items():
        assert command.args[key] == value
    assert command.flags == flags


@pytest.mark.parametrize("line, message", [
    ("stauts", "Did you mean `status`?"),
    ("onbord main", "Did you mean `onboard`?"),
    ("status --al", "Did you mean `--all`?"),
    ("paste-token --expires-in", "needs a value"),
    ("remove", "needs <profile>"),
    ("status a b", "Too many arguments"),
    ('status "ops', "check the quotes"),
])
def test_mistakes_get_a_helpful_message(line, message):
    with pytest.raises(GrammarError) as err:
        parse(line)
    assert message in str(err.value)


def test_every_verb_has_a_usage_line():
    for verb in VERBS:
        assert verb.usage().startswith(verb.name) and verb.summary


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80))
def test_any_line_parses_or_is_a_grammar_error(line):
    try:
        parse(line)
    except GrammarError as exc:
        assert str(exc)
