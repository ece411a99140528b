"""Where a record goes: partition keys as 128-bit hash keys, and shards' hash key ranges.

Kinesis maps a partition key to the MD5 digest of its UTF-8 bytes, read as an unsigned
128-bit big-endian integer; the open shard whose range holds that integer takes the record.
A new stream's shards split the key space evenly, the last one taking the remainder.
"""

from __future__ import annotations

import hashlib

HASH_SPACE = 1 << 128
MAX_HASH_KEY = HASH_SPACE - 1


def hash_key(partition_key: str) -> int:
    """The hash key of `partition_key`, as Kinesis computes it."""
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big")


def even_ranges(
    count: int, space_start: int = 0, space_end: int = MAX_HASH_KEY
) -> list[tuple[int, int]]:
    """`count` adjacent (start, end) ranges covering the space, as CreateStream lays them out."""
    width = (space_end - space_start + 1) // count
    starts = [space_start + width * i for i in range(count)]
    ends = [start - 1 for start in starts[1:]] + [space_end]
    return list(zip(starts, ends, strict=True))
