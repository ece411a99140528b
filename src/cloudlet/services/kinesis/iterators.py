"""Shard iterators: opaque tokens that say where in a shard the next GetRecords reads.

A token names the stream (account, region, name) and the shard, the record index after which
reading resumes, the earliest arrival time a record may have (AT_TIMESTAMP in the future),
and when it was issued: Kinesis refuses iterators older than five minutes. Tokens start with
the eight bytes Kinesis's do and end with a keyed digest, so that a token cloudlet did not
issue is refused rather than misread.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import struct
from dataclasses import dataclass

LIFETIME_MS = 300_000
_PREFIX = b"\x00\x00\x00\x00\x00\x00\x00\x01"
_FIXED = struct.Struct(">QIQQ")  # issued ms, shard index, after index, not before ms
_KEY = b"cloudlet kinesis shard iterator"
_DIGEST = 8


class BadIterator(ValueError):
    """A token that is not a shard iterator cloudlet issued."""


@dataclass(frozen=True, slots=True)
class Position:
    account: str
    region: str
    stream: str
    shard: int
    after: int  # the index of the last record already read (0: none)
    not_before: int  # ms; records that arrived earlier are skipped
    issued: int  # ms


def issue(position: Position) -> str:
    """The token for `position`."""
    names = "\n".join((position.account, position.region, position.stream)).encode()
    body = _FIXED.pack(position.issued, position.shard, position.after, position.not_before) + names
    return base64.b64encode(_PREFIX + body + _digest(body)).decode("ascii")


def read(token: str) -> Position:
    """The position a token holds; BadIterator for anything cloudlet did not issue."""
    try:
        raw = base64.b64decode(token, validate=True)
    except (binascii.Error, ValueError):
        raise BadIterator(token) from None
    body, digest = raw[len(_PREFIX) : -_DIGEST], raw[-_DIGEST:]
    if not raw.startswith(_PREFIX) or len(body) <= _FIXED.size or digest != _digest(body):
        raise BadIterator(token)
    issued, shard, after, not_before = _FIXED.unpack_from(body)
    names = body[_FIXED.size :].decode().split("\n")
    if len(names) != 3:
        raise BadIterator(token)
    account, region, stream = names
    return Position(account, region, stream, shard, after, not_before, issued)


def _digest(body: bytes) -> bytes:
    return hashlib.blake2b(body, key=_KEY, digest_size=_DIGEST).digest()
