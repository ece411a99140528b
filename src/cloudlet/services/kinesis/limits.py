"""Kinesis's account limits and defaults, as AWS sets them."""

from __future__ import annotations

DEFAULT_RETENTION_HOURS = 24
MIN_RETENTION_HOURS = 24
MAX_RETENTION_HOURS = 8760
ON_DEMAND_SHARDS = 4  # an on-demand stream starts with 4 MiB/s of write capacity
ON_DEMAND_STREAM_LIMIT = 50
DEFAULT_RECORD_KIB = 1024
# Open provisioned shards per account and region: 500 in the three largest regions.
_LARGE_REGIONS = frozenset({"us-east-1", "us-west-2", "eu-west-1"})
MAX_TAGS = 50
PUT_RECORDS_MAX_BYTES = 10 * 1024 * 1024  # the whole request, partition keys included
GET_RECORDS_MAX_BYTES = 10 * 1024 * 1024
GET_RECORDS_DEFAULT_LIMIT = 10_000


def shard_limit(region: str) -> int:
    return 500 if region in _LARGE_REGIONS else 200
