"""Kinesis's rules for tags: the characters they may hold and how many a stream keeps."""

from __future__ import annotations

import re

from cloudlet.services.kinesis.errors import invalid_argument
from cloudlet.services.kinesis.limits import MAX_TAGS

_ALLOWED = re.compile(r"[\w\s.:/=+\-@%]*")


def check_tags(tags: dict[str, str]) -> None:
    """Refuse tags with characters Kinesis does not allow."""
    for text in (*tags, *tags.values()):
        if _ALLOWED.fullmatch(text) is None:
            raise invalid_argument(
                "Some tags contain invalid characters. Valid characters: Unicode letters,"
                " digits, white space, _ . / = + - % @ :."
            )


def merged(
    current: dict[str, str], added: dict[str, str], stream: str, account: str
) -> dict[str, str]:
    """`current` with `added` set, within the stream's tag limit."""
    check_tags(added)
    result = {**current, **added}
    if len(result) > MAX_TAGS:
        raise invalid_argument(
            f"Failed to add tags to stream {stream} under account {account} because a given"
            f" stream cannot have more than {MAX_TAGS} tags associated with it."
        )
    return result
