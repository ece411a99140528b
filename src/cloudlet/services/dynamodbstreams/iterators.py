"""Shard iterators: a position in a stream (after a sequence number), valid 15 minutes.

An iterator reads `<stream ARN>|1|<token>`, the token being base64 of the stream's id, the
position and when it was issued, as opaque to clients as AWS's.
"""

from __future__ import annotations

import base64
import binascii
import time
from dataclasses import dataclass

import orjson

from cloudlet.gateway.errors import ServiceError

LIFETIME_SECONDS = 15 * 60


@dataclass(frozen=True)
class Position:
    stream_arn: str
    stream_id: int
    after: int  # the sequence number (seq) after which to read
    issued: float


def issue(stream_arn: str, stream_id: int, after: int, now: float | None = None) -> str:
    issued = time.time() if now is None else now
    token = orjson.dumps([stream_id, after, round(issued, 3)])
    return f"{stream_arn}|1|{base64.b64encode(token).decode()}"


def read(iterator: str, now: float) -> Position:
    """The position an iterator holds; ExpiredIteratorException if it is old or malformed."""
    arn, _, rest = iterator.partition("|1|")
    try:
        stream_id, after, issued = orjson.loads(base64.b64decode(rest, validate=True))
        position = Position(arn, int(stream_id), int(after), float(issued))
    except (binascii.Error, ValueError, TypeError, orjson.JSONDecodeError):
        raise expired("The shard iterator is malformed or was not issued by this stream") from None
    if not arn.startswith("arn:") or now - position.issued > LIFETIME_SECONDS:
        raise expired(
            "Iterator expired. The iterator was created at time "
            f"{_show(position.issued)} while right now it is {_show(now)} which is further in"
            f" the future than the tolerated delay of {LIFETIME_SECONDS * 1000} milliseconds."
        )
    return position


def expired(message: str) -> ServiceError:
    return ServiceError("ExpiredIteratorException", message)


def _show(moment: float) -> str:
    return time.strftime("%a %b %d %H:%M:%S UTC %Y", time.gmtime(moment))
