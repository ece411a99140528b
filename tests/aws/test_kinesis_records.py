"""Kinesis records through boto3: where writes go, their order, limits, and every way to read."""

from __future__ import annotations

import datetime
import re
import threading
import time

import pytest
from kinesis_support import (
    ACCOUNT,
    kinesis_client,
    md5_hash_key,
    new_stream,
    read_all,
    shard_holding,
)
from sqs_support import error_of

from cloudlet.services.kinesis import iterators

MIB = 1024 * 1024
SHARD_0 = "shardId-000000000000"


@pytest.fixture
def kinesis(server):
    return kinesis_client(server.endpoint)


def iterator(kinesis, stream: str, kind: str, shard: str = SHARD_0, **extra) -> str:
    return kinesis.get_shard_iterator(
        StreamName=stream, ShardId=shard, ShardIteratorType=kind, **extra
    )["ShardIterator"]


# -- where records go ---------------------------------------------------------------------------


def test_partition_keys_land_in_the_shard_aws_chooses(kinesis):
    name = new_stream(kinesis, shards=3)
    # Observed on AWS for a three-shard stream.
    assert kinesis.put_record(StreamName=name, Data=b"", PartitionKey="a")["ShardId"] == SHARD_0
    assert kinesis.put_record(StreamName=name, Data=b"", PartitionKey="b")["ShardId"] == (
        "shardId-000000000001"
    )
    shards = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    for key in [f"user-{i}" for i in range(40)] + ["é", "日本語", "x" * 256]:
        put = kinesis.put_record(StreamName=name, Data=b"", PartitionKey=key)
        assert put["ShardId"] == shard_holding(shards, md5_hash_key(key))


def test_an_explicit_hash_key_overrides_the_partition_key(kinesis):
    name = new_stream(kinesis, shards=3)
    third = 2**128 // 3

    def shard_for(hash_key: int) -> str:
        return kinesis.put_record(
            StreamName=name, Data=b"", PartitionKey="a", ExplicitHashKey=str(hash_key)
        )["ShardId"]

    assert shard_for(2**128 - 1) == "shardId-000000000002"
    assert shard_for(2 * third - 1) == "shardId-000000000001"
    assert shard_for(2 * third) == "shardId-000000000002"
    assert shard_for(0) == SHARD_0


def test_an_explicit_hash_key_beyond_the_key_space_is_refused(kinesis):
    name = new_stream(kinesis)
    code, message, _ = error_of(
        kinesis.put_record, StreamName=name, Data=b"", PartitionKey="a", ExplicitHashKey=str(2**128)
    )
    assert (code, message) == (
        "InvalidArgumentException",
        "Invalid ExplicitHashKey. ExplicitHashKey must be in the range: [0, 2^128-1]. Specified"
        f" value was {2**128}",
    )


def test_put_records_answers_each_record_in_the_order_sent(kinesis):
    name = new_stream(kinesis, shards=4)
    shards = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"]
    keys = [f"k{i}" for i in range(100)]
    answer = kinesis.put_records(
        StreamName=name, Records=[{"Data": k.encode(), "PartitionKey": k} for k in keys]
    )
    assert answer["FailedRecordCount"] == 0
    assert len(answer["Records"]) == 100
    for key, result in zip(keys, answer["Records"], strict=True):
        assert result["ShardId"] == shard_holding(shards, md5_hash_key(key))
        assert re.fullmatch(r"\d{56}", result["SequenceNumber"])
    stored = {
        r["PartitionKey"]: r["SequenceNumber"]
        for shard in shards
        for r in read_all(kinesis, name, shard["ShardId"])
    }
    assert stored == {k: r["SequenceNumber"] for k, r in zip(keys, answer["Records"], strict=True)}


# -- order --------------------------------------------------------------------------------------


def test_records_of_a_shard_come_back_in_the_order_they_were_written(kinesis):
    name = new_stream(kinesis)
    sent = [
        kinesis.put_record(StreamName=name, Data=f"{i}".encode(), PartitionKey="same")
        for i in range(30)
    ]
    numbers = [int(s["SequenceNumber"]) for s in sent]
    assert numbers == sorted(numbers) and len(set(numbers)) == 30
    got = read_all(kinesis, name, SHARD_0)
    assert [r["Data"] for r in got] == [f"{i}".encode() for i in range(30)]
    assert [r["SequenceNumber"] for r in got] == [s["SequenceNumber"] for s in sent]


