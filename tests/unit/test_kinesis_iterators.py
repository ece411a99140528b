"""Kinesis shard iterators: what they carry, and refusing tokens cloudlet did not issue."""

from __future__ import annotations

import base64

import pytest

from cloudlet.services.kinesis import iterators

POSITION = iterators.Position(
    "000000000000", "us-east-1", "a" * 128, 7, 2**63 - 1, 5, 1_700_000_000_000
)


def test_an_iterator_carries_its_position_and_fits_the_api_limit():
    token = iterators.issue(POSITION)
    assert len(token) <= 512
    assert token.startswith("AAAAAAAAAAE")  # Kinesis's own tokens start with these bytes
    assert iterators.read(token) == POSITION


@pytest.mark.parametrize(
    "token",
    ["", "not base64!", base64.b64encode(b"\x00" * 7 + b"\x01" + b"x" * 40).decode(), "AAAA"],
)
def test_tokens_cloudlet_did_not_issue_are_refused(token):
    with pytest.raises(iterators.BadIterator):
        iterators.read(token)


def test_a_token_changed_in_transit_is_refused():
    raw = bytearray(base64.b64decode(iterators.issue(POSITION)))
    raw[20] ^= 1
    with pytest.raises(iterators.BadIterator):
        iterators.read(base64.b64encode(bytes(raw)).decode())
