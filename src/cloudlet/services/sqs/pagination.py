"""NextToken pagination of name-ordered lists (ListQueues, ListDeadLetterSourceQueues)."""

from __future__ import annotations

import base64
import binascii

from cloudlet.services.sqs.errors import invalid_parameter, invalid_value

MAX_RESULTS = 1000


def page(
    names: list[str], max_results: int | None, next_token: str | None
) -> tuple[list[str], str | None]:
    """The page of sorted `names` a request asks for, and the token of the next one.

    As on SQS, a token is only given when MaxResults was.
    """
    if max_results is not None and not 1 <= max_results <= MAX_RESULTS:
        raise invalid_value(
            "MaxResults", max_results, f"MaxResults must be an integer between 1 and {MAX_RESULTS}."
        )
    start = 0
    if next_token:
        after = _decode(next_token)
        start = next((i for i, name in enumerate(names) if name > after), len(names))
    size = max_results or MAX_RESULTS
    chosen = names[start : start + size]
    more = max_results is not None and start + size < len(names)
    return chosen, _encode(chosen[-1]) if more else None


def _encode(name: str) -> str:
    return base64.urlsafe_b64encode(name.encode()).decode()


def _decode(token: str) -> str:
    try:
        return base64.urlsafe_b64decode(token.encode("ascii")).decode()
    except (ValueError, UnicodeError, binascii.Error):
        raise invalid_parameter("Invalid NextToken value.") from None
