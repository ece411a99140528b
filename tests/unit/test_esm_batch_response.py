"""ReportBatchItemFailures responses as Lambda reads them, and FilterCriteria's view of a body."""

from __future__ import annotations

import pytest

from cloudlet.delivery.batch_response import failed_items
from cloudlet.delivery.filters import FilterCriteria, json_or_text
from cloudlet.delivery.patterns import PatternError

BATCH = {"m1", "m2", "m3"}


@pytest.mark.parametrize(
    "payload",
    [b"", b"null", b"{}", b'{"batchItemFailures": []}', b'{"batchItemFailures": null}',
     b'{"statusCode": 200}'],
)  # fmt: skip
def test_responses_that_name_no_failure_are_a_success(payload):
    assert failed_items(payload, BATCH) == set()


def test_the_reported_items_are_the_failures():
    payload = b'{"batchItemFailures": [{"itemIdentifier": "m2"}, {"itemIdentifier": "m3"}]}'
    assert failed_items(payload, BATCH) == {"m2", "m3"}


@pytest.mark.parametrize(
    "payload",
    [
        b"not json",
        b'"a string"',
        b"[]",
        b'{"batchItemFailures": {"itemIdentifier": "m1"}}',
        b'{"batchItemFailures": [{"itemIdentifier": ""}]}',
        b'{"batchItemFailures": [{"itemIdentifier": null}]}',
        b'{"batchItemFailures": [{"itemidentifier": "m1"}]}',
        b'{"batchItemFailures": [{"itemIdentifier": "m9"}]}',
        b'{"batchItemFailures": ["m1"]}',
    ],
)
def test_a_malformed_response_fails_the_whole_batch(payload):
    assert failed_items(payload, BATCH) is None


@pytest.mark.parametrize(
    ("body", "seen"),
    [
        ('{"a": 1}', {"a": 1}),
        ("plain", "plain"),
        ("{not json", "{not json"),
        ("[1, 2]", "[1, 2]"),
        ("42", "42"),
    ],
)
def test_a_body_is_matched_as_json_only_when_it_holds_an_object(body, seen):
    assert json_or_text(body) == seen


def test_a_record_passes_when_any_pattern_matches():
    criteria = FilterCriteria(['{"body": {"a": [1]}}', '{"body": [{"prefix": "x"}]}'])
    assert criteria.matches({"body": {"a": 1}})
    assert criteria.matches({"body": "xyz"})
    assert not criteria.matches({"body": {"a": 2}})
    assert not criteria.matches({"body": "y"})


def test_a_pattern_that_does_not_parse_is_refused():
    with pytest.raises(PatternError):
        FilterCriteria(['{"body": "not a list"}'])
