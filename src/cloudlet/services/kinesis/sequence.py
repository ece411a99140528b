"""Sequence numbers in the layout Kinesis uses (its "version 2"), 56 decimal digits.

As 47 hexadecimal digits: `2`, the shard's creation time (9 digits, seconds), the shard's
index modulo 16 (1), the record's index in the shard (16), a zero byte (2), the record's
arrival time (9, seconds), the shard's index (8), and the version `2`. Within a shard the
record index decides the order, so numbers compare as integers in the order records arrived.
A shard's range starts at index 0 and, once closed, ends at the largest index.
"""

from __future__ import annotations

from typing import NamedTuple

MAX_INDEX = (1 << 63) - 1  # the index field's first hex digit stays below 8
MAX_SHARD_INDEX = (1 << 31) - 1
_TOP = 2 << 184  # the leading `2`
_SIZE = 1 << 188


class SequenceNumber(NamedTuple):
    shard_created: int  # seconds
    shard: int
    index: int
    arrival: int  # seconds


def encode(shard_created: int, shard: int, index: int, arrival: int) -> str:
    """The sequence number of record `index` of `shard`, as the API shows it."""
    value = (
        _TOP
        | (shard_created << 148)
        | ((shard & 0xF) << 144)
        | (index << 80)
        | (arrival << 36)
        | (shard << 4)
        | 2
    )
    return str(value)


def decode(text: str) -> SequenceNumber | None:
    """The parts of a sequence number Kinesis could have handed out; None for any other."""
    if not text.isdigit() or len(text) > 60:
        return None
    value = int(text)
    if value >> 184 != 2 or value >= _SIZE or value & 0xF != 2:
        return None
    shard = (value >> 4) & 0xFFFFFFFF
    index = (value >> 80) & ((1 << 64) - 1)
    if shard > MAX_SHARD_INDEX or index > MAX_INDEX or (value >> 144) & 0xF != shard & 0xF:
        return None
    if (value >> 72) & 0xFF:
        return None
    created = (value >> 148) & ((1 << 36) - 1)
    arrival = (value >> 36) & ((1 << 36) - 1)
    return SequenceNumber(created, shard, index, arrival)


def starting(shard_created: int, shard: int) -> str:
    """A shard's StartingSequenceNumber."""
    return encode(shard_created, shard, 0, shard_created)


def ending(shard_created: int, shard: int, closed: int) -> str:
    """A closed shard's EndingSequenceNumber."""
    return encode(shard_created, shard, MAX_INDEX, closed)
