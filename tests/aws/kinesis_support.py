"""Helpers shared by the Kinesis tests: clients, streams, and what Kinesis computes."""

from __future__ import annotations

import hashlib
from typing import Any

import boto3
from botocore.config import Config
from sqs_support import unique

ACCOUNT = "000000000000"


def kinesis_client(endpoint: str, *, validate: bool = True) -> Any:
    """A Kinesis client; `validate=False` lets input botocore would refuse reach the server."""
    return boto3.client(
        "kinesis",
        endpoint_url=endpoint,
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
        config=Config(retries={"max_attempts": 1}, parameter_validation=validate),
    )


def new_stream(kinesis: Any, shards: int = 1, prefix: str = "stream") -> str:
    """Create a stream with `shards` shards, wait until it is ACTIVE, and return its name."""
    name = unique(prefix)
    kinesis.create_stream(StreamName=name, ShardCount=shards)
    kinesis.get_waiter("stream_exists").wait(StreamName=name, WaiterConfig={"Delay": 1})
    return name


def md5_hash_key(partition_key: str) -> int:
    """The hash key AWS computes for a partition key: its MD5 as a 128-bit integer."""
    return int(hashlib.md5(partition_key.encode("utf-8")).hexdigest(), 16)


def shard_holding(shards: list[dict[str, Any]], hash_key: int) -> str:
    """The id of the open shard whose hash key range holds `hash_key`."""
    for shard in shards:
        if "EndingSequenceNumber" in shard["SequenceNumberRange"]:
            continue
        low = int(shard["HashKeyRange"]["StartingHashKey"])
        high = int(shard["HashKeyRange"]["EndingHashKey"])
        if low <= hash_key <= high:
            return str(shard["ShardId"])
    raise AssertionError(f"no open shard holds {hash_key}")


def read_all(kinesis: Any, stream: str, shard_id: str, kind: str = "TRIM_HORIZON") -> list[dict]:
    """Every record a fresh iterator of `kind` reads from a shard until it is caught up."""
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard_id, ShardIteratorType=kind
    )["ShardIterator"]
    found: list[dict] = []
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator)
        found += page["Records"]
        iterator = page.get("NextShardIterator")
        if page["MillisBehindLatest"] == 0 and not page["Records"]:
            break
    return found
