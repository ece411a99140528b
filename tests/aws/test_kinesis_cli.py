"""Kinesis through the real aws CLI: a stream's life from creation to deletion."""

from __future__ import annotations

import base64

from sqs_support import unique

from aws_cli import aws, aws_json


def test_the_aws_cli_creates_writes_reads_and_deletes_a_stream(server):
    name = unique("cli")
    aws(server, "kinesis", "create-stream", "--stream-name", name, "--shard-count", "2")
    aws(server, "kinesis", "wait", "stream-exists", "--stream-name", name)
    put = aws_json(
        server, "kinesis", "put-record", "--stream-name", name,
        "--partition-key", "a", "--data", "hello",
    )  # fmt: skip
    assert put["ShardId"] == "shardId-000000000000"
    iterator = aws_json(
        server, "kinesis", "get-shard-iterator", "--stream-name", name,
        "--shard-id", put["ShardId"], "--shard-iterator-type", "TRIM_HORIZON",
    )["ShardIterator"]  # fmt: skip
    records = aws_json(server, "kinesis", "get-records", "--shard-iterator", iterator)["Records"]
    assert [base64.b64decode(r["Data"]) for r in records] == [b"hello"]
    assert records[0]["SequenceNumber"] == put["SequenceNumber"]
    aws(server, "kinesis", "delete-stream", "--stream-name", name)
    aws(server, "kinesis", "wait", "stream-not-exists", "--stream-name", name)