def test_concurrent_writers_get_distinct_increasing_sequence_numbers(server, kinesis):
    name = new_stream(kinesis)
    answers: list[tuple[str, str]] = []
    lock = threading.Lock()

    def write(worker: int) -> None:
        client = kinesis_client(server.endpoint)
        for i in range(20):
            put = client.put_record(
                StreamName=name, Data=f"{worker}-{i}".encode(), PartitionKey="p"
            )
            with lock:
                answers.append((put["SequenceNumber"], f"{worker}-{i}"))

    threads = [threading.Thread(target=write, args=(w,)) for w in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    got = read_all(kinesis, name, SHARD_0)
    assert len(got) == 80
    # The stored order is the order of the sequence numbers handed out.
    assert [r["Data"].decode() for r in got] == [
        data for _, data in sorted(answers, key=lambda a: int(a[0]))
    ]
    for worker in range(4):
        mine = [r["Data"].decode() for r in got if r["Data"].decode().startswith(f"{worker}-")]
        assert mine == [f"{worker}-{i}" for i in range(20)]


def test_sequence_number_for_ordering_is_checked(kinesis):
    name = new_stream(kinesis)
    first = kinesis.put_record(StreamName=name, Data=b"1", PartitionKey="k")["SequenceNumber"]
    second = kinesis.put_record(
        StreamName=name, Data=b"2", PartitionKey="k", SequenceNumberForOrdering=first
    )["SequenceNumber"]
    assert int(second) > int(first)
    code, message, _ = error_of(
        kinesis.put_record,
        StreamName=name,
        Data=b"3",
        PartitionKey="k",
        SequenceNumberForOrdering="12",
    )
    assert (code, message) == (
        "InvalidArgumentException",
        f"ExclusiveMinimumSequenceNumber 12 used in PutRecord on stream {name} under account"
        f" {ACCOUNT} is invalid.",
    )


# -- limits -------------------------------------------------------------------------------------


def test_a_record_of_one_mib_is_taken_and_one_byte_more_is_refused(kinesis):
    name = new_stream(kinesis)
    assert kinesis.put_record(StreamName=name, Data=b"x" * MIB, PartitionKey="k")["ShardId"]
    code, message, status = error_of(
        kinesis.put_record, StreamName=name, Data=b"x" * (MIB + 1), PartitionKey="k"
    )
    assert (code, status) == ("ValidationException", 400)
    assert message == (
        "1 validation error detected: Value 'java.nio.HeapByteBuffer[pos=0 lim=1048577"
        " cap=1048577]' at 'data' failed to satisfy constraint: Member must have length less"
        " than or equal to 1048576"
    )


def test_put_records_names_each_record_over_the_size_limit(kinesis):
    name = new_stream(kinesis)
    records = [
        {"Data": b"ok", "PartitionKey": "k"},
        {"Data": b"x" * (MIB + 1), "PartitionKey": "k"},
    ]
    code, message, _ = error_of(kinesis.put_records, StreamName=name, Records=records)
    assert code == "ValidationException"
    assert (
        "at 'records.2.member.data' failed to satisfy constraint: Member must have length"
        in message
    )
    assert read_all(kinesis, name, SHARD_0) == []


def test_put_records_over_ten_mib_in_all_is_refused(kinesis):
    name = new_stream(kinesis)
    records = [{"Data": b"x" * MIB, "PartitionKey": f"k{i}"} for i in range(10)]
    code, message, _ = error_of(kinesis.put_records, StreamName=name, Records=records)
    assert (code, message) == ("InvalidArgumentException", "Records size exceeds 10 MB limit")


def test_put_records_of_more_than_500_records_is_refused(server):
    kinesis = kinesis_client(server.endpoint, validate=False)
    name = new_stream(kinesis)
    records = [{"Data": b"x", "PartitionKey": "k"}] * 501
    code, message, _ = error_of(kinesis.put_records, StreamName=name, Records=records)
    assert code == "ValidationException"
    assert message.endswith(
        "at 'records' failed to satisfy constraint: Member must have length less than or equal"
        " to 500"
    )


def test_a_record_without_a_partition_key_is_refused(server):
    kinesis = kinesis_client(server.endpoint, validate=False)
    name = new_stream(kinesis)
    code, message, _ = error_of(kinesis.put_record, StreamName=name, Data=b"x")
    assert (code, message) == (
        "ValidationException",
        "1 validation error detected: Value null at 'partitionKey' failed to satisfy"
        " constraint: Member must not be null",
    )


# -- iterators ----------------------------------------------------------------------------------


def test_each_iterator_type_starts_where_aws_starts_it(kinesis):
    name = new_stream(kinesis)
    sent = [
        kinesis.put_record(StreamName=name, Data=bytes([i]), PartitionKey="k") for i in range(5)
    ]
    latest = iterator(kinesis, name, "LATEST")
    third = sent[2]["SequenceNumber"]

    def data(token: str) -> list[int]:
        return [r["Data"][0] for r in kinesis.get_records(ShardIterator=token)["Records"]]

    assert data(iterator(kinesis, name, "TRIM_HORIZON")) == [0, 1, 2, 3, 4]
    assert data(iterator(kinesis, name, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=third)) == [
        2,
        3,
        4,
    ]
    assert data(iterator(kinesis, name, "AFTER_SEQUENCE_NUMBER", StartingSequenceNumber=third)) == [
        3,
        4,
    ]
    start = kinesis.describe_stream(StreamName=name)["StreamDescription"]["Shards"][0]
    at_start = start["SequenceNumberRange"]["StartingSequenceNumber"]
    assert data(iterator(kinesis, name, "AT_SEQUENCE_NUMBER", StartingSequenceNumber=at_start)) == [
        0,
        1,
        2,
        3,
        4,
    ]
    kinesis.put_record(StreamName=name, Data=bytes([5]), PartitionKey="k")
    assert data(latest) == [5]


def test_an_at_timestamp_iterator_reads_what_arrived_from_then_on(kinesis):
    name = new_stream(kinesis)
    kinesis.put_record(StreamName=name, Data=b"before", PartitionKey="k")
    time.sleep(0.05)
    moment = datetime.datetime.now(datetime.UTC)
    time.sleep(0.05)
    kinesis.put_record(StreamName=name, Data=b"after", PartitionKey="k")
    token = iterator(kinesis, name, "AT_TIMESTAMP", Timestamp=moment)
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=token)["Records"]] == [b"after"]
    future = iterator(
        kinesis, name, "AT_TIMESTAMP", Timestamp=moment + datetime.timedelta(seconds=0.3)
    )
    kinesis.put_record(StreamName=name, Data=b"too early", PartitionKey="k")
    time.sleep(0.35)
    kinesis.put_record(StreamName=name, Data=b"late enough", PartitionKey="k")
    assert [r["Data"] for r in kinesis.get_records(ShardIterator=future)["Records"]] == [
        b"late enough"
    ]


