"""Shard iterators: a position that reads back, expired after 15 minutes, refused malformed."""

from __future__ import annotations

import pytest

from cloudlet.gateway.errors import ServiceError
from cloudlet.services.dynamodbstreams.iterators import issue, read

ARN = "arn:aws:dynamodb:us-east-1:000000000000:table/t/stream/2026-01-01T00:00:00.000"


def test_an_iterator_holds_its_position() -> None:
    position = read(issue(ARN, 7, 42, now=1000.0), now=1000.0 + 899)
    assert (position.stream_arn, position.stream_id, position.after) == (ARN, 7, 42)


def test_an_iterator_expires_after_15_minutes() -> None:
    iterator = issue(ARN, 7, 42, now=1000.0)
    with pytest.raises(ServiceError) as caught:
        read(iterator, now=1000.0 + 901)
    assert caught.value.code == "ExpiredIteratorException"
    assert caught.value.message.startswith("Iterator expired. The iterator was created at time")
    assert "tolerated delay of 900000 milliseconds" in caught.value.message


@pytest.mark.parametrize("iterator", ["", "garbage", f"{ARN}|1|bm90IGpzb24=", f"{ARN}|1|!!"])
def test_malformed_iterators_are_refused(iterator: str) -> None:
    with pytest.raises(ServiceError) as caught:
        read(iterator, now=0)
    assert caught.value.code == "ExpiredIteratorException"
