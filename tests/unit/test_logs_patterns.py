"""CloudWatch Logs filter patterns: terms, phrases, regex, JSON and space-delimited fields."""

from __future__ import annotations

import pytest

from cloudlet.services.logs.patterns import PatternError, compile_pattern


def matching(pattern: str, messages: list[str]) -> list[str]:
    matches = compile_pattern(pattern)
    assert matches is not None
    return [message for message in messages if matches(message)]


def test_an_empty_pattern_matches_everything():
    assert compile_pattern("") is None
    assert compile_pattern("   ") is None
    assert compile_pattern(None) is None


def test_terms_are_case_sensitive_substrings_that_must_all_appear():
    lines = ["[ERROR] disk full", "error: minor", "ERROR Exception raised", "3 invoke errors"]
    assert matching("ERROR", lines) == ["[ERROR] disk full", "ERROR Exception raised"]
    assert matching("ERROR Exception", lines) == ["ERROR Exception raised"]
    assert matching("error", lines) == ["error: minor", "3 invoke errors"]


def test_question_marked_terms_match_any_and_minus_excludes():
    lines = ["ERROR one", "WARN two", "INFO three", "ERROR and WARN"]
    assert matching("?ERROR ?WARN", lines) == ["ERROR one", "WARN two", "ERROR and WARN"]
    assert matching("ERROR -WARN", lines) == ["ERROR one"]


def test_quoted_phrases_match_exactly():
    lines = ["INTERNAL SERVER ERROR", "SERVER INTERNAL ERROR", 'said "hi" there']
    assert matching('"INTERNAL SERVER ERROR"', lines) == ["INTERNAL SERVER ERROR"]
    assert matching(r'"said \"hi\""', lines) == ['said "hi" there']


def test_percent_signs_enclose_a_regular_expression():
    lines = ["user-12 logged in", "user-x logged in", "UNAUTHORIZED", "AUTHORIZED"]
    assert matching("%user-[0-9]+%", lines) == ["user-12 logged in"]
    assert matching("%^AUTHORIZED$%", lines) == ["AUTHORIZED"]


JSON_LINES = [
    '{"level": "ERROR", "latency": 250, "user": {"id": 7}, "tags": ["a1", "b"], "ok": false}',
    '{"level": "INFO", "latency": 50, "user": {"id": 8}, "tags": ["b"], "ok": true, "x": null}',
    "not json at all ERROR",
    '{"level": "WARN", "latency": "75", "user": {}}',
]


def levels(pattern: str) -> list[str]:
    return [line.split('"')[3] for line in matching(pattern, JSON_LINES)]


def test_json_patterns_compare_strings_and_numbers():
    assert levels('{ $.level = "ERROR" }') == ["ERROR"]
    assert levels('{ $.level != "ERROR" }') == ["INFO", "WARN"]
    assert levels("{ $.latency > 60 }") == ["ERROR", "WARN"]
    assert levels("{ $.latency <= 75 }") == ["INFO", "WARN"]
    assert levels("{ $.user.id = 8 }") == ["INFO"]
    assert levels("{ $.tags[0] = a* }") == ["ERROR"]
    assert levels('{ $.level = "*R*" }') == ["ERROR", "WARN"]


def test_json_patterns_combine_with_and_or_and_parentheses():
    assert levels('{ $.level = "ERROR" || $.latency < 60 }') == ["ERROR", "INFO"]
    assert levels('{ ($.level = "INFO" || $.level = "WARN") && $.latency > 60 }') == ["WARN"]


def test_json_patterns_test_booleans_nulls_and_missing_members():
    assert levels("{ $.ok IS TRUE }") == ["INFO"]
    assert levels("{ $.ok IS FALSE }") == ["ERROR"]
    assert levels("{ $.x IS NULL }") == ["INFO"]
    assert levels("{ $.ok NOT EXISTS }") == ["WARN"]
    assert levels("{ $.user.id EXISTS }") == ["ERROR", "INFO"]


def test_space_delimited_patterns_name_fields_and_test_them():
    lines = [
        '127.0.0.1 frank [10/Oct/2000:13:25:15 -0700] "GET /a.gif HTTP/1.0" 404 1534',
        '127.0.0.1 jane [10/Oct/2000:13:25:16 -0700] "GET /b.gif HTTP/1.0" 200 99',
        "too few fields",
    ]
    assert matching("[ip, user, time, request, status=4*, bytes > 1000]", lines) == lines[:1]
    assert matching("[ip, user=jane, ...]", lines) == lines[1:2]
    assert matching("[..., status=200 || status=404, bytes]", lines) == lines[:2]


@pytest.mark.parametrize(
    ("pattern", "message"),
    [
        ('{ $.level = "ERROR" ', "If a filter pattern starts with '{' it must end with '}'"),
        ('{ $.level = "ERROR" && }', "Invalid filter pattern"),
        ("{ level = 1 }", "Invalid filter pattern"),
        ('"unterminated', "Invalid filter pattern"),
        ("%(group)%", "Invalid filter pattern"),
        ("[a, b", "Invalid filter pattern"),
    ],
)
def test_malformed_patterns_are_refused_with_aws_wording(pattern, message):
    with pytest.raises(PatternError) as refused:
        compile_pattern(pattern)
    assert str(refused.value) == message
