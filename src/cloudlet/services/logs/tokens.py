"""The Logs API's tokens and event ids, and what they encode.

An event's place in a stream or group is its position, (timestamp, event id), written as 56
digits like AWS's event ids. GetLogEvents' tokens are `f/<position>/s` (the events after it)
and `b/<position>/s` (the events before it); position zero is the start of every stream.
Paging tokens of the Describe operations carry the last key of the page they follow.
"""

from __future__ import annotations

import base64
import binascii
import re

import orjson

from cloudlet.logstore import Position

START: Position = (0, 0)
_DIGITS = 28  # per half of the 56
_STREAM_TOKEN = re.compile(r"([fb])/(\d{56})/s")


class TokenError(ValueError):
    """A token cloudlet did not hand out."""


def event_id(position: Position) -> str:
    timestamp, number = position
    return f"{timestamp:0{_DIGITS}d}{number:0{_DIGITS}d}"


def parse_event_id(text: str) -> Position:
    if len(text) != 2 * _DIGITS or not text.isdigit():
        raise TokenError(text)
    return int(text[:_DIGITS]), int(text[_DIGITS:])


def stream_token(direction: str, position: Position) -> str:
    """GetLogEvents' `nextForwardToken` ("f") or `nextBackwardToken` ("b")."""
    return f"{direction}/{event_id(position)}/s"


def parse_stream_token(token: str) -> tuple[str, Position]:
    found = _STREAM_TOKEN.fullmatch(token)
    if found is None:
        raise TokenError(token)
    return found.group(1), parse_event_id(found.group(2))


def page_token(key: list[object]) -> str:
    """A Describe operation's `nextToken`: the last key of the page."""
    return base64.urlsafe_b64encode(orjson.dumps(key)).decode().rstrip("=")


def parse_page_token(token: str) -> list[object]:
    try:
        key = orjson.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (binascii.Error, ValueError):
        raise TokenError(token) from None
    if not isinstance(key, list) or not key:
        raise TokenError(token)
    return key
