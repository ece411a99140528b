"""The Logs API's tokens: positions as 56 digits, stream tokens, paging tokens."""

from __future__ import annotations

import pytest

from cloudlet.services.logs import tokens


def test_event_ids_are_56_digits_that_sort_like_positions():
    early, late = tokens.event_id((1_700_000_000_000, 99)), tokens.event_id((1_700_000_000_001, 1))
    assert len(early) == 56 and early.isdigit()
    assert early < late
    assert tokens.parse_event_id(late) == (1_700_000_000_001, 1)


def test_stream_tokens_carry_a_direction_and_a_position():
    token = tokens.stream_token("b", (5, 6))
    assert token.startswith("b/") and token.endswith("/s")
    assert tokens.parse_stream_token(token) == ("b", (5, 6))


@pytest.mark.parametrize("token", ["f/123/s", "x/" + "0" * 56 + "/s", "not-a-token", ""])
def test_foreign_stream_tokens_are_refused(token):
    with pytest.raises(tokens.TokenError):
        tokens.parse_stream_token(token)


def test_page_tokens_round_trip_their_key():
    assert tokens.parse_page_token(tokens.page_token(["/aws/lambda/fn", 3])) == [
        "/aws/lambda/fn",
        3,
    ]
    with pytest.raises(tokens.TokenError):
        tokens.parse_page_token("???")