def test_get_records_pages_with_next_shard_iterator_and_limit(kinesis):
    name = new_stream(kinesis)
    before = time.time()
    kinesis.put_records(
        StreamName=name, Records=[{"Data": bytes([i]), "PartitionKey": "k"} for i in range(7)]
    )
    time.sleep(0.05)
    page = kinesis.get_records(ShardIterator=iterator(kinesis, name, "TRIM_HORIZON"), Limit=3)
    assert [r["Data"][0] for r in page["Records"]] == [0, 1, 2]
    assert page["MillisBehindLatest"] > 0
    record = page["Records"][0]
    assert set(record) == {"SequenceNumber", "ApproximateArrivalTimestamp", "Data", "PartitionKey"}
    assert before - 1 <= record["ApproximateArrivalTimestamp"].timestamp() <= time.time()
    rest = kinesis.get_records(ShardIterator=page["NextShardIterator"], Limit=10)
    assert [r["Data"][0] for r in rest["Records"]] == [3, 4, 5, 6]
    assert rest["MillisBehindLatest"] == 0
    empty = kinesis.get_records(ShardIterator=rest["NextShardIterator"])
    assert empty["Records"] == [] and empty["NextShardIterator"]


def test_binary_data_comes_back_byte_for_byte(kinesis):
    name = new_stream(kinesis)
    blob = bytes(range(256)) * 3
    kinesis.put_record(StreamName=name, Data=blob, PartitionKey="bin")
    assert read_all(kinesis, name, SHARD_0)[0]["Data"] == blob


@pytest.mark.parametrize(
    ("kind", "extra", "said"),
    [
        ("AT_SEQUENCE_NUMBER", {}, "AT_SEQUENCE_NUMBER and no StartingSequenceNumber"),
        ("AFTER_SEQUENCE_NUMBER", {}, "AFTER_SEQUENCE_NUMBER and no StartingSequenceNumber"),
        ("LATEST", {"StartingSequenceNumber": "5"}, "LATEST and also a StartingSequenceNumber"),
        (
            "TRIM_HORIZON",
            {"StartingSequenceNumber": "5"},
            "TRIM_HORIZON and also a StartingSequenceNumber",
        ),
    ],
)
def test_an_iterator_type_and_starting_sequence_number_must_agree(kinesis, kind, extra, said):
    name = new_stream(kinesis)
    code, message, _ = error_of(
        kinesis.get_shard_iterator,
        StreamName=name,
        ShardId=SHARD_0,
        ShardIteratorType=kind,
        **extra,
    )
    assert (code, message) == (
        "InvalidArgumentException",
        "Must either specify (1) AT_SEQUENCE_NUMBER or AFTER_SEQUENCE_NUMBER and"
        " StartingSequenceNumber or (2) TRIM_HORIZON or LATEST and no StartingSequenceNumber."
        f" Request specified {said}.",
    )


