"""Kinesis shards through boto3: ListShards and resharding (UpdateShardCount, split, merge)."""

from __future__ import annotations

import datetime
import itertools
import time

import pytest
from kinesis_support import ACCOUNT, kinesis_client, new_stream, read_all
from sqs_support import error_of

HASH_SPACE = 2**128


@pytest.fixture
def kinesis(server):
    return kinesis_client(server.endpoint)


def shards_of(kinesis, name: str, **extra) -> list[dict]:
    return kinesis.list_shards(StreamName=name, **extra)["Shards"]


def is_open(shard: dict) -> bool:
    return "EndingSequenceNumber" not in shard["SequenceNumberRange"]


def ranges(shards: list[dict]) -> list[tuple[int, int]]:
    return sorted(
        (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]))
        for s in shards
    )


def assert_cover_the_key_space(shards: list[dict]) -> None:
    spans = ranges(shards)
    assert spans[0][0] == 0 and spans[-1][1] == HASH_SPACE - 1
    for (_, end), (start, _) in itertools.pairwise(spans):
        assert start == end + 1


# -- ListShards ---------------------------------------------------------------------------------


def test_list_shards_pages_with_a_next_token(kinesis):
    name = new_stream(kinesis, shards=5)
    first = kinesis.list_shards(StreamName=name, MaxResults=2)
    assert [s["ShardId"] for s in first["Shards"]] == [
        "shardId-000000000000",
        "shardId-000000000001",
    ]
    second = kinesis.list_shards(NextToken=first["NextToken"], MaxResults=2)
    assert [s["ShardId"][-1] for s in second["Shards"]] == ["2", "3"]
    last = kinesis.list_shards(NextToken=second["NextToken"])
    assert [s["ShardId"][-1] for s in last["Shards"]] == ["4"]
    assert "NextToken" not in last
    after = kinesis.list_shards(StreamName=name, ExclusiveStartShardId="shardId-000000000003")
    assert [s["ShardId"][-1] for s in after["Shards"]] == ["4"]


@pytest.mark.parametrize("member", ["StreamName", "ExclusiveStartShardId"])
def test_a_next_token_comes_alone(kinesis, member):
    name = new_stream(kinesis, shards=2)
    token = kinesis.list_shards(StreamName=name, MaxResults=1)["NextToken"]
    value = name if member == "StreamName" else "shardId-000000000000"
    code, message, _ = error_of(kinesis.list_shards, NextToken=token, **{member: value})
    assert (code, message) == (
        "InvalidArgumentException",
        f"NextToken and {member} cannot be provided together.",
    )


