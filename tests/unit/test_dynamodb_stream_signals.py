"""The streams' notification hook: a poller waiting on a stream wakes at its next record
and reads it through `StreamReader`."""

from __future__ import annotations

import asyncio
from typing import Any

from cloudlet.config import Config
from cloudlet.services.base import Platform, RequestContext
from cloudlet.services.dynamodb import DynamoDBService
from cloudlet.services.dynamodb.streams import build_record, sequence_number
from cloudlet.store import open_store


def test_records_have_aws_fields_and_images_by_view_type() -> None:
    keys = {"pk": {"S": "a"}}
    old, new = {**keys, "v": {"N": "1"}}, {**keys, "v": {"N": "2"}}
    record = build_record("eu-west-1", "KEYS_ONLY", keys, old, new, 1700000000.5)
    assert record["eventName"] == "MODIFY"
    assert record["awsRegion"] == "eu-west-1"
    assert record["dynamodb"]["ApproximateCreationDateTime"] == 1700000000
    assert "NewImage" not in record["dynamodb"] and "OldImage" not in record["dynamodb"]
    ttl = build_record("eu-west-1", "NEW_AND_OLD_IMAGES", keys, old, None, 0, ttl=True)
    assert ttl["eventName"] == "REMOVE" and ttl["dynamodb"]["OldImage"] == old
    assert ttl["userIdentity"] == {"type": "Service", "principalId": "dynamodb.amazonaws.com"}
    assert sequence_number(42) == "000000000000000000042"


def test_a_poller_in_process_wakes_at_a_put_and_reads_its_record(tmp_path: Any) -> None:
    store = open_store(str(tmp_path / "db.sqlite"))
    dynamodb = DynamoDBService(Platform(Config(), store))
    ctx = RequestContext("000000000000", "us-east-1", "r", "op", "http://localhost")

    async def scenario() -> list[dict[str, Any]]:
        created = await dynamodb.create_table(
            ctx,
            {
                "TableName": "t",
                "AttributeDefinitions": [{"AttributeName": "pk", "AttributeType": "S"}],
                "KeySchema": [{"AttributeName": "pk", "KeyType": "HASH"}],
                "BillingMode": "PAY_PER_REQUEST",
                "StreamSpecification": {"StreamEnabled": True, "StreamViewType": "NEW_IMAGE"},
            },
        )
        arn = created["TableDescription"]["LatestStreamArn"]
        after = await dynamodb.stream_reader.latest(arn)
        assert after == 0

        async def poller() -> list[dict[str, Any]]:
            async def found() -> bool:
                return bool(await dynamodb.stream_reader.records(arn, after, 10))

            assert await dynamodb.signals.wait(arn, 5, ready=found)
            return await dynamodb.stream_reader.records(arn, after, 10)

        waiting = asyncio.create_task(poller())
        await asyncio.sleep(0.05)
        await dynamodb.put_item(ctx, {"TableName": "t", "Item": {"pk": {"S": "a"}}})
        return await asyncio.wait_for(waiting, timeout=2)

    try:
        records = asyncio.run(scenario())
    finally:
        store.close()
    assert [r["eventName"] for r in records] == ["INSERT"]
    assert records[0]["dynamodb"]["NewImage"] == {"pk": {"S": "a"}}
    assert records[0]["dynamodb"]["SequenceNumber"] == "000000000000000000001"