def test_at_timestamp_needs_a_timestamp(kinesis):
    name = new_stream(kinesis)
    code, message, _ = error_of(
        kinesis.get_shard_iterator,
        StreamName=name,
        ShardId=SHARD_0,
        ShardIteratorType="AT_TIMESTAMP",
    )
    assert code == "InvalidArgumentException"
    assert "AT_TIMESTAMP" in message


def test_starting_sequence_numbers_from_elsewhere_are_refused(kinesis):
    name = new_stream(kinesis, shards=2)
    other = new_stream(kinesis)
    second = kinesis.put_record(
        StreamName=name, Data=b"", PartitionKey="x", ExplicitHashKey=str(2**128 - 1)
    )["SequenceNumber"]
    code, message, _ = error_of(
        kinesis.get_shard_iterator,
        StreamName=name, ShardId=SHARD_0, ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber=second,
    )  # fmt: skip
    assert (code, message) == (
        "InvalidArgumentException",
        "Invalid StartingSequenceNumber. It encodes shardId-000000000001, while it was used in"
        " a call to a shard with shardId-000000000000",
    )
    foreign = kinesis.put_record(StreamName=other, Data=b"", PartitionKey="x")["SequenceNumber"]
    time.sleep(1.1)  # shards created in another second carry another creation time
    younger = new_stream(kinesis)
    code, message, _ = error_of(
        kinesis.get_shard_iterator,
        StreamName=younger, ShardId=SHARD_0, ShardIteratorType="AFTER_SEQUENCE_NUMBER",
        StartingSequenceNumber=foreign,
    )  # fmt: skip
    assert message == (
        f"StartingSequenceNumber {foreign} used in GetShardIterator on shard {SHARD_0} in stream"
        f" {younger} under account {ACCOUNT} is invalid because it did not come from this stream."
    )
    code, message, _ = error_of(
        kinesis.get_shard_iterator,
        StreamName=name, ShardId=SHARD_0, ShardIteratorType="AT_SEQUENCE_NUMBER",
        StartingSequenceNumber="12345",
    )  # fmt: skip
    assert message == (
        f"StartingSequenceNumber 12345 used in GetShardIterator on shard {SHARD_0} in stream"
        f" {name} under account {ACCOUNT} is invalid."
    )


def test_shard_ids_are_read_as_kinesis_reads_them(kinesis):
    name = new_stream(kinesis, shards=2)
    for given in ("shardId-000000000001", "shardId-1", "shard-1", "1"):
        assert iterator(kinesis, name, "LATEST", shard=given)
    code, message, _ = error_of(
        kinesis.get_shard_iterator, StreamName=name, ShardId="shardId-7", ShardIteratorType="LATEST"
    )
    assert (code, message) == (
        "ResourceNotFoundException",
        f"Shard shardId-000000000007 in stream {name} under account {ACCOUNT} does not exist",
    )
    code, message, _ = error_of(
        kinesis.get_shard_iterator, StreamName=name, ShardId="ABC", ShardIteratorType="LATEST"
    )
    assert (code, message) == (
        "ResourceNotFoundException",
        f"Could not find shard ABC in stream {name} under account {ACCOUNT}.",
    )


def test_a_shard_iterator_cloudlet_did_not_issue_is_invalid(kinesis):
    code, message, _ = error_of(kinesis.get_records, ShardIterator="bm90IGFuIGl0ZXJhdG9y")
    assert (code, message) == ("InvalidArgumentException", "Invalid ShardIterator.")


def test_a_shard_iterator_older_than_five_minutes_has_expired(kinesis):
    name = new_stream(kinesis)
    issued = int(time.time() * 1000) - 301_000
    old = iterators.issue(iterators.Position(ACCOUNT, "us-east-1", name, 0, 0, 0, issued))
    code, message, status = error_of(kinesis.get_records, ShardIterator=old)
    assert (code, status) == ("ExpiredIteratorException", 400)
    assert re.fullmatch(
        r"Iterator expired\. The iterator was created at time \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2}"
        r" UTC \d{4} while right now it is \w{3} \w{3} \d{2} \d{2}:\d{2}:\d{2} UTC \d{4} which is"
        r" further in the future than the tolerated delay of 300000 milliseconds\.",
        message,
    )


def test_an_iterator_of_a_deleted_stream_finds_no_shard(kinesis):
    name = new_stream(kinesis)
    token = iterator(kinesis, name, "TRIM_HORIZON")
    kinesis.delete_stream(StreamName=name)
    code, message, _ = error_of(kinesis.get_records, ShardIterator=token)
    assert (code, message) == (
        "ResourceNotFoundException",
        f"Shard {SHARD_0} in stream {name} under account {ACCOUNT} does not exist",
    )