def test_shard_filters_pick_shards_by_their_place_in_time(kinesis):
    name = new_stream(kinesis, shards=2)
    time.sleep(1.1)
    before_reshard = datetime.datetime.now(datetime.UTC)
    time.sleep(1.1)
    kinesis.update_shard_count(StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING")

    def ids(kind: str, **extra) -> list[str]:
        found = shards_of(kinesis, name, ShardFilter={"Type": kind, **extra})
        return [s["ShardId"][-1] for s in found]

    assert ids("AT_TRIM_HORIZON") == ["0", "1"]
    assert ids("FROM_TRIM_HORIZON") == ["0", "1", "2", "3", "4", "5"]
    assert ids("AT_LATEST") == ["2", "3", "4", "5"]
    assert ids("AFTER_SHARD_ID", ShardId="shardId-000000000003") == ["4", "5"]
    assert ids("AT_TIMESTAMP", Timestamp=before_reshard) == ["0", "1"]
    assert ids("AT_TIMESTAMP", Timestamp=datetime.datetime.now(datetime.UTC)) == [
        "2",
        "3",
        "4",
        "5",
    ]
    assert ids("FROM_TIMESTAMP", Timestamp=before_reshard) == ["0", "1", "2", "3", "4", "5"]


# -- UpdateShardCount ---------------------------------------------------------------------------


def test_doubling_splits_every_shard_closing_the_parents(kinesis):
    name = new_stream(kinesis, shards=2)
    kinesis.put_record(StreamName=name, Data=b"old", PartitionKey="a")
    answer = kinesis.update_shard_count(
        StreamName=name, TargetShardCount=4, ScalingType="UNIFORM_SCALING"
    )
    assert (answer["CurrentShardCount"], answer["TargetShardCount"]) == (2, 4)
    shards = shards_of(kinesis, name)
    parents, children = shards[:2], shards[2:]
    assert not any(is_open(s) for s in parents)
    assert all(is_open(s) for s in children)
    assert [s["ParentShardId"] for s in children] == [parents[0]["ShardId"]] * 2 + [
        parents[1]["ShardId"]
    ] * 2
    assert all("AdjacentParentShardId" not in s for s in children)
    assert_cover_the_key_space(children)
    assert ranges(children) == [
        (HASH_SPACE // 4 * i, HASH_SPACE // 4 * (i + 1) - 1 if i < 3 else HASH_SPACE - 1)
        for i in range(4)
    ]
    # New records go to the children; the parent's records stay readable.
    put = kinesis.put_record(StreamName=name, Data=b"new", PartitionKey="a")
    assert put["ShardId"] in {s["ShardId"] for s in children}
    assert [r["Data"] for r in read_all(kinesis, name, "shardId-000000000000")] == [b"old"]


def test_a_closed_shard_read_to_its_end_names_its_children(kinesis):
    name = new_stream(kinesis)
    kinesis.put_record(StreamName=name, Data=b"last", PartitionKey="a")
    token = kinesis.get_shard_iterator(
        StreamName=name, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    kinesis.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    page = kinesis.get_records(ShardIterator=token)
    assert [r["Data"] for r in page["Records"]] == [b"last"]
    assert "NextShardIterator" not in page
    assert [c["ShardId"] for c in page["ChildShards"]] == [
        "shardId-000000000001",
        "shardId-000000000002",
    ]
    assert page["ChildShards"][0]["ParentShards"] == ["shardId-000000000000"]


def test_halving_merges_adjacent_pairs(kinesis):
    name = new_stream(kinesis, shards=4)
    kinesis.update_shard_count(StreamName=name, TargetShardCount=2, ScalingType="UNIFORM_SCALING")
    shards = shards_of(kinesis, name)
    children = [s for s in shards if is_open(s)]
    assert len(shards) == 6 and len(children) == 2
    assert [(s["ParentShardId"], s["AdjacentParentShardId"]) for s in children] == [
        ("shardId-000000000000", "shardId-000000000001"),
        ("shardId-000000000002", "shardId-000000000003"),
    ]
    assert_cover_the_key_space(children)


def test_any_target_within_bounds_ends_with_even_open_shards(kinesis):
    name = new_stream(kinesis, shards=3)
    kinesis.update_shard_count(StreamName=name, TargetShardCount=5, ScalingType="UNIFORM_SCALING")
    current = [s for s in shards_of(kinesis, name) if is_open(s)]
    assert len(current) == 5
    assert_cover_the_key_space(current)
    widths = [end - start + 1 for start, end in ranges(current)]
    assert max(widths) - min(widths) < 2**40
    summary = kinesis.describe_stream_summary(StreamName=name)["StreamDescriptionSummary"]
    assert summary["OpenShardCount"] == 5


@pytest.mark.parametrize(
    ("start", "target", "message"),
    [
        (2, 5, "UpdateShardCount cannot scale up over double your current open shard count."),
        (5, 2, "UpdateShardCount cannot scale down below half your current open shard count."),
    ],
)
def test_update_shard_count_stays_within_half_and_double(kinesis, start, target, message):
    name = new_stream(kinesis, shards=start)
    code, text, _ = error_of(
        kinesis.update_shard_count,
        StreamName=name,
        TargetShardCount=target,
        ScalingType="UNIFORM_SCALING",
    )
    assert (code, text) == (
        "LimitExceededException",
        f"{message} Current open shard count: {start}, Target shard count: {target}",
    )


# -- SplitShard and MergeShards -----------------------------------------------------------------


def test_split_shard_opens_two_children_at_the_given_key(kinesis):
    name = new_stream(kinesis)
    at = 2**100
    kinesis.split_shard(
        StreamName=name, ShardToSplit="shardId-000000000000", NewStartingHashKey=str(at)
    )
    shards = shards_of(kinesis, name)
    assert ranges(shards[1:]) == [(0, at - 1), (at, HASH_SPACE - 1)]
    put = kinesis.put_record(StreamName=name, Data=b"", PartitionKey="x", ExplicitHashKey=str(at))
    assert put["ShardId"] == "shardId-000000000002"


def test_split_shard_refuses_a_key_outside_the_shard_and_a_closed_shard(kinesis):
    name = new_stream(kinesis)
    code, message, _ = error_of(
        kinesis.split_shard,
        StreamName=name,
        ShardToSplit="shardId-000000000000",
        NewStartingHashKey="1",
    )
    assert (code, message) == (
        "InvalidArgumentException",
        f"NewStartingHashKey 1 used in SplitShard() on shard shardId-000000000000 in stream"
        f" {name} under account {ACCOUNT} is not both greater than one plus the shard's"
        f" StartingHashKey 0 and less than the shard's EndingHashKey {HASH_SPACE - 1}.",
    )
    kinesis.split_shard(StreamName=name, ShardToSplit="shardId-0", NewStartingHashKey=str(2**127))
    code, message, _ = error_of(
        kinesis.split_shard,
        StreamName=name,
        ShardToSplit="shardId-0",
        NewStartingHashKey=str(2**126),
    )
    assert (code, message) == (
        "InvalidArgumentException",
        f"Shard shardId-000000000000 in stream {name} under account {ACCOUNT} has already been"
        " merged or split, and thus is not eligible for splitting.",
    )
    code, message, _ = error_of(
        kinesis.split_shard, StreamName=name, ShardToSplit="shardId-9", NewStartingHashKey="5"
    )
    assert (code, message) == (
        "ResourceNotFoundException",
        f"Could not find shard shardId-000000000009 in stream {name} under account {ACCOUNT}.",
    )


def test_merge_shards_joins_an_adjacent_pair_only(kinesis):
    name = new_stream(kinesis, shards=3)
    code, message, _ = error_of(
        kinesis.merge_shards,
        StreamName=name,
        ShardToMerge="shardId-000000000000",
        AdjacentShardToMerge="shardId-000000000002",
    )
    assert (code, message) == (
        "InvalidArgumentException",
        f"Shards shardId-000000000000 and shardId-000000000002 in stream {name} under account"
        f" {ACCOUNT} are not an adjacent pair of shards eligible for merging",
    )
    kinesis.merge_shards(
        StreamName=name,
        ShardToMerge="shardId-000000000001",
        AdjacentShardToMerge="shardId-000000000002",
    )
    merged = shards_of(kinesis, name)[-1]
    assert (merged["ParentShardId"], merged["AdjacentParentShardId"]) == (
        "shardId-000000000001",
        "shardId-000000000002",
    )
    assert merged["HashKeyRange"]["EndingHashKey"] == str(HASH_SPACE - 1)
