"""Names and ARNs: shard ids, stream ARNs, consumer ARNs, read and written as Kinesis does."""

from __future__ import annotations

import re

from cloudlet.services.kinesis.sequence import MAX_SHARD_INDEX

_STREAM_ARN = re.compile(r"arn:aws[\w-]*:kinesis:([\w-]+):(\d{12}):stream/([a-zA-Z0-9_.-]+)")
_CONSUMER_ARN = re.compile(
    r"arn:aws[\w-]*:kinesis:([\w-]+):(\d{12}):stream/([a-zA-Z0-9_.-]+)"
    r"/consumer/([a-zA-Z0-9_.-]+):(\d+)"
)


def shard_id(index: int) -> str:
    return f"shardId-{index:012d}"


def shard_index(given: str) -> int | None:
    """The index a shard id names; None when Kinesis could not read one.

    Kinesis reads the number after the last hyphen, so `shardId-5`, `shard-5` and `5` all
    name shardId-000000000005.
    """
    number = given.rpartition("-")[2]
    if not number.isdigit() or not number.isascii():
        return None
    index = int(number)
    return index if index <= MAX_SHARD_INDEX else None


def stream_arn(region: str, account: str, name: str) -> str:
    return f"arn:aws:kinesis:{region}:{account}:stream/{name}"


def parse_stream_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of a stream ARN."""
    found = _STREAM_ARN.fullmatch(arn)
    return (found[1], found[2], found[3]) if found else None


def consumer_arn(stream: str, name: str, created: float) -> str:
    return f"{stream}/consumer/{name}:{int(created)}"


def parse_consumer_arn(arn: str) -> tuple[str, str, str, str, int] | None:
    """(region, account, stream name, consumer name, creation second) of a consumer ARN."""
    found = _CONSUMER_ARN.fullmatch(arn)
    if found is None:
        return None
    return found[1], found[2], found[3], found[4], int(found[5])
